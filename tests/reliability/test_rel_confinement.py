"""Class 1: paths read from files on disk stay inside their folder (read and delete)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pyarrow as pa
import pytest

import arrowdata
from arrowdata import cache
from arrowdata.writer import ArrowWriter

FP = "ab" * 16


def _hostile_sidecar(names, fp=FP, sizes=None):
    side = cache.sidecar_path(fp)
    side.write_text(json.dumps({"version": 1, "fingerprint": fp, "op": "map", "parent": "cd" * 16,
                                "files": names, "sizes": sizes if sizes is not None else [8] * len(names),
                                "num_rows": 1}))
    return side


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "other_entry", "subfolder", "backslash"])
def test_hostile_sidecar_names_are_never_read_nor_deleted(outside, kind, caplog):
    other = cache.entry_path("ef" * 16)
    other.write_bytes(b"precious")
    names = {"absolute": [str(outside)],
             "dotdot": [os.path.relpath(outside, cache.transforms_dir())],
             "other_entry": [other.name],
             "subfolder": [f"sub/{FP}.arrow"],
             "backslash": [f"..\\..\\{outside.name}"]}[kind]
    _hostile_sidecar(names)
    with caplog.at_level(logging.INFO):  # warned once per process, then at INFO
        assert cache.lookup(FP) is None  # a hit never reads them
    assert FP in caplog.text or "refusing" in caplog.text
    assert [e.fingerprint for e in cache.list_entries()] == []
    cache.clean(everything=True)
    cache.clean(max_size=0)
    cache.remove_entry(FP)
    assert outside.read_bytes() == b"precious" and other.read_bytes() == b"precious"


def test_sidecar_claiming_a_path_like_fingerprint_is_ignored(outside):
    side = cache.transforms_dir() / ("12" * 16 + ".json")
    side.write_text(json.dumps({"fingerprint": "../../outside/victim", "files": ["x.arrow"], "sizes": [1]}))
    assert cache.list_entries() == []
    cache.clean(everything=True)
    assert outside.exists()
    with pytest.raises(arrowdata.errors.ArrowDataError):
        cache.remove_entry("../../outside/victim")


def test_cleanup_cache_files_and_cli_never_leave_the_cache(outside, tmp_path):
    ds = arrowdata.Dataset.from_dict({"x": [1, 2, 3]})
    out = ds.map(lambda r: {"y": r["x"] * 2})
    # Forge the real entry's sidecar to name the outside file.
    side = cache.sidecar_path(out.fingerprint)
    meta = json.loads(side.read_text())
    meta["files"] = [str(outside)]
    side.write_text(json.dumps(meta))
    ds.cleanup_cache_files()
    env = {**os.environ, "ARROWDATA_CACHE": str(arrowdata.config.cache_dir())}
    for args in (["--all"], ["--max-size", "0"], ["--older-than", "0s"]):
        subprocess.run([sys.executable, "-m", "arrowdata.cli", "cache", "clean", *args], env=env, check=True,
                       capture_output=True)
    assert outside.read_bytes() == b"precious"


def test_symlinked_entry_file_is_not_followed(outside):
    link = cache.entry_path(FP)
    with ArrowWriter(outside) as w:
        w.write(pa.table({"x": [1]}))
    os.symlink(outside, link)
    _hostile_sidecar([link.name], sizes=[os.path.getsize(outside)])
    assert cache.lookup(FP) is None
    cache.clean(everything=True)
    assert outside.exists()


def test_state_json_names_stay_confined(tmp_path, outside):
    folder = tmp_path / "ds"
    arrowdata.Dataset.from_dict({"a": [1]}).save_to_disk(str(folder))
    state = json.loads((folder / "state.json").read_text())
    for bad in (str(outside), "../outside/victim.arrow", "..\\outside\\victim.arrow"):
        state["_data_files"] = [{"filename": bad}]
        (folder / "state.json").write_text(json.dumps(state))
        with pytest.raises(arrowdata.errors.ArrowDataError):
            arrowdata.load_from_disk(str(folder))


def test_dataset_dict_split_names_stay_confined(tmp_path, outside):
    folder = tmp_path / "dd"
    arrowdata.DatasetDict({"train": arrowdata.Dataset.from_dict({"a": [1]})}).save_to_disk(str(folder))
    (folder / "dataset_dict.json").write_text(json.dumps({"splits": ["../outside"]}))
    with pytest.raises(arrowdata.errors.ArrowDataError):
        arrowdata.load_from_disk(str(folder))
