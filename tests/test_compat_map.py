"""map semantics as in Hugging Face ``datasets`` 5: kept features, tensors, tables, async, ranks, small ints."""
from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import ClassLabel, Dataset, Features, List, Value

hf = pytest.importorskip("datasets")


def _labels(n: int = 6) -> Dataset:
    return Dataset.from_dict({"label": [i % 2 for i in range(n)]},
                             features=Features({"label": ClassLabel(names=["neg", "pos"])}))


def test_rewritten_column_keeps_its_feature_like_hf():
    ours = _labels().map(lambda r: {"label": 1 - r["label"]})
    theirs = hf.Dataset.from_dict({"label": [i % 2 for i in range(6)]},
                                  features=hf.Features({"label": hf.ClassLabel(names=["neg", "pos"])})
                                  ).map(lambda r: {"label": 1 - r["label"]})
    assert isinstance(ours.features["label"], ClassLabel) and ours.features["label"].names == ["neg", "pos"]
    assert ours["label"] == theirs["label"]
    narrow = Dataset.from_dict({"x": [1, 2]}, features=Features({"x": Value("int32")}))
    assert narrow.map(lambda r: {"x": r["x"] + 1}).features["x"] == Value("int32")
    assert narrow.map(lambda r: {"x": r["x"] + 1}, try_original_type=False).features["x"] == Value("int64")
    # Values of another kind never squeeze into the old type: floats stay floats.
    assert narrow.map(lambda r: {"x": r["x"] + 0.5}).features["x"] == Value("float64")


def test_feature_dropped_when_values_no_longer_fit_even_mid_stream():
    assert _labels().map(lambda r: {"label": 5}).features["label"] == Value("int64")
    # The first batches fit the ClassLabel, a later one does not: the result must not claim ClassLabel.
    out = _labels(3000).map(lambda r, i: {"label": 9 if i >= 2500 else r["label"]}, with_indices=True,
                            writer_batch_size=1000)
    assert out.features["label"] == Value("int64") and out["label"][-1] == 9 and out["label"][0] == 0
    reloaded = arrowdata.load_from_disk(_saved(out))
    assert reloaded.features["label"] == Value("int64")


def _saved(ds: Dataset) -> str:
    import tempfile

    path = tempfile.mkdtemp()
    ds.save_to_disk(path)
    return path


def test_per_row_tensors_and_numpy_scalars_are_stored_with_their_dtypes():
    torch = pytest.importorskip("torch")
    out = Dataset.from_dict({"x": [1, 2]}).map(
        lambda r: {"t": torch.tensor([r["x"], 2]), "s": np.float32(1.5), "i": np.int64(r["x"]),
                   "m": torch.ones(2, 2) * r["x"], "z": torch.tensor(r["x"] * 1.0)})
    assert out["t"] == [[1, 2], [2, 2]] and out["s"] == [1.5, 1.5] and out["i"] == [1, 2]
    assert out["m"] == [[[1.0, 1.0], [1.0, 1.0]], [[2.0, 2.0], [2.0, 2.0]]] and out["z"] == [1.0, 2.0]
    assert out.features["s"] == Value("float32") and out.features["m"] == List(List(Value("float32")))


def test_tables_returned_per_row_or_batch_are_the_result_like_hf():
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    hds = hf.Dataset.from_dict({"x": [1, 2, 3]})
    for fn, batched in [(lambda r: pa.table({"y": [r["x"]]}), False), (lambda r: pd.DataFrame({"y": [r["x"]]}), False),
                        (lambda b: pd.DataFrame({"y": b["x"]}), True), (lambda b: pa.table({"y": b["x"]}), True)]:
        assert ds.map(fn, batched=batched)[:] == hds.map(fn, batched=batched)[:] == {"y": [1, 2, 3]}


def test_row_returned_as_a_value_is_that_dict():
    ds = Dataset.from_dict({"a": [1, 2], "b": ["x", "y"]})
    out = ds.map(lambda r: {"copy": r})
    assert out["copy"] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert ds.map(lambda r: {"copy": [r]})["copy"] == [[{"a": 1, "b": "x"}], [{"a": 2, "b": "y"}]]


async def double(row):
    await asyncio.sleep(0.02)
    return {"y": row["x"] * 2}


def test_async_functions_run_concurrently_and_cache():

    async def double_batch(batch):
        await asyncio.sleep(0.02)
        return {"y": [v * 2 for v in batch["x"]]}

    ds = Dataset.from_dict({"x": list(range(100))})
    import time

    start = time.perf_counter()
    out = ds.map(double)
    assert time.perf_counter() - start < 1.0  # 100 calls of 20 ms: concurrent, not 2 s
    assert out["y"] == [2 * v for v in range(100)]
    again = ds.map(double)  # fingerprinted like any function: a cache hit
    assert again.fingerprint == out.fingerprint and again.cache_files == out.cache_files != []
    assert ds.map(double_batch, batched=True, batch_size=7)["y"] == out["y"]
    assert ds.filter(lambda r: r["x"] < 3)["x"] == [0, 1, 2]


def _rank_of(row, rank):
    import time

    time.sleep(0.001)  # slow enough that both workers take chunks from the queue
    return {"rank": rank}


def test_with_rank_gives_each_worker_its_rank():
    ds = Dataset.from_dict({"x": list(range(600))})
    ranks = set(ds.map(_rank_of, with_rank=True, num_proc=2)["rank"])
    assert ranks == {0, 1}
    assert set(ds.map(_rank_of, with_rank=True)["rank"]) == {0}


@pytest.mark.parametrize("batched", [False, True])
def test_tokenizer_columns_are_as_small_as_hf(batched):
    def tok(row):
        return {"input_ids": [101, 7, 102], "attention_mask": [1, 1, 1], "token_type_ids": [0, 0, 0],
                "special_tokens_mask": [1, 0, 1], "labels": [3]}

    fn = (lambda b: {k: [v] * len(b["x"]) for k, v in tok(None).items()}) if batched else tok
    ours = Dataset.from_dict({"x": [1, 2]}).map(fn, batched=batched)
    theirs = hf.Dataset.from_dict({"x": [1, 2]}).map(fn, batched=batched)
    for name in ("input_ids", "attention_mask", "token_type_ids", "special_tokens_mask", "labels"):
        assert ours.data.schema.field(name).type.value_type.bit_width <= \
            theirs.data.schema.field(name).type.value_type.bit_width, name
        assert ours[name] == theirs[name]
    assert ours.data.schema.field("input_ids").type == pa.list_(pa.int32())
    assert ours.data.schema.field("attention_mask").type == pa.list_(pa.int8())


def test_tokenizer_columns_widen_exactly_when_values_do_not_fit():
    out = Dataset.from_dict({"x": [0, 1]}).map(lambda r: {"input_ids": [2**40 * r["x"]], "token_type_ids": [300]})
    assert out["input_ids"] == [[0], [2**40]] and out.data.schema.field("input_ids").type == pa.list_(pa.int64())
    assert out.data.schema.field("token_type_ids").type == pa.list_(pa.int16())
    # A later batch that needs more room widens the whole column, no value changes.
    big = Dataset.from_dict({"x": list(range(2500))}).map(lambda r: {"input_ids": [r["x"] * 2**30]})
    assert big["input_ids"][-1] == [2499 * 2**30] and big.data.schema.field("input_ids").type == pa.list_(pa.int64())
    # Arrow values and features= are left as given.
    given = Dataset.from_dict({"x": [1]}).map(lambda b: {"input_ids": pa.array([[1]])}, batched=True)
    assert given.data.schema.field("input_ids").type == pa.list_(pa.int64())


def _relabel(row, i):
    return {"label": 9 if i >= 450 else row["label"]}


def test_worker_parts_that_disagree_on_a_kept_feature_are_not_mislabelled():
    out = _labels(600).map(_relabel, with_indices=True, num_proc=2)
    assert out.features["label"] == Value("int64") and out["label"][-1] == 9
    kept = _labels(600).map(_relabel_fit, with_indices=True, num_proc=2)
    assert isinstance(kept.features["label"], ClassLabel) and kept["label"] == [1 - i % 2 for i in range(600)]


def _relabel_fit(row, i):
    return {"label": 1 - row["label"]}


@pytest.mark.parametrize("mode", [True, False, "mix"])
def test_rows_returning_fewer_keys_update_their_input_row_like_hf(mode):
    def change(x):
        if x["a"]["b"] < 2:
            x["a"]["c"] = -1
            return dict(x) if mode is False else x
        x["a"]["c"] = x["a"]["b"]  # changed in place; {} means "this row as the function left it"
        return x if mode is True else {}

    data = {"a": [{"b": 0}, {"b": 1}, {"b": 2}, {"b": 3}]}
    assert Dataset.from_dict(data).map(change)[:] == hf.Dataset.from_dict(data).map(change)[:]
    with pytest.raises(ValueError, match="new column must be returned for every row"):
        Dataset.from_dict({"x": [1, 2]}).map(lambda r: {"y": 1} if r["x"] == 1 else {})


def test_batched_functions_get_the_dataset_format_like_hf():
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    seen = ds.with_format("numpy").map(lambda b: {"t": [type(b["x"]).__name__] * len(b["x"])}, batched=True)
    assert seen.with_format(None)["t"] == ["ndarray"] * 3
    arrow = ds.with_format("arrow").map(lambda t: t.append_column("y", t["x"]), batched=True)
    assert arrow.with_format(None)[:] == {"x": [1, 2, 3], "y": [1, 2, 3]}
    assert ds.with_format("numpy").map(lambda r: {"t": type(r["x"]).__name__}).with_format(None)["t"] == ["int"] * 3
    # the format is part of the key: the same function on the unformatted dataset is another entry
    assert ds.map(lambda b: {"t": [type(b["x"]).__name__] * len(b["x"])}, batched=True)["t"] == ["list"] * 3


async def _is_42(row):
    await asyncio.sleep(0.05)
    return row["x"] == 42


async def _are_42(batch):
    await asyncio.sleep(0.05)
    return [x == 42 for x in batch["x"]]


def test_async_filter_like_hf():
    import time

    ds = Dataset.from_dict({"x": list(range(100))})
    start = time.perf_counter()
    assert ds.filter(_is_42)["x"] == [42]
    assert time.perf_counter() - start < 2.0  # 100 calls of 50 ms, concurrent
    assert ds.filter(_are_42, batched=True, batch_size=10)["x"] == [42]


def test_removing_columns_of_an_empty_dataset_keeps_metadata_in_sync():
    empty = Dataset.from_dict({"a": [1], "b": ["x"]}).select([])
    out = empty.map(lambda r: {}, remove_columns="a")
    assert out.column_names == ["b"] and Features.from_arrow_schema(out.data.schema) == out.features


def _tag_b(x):
    x["b"] = -1 if x["a"] < 2 else x["a"]
    return x


def test_rows_of_a_formatted_dataset_are_returned_whole_like_hf():
    ds = Dataset.from_dict({"a": [0, 1, 2, 3]})
    theirs = hf.Dataset.from_dict({"a": [0, 1, 2, 3]})
    assert ds.map(_tag_b, remove_columns=["a"])[:] == theirs.map(_tag_b, remove_columns=["a"])[:] == \
        {"b": [-1, -1, 2, 3]}
    ours = ds.with_format("numpy").map(_tag_b, remove_columns=["a"]).with_format(None)[:]
    assert ours == theirs.with_format("numpy").map(_tag_b, remove_columns=["a"]).with_format(None)[:]
    assert ours == {"a": [0, 1, 2, 3], "b": [-1, -1, 2, 3]}


def test_hf_naming_arguments_are_checked_with_hf_messages(tmp_path):
    ds = Dataset.from_dict({"x": [1, 2]})
    with pytest.raises(ValueError, match="suffix_template must contain exactly the fields 'rank' and 'num_proc'"):
        ds.map(lambda r: {"y": 1}, suffix_template="_{}_of_{}")
    with pytest.raises(ValueError, match="Expected cache_file_name to have an extension"):
        ds.map(lambda r: {"y": 1}, cache_file_name=str(tmp_path / "train"))
    assert ds.map(lambda r: {"y": 1}, suffix_template="_{rank:05d}_of_{num_proc:05d}")["y"] == [1, 1]
    first = ds.filter(lambda r: r["x"] > 1, new_fingerprint="mine")
    assert first["x"] == [2] and ds.filter(lambda r: r["x"] > 5, new_fingerprint="mine")["x"] == [2]  # same key


def test_remove_columns_applies_to_rows_handed_back_like_hf():
    def relabel(x):
        x["a"] = -1 if x["a"] < 2 else x["a"]
        return x

    data = {"a": [0, 1, 2, 3]}
    assert Dataset.from_dict(data).map(relabel, remove_columns=["a"]).column_names == \
        hf.Dataset.from_dict(data).map(relabel, remove_columns=["a"]).column_names == []
    assert Dataset.from_dict(data).map(lambda x: dict(relabel(x)), remove_columns=["a"])["a"] == [-1, -1, 2, 3]
