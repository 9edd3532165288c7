"""Row operations: HF ``datasets`` parity, edge cases, errors, flatten_indices and the cache."""
from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import Dataset, DatasetDict
from arrowdata.errors import ArrowDataError, CorruptFileError
from arrowdata.features import ClassLabel, Value
from arrowdata.transforms.derive import ColumnNotFoundError, InvalidArgumentError

hf = pytest.importorskip("datasets")


def _data(n: int = 57, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 6, n).tolist()
    return {"id": list(range(n)), "key": [None if k == 0 else k for k in keys],
            "text": [f"row {i}" for i in range(n)], "label": rng.integers(0, 3, n).tolist()}


def _pair(n: int = 57):
    data = _data(n)
    ours = Dataset.from_dict(data)
    theirs = hf.Dataset.from_dict(data)
    return ours, theirs


# -- parity with Hugging Face `datasets` --------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 42, 2**31])
def test_shuffle_same_order_as_hf(seed):
    ours, theirs = _pair()
    assert ours.shuffle(seed=seed)["id"] == theirs.shuffle(seed=seed)["id"]
    gen_ours, gen_theirs = np.random.default_rng(seed), np.random.default_rng(seed)
    assert ours.shuffle(generator=gen_ours)["id"] == theirs.shuffle(generator=gen_theirs)["id"]


def test_shuffle_without_seed_follows_numpy_global_state():
    ours, theirs = _pair()
    np.random.seed(7)
    a = ours.shuffle()["id"]
    np.random.seed(7)
    assert a == theirs.shuffle()["id"]


@pytest.mark.parametrize("kwargs", [
    {"test_size": 0.25}, {"test_size": 10}, {"train_size": 0.5}, {"train_size": 20, "test_size": 7},
    {"test_size": 0.1, "train_size": 0.3}, {}, {"test_size": 0.2, "shuffle": False},
])
def test_train_test_split_same_rows_as_hf(kwargs):
    ours, theirs = _pair()
    a = ours.train_test_split(seed=3, **kwargs)
    b = theirs.train_test_split(seed=3, **kwargs)
    assert isinstance(a, DatasetDict) and list(a) == ["train", "test"]
    assert a["train"]["id"] == b["train"]["id"]
    assert a["test"]["id"] == b["test"]["id"]


@pytest.mark.parametrize("test_size", [0.2, 0.5, 12])
def test_stratified_split_same_rows_as_hf(test_size):
    data = _data(60)
    ours = Dataset.from_dict(data).cast_column("label", ClassLabel(names=["a", "b", "c"]))
    theirs = hf.Dataset.from_dict(data).cast_column("label", hf.ClassLabel(names=["a", "b", "c"]))
    a = ours.train_test_split(test_size=test_size, seed=5, stratify_by_column="label")
    b = theirs.train_test_split(test_size=test_size, seed=5, stratify_by_column="label")
    assert a["train"]["id"] == b["train"]["id"]
    assert a["test"]["id"] == b["test"]["id"]
    # Proportions are kept: every class is on both sides.
    assert set(a["test"]["label"]) == {0, 1, 2}


@pytest.mark.parametrize("num_shards,contiguous", [(1, True), (4, True), (4, False), (7, True), (7, False)])
def test_shard_same_rows_as_hf(num_shards, contiguous):
    ours, theirs = _pair()
    for index in range(num_shards):
        assert (ours.shard(num_shards, index, contiguous=contiguous)["id"]
                == theirs.shard(num_shards, index, contiguous=contiguous)["id"])


@pytest.mark.parametrize("columns,reverse", [("key", False), ("key", True), (["key", "label"], [True, False]),
                                             (["label", "key"], False), ("text", True)])
def test_sort_same_order_as_hf(columns, reverse):
    ours, theirs = _pair()
    assert ours.sort(columns, reverse=reverse)["id"] == theirs.sort(columns, reverse=reverse)["id"]
    assert (ours.sort(columns, reverse=reverse, null_placement="at_start")["id"]
            == theirs.sort(columns, reverse=reverse, null_placement="at_start")["id"])


def test_sort_passes_null_placement_per_sort_key():
    """pyarrow >= 25 deprecates SortOptions(null_placement=...); arrowdata gives it per key.
    (The FutureWarning seen in the parity test above comes from HF ``datasets``' own sort.)"""
    import warnings

    ours, _ = _pair()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for placement in ("at_end", "at_start"):
            ours.sort(["key", "label"], reverse=[True, False], null_placement=placement)
    assert not [w for w in caught if "null_placement" in str(w.message)]


def test_skip_take_select_compose_like_hf():
    ours, theirs = _pair()
    a = ours.shuffle(seed=1).select(range(5, 40)).skip(3).take(20).select([4, 0, 4, -1])
    b = theirs.shuffle(seed=1).select(range(5, 40)).skip(3).take(20).select([4, 0, 4, 19])
    assert a["id"] == b["id"]
    assert a._indices.type == pa.uint64()


@pytest.mark.parametrize("strategy", ["first_exhausted", "all_exhausted", "all_exhausted_without_replacement"])
@pytest.mark.parametrize("probabilities", [None, [0.2, 0.5, 0.3]])
def test_interleave_same_rows_as_hf(strategy, probabilities):
    parts = [{"x": list(range(k * 100, k * 100 + n))} for k, n in enumerate([3, 7, 5])]
    ours = arrowdata.interleave_datasets([Dataset.from_dict(p) for p in parts], probabilities=probabilities,
                                         seed=11, stopping_strategy=strategy)
    theirs = hf.interleave_datasets([hf.Dataset.from_dict(p) for p in parts], probabilities=probabilities,
                                    seed=11, stopping_strategy=strategy)
    assert ours["x"] == theirs["x"]


def test_concatenate_rows_like_hf_and_keeps_indices():
    ours, theirs = _pair(20)
    a = arrowdata.concatenate_datasets([ours.shuffle(seed=2), ours.select([3, 1])])
    b = hf.concatenate_datasets([theirs.shuffle(seed=2), theirs.select([3, 1])])
    assert a["id"] == b["id"] and a.column_names == b.column_names
    assert a.shuffle(seed=0)["text"] == b.shuffle(seed=0)["text"]


def test_concatenate_rows_is_zero_copy_and_aligns_column_order():
    a = Dataset.from_dict({"x": [1, 2], "y": ["a", "b"]})
    b = Dataset.from_dict({"y": ["c"], "x": [3]})
    out = arrowdata.concatenate_datasets([a, b])
    assert out.column_names == ["x", "y"] and out["y"] == ["a", "b", "c"]
    assert out._indices is None
    assert out.data.column("x").chunk(0).buffers()[1].address == a.data.column("x").chunk(0).buffers()[1].address


def test_concatenate_null_column_takes_other_type():
    a = Dataset.from_dict({"x": [1, 2], "y": [None, None]})
    b = Dataset.from_dict({"x": [3], "y": ["z"]})
    out = arrowdata.concatenate_datasets([a, b])
    assert out["y"] == [None, None, "z"] and out.features["y"] == Value("string")


def test_concatenate_columns():
    a = Dataset.from_dict({"x": [1, 2, 3]}).shuffle(seed=0)
    b = Dataset.from_dict({"y": ["a", "b", "c"]})
    out = arrowdata.concatenate_datasets([a, b], axis=1)
    assert out.column_names == ["x", "y"]
    assert out["y"] == ["a", "b", "c"] and sorted(out["x"]) == [1, 2, 3]
    assert out["x"] == a["x"]


def test_concatenate_errors_name_the_problem():
    a = Dataset.from_dict({"x": [1, 2]})
    with pytest.raises(ArrowDataError, match="'x'"):
        arrowdata.concatenate_datasets([a, Dataset.from_dict({"x": ["s"]})])
    # Different columns are HF's union (nulls where a dataset lacks a column), not an error.
    assert arrowdata.concatenate_datasets([a, Dataset.from_dict({"z": [1]})])["z"] == [None, None, 1]
    with pytest.raises(ArrowDataError, match="same length"):
        arrowdata.concatenate_datasets([a, Dataset.from_dict({"y": [1]})], axis=1)
    with pytest.raises(ArrowDataError, match="column 'x' is in both"):
        arrowdata.concatenate_datasets([a, a], axis=1)
    with pytest.raises(ArrowDataError, match="dsets"):
        arrowdata.concatenate_datasets([])
    with pytest.raises(ArrowDataError, match="axis"):
        arrowdata.concatenate_datasets([a], axis=2)


def test_interleave_errors():
    a, b = Dataset.from_dict({"x": [1]}), Dataset.from_dict({"x": [2]})
    with pytest.raises(InvalidArgumentError, match="probabilities"):
        arrowdata.interleave_datasets([a, b], probabilities=[0.5, 0.6])
    with pytest.raises(InvalidArgumentError, match="stopping_strategy"):
        arrowdata.interleave_datasets([a, b], stopping_strategy="longest")
    with pytest.raises(InvalidArgumentError, match="probability 0"):
        arrowdata.interleave_datasets([a, b], probabilities=[1.0, 0.0], stopping_strategy="all_exhausted")
    empty = a.select([])
    assert arrowdata.interleave_datasets([a, empty])["x"] == []
    assert arrowdata.interleave_datasets([a, empty], stopping_strategy="all_exhausted")["x"] == [1]


# -- edge cases give empty results ------------------------------------------------------

def test_edge_cases_are_empty_not_errors():
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    assert ds.skip(3)["x"] == [] and ds.skip(10)["x"] == []
    assert ds.take(0)["x"] == [] and ds.take(10)["x"] == [1, 2, 3]
    assert ds.select([])["x"] == [] and len(ds.select([])) == 0
    assert [ds.shard(5, i)["x"] for i in range(5)] == [[1], [2], [3], [], []]
    assert [ds.shard(5, i, contiguous=False)["x"] for i in range(5)] == [[1], [2], [3], [], []]
    empty = ds.select([])
    assert empty.shuffle(seed=0)["x"] == [] and empty.sort("x")["x"] == []
    assert empty.flatten_indices()["x"] == [] and empty.unique("x") == []
    assert list(empty.iter_arrow(2)) == []


# -- errors name the argument -----------------------------------------------------------

@pytest.mark.parametrize("kwargs,argument", [
    ({"test_size": 0}, "test_size"), ({"test_size": 1.0}, "test_size"), ({"test_size": 10}, "test_size"),
    ({"test_size": -0.5}, "test_size"), ({"train_size": 1.5}, "train_size"), ({"test_size": "a"}, "test_size"),
    ({"test_size": 0.6, "train_size": 0.6}, "train_size"), ({"test_size": 6, "train_size": 5}, "train_size"),
    ({"train_size": 0.05}, "train_size"), ({"shuffle": False, "stratify_by_column": "x"}, "stratify_by_column"),
    ({"stratify_by_column": "x"}, "stratify_by_column"), ({"stratify_by_column": "nope"}, "stratify_by_column"),
])
def test_train_test_split_errors_name_the_argument(kwargs, argument):
    ds = Dataset.from_dict({"x": list(range(10))})
    with pytest.raises(ArrowDataError) as err:
        ds.train_test_split(**kwargs)
    assert str(err.value).startswith(argument) and isinstance(err.value, ValueError)


def test_train_test_split_of_empty_or_single_row_is_a_clear_error():
    with pytest.raises(InvalidArgumentError, match="empty dataset"):
        Dataset.from_dict({"x": [1]}).select([]).train_test_split(test_size=0.5)
    with pytest.raises(InvalidArgumentError, match="would be empty"):
        Dataset.from_dict({"x": [1]}).train_test_split(test_size=0.5)


def test_row_op_errors():
    ds = Dataset.from_dict({"x": [1, 2, 3], "n": [[1], [2], [3]]})
    with pytest.raises(IndexError, match="indices: position 3"):
        ds.select([0, 3])
    with pytest.raises(InvalidArgumentError, match="^index"):
        ds.shard(2, 2)
    with pytest.raises(InvalidArgumentError, match="^num_shards"):
        ds.shard(0, 0)
    with pytest.raises(InvalidArgumentError, match="^n:"):
        ds.skip(-1)
    with pytest.raises(ColumnNotFoundError, match="'y'.*available columns: \\['x', 'n'\\]"):
        ds.sort("y")
    with pytest.raises(InvalidArgumentError, match="^reverse"):
        ds.sort(["x"], reverse=[True, False])
    with pytest.raises(InvalidArgumentError, match="^null_placement"):
        ds.sort("x", null_placement="middle")
    with pytest.raises(InvalidArgumentError, match="column 'n'"):
        ds.sort("n")
    with pytest.raises(InvalidArgumentError, match="^generator"):
        ds.shuffle(seed=1, generator=np.random.default_rng(1))


# -- flatten_indices and the cache ------------------------------------------------------

def test_flatten_indices_writes_once_to_the_cache(_isolated_cache):
    ds = Dataset.from_dict({"x": list(range(100)), "t": [str(i) * 3 for i in range(100)]}).shuffle(seed=4)
    flat = ds.flatten_indices()
    assert flat._indices is None and flat["x"] == ds["x"] and flat["t"] == ds["t"]
    (path,) = flat._data_files
    assert os.path.dirname(path) == os.path.join(str(_isolated_cache), "transforms")
    assert os.path.basename(path) == f"{flat.fingerprint}.arrow"
    mtime = os.stat(path).st_mtime_ns
    again = ds.flatten_indices()
    assert again._data_files == [path] and os.stat(path).st_mtime_ns == mtime
    assert not [f for f in os.listdir(os.path.dirname(path)) if ".tmp-" in f]
    # A regular cache entry: listed, and never taken for debris by the cleaner.
    from arrowdata import cache

    assert flat.fingerprint in {e.fingerprint for e in cache.list_entries()}
    cache.clean_debris(force=True)
    assert os.path.exists(path) and ds.flatten_indices()._data_files == [path]


def test_flatten_indices_rewrites_a_corrupt_entry():
    ds = Dataset.from_dict({"x": list(range(50))}).shuffle(seed=4)
    (path,) = ds.flatten_indices()._data_files
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    with pytest.raises(CorruptFileError):
        arrowdata.table.open_arrow_files([path])
    assert ds.flatten_indices()["x"] == ds["x"]


def test_flatten_indices_keep_in_memory_writes_nothing(_isolated_cache):
    ds = Dataset.from_dict({"x": [3, 1, 2]}).sort("x")
    flat = ds.flatten_indices(keep_in_memory=True)
    assert flat["x"] == [1, 2, 3] and flat._data_files == []
    assert not os.path.exists(os.path.join(str(_isolated_cache), "transforms")) or \
        not os.listdir(os.path.join(str(_isolated_cache), "transforms"))


def test_flatten_indices_of_memory_mapped_dataset_round_trips(tmp_path):
    src = Dataset.from_dict({"x": list(range(30)), "l": [[i] * (i % 3) for i in range(30)]})
    src.save_to_disk(str(tmp_path / "saved"))
    ds = arrowdata.load_from_disk(str(tmp_path / "saved")).shuffle(seed=9).select(range(0, 30, 2))
    flat = ds.flatten_indices()
    assert flat.to_dict() == ds.to_dict() if hasattr(flat, "to_dict") else flat[:] == ds[:]
    assert flat.features == ds.features


# -- DatasetDict forms ------------------------------------------------------------------

def test_dataset_dict_forms():
    dd = DatasetDict({"train": Dataset.from_dict({"x": [3, 1, 2]}), "test": Dataset.from_dict({"x": [9, 8]})})
    assert dd.sort("x")["train"]["x"] == [1, 2, 3]
    shuffled = dd.shuffle(seeds={"train": 1, "test": 2})
    assert shuffled["train"]["x"] == dd["train"].shuffle(seed=1)["x"]
    assert shuffled["test"]["x"] == dd["test"].shuffle(seed=2)["x"]
    assert dd.select_columns(["x"])["test"].column_names == ["x"]
    assert dd.shuffle(seed=0).flatten_indices()["train"]._indices is None
    assert dd.skip(1)["test"]["x"] == [8] and dd.take(1)["train"]["x"] == [3]
    assert dd.rename_column("x", "y")["train"].column_names == ["y"]
    assert dd.unique("x") == {"train": [3, 1, 2], "test": [9, 8]}


def test_shuffled_dataset_pickles_by_path(tmp_path):
    import pickle

    Dataset.from_dict({"x": list(range(20))}).save_to_disk(str(tmp_path / "d"))
    ds = arrowdata.load_from_disk(str(tmp_path / "d")).shuffle(seed=3)
    back = pickle.loads(pickle.dumps(ds))
    assert back["x"] == ds["x"] and back.fingerprint == ds.fingerprint


def test_concatenated_memory_mapped_datasets_pickle_correctly(tmp_path):
    import pickle

    Dataset.from_dict({"x": [1, 2], "y": ["a", "b"]}).save_to_disk(str(tmp_path / "a"))
    Dataset.from_dict({"y": ["c"], "x": [3]}).save_to_disk(str(tmp_path / "b"))
    Dataset.from_dict({"x": [4], "y": ["d"]}).save_to_disk(str(tmp_path / "c"))
    a, b, c = (arrowdata.load_from_disk(str(tmp_path / k)) for k in "abc")
    same_layout = arrowdata.concatenate_datasets([a.shuffle(seed=1), c])
    assert same_layout._data_files == a._data_files + c._data_files
    reordered = arrowdata.concatenate_datasets([a, b])
    for ds in (same_layout, reordered):
        back = pickle.loads(pickle.dumps(ds))
        assert back[:] == ds[:] and back.column_names == ds.column_names


_CONCURRENT_FLATTEN = """
import sys, arrowdata
ds = arrowdata.load_from_disk(sys.argv[1]).shuffle(seed=5)
flat = ds.flatten_indices()
assert flat['x'] == ds['x'], 'wrong rows'
print(flat._data_files[0])
"""


def test_concurrent_flatten_indices_write_one_entry(tmp_path, _isolated_cache):
    import subprocess
    import sys

    Dataset.from_dict({"x": list(range(3000)), "t": ["v" * 50] * 3000}).save_to_disk(str(tmp_path / "d"))
    env = dict(os.environ, ARROWDATA_CACHE=str(_isolated_cache))
    procs = [subprocess.Popen([sys.executable, "-c", _CONCURRENT_FLATTEN, str(tmp_path / "d")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outs]
    assert len({o[0].strip() for o in outs}) == 1
    files = os.listdir(os.path.join(str(_isolated_cache), "transforms"))
    assert len([f for f in files if f.endswith(".arrow")]) == 1 and not [f for f in files if ".tmp-" in f]
