"""One lock per cache key, so concurrent processes compute each transform once.

The lock is a file ``cache_dir()/locks/<key>.lock`` created with
``os.open(O_CREAT | O_EXCL)``, holding the holder's PID, host name and a random token.
Why this and not ``fcntl``/``flock``: exclusive creation is atomic on local disks and on
NFSv3+, whereas ``fcntl`` locks on NFS and Lustre are either silently ignored or hang
(a pain users of other libraries report), and ``fcntl`` locks vanish when *any* file
descriptor of the file is closed in the process. An O_EXCL lock is visible to plain
tools (``ls locks/``) and carries the information needed to judge it stale.

A holder refreshes the file's modification time every ``stale_after / 4`` seconds from
a daemon thread (the heartbeat). A waiter breaks the lock when the holder is provably
gone: same host and its PID no longer exists, or no heartbeat for ``stale_after``
seconds (another host, or a frozen process). A waiter gives up with
:class:`~arrowdata.errors.CacheLockTimeout` after ``timeout`` seconds, so nothing waits
forever even if the holder hangs while heartbeating.

Example:
    >>> with KeyLock("0" * 32, timeout=5) as lock:
    ...     lock.held
    True
"""
from __future__ import annotations

import json
import logging
import os
import socket
import _thread
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, TypeVar

from . import config
from .errors import CacheLockTimeout, MetadataError
from .metadata_files import parse_json, read_bytes
from .writer import temp_path_for

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds without a heartbeat after which a lock held from another host counts as stale.
DEFAULT_STALE_AFTER = float(os.environ.get("ARROWDATA_LOCK_STALE_AFTER", "60"))
#: Seconds a process waits for another one to finish the same step before giving up.
DEFAULT_TIMEOUT = float(os.environ.get("ARROWDATA_LOCK_TIMEOUT", str(6 * 3600)))


def locks_dir() -> Path:
    path = config.cache_dir() / "locks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # Linux: a killed process nobody has reaped yet (a zombie) is gone for our purposes
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


#: An empty or unreadable lock older than this is stale: our writers publish the content with the file
#: (see :meth:`KeyLock.try_acquire`), so only a holder killed between create and write leaves one.
EMPTY_LOCK_GRACE = 2.0
_MAX_PID = 1 << 22  # Linux caps PIDs at 2**22


class _Malformed(dict):
    """A lock file's content that is not ours (not a JSON object with a sane pid and host)."""


_warned_malformed: set[str] = set()


def _read_holder(path: Path) -> dict | None:
    """The holder recorded in a lock file: a dict with an int ``pid`` and a str ``host``; ``None`` when the
    file is absent or empty; a :class:`_Malformed` (empty dict) for any other content, with a warning
    naming the file once."""
    try:
        data = read_bytes(path, max_bytes=1 << 16, what="cache lock file")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except MetadataError as e:
        return _malformed(path, str(e))
    if not data.strip():
        return None
    try:
        holder = parse_json(data, path=str(path), what="cache lock file")
    except MetadataError as e:
        return _malformed(path, str(e))
    if not isinstance(holder, dict):
        return _malformed(path, f"{path}: holds {type(holder).__name__}, not a JSON object")
    pid, host = holder.get("pid"), holder.get("host")
    if type(pid) is not int or not 0 < pid < _MAX_PID or not isinstance(host, str):
        return _malformed(path, f"{path}: pid {pid!r} / host {host!r} are not a process on a host")
    return holder


def _malformed(path: Path, why: str) -> _Malformed:
    if str(path) not in _warned_malformed:
        _warned_malformed.add(str(path))
        logger.warning("malformed cache lock file (treated as stale): %s", why)
    return _Malformed()


class KeyLock:
    """An inter-process lock for one cache key.

    Args:
        key: the cache key (a fingerprint); one lock file per key.
        timeout: seconds to wait before :class:`CacheLockTimeout` (default 6 h,
            ``$ARROWDATA_LOCK_TIMEOUT``).
        stale_after: seconds without heartbeat that make a holder stale (default 60,
            ``$ARROWDATA_LOCK_STALE_AFTER``).
    """

    def __init__(self, key: str, *, timeout: float | None = None, stale_after: float | None = None) -> None:
        self.key = key
        self.path = locks_dir() / f"{key}.lock"
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.stale_after = DEFAULT_STALE_AFTER if stale_after is None else stale_after
        self.token = uuid.uuid4().hex
        self.held = False
        self._stop = threading.Event()

    # -- acquiring
    def try_acquire(self) -> bool:
        """Take the lock if it is free (breaking a stale one); never waits.

        The content (pid, host, token) is written to a temporary file first and hard-linked to the
        lock's name, which fails if the name exists: so a lock file is never seen empty or half
        written, and one that is must come from a holder killed mid-way (or an older writer).
        File systems without hard links fall back to ``O_CREAT | O_EXCL`` and a write.
        """
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "token": self.token,
                           "started": time.time()}).encode()
        for _ in range(2):
            try:
                self._create(body)
            except FileExistsError:
                if not self._break_if_stale():
                    return False
                continue
            self.held = True
            self._start_heartbeat()
            return True
        return False

    def _create(self, body: bytes) -> None:
        tmp = temp_path_for(self.path)
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            os.write(fd, body)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.path)
            return
        except FileExistsError:
            raise
        except OSError:  # no hard links here: exclusive create, then write
            pass
        finally:
            tmp.unlink(missing_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        try:
            os.write(fd, body)
        finally:
            os.close(fd)

    def wait_for(self, ready: Callable[[], T | None]) -> T | None:
        """Block until ``ready()`` gives a result (returned, lock not taken) or the lock is ours
        (returns ``None``; the caller computes, then :meth:`release`)."""
        deadline = time.monotonic() + self.timeout
        delay, logged = 0.01, False
        while True:
            found = ready()
            if found is not None:
                return found
            if self.try_acquire():
                found = ready()  # finished between our check and our acquire
                if found is not None:
                    self.release()
                return found
            if not logged:
                logger.info("waiting for another process computing cache entry %s (lock %s)", self.key, self.path)
                logged = True
            if time.monotonic() > deadline:
                holder = _read_holder(self.path) or {}
                raise CacheLockTimeout(
                    f"waited {self.timeout:.0f}s for cache entry {self.key} held by pid {holder.get('pid')} on "
                    f"{holder.get('host')!r} (lock file {self.path}); if that process is gone, delete the lock "
                    "file, or raise $ARROWDATA_LOCK_TIMEOUT")
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _break_if_stale(self) -> bool:
        holder = _read_holder(self.path)
        try:
            age = time.time() - os.stat(self.path).st_mtime
        except FileNotFoundError:
            return True  # released meanwhile: try again
        stale = _is_stale(holder, age, self.stale_after)
        if not stale:
            return False
        tomb = self.path.with_name(f"{self.path.name}.stale-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(self.path, tomb)
        except FileNotFoundError:
            return True
        moved = _read_holder(tomb)
        if moved and moved.get("token") != (holder or {}).get("token"):
            # Another waiter replaced the stale lock between our read and our rename: put it back.
            try:
                os.link(tomb, self.path)
            except OSError:
                pass
        if tomb.is_dir() and not tomb.is_symlink():
            import shutil

            shutil.rmtree(tomb, ignore_errors=True)
        else:
            tomb.unlink(missing_ok=True)
        logger.warning("removed stale cache lock %s (holder %s)", self.path, holder if holder else "malformed or empty")
        return True

    # -- holding
    def _start_heartbeat(self) -> None:
        interval = max(self.stale_after / 4, 0.05)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    os.utime(self.path)
                except OSError:
                    return

        self._stop.clear()
        # A raw thread: threading.Thread.start() waits for the thread to be scheduled, which
        # costs milliseconds on a busy machine, on every cache miss.
        _thread.start_new_thread(beat, ())

    def release(self) -> None:
        """Give the lock up (only if it is still ours)."""
        if not self.held:
            return
        # No join: the heartbeat wakes on the event and exits; waiting for it would cost a
        # thread switch (milliseconds) on every cache miss.
        self._stop.set()
        if (_read_holder(self.path) or {}).get("token") == self.token:
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> "KeyLock":
        if self.wait_for(lambda: None) is None and not self.held:  # pragma: no cover - wait_for loops
            raise CacheLockTimeout(f"could not take {self.path}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _is_stale(holder: dict | None, age: float, stale_after: float) -> bool:
    """Whether a lock with this content and heartbeat age no longer protects anything."""
    if not holder:
        # Empty (holder killed between create and write) or malformed (not ours): a short grace for a
        # writer of an older version still filling it in, then stale, without the full window.
        return age > min(EMPTY_LOCK_GRACE, stale_after)
    if holder.get("host") == socket.gethostname():
        return not pid_alive(holder["pid"]) or age > stale_after
    return age > stale_after


def lock_is_live(key: str, stale_after: float | None = None) -> bool:
    """Whether some process holds a non-stale lock on ``key`` right now."""
    path = locks_dir() / f"{key}.lock"
    holder = _read_holder(path)
    try:
        age = time.time() - os.stat(path).st_mtime
    except (FileNotFoundError, NotADirectoryError):
        return False
    return not _is_stale(holder, age, DEFAULT_STALE_AFTER if stale_after is None else stale_after)
