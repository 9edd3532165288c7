"""The engine seam without Ray: registry and default, map/filter through a registered engine,
shared-storage detection, and the stream loader (the training-ingest adapter) over plain tables."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

import arrowdata
from arrowdata.engines import EngineError, available_engines, get_engine, register_engine, set_engine
from arrowdata.engines.base import _REGISTRY, _instances
from arrowdata.engines.local import LocalEngine
from arrowdata.engines.shared_storage import filesystem_type, is_network_filesystem, unshared


class RecordingEngine(LocalEngine):
    """The local pool, recording what map/filter hand to the seam."""

    name = "recording"
    in_process = False  # even one worker goes through run()

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, list[tuple[int, int]]]] = []

    def run(self, job, workers, ranges, progress):
        self.calls.append((job.kind, workers, list(ranges)))
        return super().run(job, workers, ranges, progress)


@pytest.fixture
def recording():
    register_engine("recording", RecordingEngine)
    yield lambda: _instances["recording"]
    _REGISTRY.pop("recording", None)
    _instances.pop("recording", None)


def _ds(n=5000):
    return arrowdata.Dataset.from_dict({"x": list(range(n)), "s": [f"w{i % 13}" for i in range(n)]})


def test_default_engine_and_unknown_names(monkeypatch):
    assert get_engine() == "local" and {"local", "ray"} <= set(available_engines())
    with pytest.raises(arrowdata.UnknownNameError, match="ray"):
        set_engine("spark")
    monkeypatch.setenv("ARROWDATA_ENGINE", "ray")
    assert get_engine() == "ray"
    set_engine("local")
    try:
        assert get_engine() == "local"  # set_engine beats the environment
    finally:
        set_engine(None)
    with pytest.raises(arrowdata.UnknownNameError, match="engine"):
        _ds(10).map(lambda r: {"y": 1}, engine="nope")


def test_import_does_not_import_ray():
    code = "import sys, arrowdata, loaders; arrowdata.get_engine(); print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_map_and_filter_go_through_the_registered_engine(recording):
    ds = _ds().shuffle(seed=3)
    fn = lambda b: {"y": [v * 3 for v in b["x"]]}  # noqa: E731
    through = ds.map(fn, batched=True, batch_size=100, engine="recording", num_proc=2)
    kind, workers, ranges = recording().calls[-1]
    assert (kind, workers) == ("map", 2) and ranges[0][0] == 0 and ranges[-1][1] == len(ds)
    assert through["y"] == [3 * v for v in ds["x"]]
    # Same fingerprint as the in-process run, which is therefore a cache hit on the engine's files.
    local = ds.map(fn, batched=True, batch_size=100)
    assert local.fingerprint == through.fingerprint and local._data_files == through._data_files
    # The engine is not part of the key: a recomputation elsewhere gives the same fingerprint and rows.
    fresh = ds.map(fn, batched=True, batch_size=100, load_from_cache_file=False)
    assert fresh.fingerprint == through.fingerprint and fresh["y"] == through["y"]

    kept = ds.filter(lambda r: r["x"] % 7 == 0, engine="recording")
    assert recording().calls[-1][0] == "filter"
    assert kept["x"] == [v for v in ds["x"] if v % 7 == 0]
    assert kept.fingerprint == ds.filter(lambda r: r["x"] % 7 == 0, load_from_cache_file=False).fingerprint
    calls = len(recording().calls)
    assert ds.filter(lambda r: r["x"] % 7 == 0, engine="recording")["x"] == kept["x"]
    assert len(recording().calls) == calls  # a cache hit reaches no engine


def test_set_engine_is_the_default_for_map(recording):
    set_engine("recording")
    try:
        _ds(2000).map(lambda r: {"y": r["x"] + 1})
    finally:
        set_engine(None)
    assert recording().calls and recording().calls[0][0] == "map"


MOUNTS = """\
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
tmpfs /tmp tmpfs rw 0 0
fileserver:/export/data /mnt/data nfs4 rw,vers=4.2 0 0
juicefs /mnt/jfs fuse.juicefs rw 0 0
/dev/sdb1 /mnt/data/local xfs rw 0 0
"""


@pytest.mark.parametrize("path, expected", [
    ("/home/me/.cache/arrowdata", "ext4"), ("/tmp/x", "tmpfs"), ("/mnt/data/cache", "nfs4"),
    ("/mnt/data/local/cache", "xfs"), ("/mnt/jfs", "fuse.juicefs"), ("/mnt/database", "ext4"),
])
def test_filesystem_type_is_the_longest_mount(path, expected):
    assert filesystem_type(path, MOUNTS) == expected


def test_network_filesystems_and_the_opt_in(monkeypatch, tmp_path):
    assert [is_network_filesystem(t) for t in ("nfs", "lustre", "fuse.sshfs", "ext4", "tmpfs", "overlay")] == \
        [True, True, True, False, False, False]
    monkeypatch.delenv("ARROWDATA_SHARED_CACHE", raising=False)
    assert [p for p, _ in unshared([tmp_path])] == [str(tmp_path)] or \
        is_network_filesystem(filesystem_type(tmp_path) or "")
    monkeypatch.setenv("ARROWDATA_SHARED_CACHE", "1")
    assert unshared([tmp_path]) == []


def test_ray_engine_refuses_multi_node_over_local_storage(monkeypatch, tmp_path):
    from arrowdata.engines.ray import check_shared_storage

    class FakeRay:
        @staticmethod
        def nodes():
            return [{"Alive": True}, {"Alive": True}, {"Alive": False}]

    monkeypatch.delenv("ARROWDATA_SHARED_CACHE", raising=False)
    monkeypatch.setattr("arrowdata.engines.shared_storage._read_mounts", lambda: "/dev/sda1 / ext4 rw 0 0\n")
    with pytest.raises(EngineError, match=r"2 nodes.*ext4.*ARROWDATA_SHARED_CACHE=1"):
        check_shared_storage(FakeRay, [str(tmp_path)])
    monkeypatch.setattr("arrowdata.engines.shared_storage._read_mounts",
                        lambda: f"srv:/x {tmp_path.anchor} nfs rw 0 0\n")
    check_shared_storage(FakeRay, [str(tmp_path)])  # on NFS: allowed
    FakeRay.nodes = staticmethod(lambda: [{"Alive": True}])
    monkeypatch.setattr("arrowdata.engines.shared_storage._read_mounts", lambda: "/dev/sda1 / ext4 rw 0 0\n")
    check_shared_storage(FakeRay, [str(tmp_path)])  # one node: nothing to share


# ----------------------------------------------------------------------------- stream loader

def _token_table(n, seed=0):
    rng = np.random.default_rng(seed)
    rows = [list(range(1 + 10 * i, 1 + 10 * i + int(k))) for i, k in enumerate(rng.integers(1, 9, n))]
    return pa.table({"input_ids": rows, "label": list(range(n))})


def _windows(table, sizes):
    out, start = [], 0
    for size in sizes:
        out.append(table.slice(start, size))
        start += size
    return out


def _rows(batch):
    ids, mask = batch["input_ids"].tolist(), batch["attention_mask"].tolist()
    return [[t for t, m in zip(r, ms) if m] for r, ms in zip(ids, mask)]


def test_stream_loader_batches_equal_the_dataset_loader_across_uneven_windows():
    from loaders import NumpyLoader
    from loaders.ray_source import StreamLoader

    table = _token_table(103)
    parts = _windows(table, [10, 1, 37, 0, 55])
    stream = StreamLoader(lambda: iter(parts), batch_size=8, window_rows=16, loader="numpy", pad_token_id=0)
    got = list(stream)
    want = list(NumpyLoader(table, batch_size=8, pad_token_id=0))
    assert [b["input_ids"].tolist() for b in got] == [b["input_ids"].tolist() for b in want]
    assert [b["labels"].tolist() for b in got] == [b["labels"].tolist() for b in want]
    dropped = StreamLoader(lambda: iter(parts), batch_size=8, drop_last=True, loader="numpy")
    assert sum(len(b["input_ids"]) for b in dropped) == 96  # the short last batch (7 rows) is dropped


@pytest.mark.parametrize("shuffle", [False, True])
def test_stream_loader_resumes_with_exactly_the_remaining_batches(shuffle):
    from loaders.ray_source import StreamLoader

    table = _token_table(90, seed=1)
    parts = _windows(table, [25, 25, 40])
    make = lambda: StreamLoader(lambda: iter(parts), batch_size=4, window_rows=20, shuffle=shuffle,  # noqa: E731
                                seed=5, loader="numpy", pad_token_id=0)
    full = [_rows(b) for b in make()]
    assert sorted(r for b in full for r in b) == sorted(table.column("input_ids").to_pylist())
    for k in (1, 5, 6, len(full) - 1):
        first = make()
        it = iter(first)
        seen = [_rows(next(it)) for _ in range(k)]
        resumed = make()
        resumed.load_state_dict(first.state_dict())
        assert seen + [_rows(b) for b in resumed] == full
    other = StreamLoader(lambda: iter(parts), batch_size=5, loader="numpy")
    with pytest.raises(arrowdata_resume_error()):
        other.load_state_dict(make().state_dict())


def arrowdata_resume_error():
    from loaders import ResumeStateError

    return ResumeStateError


def test_stream_loader_packs_each_window_into_blocks():
    from loaders import pack_documents
    from loaders.ray_source import StreamLoader
    from loaders.padding import list_offsets_values

    table = _token_table(60, seed=2)
    parts = _windows(table, [30, 30])
    blocks = [row for b in StreamLoader(lambda: iter(parts), batch_size=2, loader="numpy", block_size=16)
              for row in b["input_ids"].tolist()]
    want = []
    for part in parts:  # each window packed on its own, its partial tail block dropped
        offsets, values = list_offsets_values(part.column("input_ids"))
        want += pack_documents(offsets, values, 16)["input_ids"].tolist()
    assert blocks == want and all(len(b) == 16 for b in blocks)


def test_stream_loader_gives_torch_tensors_by_default():
    torch = pytest.importorskip("torch")
    from loaders.ray_source import StreamLoader

    table = _token_table(20, seed=3)
    batches = list(StreamLoader(lambda: iter(_windows(table, [7, 13])), batch_size=8, pad_token_id=0))
    assert all(isinstance(b["input_ids"], torch.Tensor) for b in batches)
    assert [r for b in batches for r in _rows({k: v.numpy() for k, v in b.items()})] == \
        table.column("input_ids").to_pylist()


def test_stream_loader_rejects_bad_arguments():
    from loaders import LoaderError
    from loaders.ray_source import StreamLoader

    with pytest.raises(LoaderError, match="batch_size"):
        StreamLoader([], batch_size=0)
    with pytest.raises(LoaderError, match="window_rows"):
        StreamLoader([], batch_size=8, window_rows=4)
    with pytest.raises(LoaderError, match="loader"):
        StreamLoader([], batch_size=8, loader="jax")
