"""Column operations: behaviour, HF ``datasets`` parity, features kept in step, clear errors."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import Dataset
from arrowdata.errors import ArrowDataError, CastError
from arrowdata.features import ClassLabel, Features, List, Value
from arrowdata.transforms.derive import ColumnNotFoundError, InvalidArgumentError

hf = pytest.importorskip("datasets")


def _ds() -> Dataset:
    return Dataset.from_dict({"a": [1, 2, 3], "b": ["x", "y", None], "c": [0.5, 1.5, 2.5]})


def test_rename_remove_select_columns():
    ds = _ds()
    r = ds.rename_column("a", "z")
    assert r.column_names == ["z", "b", "c"] and r["z"] == [1, 2, 3]
    assert list(r.features) == ["z", "b", "c"] and r.features["z"] == Value("int64")
    swapped = ds.rename_columns({"a": "b", "b": "a"})
    assert swapped["a"] == ["x", "y", None] and swapped["b"] == [1, 2, 3]
    assert ds.remove_columns("b").column_names == ["a", "c"]
    assert ds.remove_columns(["a", "c"]).column_names == ["b"]
    sel = ds.select_columns(["c", "a"])
    assert sel.column_names == ["c", "a"] and list(sel.features) == ["c", "a"]
    # The schema metadata carries the same features as the info.
    assert Features.from_arrow_schema(sel.data.schema) == sel.features
    # The original is unchanged (handles are immutable).
    assert ds.column_names == ["a", "b", "c"]


def test_column_ops_keep_rows_chosen_by_indices():
    ds = _ds().shuffle(seed=0)
    order = ds["a"]
    assert ds.rename_column("a", "k")["k"] == order
    assert ds.remove_columns("b")["a"] == order
    assert ds.cast_column("a", Value("float64"))["a"] == [float(v) for v in order]
    assert ds._indices is not None and ds.select_columns(["a"])._indices is not None


def test_column_errors_name_the_column():
    ds = _ds()
    with pytest.raises(ColumnNotFoundError, match="'q'.*available columns: \\['a', 'b', 'c'\\]"):
        ds.rename_column("q", "r")
    with pytest.raises(InvalidArgumentError, match="'b' already exists"):
        ds.rename_column("a", "b")
    with pytest.raises(ColumnNotFoundError, match="'q'"):
        ds.remove_columns(["a", "q"])
    with pytest.raises(ColumnNotFoundError, match="'q'"):
        ds.select_columns("q")
    with pytest.raises(ColumnNotFoundError, match="'q'"):
        ds.unique("q")
    with pytest.raises(InvalidArgumentError, match="same name"):
        ds.rename_columns({"a": "n", "b": "n"})
    with pytest.raises(InvalidArgumentError, match="^name"):
        ds.add_column("a", [1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="4 values but the dataset has 3 rows"):
        ds.add_column("d", [1, 2, 3, 4])
    with pytest.raises(InvalidArgumentError, match="^item"):
        ds.add_item(["a", 1])  # a row must be a dict (missing/new keys are HF's null/new columns)
    for err in (ColumnNotFoundError, InvalidArgumentError):
        assert issubclass(err, ArrowDataError) and issubclass(err, ValueError)


def test_cast_and_cast_column():
    ds = _ds()
    out = ds.cast(Features({"a": Value("float32"), "b": Value("string"), "c": Value("float64")}))
    assert out.features["a"] == Value("float32") and out["a"] == [1.0, 2.0, 3.0]
    assert out.data.schema.field("a").type == pa.float32()
    labels = Dataset.from_dict({"y": ["neg", "pos", "neg"]}).cast_column("y", ClassLabel(names=["neg", "pos"]))
    assert labels["y"] == [0, 1, 0] and labels.features["y"].names == ["neg", "pos"]
    with pytest.raises(CastError, match="'b'"):
        ds.cast_column("b", Value("int64"))
    with pytest.raises(CastError, match="'y'"):
        Dataset.from_dict({"y": ["neg", "meh"]}).cast_column("y", ClassLabel(names=["neg", "pos"]))
    with pytest.raises(InvalidArgumentError, match="^features"):
        ds.cast(Features({"a": Value("int32")}))
    with pytest.raises(ColumnNotFoundError):
        ds.cast_column("zz", Value("int32"))


def test_add_column_and_add_item():
    ds = _ds()
    out = ds.add_column("d", np.array([7, 8, 9]))
    assert out["d"] == [7, 8, 9] and out.features["d"] == Value("int64")
    typed = ds.add_column("d", [1, 0, 1], feature=ClassLabel(names=["no", "yes"]))
    assert isinstance(typed.features["d"], ClassLabel)
    shuffled = ds.shuffle(seed=1)
    added = shuffled.add_column("d", ["p", "q", "r"])
    assert added["d"] == ["p", "q", "r"] and added["a"] == shuffled["a"]
    item = ds.add_item({"a": 4, "b": "w", "c": 3.5})
    assert item["a"] == [1, 2, 3, 4] and item[3] == {"a": 4, "b": "w", "c": 3.5}
    after_select = ds.select([2, 0]).add_item({"a": 9, "b": None, "c": None})
    assert after_select["a"] == [3, 1, 9] and after_select[2] == {"a": 9, "b": None, "c": None}
    with pytest.raises(CastError):
        ds.add_item({"a": "not a number", "b": "x", "c": 1.0})


def test_flatten_struct_columns_like_hf():
    data = {"a": [{"b": 1, "c": {"d": "x"}}, {"b": 2, "c": {"d": "y"}}], "e": [0, 1]}
    ours = Dataset.from_dict(data).flatten()
    theirs = hf.Dataset.from_dict(data).flatten()
    assert ours.column_names == theirs.column_names == ["a.b", "a.c.d", "e"]
    assert ours["a.c.d"] == ["x", "y"]
    assert list(ours.features) == ours.column_names


def test_unique_follows_rows_shown():
    ds = Dataset.from_dict({"x": [3, 1, 3, 2, 1]})
    assert ds.unique("x") == [3, 1, 2]
    assert ds.select([3, 1, 1]).unique("x") == [2, 1]


@pytest.mark.parametrize("include_nulls", [False, True])
def test_class_encode_column_like_hf(include_nulls):
    data = {"y": ["pos", None, "neg", "pos", "neu"], "z": [10, 2, 2, 10, 1]}
    ours = Dataset.from_dict(data)
    theirs = hf.Dataset.from_dict(data)
    for column in ("y", "z"):
        a = ours.class_encode_column(column, include_nulls=include_nulls)
        b = theirs.class_encode_column(column, include_nulls=include_nulls)
        assert a.features[column].names == b.features[column].names
        assert a[column] == b[column]
    with pytest.raises(InvalidArgumentError, match="Value column"):
        ours.class_encode_column("y").class_encode_column("y")


def test_class_encode_after_shuffle_keeps_indices():
    ds = Dataset.from_dict({"y": ["b", "a", "c", "a"]}).shuffle(seed=2)
    enc = ds.class_encode_column("y")
    assert enc._indices is not None
    assert [enc.features["y"].names[i] for i in enc["y"]] == ds["y"]


def test_align_labels_with_mapping_like_hf():
    data = {"label": [0, 1, 2, 1]}
    names = ["NEG", "neu", "pos"]
    ours = Dataset.from_dict(data).cast_column("label", ClassLabel(names=names))
    theirs = hf.Dataset.from_dict(data).cast_column("label", hf.ClassLabel(names=names))
    mapping = {"pos": 0, "neg": 1, "NEU": 2}
    a = ours.align_labels_with_mapping(mapping, "label")
    b = theirs.align_labels_with_mapping(mapping, "label")
    assert a["label"] == b["label"] == [1, 2, 0, 2]
    assert a.features["label"].names == b.features["label"].names
    # -1 (no label) stays -1.
    unknown = ours.add_item({"label": -1}).align_labels_with_mapping(mapping, "label")
    assert unknown["label"] == [1, 2, 0, 2, -1]
    with pytest.raises(InvalidArgumentError, match="not in label2id"):
        ours.align_labels_with_mapping({"pos": 0, "neg": 1}, "label")
    with pytest.raises(InvalidArgumentError, match="^label_column"):
        Dataset.from_dict({"label": [0]}).align_labels_with_mapping({"a": 0}, "label")


def test_nested_columns_survive_every_op():
    ds = Dataset.from_dict({"ids": [[1, 2], [], [3]], "t": ["a", "b", "c"]})
    out = ds.rename_column("ids", "input_ids").shuffle(seed=0).flatten_indices().remove_columns("t")
    assert sorted(map(tuple, out["input_ids"])) == [(), (1, 2), (3,)]
    assert out.features["input_ids"] == List(Value("int64"))


def test_column_ops_derive_distinct_fingerprints():
    ds = _ds()
    fps = {ds.fingerprint, ds.rename_column("a", "z").fingerprint, ds.remove_columns("a").fingerprint,
           ds.select_columns(["a"]).fingerprint, ds.add_column("d", [1, 2, 3]).fingerprint,
           ds.add_column("d", [1, 2, 4]).fingerprint, ds.cast_column("a", Value("int32")).fingerprint,
           ds.cast_column("a", Value("int16")).fingerprint}
    assert len(fps) == 8
    assert ds.add_column("d", [1, 2, 3]).fingerprint == ds.add_column("d", [1, 2, 3]).fingerprint


def test_dataset_dict_column_forms():
    dd = arrowdata.DatasetDict({"train": _ds(), "test": _ds().select([0])})
    assert dd.remove_columns("b")["test"].column_names == ["a", "c"]
    assert dd.class_encode_column("b")["train"].features["b"].names == ["x", "y"]
    assert dd.cast_column("a", Value("float64"))["test"]["a"] == [1.0]
    assert dd.flatten()["train"].column_names == ["a", "b", "c"]
