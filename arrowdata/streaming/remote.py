"""Remote reads for streams: transient failures retried with backoff, dead connections timed out.

A stream reads remote files (``s3://``, ``gs://``, ``https://``... any fsspec URL) directly, for
hours. :class:`ResilientReader` wraps the fsspec file: a read that fails for a transient reason
(connection reset, timeout, throttling, a truncated response) re-opens the file at the same byte
offset after a backoff (0.5 s, 1 s, 2 s...), up to ``ARROWDATA_REMOTE_RETRIES`` times (default 5);
a permanent failure (not found, access denied) is raised at once as
:class:`~arrowdata.errors.RemoteStorageError` naming the URL. Every open and read runs under a
deadline (``ARROWDATA_REMOTE_TIMEOUT`` seconds, default 60): a connection that stops answering
becomes a :class:`~arrowdata.errors.RemoteTimeoutError` instead of a hang.

Example:
    >>> import fsspec
    >>> fs = fsspec.filesystem("memory"); fs.pipe("/r/a.txt", b"hello")
    >>> ResilientReader(fs, "/r/a.txt", "memory://r/a.txt").read()
    b'hello'
"""
from __future__ import annotations

import io
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from ..errors import MissingFileError, RemoteStorageError, RemoteTimeoutError
from ..io.files import DataFile

logger = logging.getLogger(__name__)

T = TypeVar("T")

_PERMANENT = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, MissingFileError)
# libraries whose exceptions are network trouble unless fsspec mapped them to a permanent OSError
_NETWORK_MODULES = {"aiohttp", "botocore", "aiobotocore", "urllib3", "requests", "http", "ssl", "socket",
                    "fsspec", "s3fs", "gcsfs", "adlfs", "asyncio"}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``retries`` re-opens after the first failure, ``backoff`` seconds doubling
    up to ``max_backoff``, and ``timeout`` seconds for any one open or read."""

    retries: int = field(default_factory=lambda: int(os.environ.get("ARROWDATA_REMOTE_RETRIES", "5")))
    backoff: float = 0.5
    max_backoff: float = 8.0
    timeout: float = field(default_factory=lambda: float(os.environ.get("ARROWDATA_REMOTE_TIMEOUT", "60")))


def is_transient(error: BaseException) -> bool:
    """Whether retrying may help (network trouble) rather than not (missing file, no access)."""
    if isinstance(error, _PERMANENT):
        return False
    if isinstance(error, (ConnectionError, TimeoutError, EOFError, OSError)):
        return True
    return type(error).__module__.split(".")[0] in _NETWORK_MODULES


def with_deadline(fn: Callable[[], T], timeout: float, url: str, what: str) -> T:
    """``fn()``, or :class:`RemoteTimeoutError` naming ``url`` when it takes over ``timeout`` seconds.

    The call runs in a daemon thread, so a connection that never answers cannot hold the stream
    (nor the interpreter at exit); the library's own timeout ends that thread later.
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True, name="arrowdata-remote-read")
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise RemoteTimeoutError(f"{url}: no answer to a {what} in {timeout:g} s (a dead connection?); "
                                 "set ARROWDATA_REMOTE_TIMEOUT to wait longer")
    if "error" in box:
        raise box["error"]
    return box["value"]


class ResilientReader(io.RawIOBase):
    """A read-only binary file over ``fs.open(path)`` that retries transient failures and never hangs."""

    def __init__(self, fs: Any, path: str, url: str, policy: RetryPolicy | None = None) -> None:
        super().__init__()
        self.fs, self.path, self.url = fs, path, url
        self.policy = policy or RetryPolicy()
        self._pos = 0
        self._f = self._attempt(lambda: self._open(0), "open")

    def _open(self, pos: int) -> Any:
        f = with_deadline(lambda: self.fs.open(self.path, "rb"), self.policy.timeout, self.url, "open")
        if pos:
            if f.seekable():
                f.seek(pos)
            else:  # a plain stream (HTTP without ranges): skip what was already read
                left = pos
                while left:
                    chunk = f.read(min(left, 1 << 20))
                    if not chunk:
                        raise EOFError(f"{self.url} is shorter than before ({pos} bytes read already)")
                    left -= len(chunk)
        return f

    def _attempt(self, op: Callable[[], T], what: str) -> T:
        delay = self.policy.backoff
        for attempt in range(self.policy.retries + 1):
            try:
                return with_deadline(op, self.policy.timeout, self.url, what) if what != "open" else op()
            except RemoteStorageError:
                if attempt == self.policy.retries:
                    raise
                error: BaseException = RemoteTimeoutError(f"{self.url}: {what} timed out")
            except Exception as e:
                if isinstance(e, FileNotFoundError) or isinstance(e, MissingFileError):
                    raise MissingFileError(self.url) from e
                if not is_transient(e):
                    raise RemoteStorageError(f"{self.url}: {type(e).__name__}: {e}") from e
                if attempt == self.policy.retries:
                    raise RemoteStorageError(f"{self.url}: {what} failed {attempt + 1} times; last error "
                                             f"{type(e).__name__}: {e}") from e
                error = e
            logger.warning("%s: %s failed (%s: %s); retrying in %.1f s", self.url, what, type(error).__name__,
                           error, delay)
            time.sleep(delay)
            delay = min(delay * 2, self.policy.max_backoff)
            if what != "open":
                self._reopen()
        raise AssertionError("unreachable")

    def _reopen(self) -> None:
        try:
            self._f.close()
        except Exception:  # the old connection is gone anyway
            pass
        self._f = self._attempt(lambda: self._open(self._pos), "open")

    # -- io.RawIOBase ---------------------------------------------------------------------------
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._f.seekable())

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._attempt(lambda: self._f.read(len(view)), "read")
        n = len(data)
        view[:n] = data
        self._pos += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = self._attempt(lambda: self._f.seek(offset, whence), "seek")
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed:
            try:
                self._f.close()
            finally:
                super().close()


class ResilientDataFile(DataFile):
    """A remote data file whose reads retry and time out (see the module docstring)."""

    def open_raw(self) -> Any:
        return io.BufferedReader(ResilientReader(self.fs, self.path, self.url), buffer_size=1 << 20)


def resilient(f: DataFile) -> DataFile:
    """``f`` reading through :class:`ResilientReader` when it is remote (local files are left as they are)."""
    if f.is_local:
        return f
    return ResilientDataFile(f.url, f.path, f.fs, f.size)
