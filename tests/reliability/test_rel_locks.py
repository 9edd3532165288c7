"""Class 7: malformed lock files are stale/foreign with a warning naming them; empty locks do not stall."""
from __future__ import annotations

import logging
import time

import pytest

import arrowdata
from arrowdata import cache
from arrowdata.cache_lock import KeyLock, lock_is_live, locks_dir

KEY = "9f" * 16

CONTENTS = {
    "non_numeric": b'{"pid": "abc", "host": "vm"}',
    "null_pid": b'{"pid": null, "host": "vm"}',
    "huge_pid": b'{"pid": 1000000000000000000000, "host": "vm"}',
    "float_pid": b'{"pid": 12.5, "host": "vm"}',
    "list": b'[1, 2, 3]',
    "null": b'null',
    "string": b'"hello"',
    "garbage": b'\xff\xfe not json',
    "deep": b"[" * 100000,
}


@pytest.mark.parametrize("name", sorted(CONTENTS))
def test_malformed_lock_is_broken_with_a_warning(name, caplog):
    path = locks_dir() / f"{KEY}.lock"
    path.write_bytes(CONTENTS[name])
    old = time.time() - 5
    import os
    os.utime(path, (old, old))
    with caplog.at_level(logging.WARNING):
        lock = KeyLock(KEY, timeout=10)
        t0 = time.monotonic()
        assert lock.try_acquire() or lock.wait_for(lambda: None) is None
        assert time.monotonic() - t0 < 5
        lock.release()
    assert str(path) in caplog.text


@pytest.mark.parametrize("name", ["non_numeric", "null_pid", "huge_pid", "list"])
def test_map_and_clean_survive_malformed_locks(name, caplog):
    ds = arrowdata.Dataset.from_dict({"x": list(range(10))})
    fn = lambda r: {"y": r["x"] + 1}  # noqa: E731
    first = ds.map(fn)
    cache.clean(everything=True)
    (locks_dir() / f"{first.fingerprint}.lock").write_bytes(CONTENTS[name])
    import os
    old = time.time() - 5
    os.utime(locks_dir() / f"{first.fingerprint}.lock", (old, old))
    assert ds.map(fn)["y"] == list(range(1, 11))
    (locks_dir() / f"{KEY}.lock").write_bytes(CONTENTS[name])
    os.utime(locks_dir() / f"{KEY}.lock", (old, old))
    cache.clean(everything=True)
    cache.clean_debris(force=True)
    assert not lock_is_live(KEY)


def test_lock_of_a_holder_killed_before_writing_does_not_stall():
    path = locks_dir() / f"{KEY}.lock"
    path.write_bytes(b"")  # created, never written: the holder died in between
    old = time.time() - 3
    import os
    os.utime(path, (old, old))
    t0 = time.monotonic()
    with KeyLock(KEY, timeout=30, stale_after=60) as lock:
        assert lock.held
    assert time.monotonic() - t0 < 5  # not the 60 s stale window


def test_a_fresh_empty_lock_is_respected_briefly():
    (locks_dir() / f"{KEY}.lock").write_bytes(b"")
    assert lock_is_live(KEY)  # within the grace: maybe an older writer filling it in


def test_lock_content_is_published_whole():
    lock = KeyLock(KEY)
    assert lock.try_acquire()
    try:
        import json
        holder = json.loads((locks_dir() / f"{KEY}.lock").read_text())
        assert holder["token"] == lock.token and isinstance(holder["pid"], int)
        assert not [p for p in locks_dir().iterdir() if ".tmp-" in p.name]
    finally:
        lock.release()
    assert not (locks_dir() / f"{KEY}.lock").exists()


def test_lock_path_that_is_a_directory():
    (locks_dir() / f"{KEY}.lock").mkdir()
    old = time.time() - 5
    import os
    os.utime(locks_dir() / f"{KEY}.lock", (old, old))
    with KeyLock(KEY, timeout=10) as lock:
        assert lock.held
