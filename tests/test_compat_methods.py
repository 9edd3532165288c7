"""HF Dataset methods: batch, repeat, ``with ds:``, concatenate/add_item with new columns,
class_encode_column on bools, push_to_hub; checked against a plain-Python model and the installed ``datasets``."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata import ClassLabel, Dataset, DatasetDict, Features, List, Value

hf = pytest.importorskip("datasets")

_values = st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=12)


def _model_batches(rows: list, size: int, drop_last: bool) -> list[list]:
    out = [rows[i:i + size] for i in range(0, len(rows), size)]
    return [b for b in out if len(b) == size] if drop_last else out


def _model_runs(keys: list) -> list[list[int]]:
    runs: list[list[int]] = []
    for i, k in enumerate(keys):
        if runs and keys[runs[-1][-1]] == k:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


@settings(max_examples=40, deadline=None)
@given(values=_values, size=st.integers(1, 5), drop_last=st.booleans(), shuffled=st.booleans())
def test_batch_matches_a_python_model(values, size, drop_last, shuffled):
    ds = Dataset.from_dict({"v": values, "i": list(range(len(values)))}, features=Features(
        {"v": Value("int64"), "i": Value("int64")}))
    order = list(range(len(values)))[::-1] if shuffled else list(range(len(values)))
    ds = ds.select(order)
    logical = [values[i] for i in order]
    out = ds.batch(size, drop_last_batch=drop_last)
    assert out["v"] == _model_batches(logical, size, drop_last)
    assert out["i"] == _model_batches(order, size, drop_last)
    assert out.features == Features({"v": List(Value("int64")), "i": List(Value("int64"))})
    by = ds.batch(by_column="v")
    assert by["i"] == [[order[j] for j in run] for run in _model_runs(logical)]


@settings(max_examples=30, deadline=None)
@given(values=_values, times=st.integers(0, 4), pick=st.lists(st.integers(0, 11), max_size=6))
def test_repeat_matches_a_python_model(values, times, pick):
    ds = Dataset.from_dict({"v": values}, features=Features({"v": Value("int64")}))
    pick = [p for p in pick if p < len(values)]
    sub = ds.select(pick)
    assert ds.repeat(times)["v"] == values * times
    assert sub.repeat(times)["v"] == [values[p] for p in pick] * times
    assert len(ds.repeat(times)) == len(values) * times
    if times != 1:
        assert ds.repeat(times).fingerprint != ds.fingerprint


_columns = st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(-5, 5), min_size=1)


@settings(max_examples=40, deadline=None)
@given(first=st.lists(_columns, min_size=1, max_size=4), second=st.lists(_columns, min_size=1, max_size=4))
def test_concatenate_unions_columns_like_a_python_model(first, second):
    def table(rows):
        names = sorted({k for r in rows for k in r})
        return {n: [r.get(n) for r in rows] for n in names}

    left, right = table(first), table(second)
    out = arrowdata.concatenate_datasets([Dataset.from_dict(left), Dataset.from_dict(right)])
    names = list(left) + [n for n in right if n not in left]
    assert out.column_names == names
    for n in names:
        assert out[n] == left.get(n, [None] * len(first)) + right.get(n, [None] * len(second))
    theirs = hf.concatenate_datasets([hf.Dataset.from_dict(left), hf.Dataset.from_dict(right)])
    assert out[:] == theirs[:]


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_columns, min_size=1, max_size=3), item=_columns)
def test_add_item_like_a_python_model(rows, item):
    names = sorted({k for r in rows for k in r})
    data = {n: [r.get(n) for r in rows] for n in names}
    out = Dataset.from_dict(data).add_item(item)
    expected_names = names + [k for k in item if k not in names]
    assert out.column_names == expected_names
    for n in expected_names:
        assert out[n] == data.get(n, [None] * len(rows)) + [item.get(n)]
    assert out[:] == hf.Dataset.from_dict(data).add_item(item)[:]


def test_add_item_keeps_features_and_indices():
    ds = Dataset.from_dict({"y": [0, 1, 1]}, features=Features({"y": ClassLabel(names=["n", "p"])})).select([2, 0])
    out = ds.add_item({"y": "p", "t": "new"})
    assert out["y"] == [1, 0, 1] and out["t"] == [None, None, "new"]
    assert isinstance(out.features["y"], ClassLabel) and out.features["t"] == Value("string")


def test_class_encode_column_on_bools_uses_hf_names():
    data = {"b": [True, False, True, None]}
    ours = Dataset.from_dict(data).class_encode_column("b")
    theirs = hf.Dataset.from_dict(data).class_encode_column("b")
    assert ours.features["b"].names == theirs.features["b"].names == ["False", "True"]
    assert ours["b"] == theirs["b"]


def test_context_manager_on_dataset_and_dict():
    with Dataset.from_dict({"a": [1, 2]}) as ds:
        assert ds["a"] == [1, 2]
    assert len(ds) == 2  # leaving the block releases nothing a later read needs
    with DatasetDict({"train": ds}) as dd:
        assert dd["train"]["a"] == [1, 2]


def test_push_to_hub_says_what_to_do():
    with pytest.raises(NotImplementedError, match="save_to_disk"):
        Dataset.from_dict({"a": [1]}).push_to_hub("me/data")


def test_batch_and_repeat_errors_name_the_argument():
    ds = Dataset.from_dict({"a": [1, 2]})
    with pytest.raises(ValueError, match="batch_size"):
        ds.batch()
    with pytest.raises(ValueError, match="batch_size"):
        ds.batch(0)
    with pytest.raises(KeyError, match="zz"):
        ds.batch(by_column="zz")
    with pytest.raises(ValueError, match="num_times"):
        ds.repeat(None)
    with pytest.raises(ValueError, match="num_times"):
        ds.repeat("2")
    assert len(ds.repeat(-1)) == 0  # as HF: zero or fewer times is no rows


def test_concatenate_merges_descriptions_and_keeps_named_files(tmp_path):
    from arrowdata import DatasetInfo

    one = Dataset.from_dict({"id": [0, 1]}, info=DatasetInfo(description="one"))
    two = Dataset.from_dict({"id": [2]}, info=DatasetInfo(description="two"))
    out = arrowdata.concatenate_datasets([one, two, Dataset.from_dict({"id": [3]})])
    assert out.info.description == "one\n\ntwo" and out["id"] == [0, 1, 2, 3]
    # map() without a function but with cache_file_name writes that file, as HF does
    files = [d.map(cache_file_name=str(tmp_path / f"{i}.arrow")) for i, d in enumerate([one, two])]
    assert [d.cache_files for d in files] == [[{"filename": str(tmp_path / f"{i}.arrow")}] for i in range(2)]
    assert len(arrowdata.concatenate_datasets(files).cache_files) == 2


def test_batch_matches_hf_and_keeps_class_labels():
    data = {"y": [0, 1, 1, 0, 1], "t": list("abcde")}
    feats = {"y": ClassLabel(names=["n", "p"]), "t": Value("string")}
    ours = Dataset.from_dict(data, features=Features(feats)).batch(2)
    theirs = hf.Dataset.from_dict(data, features=hf.Features(
        {"y": hf.ClassLabel(names=["n", "p"]), "t": hf.Value("string")})).batch(2)
    assert ours[:] == theirs[:]
    assert ours.features.to_dict() == theirs.features.to_dict()


def test_hf_attributes_arrowdata_lacks_answer_clearly():
    ds = Dataset.from_dict({"a": [1, 2]})
    assert ds.list_indexes() == [] and ds.is_index_initialized("x") is False
    with pytest.raises(NotImplementedError, match="add_faiss_index: arrowdata keeps no"):
        ds.add_faiss_index("a")
    with pytest.raises(NotImplementedError, match="get_nearest_examples"):
        ds.get_nearest_examples("a", [0.0])
    theirs = hf.Dataset.from_dict({"a": [1, 2]})
    for name in ("builder_name", "config_name", "supervised_keys", "download_checksums", "download_size"):
        assert getattr(ds, name) is None is getattr(theirs, name)
    assert ds.size_in_bytes == ds.dataset_size > 0


def test_save_to_disk_num_proc_shards_and_hf_argument_order(tmp_path):
    import datasets

    ds = arrowdata.Dataset.from_dict({"a": list(range(10))})
    ds.save_to_disk(str(tmp_path / "np"), num_proc=3)  # at least num_proc shards, as HF
    ours = sorted(p.name for p in (tmp_path / "np").glob("*.arrow"))
    assert len(ours) == 3
    assert arrowdata.load_from_disk(str(tmp_path / "np"))["a"] == list(range(10))
    ds.save_to_disk(str(tmp_path / "pos"), None, None, 2)  # HF's positional order: ..., num_shards, num_proc
    assert len(list((tmp_path / "pos").glob("*.arrow"))) == 2
    datasets.Dataset.from_dict({"a": list(range(10))}).save_to_disk(str(tmp_path / "hf"), num_proc=3)
    assert sorted(p.name for p in (tmp_path / "hf").glob("*.arrow")) == ours
    ds.save_to_disk(str(tmp_path / "few"), num_proc=20)  # never more shards than rows
    assert len(list((tmp_path / "few").glob("*.arrow"))) == 10
