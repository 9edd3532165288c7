"""The transform cache: entries, locks, debris, eviction, the CLI, and caching switches."""
from __future__ import annotations

import json
import logging
import os
import socket
import time

import pyarrow as pa
import pytest

import arrowdata
from arrowdata import Dataset, cache, config
from arrowdata.cache_lock import KeyLock, lock_is_live
from arrowdata.errors import CacheLockTimeout
from arrowdata.writer import ArrowWriter


def _entries_for(fp: str) -> list:
    return [e for e in cache.list_entries() if e.fingerprint == fp]


class CallLog(list):
    """Records calls; its contents are not part of any cache key (they are bookkeeping)."""

    def __arrowdata_fingerprint__(self):
        return "call-log"


def _counting(calls: list):
    def f(batch):
        calls.append(len(batch["x"]))
        return {"y": [v * 2 for v in batch["x"]]}
    return f


# ---------------------------------------------------------------- entries

def test_entry_exists_only_with_sidecar_and_right_sizes():
    fp = "f" * 32
    with ArrowWriter(cache.entry_path(fp)) as w:
        w.write(pa.table({"x": [1, 2, 3]}))
    assert cache.lookup(fp) is None  # data without sidecar: not a result
    cache.commit(fp, [cache.entry_path(fp)], {"op": "map", "num_rows": 3})
    assert cache.lookup(fp).num_rows == 3
    with open(cache.entry_path(fp), "ab") as f:  # the file changed under the entry
        f.write(b"junk")
    assert cache.lookup(fp) is None


def test_map_hit_does_not_call_function_and_corrupt_entry_is_recomputed():
    ds = Dataset.from_dict({"x": list(range(10))})
    calls = CallLog()
    first = ds.map(_counting(calls), batched=True, batch_size=4)
    assert calls == [4, 4, 2]
    again = ds.map(_counting(calls), batched=True, batch_size=4)
    assert calls == [4, 4, 2] and again["y"] == first["y"] == [v * 2 for v in range(10)]
    # Truncate the result file: the entry no longer counts, the step is recomputed.
    path = first.cache_files[0]["filename"]
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    third = ds.map(_counting(calls), batched=True, batch_size=4)
    assert len(calls) == 6 and third["y"] == [v * 2 for v in range(10)]


def test_keep_in_memory_writes_nothing():
    ds = Dataset.from_dict({"x": list(range(50))})
    out = ds.map(lambda r: {"y": r["x"] + 1}, keep_in_memory=True)
    filt = ds.filter(lambda r: r["x"] % 2 == 0, keep_in_memory=True)
    multi = ds.map(lambda r: {"y": r["x"] + 1}, keep_in_memory=True, num_proc=2)
    assert out["y"] == multi["y"] == [v + 1 for v in range(50)]
    assert filt["x"] == list(range(0, 50, 2))
    assert out.cache_files == [] and multi.cache_files == []
    assert not any(cache.transforms_dir().iterdir())


def test_disable_caching_recomputes_under_fresh_keys():
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    calls = CallLog()
    arrowdata.disable_caching()
    try:
        a = ds.map(_counting(calls), batched=True)
        b = ds.map(_counting(calls), batched=True)
    finally:
        arrowdata.enable_caching()
    assert len(calls) == 2 and a.fingerprint != b.fingerprint and a["y"] == b["y"] == [2, 4, 6]


def test_load_from_cache_file_false_recomputes_same_key():
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    calls = CallLog()
    a = ds.map(_counting(calls), batched=True)
    b = ds.map(_counting(calls), batched=True, load_from_cache_file=False)
    assert len(calls) == 2 and a.fingerprint == b.fingerprint and len(_entries_for(a.fingerprint)) == 1


def test_cache_file_name_places_result_and_reuses_it(tmp_path):
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    calls = CallLog()
    target = tmp_path / "out" / "doubled.arrow"
    a = ds.map(_counting(calls), batched=True, cache_file_name=str(target))
    assert target.exists() and a.cache_files == [{"filename": str(target)}]
    b = ds.map(_counting(calls), batched=True, cache_file_name=str(target))
    assert len(calls) == 1 and b["y"] == [2, 4, 6]
    # Another step asked to write the same file never reuses it by mistake.
    c = ds.map(lambda b: {"y": [v + 100 for v in b["x"]]}, batched=True, cache_file_name=str(target))
    assert c["y"] == [101, 102, 103]


def test_explain_says_which_part_differs(caplog):
    ds = Dataset.from_dict({"x": [1, 2, 3]})
    ns: dict = {"__name__": "script", "OFFSET": 1}
    exec("def f(row):\n    return {'y': row['x'] + OFFSET}\n", ns)
    ds.map(ns["f"])
    ns["OFFSET"] = 2
    with caplog.at_level(logging.WARNING, logger="arrowdata.cache"):
        ds.map(ns["f"], explain=True)
    assert "function: global 'OFFSET'" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="arrowdata.cache"):
        ds.map(ns["f"], explain=True)
    assert "cache hit" in caplog.text


def test_cleanup_cache_files_removes_family_but_not_files_in_use():
    ds = Dataset.from_dict({"x": list(range(10))})
    a = ds.map(lambda r: {"y": r["x"] + 1})
    b = a.filter(lambda r: r["y"] > 3)
    c = b.map(lambda r: {"z": r["y"] * 2})
    other = Dataset.from_dict({"w": [1]}).map(lambda r: {"v": 1})
    removed = c.cleanup_cache_files()
    assert removed >= 4  # a's and b's files and sidecars
    remaining = {e.fingerprint for e in cache.list_entries()}
    assert c.fingerprint in remaining and other.fingerprint in remaining
    assert a.fingerprint not in remaining and b.fingerprint not in remaining
    assert c["z"] == [(v + 1) * 2 for v in range(10) if v + 1 > 3]


# ---------------------------------------------------------------- locks

def test_lock_is_exclusive_and_times_out():
    with KeyLock("1" * 32, timeout=5) as held:
        assert held.held and lock_is_live("1" * 32)
        other = KeyLock("1" * 32, timeout=0.3)
        assert not other.try_acquire()
        with pytest.raises(CacheLockTimeout, match="1111"):
            other.wait_for(lambda: None)
    assert not lock_is_live("1" * 32)


def _plant_lock(key: str, pid: int, host: str, age: float) -> None:
    from arrowdata.cache_lock import locks_dir

    path = locks_dir() / f"{key}.lock"
    path.write_text(json.dumps({"pid": pid, "host": host, "token": "t"}))
    os.utime(path, (time.time() - age, time.time() - age))


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_stale_locks_are_broken_dead_pid_and_silent_host():
    _plant_lock("2" * 32, _dead_pid(), socket.gethostname(), age=0)
    lock = KeyLock("2" * 32, timeout=2)
    assert lock.try_acquire()
    lock.release()
    _plant_lock("3" * 32, 1, "another-host", age=120)
    lock = KeyLock("3" * 32, timeout=2, stale_after=60)
    assert lock.try_acquire()
    lock.release()
    _plant_lock("4" * 32, 1, "another-host", age=1)  # heartbeat is fresh: respected
    with pytest.raises(CacheLockTimeout):
        KeyLock("4" * 32, timeout=0.2, stale_after=60).wait_for(lambda: None)


def test_debris_is_removed_and_never_read():
    tdir = cache.transforms_dir()
    dead = _dead_pid()
    fp = "5" * 32
    junk = tdir / f"{fp}.arrow.tmp-{dead}-abcd1234"
    junk.write_bytes(b"half a file")
    part = tdir / f"{'6' * 32}-00000-of-00002.arrow"
    part.write_bytes(b"orphan part")
    old = time.time() - 120
    for p in (junk, part):
        os.utime(p, (old, old))
    assert cache.lookup(fp) is None
    removed = cache.clean_debris(force=True)
    assert junk in removed and part in removed and not junk.exists() and not part.exists()


# ---------------------------------------------------------------- eviction and CLI

def test_clean_by_age_and_size():
    ds = Dataset.from_dict({"x": list(range(100))})
    old = ds.map(lambda r: {"a": r["x"]})
    new = ds.map(lambda r: {"b": r["x"]})
    side = cache.sidecar_path(old.fingerprint)
    os.utime(side, (time.time() - 10 * 86400,) * 2)
    removed = cache.clean(older_than=7 * 86400)
    assert [e.fingerprint for e in removed] == [old.fingerprint]
    assert cache.lookup(new.fingerprint) is not None
    ds.map(lambda r: {"c": r["x"]})
    keep_size = cache.lookup(new.fingerprint).size
    cache.clean(max_size=keep_size)  # least recently used go first
    left = cache.list_entries()
    assert len(left) == 1


def test_cli_list_info_clean(capsys):
    from arrowdata.cli import main

    ds = Dataset.from_dict({"x": list(range(10))})
    out = ds.map(lambda r: {"y": r["x"]})
    assert main(["cache", "list"]) == 0
    text = capsys.readouterr().out
    assert out.fingerprint in text and "map" in text
    assert main(["cache", "info", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["entries"] == 1 and facts["cache_dir"] == str(config.cache_dir())
    assert main(["cache", "clean", "--max-size", "1GB", "--dry-run"]) == 0
    assert "would remove 0 entries" in capsys.readouterr().out
    assert main(["cache", "clean", "--older-than", "banana"]) == 1
    assert "--older-than" in capsys.readouterr().err
    assert main(["cache", "clean", "--all"]) == 0
    assert "removed 1 entry" in capsys.readouterr().out
    assert cache.list_entries() == []


def test_size_and_duration_parsing():
    assert cache.parse_size("20GB") == 20 * 10**9
    assert cache.parse_size("1KiB") == 1024
    assert cache.parse_duration("2w") == 14 * 86400
    with pytest.raises(arrowdata.errors.ArrowDataError, match="--max-size"):
        cache.parse_size("big")
