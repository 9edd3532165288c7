"""save_to_disk / load_from_disk: every feature type, HF compatibility both ways, remote folders, atomicity."""
from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import uuid

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import (Array2D, Array3D, Array4D, Array5D, ClassLabel, Dataset, DatasetDict, Features, LargeList,
                       List, Value, load_from_disk)
from arrowdata.errors import ArrowDataError, CorruptFileError, MissingFileError

hf = pytest.importorskip("datasets")

UTC = dt.timezone.utc
# column -> (feature, two rows of values)
COLUMNS = {
    "bool": (Value("bool"), [True, None]),
    "int8": (Value("int8"), [-128, 127]),
    "int16": (Value("int16"), [-3, None]),
    "int32": (Value("int32"), [2**31 - 1, 0]),
    "int64": (Value("int64"), [-(2**63), 2**63 - 1]),
    "uint8": (Value("uint8"), [0, 255]),
    "uint16": (Value("uint16"), [1, 65535]),
    "uint32": (Value("uint32"), [2**32 - 1, 7]),
    "uint64": (Value("uint64"), [2**64 - 1, 0]),
    "float16": (Value("float16"), [0.5, -2.0]),
    "float32": (Value("float32"), [1.25, float("inf")]),
    "float64": (Value("float64"), [1e-300, None]),
    "string": (Value("string"), ["héllo", ""]),
    "large_string": (Value("large_string"), ["a" * 10, None]),
    "binary": (Value("binary"), [b"\x00\xff", b""]),
    "large_binary": (Value("large_binary"), [b"xyz", None]),
    "date32": (Value("date32"), [dt.date(2020, 2, 29), dt.date(1970, 1, 1)]),
    "date64": (Value("date64"), [dt.date(2001, 1, 1), None]),
    "time64": (Value("time64[us]"), [dt.time(12, 30, 1, 5), dt.time(0, 0)]),
    "ts": (Value("timestamp[ns]"), [dt.datetime(2021, 5, 6, 7, 8, 9), None]),
    "ts_tz": (Value("timestamp[us, tz=UTC]"), [dt.datetime(2021, 5, 6, tzinfo=UTC), dt.datetime(1999, 1, 1, tzinfo=UTC)]),
    "duration": (Value("duration[ms]"), [dt.timedelta(seconds=3), dt.timedelta(0)]),
    "decimal": (Value("decimal128(10, 2)"), [decimal.Decimal("12.34"), decimal.Decimal("-0.01")]),
    "label": (ClassLabel(names=["neg", "pos", "neutral"]), [2, 0]),
    "list": (List(Value("int32")), [[1, 2, 3], []]),
    "fixed_list": (List(Value("float32"), length=2), [[1.0, 2.0], [3.0, 4.0]]),
    "large_list": (LargeList(Value("string")), [["a"], ["b", "c"]]),
    "list_of_lists": (List(List(Value("int8"))), [[[1], [2, 3]], []]),
    "list_of_dicts": (List({"k": Value("string"), "v": Value("int64")}), [[{"k": "a", "v": 1}], []]),
    "arr2": (Array2D(shape=(2, 3), dtype="int32"), [np.arange(6).reshape(2, 3).tolist(), np.zeros((2, 3), int).tolist()]),
    "arr3": (Array3D(shape=(None, 2, 2), dtype="float32"), [np.ones((1, 2, 2)).tolist(), np.zeros((3, 2, 2)).tolist()]),
    "arr4": (Array4D(shape=(1, 2, 1, 2), dtype="uint8"), [np.ones((1, 2, 1, 2), int).tolist()] * 2),
    "arr5": (Array5D(shape=(1, 1, 1, 2, 2), dtype="float64"), [np.full((1, 1, 1, 2, 2), 0.5).tolist()] * 2),
    "struct_arr": ({"m": Array2D(shape=(1, 2), dtype="int32")}, [{"m": [[1, 2]]}, None]),
    "list_arr": (List(Array2D(shape=(1, 2), dtype="int16")), [[[[3, 4]], [[5, 6]]], []]),
    "nested": ({"x": Value("string"), "y": {"z": Value("bool"), "w": List(Value("int64"))}},
               [{"x": "q", "y": {"z": True, "w": [1]}}, {"x": None, "y": {"z": False, "w": []}}]),
}


def _json(obj):
    """As written to dataset_info.json (HF keeps tuples in memory, JSON turns them into lists)."""
    return json.loads(json.dumps(obj))


def _all_types_dataset() -> Dataset:
    features = Features({k: f for k, (f, _) in COLUMNS.items()})
    return Dataset.from_dict({k: v for k, (_, v) in COLUMNS.items()}, features=features,
                             info=arrowdata.DatasetInfo(description="all types", license="cc0"), split="train")


def test_round_trip_every_feature_type(tmp_path):
    ds = _all_types_dataset()
    ds.save_to_disk(tmp_path / "d")
    back = load_from_disk(tmp_path / "d")
    assert back.features == ds.features
    assert back.to_list() == ds.to_list()
    assert [back[i] for i in range(2)] == [{k: v[i] for k, (_, v) in COLUMNS.items()} for i in range(2)]
    assert back.fingerprint == ds.fingerprint and back.split == "train"
    assert back.info.description == "all types" and back.license == "cc0"
    assert back.cache_files == [{"filename": str(tmp_path / "d" / "data-00000-of-00001.arrow")}]


def test_saved_files_are_json_and_hf_layout(tmp_path):
    ds = Dataset.from_dict({"a": [1, 2]}).with_format("numpy", columns=["a"])
    ds.save_to_disk(tmp_path / "d")
    state = json.loads((tmp_path / "d" / "state.json").read_text())
    # arrowdata's own key (the seal that vouches for the fingerprint) is ignored by HF
    assert len(state.pop("_arrowdata_seal")) == 64
    assert state == {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": ds.fingerprint,
                     "_format_columns": ["a"], "_format_kwargs": {}, "_format_type": "numpy",
                     "_output_all_columns": False, "_split": None}
    info = json.loads((tmp_path / "d" / "dataset_info.json").read_text())
    assert info["features"] == {"a": {"dtype": "int64", "_type": "Value"}}
    # The shard is an Arrow IPC stream with the features in its schema metadata.
    with pa.memory_map(str(tmp_path / "d" / "data-00000-of-00001.arrow")) as src:
        schema = pa.ipc.open_stream(src).schema
    assert json.loads(schema.metadata[b"huggingface"])["info"]["features"] == info["features"]
    back = load_from_disk(tmp_path / "d")
    assert back.format["type"] == "numpy" and isinstance(back["a"], np.ndarray)


def test_sharding_and_indices_are_flattened(tmp_path):
    ds = Dataset.from_dict({"a": list(range(100)), "s": [str(i) for i in range(100)]})
    sel = ds._replace(indices=pa.array(np.arange(99, -1, -3, dtype=np.uint64)))
    sel.save_to_disk(tmp_path / "d", num_shards=3)
    names = sorted(f for f in os.listdir(tmp_path / "d") if f.endswith(".arrow"))
    assert names == [f"data-0000{i}-of-00003.arrow" for i in range(3)]
    back = load_from_disk(tmp_path / "d")
    assert back["a"] == list(range(99, -1, -3)) and back._indices is None
    ds.save_to_disk(tmp_path / "e", max_shard_size="500B")
    assert len([f for f in os.listdir(tmp_path / "e") if f.endswith(".arrow")]) > 1
    assert load_from_disk(tmp_path / "e")["a"] == list(range(100))
    with pytest.raises(ArrowDataError, match="max_shard_size"):
        ds.save_to_disk(tmp_path / "f", max_shard_size="lots")
    with pytest.raises(ArrowDataError, match="num_shards"):
        ds.save_to_disk(tmp_path / "f", num_shards=0)


def test_hf_folder_opens_in_arrowdata(tmp_path):
    feats = hf.Features({"text": hf.Value("string"), "label": hf.ClassLabel(names=["neg", "pos"]),
                         "tok": hf.List(hf.Value("int32")), "m": hf.Array2D(shape=(2, 2), dtype="float32"),
                         "meta": {"src": hf.Value("string")}, "arrs": hf.List(hf.Array2D(shape=(1, 2), dtype="int32"))})
    rows = {"text": ["good", "bad", "ok"], "label": [1, 0, 1], "tok": [[1, 2], [3], []],
            "m": [[[1, 2], [3, 4]]] * 3, "meta": [{"src": "a"}, {"src": "b"}, {"src": None}],
            "arrs": [[[[1, 2]]], [], [[[3, 4]], [[5, 6]]]]}
    theirs = hf.Dataset.from_dict(rows, features=feats)
    theirs.save_to_disk(str(tmp_path / "hf"), num_shards=2)
    ours = load_from_disk(tmp_path / "hf")
    assert ours.num_rows == 3 and ours.to_list() == theirs.to_list()
    assert ours.features["label"].names == ["neg", "pos"]
    assert _json(ours.features.to_dict()) == _json(theirs.features.to_dict())
    np.testing.assert_array_equal(ours.with_format("numpy")["m"], np.array(rows["m"], dtype=np.float32))
    assert len(ours.fingerprint) == 32


def test_arrowdata_folder_opens_in_hf(tmp_path):
    ds = _all_types_dataset()
    ds.save_to_disk(tmp_path / "ours", num_shards=2)
    theirs = hf.load_from_disk(str(tmp_path / "ours"))
    assert _json(theirs.features.to_dict()) == _json(ds.features.to_dict())
    assert theirs.to_list() == ds.to_list()
    assert theirs.info.description == "all types"


def test_dataset_dict_both_directions(tmp_path):
    dd = DatasetDict({"train": Dataset.from_dict({"y": ["pos", "neg"]},
                                                 features=Features({"y": ClassLabel(names=["neg", "pos"])})),
                      "test": Dataset.from_dict({"y": [0]}, features=Features({"y": ClassLabel(names=["neg", "pos"])}))})
    dd.save_to_disk(tmp_path / "dd")
    assert json.loads((tmp_path / "dd" / "dataset_dict.json").read_text()) == {"splits": ["train", "test"]}
    theirs = hf.load_from_disk(str(tmp_path / "dd"))
    assert isinstance(theirs, hf.DatasetDict) and theirs["train"]["y"] == [1, 0]
    assert theirs["test"].features["y"].names == ["neg", "pos"]
    theirs.save_to_disk(str(tmp_path / "hfdd"))
    back = load_from_disk(tmp_path / "hfdd")
    assert isinstance(back, DatasetDict) and list(back) == ["train", "test"]
    assert back["train"]["y"] == [1, 0] and back["test"].features["y"].names == ["neg", "pos"]
    assert DatasetDict.load_from_disk(tmp_path / "dd")["train"]["y"] == [1, 0]
    with pytest.raises(ArrowDataError, match="single Dataset"):
        DatasetDict.load_from_disk(tmp_path / "hfdd" / "train")


def test_remote_folder_is_fetched_then_memory_mapped():
    import fsspec

    ds = Dataset.from_dict({"a": list(range(50))})
    ds.save_to_disk("memory://bucket/ds", num_shards=2)
    fs = fsspec.filesystem("memory")
    assert fs.exists("/bucket/ds/state.json") and not any(".tmp-" in p for p in fs.find("/bucket"))
    back = load_from_disk("memory://bucket/ds")
    assert back["a"] == list(range(50))
    cached = back.cache_files[0]["filename"]
    assert f"{os.sep}remote{os.sep}" in cached and os.path.exists(cached)
    assert load_from_disk("memory://bucket/ds").cache_files == back.cache_files  # reused
    DatasetDict({"x": ds}).save_to_disk("memory://bucket/dd")
    assert load_from_disk("memory://bucket/dd")["x"]["a"] == list(range(50))
    with pytest.raises(MissingFileError, match="nothing"):
        load_from_disk("memory://bucket/nothing")
    fs.rm("/bucket", recursive=True)


def test_keep_in_memory(tmp_path):
    Dataset.from_dict({"a": [1, 2]}).save_to_disk(tmp_path / "d")
    ds = load_from_disk(tmp_path / "d", keep_in_memory=True)
    assert ds.cache_files == [] and ds["a"] == [1, 2]


def test_save_is_atomic_and_overwrites_an_open_dataset(tmp_path, monkeypatch):
    target = tmp_path / "d"
    Dataset.from_dict({"a": [1, 2, 3]}).save_to_disk(target)
    opened = load_from_disk(target)
    import arrowdata.folder_format as folder_format

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(folder_format.Path, "write_text", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        Dataset.from_dict({"a": [9]}).save_to_disk(target)
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["d"]  # no temp folder left behind
    assert load_from_disk(target)["a"] == [1, 2, 3]
    opened.save_to_disk(target)  # overwrite the folder it maps: the map stays valid
    assert opened["a"] == [1, 2, 3] and load_from_disk(target)["a"] == [1, 2, 3]


def test_load_errors(tmp_path):
    with pytest.raises(MissingFileError, match="nowhere"):
        load_from_disk(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingFileError, match="not a save_to_disk folder"):
        load_from_disk(tmp_path / "empty")
    Dataset.from_dict({"a": [1]}).save_to_disk(tmp_path / "d")
    (tmp_path / "d" / "state.json").write_text("{not json")
    with pytest.raises(CorruptFileError, match="state.json"):
        load_from_disk(tmp_path / "d")
    (tmp_path / "d" / "state.json").write_text(json.dumps({"_data_files": [{"filename": "../../etc/passwd"}]}))
    with pytest.raises(CorruptFileError, match="invalid data file name"):
        load_from_disk(tmp_path / "d")
    (tmp_path / "d" / "state.json").write_text(json.dumps({"_data_files": [{"filename": "gone.arrow"}]}))
    with pytest.raises(MissingFileError, match="gone.arrow"):
        load_from_disk(tmp_path / "d")


def test_from_file_opens_arrow_file_format(tmp_path):
    table = pa.table({"a": [1, 2, 3]})
    with pa.ipc.new_file(str(tmp_path / "f.arrow"), table.schema) as w:
        w.write_table(table)
    ds = Dataset.from_file(tmp_path / "f.arrow")
    assert ds["a"] == [1, 2, 3] and ds.cache_files[0]["filename"].endswith("f.arrow")




def test_random_rows_round_trip_and_open_in_hf(tmp_path_factory):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    row = st.fixed_dictionaries({
        "i": st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)),
        "s": st.one_of(st.none(), st.text(max_size=12)),
        "b": st.binary(max_size=6),
        "l": st.lists(st.one_of(st.none(), st.floats(allow_nan=False)), max_size=4),
        "d": st.fixed_dictionaries({"x": st.booleans(), "y": st.lists(st.text(max_size=3), max_size=3)}),
    })

    @settings(max_examples=15, deadline=None)
    @given(rows=st.lists(row, min_size=1, max_size=30), shards=st.integers(1, 3))
    def check(rows, shards):
        folder = tmp_path_factory.mktemp("rt") / "d"
        ds = Dataset.from_list(rows)
        ds.save_to_disk(folder, num_shards=min(shards, len(rows)))
        assert load_from_disk(folder).to_list() == rows
        assert hf.load_from_disk(str(folder)).to_list() == rows

    check()


def test_hf_feature_types_we_do_not_model_survive(tmp_path):
    feats = hf.Features({"t": hf.Translation(languages=["en", "fr"]), "j": hf.Value("string")})
    hf.Dataset.from_dict({"t": [{"en": "hi", "fr": "salut"}], "j": ["x"]}, features=feats).save_to_disk(
        str(tmp_path / "hf"))
    ours = load_from_disk(tmp_path / "hf")
    assert ours[0] == {"t": {"en": "hi", "fr": "salut"}, "j": "x"}
    assert ours.features.to_dict()["t"] == {"languages": ["en", "fr"], "_type": "Translation"}
    ours.save_to_disk(tmp_path / "back")
    again = hf.load_from_disk(str(tmp_path / "back"))
    assert again.features == feats and again[0] == ours[0]


def test_empty_dataset_round_trip(tmp_path):
    feats = Features({"a": Value("int32"), "b": Array2D(shape=(1, 2), dtype="int32")})
    ds = Dataset.from_dict({"a": [], "b": []}, features=feats)
    ds.save_to_disk(tmp_path / "d")
    back = load_from_disk(tmp_path / "d")
    assert back.num_rows == 0 and back.features == feats and back[:] == {"a": [], "b": []} and list(back) == []
    assert len(hf.load_from_disk(str(tmp_path / "d"))) == 0


def test_s3_save_and_load_through_s3fs(s3_options):
    """save_to_disk/load_from_disk over s3:// (moto's server on loopback), DatasetDict included."""
    s3fs = pytest.importorskip("s3fs")
    opts = s3_options
    # moto keeps buckets in process-wide state: a name of our own, removed at the end.
    bucket = f"core-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(**opts)
    fs.mkdir(bucket)
    ds = Dataset.from_dict({"y": ["pos", "neg", "pos"]}, features=Features({"y": ClassLabel(names=["neg", "pos"])}))
    ds.save_to_disk(f"s3://{bucket}/ds", num_shards=2, storage_options=opts)
    back = load_from_disk(f"s3://{bucket}/ds", storage_options=opts)
    assert back["y"] == [1, 0, 1] and back.features == ds.features
    assert os.path.exists(back.cache_files[0]["filename"])  # fetched, then memory-mapped
    DatasetDict({"train": ds}).save_to_disk(f"s3://{bucket}/dd", storage_options=opts)
    assert load_from_disk(f"s3://{bucket}/dd", storage_options=opts)["train"]["y"] == [1, 0, 1]
    assert not [p for p in fs.find(bucket) if ".tmp-" in p]
    fs.rm(bucket, recursive=True)


def test_num_proc_map_after_the_mapped_folder_was_overwritten(tmp_path):
    # Workers re-open a handle's files by path; when the folder was replaced under the handle, the
    # files no longer hold its rows, and map_ops._files_match makes the workers get the handle's table.
    Dataset.from_dict({"a": list(range(10))}).save_to_disk(tmp_path / "d")
    ds = load_from_disk(tmp_path / "d")
    Dataset.from_dict({"a": list(range(100, 105))}).save_to_disk(tmp_path / "d")
    out = ds.map(lambda b: {"b": [x * 2 for x in b["a"]]}, batched=True, num_proc=2)
    assert out["b"] == [x * 2 for x in range(10)]
