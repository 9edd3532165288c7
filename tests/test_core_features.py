"""Feature types: JSON identical to HF `datasets`, inference, ClassLabel, casting errors."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from arrowdata import Array2D, Array3D, Array4D, Array5D, ClassLabel, Features, LargeList, List, Sequence, Value
from arrowdata.errors import CastError
from arrowdata.features import cast_table, dtype_to_arrow, arrow_to_dtype, features_from_schema

hf = pytest.importorskip("datasets")

PRIMITIVES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32",
              "float64", "string", "large_string", "binary", "large_binary", "date32", "date64", "time32[s]",
              "time64[us]", "timestamp[s]", "timestamp[ns]", "timestamp[us, tz=UTC]", "duration[ms]",
              "decimal128(10, 2)", "null"]


def _pairs():
    """(arrowdata feature, equivalent HF feature) for every kind of feature."""
    out = [(Value(d), hf.Value(d)) for d in PRIMITIVES]
    out += [
        (ClassLabel(names=["neg", "pos"]), hf.ClassLabel(names=["neg", "pos"])),
        (List(Value("int32")), hf.List(hf.Value("int32"))),
        (List(Value("float32"), length=3), hf.List(hf.Value("float32"), length=3)),
        (LargeList(Value("string")), hf.LargeList(hf.Value("string"))),
        (List(List(Value("int8"))), hf.List(hf.List(hf.Value("int8")))),
        (List({"a": Value("int64")}), hf.List({"a": hf.Value("int64")})),
        (Sequence({"q": Value("int8")}), hf.Sequence({"q": hf.Value("int8")})),
        (Array2D(shape=(2, 3), dtype="int32"), hf.Array2D(shape=(2, 3), dtype="int32")),
        (Array3D(shape=(None, 2, 2), dtype="float32"), hf.Array3D(shape=(None, 2, 2), dtype="float32")),
        (Array4D(shape=(1, 2, 3, 4), dtype="uint8"), hf.Array4D(shape=(1, 2, 3, 4), dtype="uint8")),
        (Array5D(shape=(1, 1, 2, 1, 2), dtype="float64"), hf.Array5D(shape=(1, 1, 2, 1, 2), dtype="float64")),
        ({"x": Value("string"), "y": {"z": Value("bool")}}, {"x": hf.Value("string"), "y": {"z": hf.Value("bool")}}),
    ]
    return out


@pytest.mark.parametrize("ours,theirs", _pairs(), ids=lambda f: repr(f)[:40])
def test_json_identical_to_hf_and_round_trips(ours, theirs):
    mine = Features({"c": ours}).to_dict()
    assert json.dumps(mine) == json.dumps(hf.Features({"c": theirs}).to_dict())
    assert Features.from_dict(mine) == Features({"c": ours})
    # The Arrow storage matches HF's (HF uses extension types around the same storage for ArrayND).
    hf_type = hf.Features({"c": theirs}).arrow_schema.field("c").type
    hf_storage = hf_type.storage_type if isinstance(hf_type, pa.ExtensionType) else hf_type
    assert Features({"c": ours}).arrow_schema.field("c").type == hf_storage


def test_reads_legacy_sequence_json():
    legacy = {"tokens": {"feature": {"dtype": "string", "_type": "Value"}, "length": -1, "_type": "Sequence"},
              "spans": {"feature": {"start": {"dtype": "int32", "_type": "Value"}}, "_type": "Sequence"}}
    f = Features.from_dict(legacy)
    assert f["tokens"] == List(Value("string"))
    assert f["spans"] == {"start": List(Value("int32"))}


def test_unknown_feature_types_are_kept_opaque():
    spec = {"img": {"decode": True, "_type": "Image"}}
    f = Features.from_dict(spec)
    assert f.to_dict() == spec


@pytest.mark.parametrize("dtype", PRIMITIVES)
def test_dtype_strings_round_trip(dtype):
    assert arrow_to_dtype(dtype_to_arrow(dtype)) == dtype


def test_value_aliases_and_bad_dtype():
    assert Value("float").dtype == "float32" and Value("double").dtype == "float64"
    with pytest.raises(ValueError, match="'int65'"):
        Value("int65")


def test_classlabel_api():
    c = ClassLabel(names=["a", "b", "c"])
    assert c.num_classes == 3 and c.str2int("b") == 1 and c.str2int(["c", "a"]) == [2, 0]
    assert c.int2str(2) == "c" and c.int2str([0, 1]) == ["a", "b"] and c.int2str(np.int64(1)) == "b"
    assert c.encode_example("c") == 2 and c.encode_example(-1) == -1 and c.encode_example(None) is None
    with pytest.raises(ValueError, match="'z'"):
        c.str2int("z")
    with pytest.raises(ValueError, match="3"):
        c.int2str(3)
    assert ClassLabel(num_classes=2).names == ["0", "1"]
    with pytest.raises(ValueError):
        ClassLabel(names=["a", "a"])
    with pytest.raises(ValueError):
        ClassLabel()


def test_classlabel_names_file(tmp_path):
    p = tmp_path / "names.txt"
    p.write_text("cat\ndog\n\n")
    assert ClassLabel(names_file=str(p)).names == ["cat", "dog"]


def test_inference_from_arrow_types():
    schema = pa.schema([("a", pa.list_(pa.int32())), ("b", pa.list_(pa.float32(), 4)), ("c", pa.large_list(pa.int8())),
                        ("d", pa.struct([("e", pa.string())])), ("t", pa.timestamp("ms", "UTC")),
                        ("k", pa.dictionary(pa.int8(), pa.string()))])
    f = features_from_schema(schema)
    assert f == Features({"a": List(Value("int32")), "b": List(Value("float32"), length=4),
                          "c": LargeList(Value("int8")), "d": {"e": Value("string")},
                          "t": Value("timestamp[ms, tz=UTC]"), "k": Value("string")})


def test_stored_features_win_when_they_fit_and_are_ignored_when_stale():
    f = Features({"y": ClassLabel(names=["n", "p"])})
    schema = f.arrow_schema
    assert features_from_schema(schema) == f
    stale = pa.schema([("y", pa.string())], metadata=schema.metadata)
    assert features_from_schema(stale) == Features({"y": Value("string")})


def test_cast_table_errors_name_the_column():
    with pytest.raises(CastError, match="'n'.*int8"):
        cast_table(pa.table({"n": [1, 300]}), Features({"n": Value("int8")}))
    with pytest.raises(CastError, match="'f'"):
        cast_table(pa.table({"f": [1.5]}), Features({"f": Value("int64")}))
    with pytest.raises(CastError, match="'m'.*dimension 1.*expected 3"):
        cast_table(pa.table({"m": [[[1, 2, 3], [1, 2]]]}), Features({"m": Array2D(shape=(2, 3), dtype="int32")}))
    with pytest.raises(CastError, match="names must match"):
        cast_table(pa.table({"a": [1]}), Features({"b": Value("int64")}))
    with pytest.raises(CastError, match=r"'s\.y'"):
        cast_table(pa.table({"s": [{"y": "bad"}]}), Features({"s": {"y": ClassLabel(names=["ok"])}}))


def test_cast_nested_classlabel_in_list():
    t = cast_table(pa.table({"tags": [["b", "a"], [], None]}), Features({"tags": List(ClassLabel(names=["a", "b"]))}))
    assert t.column("tags").to_pylist() == [[1, 0], [], None]


def test_cast_keeps_features_in_metadata():
    f = Features({"y": ClassLabel(names=["a", "b"])})
    t = cast_table(pa.table({"y": ["b"]}), f)
    assert Features.from_arrow_schema(t.schema) == f
