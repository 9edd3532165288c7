"""Pickling by path survives column projections (rename/remove/select/reorder, feature-only changes).

Workers (map num_proc, loader num_workers, Ray tasks) receive a dataset as a pickle; a memory-mapped
dataset must travel as its file paths plus a column projection, never as its data. Operations that
change values still round-trip, by value.
"""
from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata import Dataset
from arrowdata.features import ClassLabel, Value
from arrowdata.projection import derive

N = 120_000  # about 20 MB of Arrow data
SMALL = 20_000  # bytes: paths, names, schema, format, info; no rows


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    rng = np.random.default_rng(0)
    table = pa.table({
        "text": pa.array([f"{i:08d} " + "lorem ipsum dolor sit amet " * 5 for i in range(N)]),
        "label": pa.array(rng.integers(0, 3, size=N)),
        "score": pa.array(rng.standard_normal(N)),
        "idx": pa.array(np.arange(N)),
    })
    path = str(tmp_path_factory.mktemp("proj") / "ds")
    ds = Dataset(table).cast_column("label", ClassLabel(names=["neg", "neu", "pos"]))
    ds.save_to_disk(path)
    assert ds.data.nbytes > 20_000_000
    return path


def _round_trip(ds: Dataset) -> tuple[Dataset, int]:
    payload = pickle.dumps(ds)
    return pickle.loads(payload), len(payload)


def _assert_same(back: Dataset, ds: Dataset) -> None:
    assert back.column_names == ds.column_names
    assert back.features == ds.features
    assert back.fingerprint == ds.fingerprint
    assert len(back) == len(ds)
    assert back.with_format("arrow")[:].equals(ds.with_format("arrow")[:])


PROJECTIONS = {
    "rename_column": lambda d: d.rename_column("text", "sentence"),
    "rename_columns_swap": lambda d: d.rename_columns({"label": "idx", "idx": "label"}),
    "remove_columns": lambda d: d.remove_columns("text"),
    "select_columns_reordered": lambda d: d.select_columns(["score", "label"]),
    "map_remove_columns": lambda d: d.map(remove_columns=["text", "score"]),
    "classlabel_names_only": lambda d: d.cast_column("label", ClassLabel(names=["a", "b", "c"])),
    "chain": lambda d: (d.remove_columns("score").rename_column("label", "y")
                        .select_columns(["idx", "y", "text"]).map(remove_columns="text")
                        .rename_columns({"idx": "id"})),
    "shuffle_on_top": lambda d: d.remove_columns("text").shuffle(seed=4),
    "select_rows_then_columns": lambda d: d.select(range(0, N, 7)).rename_column("label", "y"),
    "filter_on_top": lambda d: d.remove_columns("text").filter(lambda b: [x % 5 == 0 for x in b["idx"]],
                                                               batched=True, batch_size=10_000),
}


@pytest.mark.parametrize("name", list(PROJECTIONS))
def test_projection_pickles_by_path(folder, name):
    base = arrowdata.load_from_disk(folder)
    ds = PROJECTIONS[name](base)
    assert ds._data_files, "a column projection keeps the memory-mapped files"
    # Indices (shuffle/select/filter) travel as they are, 8 bytes a row; no column data does.
    limit = SMALL + (8 * len(ds._indices) if ds._indices is not None else 0)
    back, size = _round_trip(ds)
    assert size < limit, f"{name}: {size} bytes pickled"
    _assert_same(back, ds)
    assert back.cache_files == ds.cache_files
    # and again: the re-opened handle pickles by path too
    again, size2 = _round_trip(back)
    assert size2 < limit
    _assert_same(again, ds)


def test_classlabel_names_survive(folder):
    ds = arrowdata.load_from_disk(folder).cast_column("label", ClassLabel(names=["a", "b", "c"]))
    ds = ds.rename_column("label", "y")
    back, _ = _round_trip(ds)
    assert back.features["y"].names == ["a", "b", "c"]
    assert back.features["y"].int2str(back[0]["y"]) == ds.features["y"].int2str(ds[0]["y"])


def test_fingerprints_do_not_depend_on_the_projection(folder):
    on_disk = arrowdata.load_from_disk(folder)
    in_memory = arrowdata.load_from_disk(folder, keep_in_memory=True)
    assert not in_memory._data_files and on_disk.fingerprint == in_memory.fingerprint
    for name, op in PROJECTIONS.items():
        assert op(on_disk).fingerprint == op(in_memory).fingerprint, name


@pytest.mark.parametrize("op", [
    lambda d: d.cast_column("label", Value("string")),
    lambda d: d.add_column("extra", np.arange(N) * 2),
    lambda d: d.remove_columns("text").add_item({"label": 1, "score": 0.5, "idx": -1}),
    lambda d: d.align_labels_with_mapping({"pos": 0, "neu": 1, "neg": 2}, "label"),
], ids=["cast_int_to_string", "add_column", "add_item", "align_labels"])
def test_value_changes_round_trip_by_value(folder, op):
    ds = op(arrowdata.load_from_disk(folder))
    assert ds._data_files == [] and ds._projection is None
    back, size = _round_trip(ds)
    assert size > 1_000_000  # the data itself travels
    _assert_same(back, ds)


def test_map_workers_reopen_projection_by_path(folder):
    from arrowdata.cache import spill_dir

    ds = arrowdata.load_from_disk(folder).select(range(3000)).flatten_indices().remove_columns("text")
    assert ds._projection is not None
    out = ds.map(lambda b: {"twice": [2 * x for x in b["idx"]]}, batched=True, num_proc=2)
    assert out["twice"] == [2 * x for x in ds["idx"]] and out.column_names == ["label", "score", "idx", "twice"]
    kept = ds.filter(lambda r: r["idx"] % 3 == 0, num_proc=2)
    assert kept["idx"] == list(range(0, 3000, 3))
    spilled = list(spill_dir().glob("*.arrow")) if spill_dir().exists() else []
    assert spilled == []  # the workers re-opened the files and applied the projection


def test_flatten_indices_save_and_concat(folder, tmp_path):
    base = arrowdata.load_from_disk(folder)
    ds = base.remove_columns("text").shuffle(seed=1).select(range(500))
    flat = ds.flatten_indices()
    assert flat._projection is None and flat["idx"] == ds["idx"] and flat.column_names == ds.column_names
    ds.save_to_disk(str(tmp_path / "saved"))
    loaded = arrowdata.load_from_disk(str(tmp_path / "saved"))
    assert loaded["idx"] == ds["idx"] and loaded.features == ds.features
    both = arrowdata.concatenate_datasets([base.select_columns(["idx"]), base.select_columns(["score", "label"])],
                                          axis=1)
    back, size = _round_trip(both)
    assert size < SMALL and back.column_names == ["idx", "score", "label"]
    _assert_same(back, both)


def test_float_values_need_shared_buffers():
    """0.0 == -0.0 and NaN != NaN: float columns are matched by buffer identity, not by value."""
    zeros = pa.table({"z": pa.array([0.0, float("nan")])})
    ok, projection = derive([(zeros, None)], zeros.rename_columns(["w"]))
    assert ok and projection.columns == (("w", "z"),)
    neg = pa.table({"z": zeros.column(0), "n": pa.array([-0.0, float("nan")])})
    assert derive([(zeros, None)], neg) == (False, None)


def test_torch_loader_workers_on_projected_dataset(tmp_path):
    torch = pytest.importorskip("torch")  # noqa: F841
    from loaders import TorchLoader

    rng = np.random.default_rng(1)
    n = 150
    ids = [list(rng.integers(1, 30000, size=k)) for k in rng.integers(1, 40, size=n)]
    Dataset.from_dict({"input_ids": ids, "label": rng.integers(0, 2, size=n).tolist(), "idx": list(range(n)),
                       "text": [f"row {i}" for i in range(n)]}).save_to_disk(str(tmp_path / "ds"))
    ds = arrowdata.load_from_disk(str(tmp_path / "ds")).remove_columns("text")
    assert ds._data_files and ds._projection is not None
    loader = TorchLoader(ds, batch_size=16, num_workers=2, read_ahead=1)
    next(iter(loader))
    assert len(pickle.dumps(loader.builder)) < SMALL  # what a worker receives: paths and settings, no rows

    def key(batch):
        return {k: v.tolist() for k, v in batch.items()}

    assert [key(b) for b in loader] == [key(b) for b in TorchLoader(ds, batch_size=16, num_workers=0)]
