"""The Dataset handle: construction, indexing, iteration, attributes, pickling."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata import ArrowDataError, ClassLabel, Dataset, DatasetInfo, Features, Value
from arrowdata.errors import CastError, SchemaMismatchError


def _rows(n: int) -> dict[str, list]:
    return {"i": list(range(n)), "s": [f"row {i}" for i in range(n)], "f": [i / 4 for i in range(n)]}


# --------------------------------------------------------------------------- construction

def test_from_dict_infers_features_and_fingerprint_is_content_key():
    ds = Dataset.from_dict(_rows(5))
    assert ds.features == Features({"i": Value("int64"), "s": Value("string"), "f": Value("float64")})
    assert len(ds.fingerprint) == 32 and all(c in "0123456789abcdef" for c in ds.fingerprint)
    assert Dataset.from_dict(_rows(5)).fingerprint == ds.fingerprint
    assert Dataset.from_dict(_rows(6)).fingerprint != ds.fingerprint


def test_from_dict_with_classlabel_names_and_ints():
    f = Features({"y": ClassLabel(names=["neg", "pos"])})
    assert Dataset.from_dict({"y": ["pos", "neg", "pos"]}, features=f)["y"] == [1, 0, 1]
    assert Dataset.from_dict({"y": [0, 1]}, features=f)["y"] == [0, 1]
    with pytest.raises(CastError, match="'y'.*'meh'"):
        Dataset.from_dict({"y": ["pos", "meh"]}, features=f)
    with pytest.raises(CastError, match="'y'"):
        Dataset.from_dict({"y": [0, 2]}, features=f)


def test_from_dict_errors_name_the_problem():
    with pytest.raises(ArrowDataError, match="different lengths"):
        Dataset.from_dict({"a": [1, 2], "b": [1]})
    with pytest.raises(ArrowDataError, match="'a'"):
        Dataset.from_dict({"a": [1, "x"]})
    with pytest.raises(CastError, match="'a'"):
        Dataset.from_dict({"a": ["x", "y"]}, features=Features({"a": Value("int32")}))


def test_from_list_missing_keys_are_null():
    ds = Dataset.from_list([{"a": 1}, {"a": 2, "b": "x"}])
    assert ds.to_list() == [{"a": 1, "b": None}, {"a": 2, "b": "x"}]


def test_from_pandas_and_polars_round_trip():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    ds = Dataset.from_pandas(df)
    assert ds.column_names == ["a", "b"] and ds.to_dict() == {"a": [1, 2, 3], "b": ["x", "y", "z"]}
    pl = pytest.importorskip("polars")
    ds2 = Dataset.from_polars(pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}))
    assert ds2.to_dict() == {"a": [1, 2], "b": ["x", "y"]}
    assert ds2.features["b"] == Value("string")


def test_from_arrow_is_zero_copy():
    table = pa.table({"a": np.arange(1000)})
    ds = Dataset.from_arrow(table)
    assert ds.data.column("a").chunk(0).buffers()[1].address == table.column("a").chunk(0).buffers()[1].address
    assert Dataset.from_arrow(table.to_batches()[0]).num_rows == 1000


def test_numpy_nd_column_becomes_nested_lists():
    arr = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    ds = Dataset.from_dict({"x": arr})
    assert ds[1]["x"] == arr[1].tolist()
    np.testing.assert_array_equal(ds.with_format("numpy")["x"], arr)


def _gen_rows(n):
    for i in range(n):
        yield {"i": i, "text": "x" * (i % 7)}


def test_from_generator_streams_and_reuses_cache(tmp_path):
    import os

    ds = Dataset.from_generator(_gen_rows, gen_kwargs={"n": 2500}, writer_batch_size=1000)
    assert ds["i"] == list(range(2500))
    assert len(ds.cache_files) == 1 and "/generated/" in ds.cache_files[0]["filename"]
    # three writer batches went to disk, not one big table
    assert ds.data.num_rows == 2500 and len(ds.data.column("i").chunks) == 3
    path = ds.cache_files[0]["filename"]
    before = os.stat(path).st_ino, os.stat(path).st_mtime_ns
    again = Dataset.from_generator(_gen_rows, gen_kwargs={"n": 2500})
    assert again.cache_files == ds.cache_files and (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == before
    assert again.fingerprint == ds.fingerprint
    other = Dataset.from_generator(_gen_rows, gen_kwargs={"n": 3})
    assert other["i"] == [0, 1, 2] and other.cache_files != ds.cache_files
    arrowdata.disable_caching()
    try:
        fresh = Dataset.from_generator(_gen_rows, gen_kwargs={"n": 2500})
    finally:
        arrowdata.enable_caching()
    assert fresh["i"] == ds["i"]


def test_from_generator_schema_drift_names_column():
    def gen():
        for i in range(4):
            yield {"v": i if i < 2 else f"text {i}"}

    with pytest.raises(SchemaMismatchError, match="'v'"):
        Dataset.from_generator(gen, writer_batch_size=2)


def test_from_generator_with_features():
    def gen():
        yield {"y": "pos"}
        yield {"y": "neg"}

    ds = Dataset.from_generator(gen, features=Features({"y": ClassLabel(names=["neg", "pos"])}))
    assert ds["y"] == [1, 0] and ds.features["y"].names == ["neg", "pos"]


# --------------------------------------------------------------------------- access

def test_attributes():
    info = DatasetInfo(description="d", citation="c", homepage="h", license="l")
    ds = Dataset.from_dict(_rows(4), info=info, split="train")
    assert (ds.num_rows, ds.shape, ds.column_names) == (4, (4, 3), ["i", "s", "f"])
    assert (ds.description, ds.citation, ds.homepage, ds.license, ds.split) == ("d", "c", "h", "l", "train")
    assert ds.info.description == "d" and ds.cache_files == []
    assert "num_rows: 4" in repr(ds)


def test_getitem_forms():
    ds = Dataset.from_dict(_rows(6))
    assert ds[0] == {"i": 0, "s": "row 0", "f": 0.0}
    assert ds[-1]["i"] == 5 and ds[np.int64(2)]["i"] == 2
    assert ds[1:3] == {"i": [1, 2], "s": ["row 1", "row 2"], "f": [0.25, 0.5]}
    assert ds[::-2]["i"] == [5, 3, 1]
    assert ds[[4, 0, -1]]["i"] == [4, 0, 5]
    assert ds[np.array([3, 3])]["i"] == [3, 3]
    assert ds[np.array([True, False] * 3)]["i"] == [0, 2, 4]
    assert ds[[]]["i"] == []
    assert ds["s"] == [f"row {i}" for i in range(6)]


def test_getitem_errors():
    ds = Dataset.from_dict(_rows(3))
    with pytest.raises(IndexError, match="out of range"):
        ds[3]
    with pytest.raises(IndexError, match="out of range"):
        ds[[0, -4]]
    with pytest.raises(KeyError, match="nope"):
        ds["nope"]
    with pytest.raises(arrowdata.UnknownNameError, match=r"available columns: \['i', 's', 'f'\]"):
        ds["nope"]
    with pytest.raises(TypeError):
        ds[1.5]


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(-2**40, 2**40)), min_size=0, max_size=40),
       data=st.data())
def test_getitem_matches_python_lists(values, data):
    words = [None if v is None else f"w{v}" for v in values]
    ds = Dataset.from_dict({"v": pa.array(values, pa.int64()), "w": pa.array(words, pa.string())})
    n = len(values)
    start = data.draw(st.one_of(st.none(), st.integers(-n - 3, n + 3)))
    stop = data.draw(st.one_of(st.none(), st.integers(-n - 3, n + 3)))
    step = data.draw(st.one_of(st.none(), st.integers(-4, 4).filter(lambda s: s != 0)))
    assert ds[start:stop:step] == {"v": values[start:stop:step], "w": words[start:stop:step]}
    if n:
        idx = data.draw(st.lists(st.integers(-n, n - 1), max_size=20))
        assert ds[idx]["v"] == [values[i] for i in idx]
        i = data.draw(st.integers(-n, n - 1))
        assert ds[i] == {"v": values[i], "w": words[i]}
    assert list(ds) == [{"v": v, "w": w} for v, w in zip(values, words)]
    assert ds["w"] == words


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.text(max_size=5), min_size=1, max_size=40), data=st.data())
def test_getitem_through_indices_matches_python(values, data):
    n = len(values)
    mapping = data.draw(st.lists(st.integers(0, n - 1), max_size=30))
    model = [values[i] for i in mapping]
    ds = Dataset.from_dict({"v": values})._replace(indices=pa.array(mapping, pa.uint64()))
    assert len(ds) == len(model) and ds["v"] == model and [r["v"] for r in ds] == model
    start, stop = data.draw(st.integers(-45, 45)), data.draw(st.integers(-45, 45))
    step = data.draw(st.sampled_from([None, 1, 2, -1, -3]))
    assert ds[start:stop:step]["v"] == model[start:stop:step]
    if model:
        picks = data.draw(st.lists(st.integers(-len(model), len(model) - 1), max_size=10))
        assert ds[picks]["v"] == [model[i] for i in picks]
        assert ds.with_format("numpy")[picks]["v"].tolist() == [model[i] for i in picks]
    batches = [b["v"] for b in ds.iter(batch_size=7)]
    assert batches == [model[i:i + 7] for i in range(0, len(model), 7)]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 50), batch_size=st.integers(1, 17), drop=st.booleans())
def test_iter_batches_match_python(n, batch_size, drop):
    ds = Dataset.from_dict({"a": list(range(n))})
    expected = [list(range(s, min(s + batch_size, n))) for s in range(0, n, batch_size)]
    if drop and expected and len(expected[-1]) < batch_size:
        expected.pop()
    assert [b["a"] for b in ds.iter(batch_size, drop_last_batch=drop)] == expected
    assert [t.column("a").to_pylist() for t in ds.iter_arrow(batch_size, drop_last_batch=drop)] == expected


def test_iter_rejects_bad_batch_size():
    with pytest.raises(ArrowDataError, match="batch_size"):
        list(Dataset.from_dict({"a": [1]}).iter(0))


def test_indices_are_honoured_everywhere():
    ds = Dataset.from_dict(_rows(10))
    perm = np.array([9, 2, 2, 0, 5], dtype=np.uint64)
    sub = ds._replace(indices=pa.array(perm), fingerprint="f" * 32)
    assert len(sub) == 5 and sub["i"] == [9, 2, 2, 0, 5]
    assert sub[1:4]["s"] == ["row 2", "row 2", "row 0"]
    assert [r["i"] for r in sub] == [9, 2, 2, 0, 5]
    assert sub._take(np.array([4, 0])).column("i").to_pylist() == [5, 9]
    assert sub.data.num_rows == 10  # indices not applied to .data


def test_getitems_for_torch_dataloader():
    ds = Dataset.from_dict(_rows(5))
    assert ds.__getitems__([3, 1]) == [ds[3], ds[1]]


# --------------------------------------------------------------------------- pickling, copies

def test_pickle_in_memory_round_trip():
    ds = Dataset.from_dict(_rows(50), split="x").with_format("numpy", columns=["i"])
    back = pickle.loads(pickle.dumps(ds))
    assert back.fingerprint == ds.fingerprint and back.split == "x"
    np.testing.assert_array_equal(back["i"], np.arange(50))
    assert back.format["columns"] == ["i"]


def test_pickle_memory_mapped_is_by_path(tmp_path):
    big = Dataset.from_dict({"x": np.arange(200_000), "t": ["some text"] * 200_000})
    big.save_to_disk(tmp_path / "d")
    ds = arrowdata.load_from_disk(tmp_path / "d")
    payload = pickle.dumps(ds)
    assert len(payload) < 5000  # a path, not 3 MB of data
    back = pickle.loads(payload)
    assert back.cache_files == ds.cache_files and back.fingerprint == ds.fingerprint
    assert back[123_456] == {"x": 123_456, "t": "some text"}
    sel = ds._replace(indices=pa.array(np.array([5, 1], dtype=np.uint64)))
    assert pickle.loads(pickle.dumps(sel))["x"] == [5, 1]


def test_replace_rejects_unknown_fields_and_keeps_state():
    ds = Dataset.from_dict(_rows(3), split="train")
    with pytest.raises(TypeError, match="unknown field"):
        ds._replace(colour="red")
    same = ds._replace(fingerprint="a" * 32)
    assert same.split == "train" and same.fingerprint == "a" * 32 and ds.fingerprint != same.fingerprint


def test_features_follow_a_replaced_table():
    ds = Dataset.from_dict({"y": ["a", "b"]}, features=Features({"y": ClassLabel(names=["a", "b"])}))
    kept = ds._replace(table=ds.data.slice(0, 1))
    assert isinstance(kept.features["y"], ClassLabel)
    changed = ds._replace(table=pa.table({"z": [1.5]}))
    assert changed.features == Features({"z": Value("float64")})


# --------------------------------------------------------------------------- data files, sample

def test_from_files_delegate_to_readers(tmp_path):
    feats = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    src = Dataset.from_dict({"text": ["good", "bad, really"], "label": ["pos", "neg"]}, features=feats)
    src.to_json(tmp_path / "a.jsonl")
    src.to_csv(tmp_path / "a.csv")
    src.to_parquet(tmp_path / "a.parquet")
    (tmp_path / "a.txt").write_text("line one\nline two\n")
    for ds in (Dataset.from_json(tmp_path / "a.jsonl", features=feats),
               Dataset.from_csv(str(tmp_path / "a.csv"), features=feats),
               Dataset.from_parquet(str(tmp_path / "a.parquet"))):
        assert isinstance(ds, Dataset) and ds.to_list() == src.to_list()
        assert ds.features["label"].names == ["neg", "pos"] and ds.cache_files
    assert Dataset.from_text(str(tmp_path / "a.txt"))["text"] == ["line one", "line two"]


def test_sample_dataset():
    import json

    with open(arrowdata.sample_path()) as f:
        rows = [json.loads(line) for line in f]
    assert len(rows) >= 300 and {r["label"] for r in rows} == {"neg", "pos"}
    ds = arrowdata.load_sample()
    assert ds.num_rows == len(rows) and ds.features["label"].names == ["neg", "pos"]
    assert ds[0]["label"] == ["neg", "pos"].index(rows[0]["label"]) and ds[0]["text"] == rows[0]["text"]
    with pytest.raises(arrowdata.UnknownNameError, match="reviews"):
        arrowdata.sample_path("nope")
