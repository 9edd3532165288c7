"""``async`` map/filter functions: their calls run concurrently on one event loop per transform.

Hugging Face ``datasets`` runs an ``async def`` function with up to a thousand calls in flight;
so does arrowdata: a row-wise function is awaited for a whole read batch (up to 1000 rows)
at once, a batched one for a window of batches. Results come back in row order, so the
output (and its cache entry) is the same as a synchronous function's. When the caller is
already inside a running event loop (a notebook), the loop runs on a helper thread.

Example:
    >>> async def double(x):
    ...     return 2 * x
    >>> with AsyncCalls() as calls:
    ...     calls.gather([double(1), double(2)])
    [2, 4]
"""
from __future__ import annotations

import asyncio
import functools
import inspect
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

#: At most this many calls in flight at once (HF's limit too).
MAX_IN_FLIGHT = 1000


def is_async(function: Callable | None) -> bool:
    """Whether ``function`` (or the function a ``functools.partial``/callable object wraps) is ``async def``."""
    if function is None:
        return False
    while isinstance(function, functools.partial):
        function = function.func
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))


class AsyncCalls:
    """One event loop for the calls of one transform (so objects bound to a loop keep working)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._thread: ThreadPoolExecutor | None = None
        else:  # run_until_complete cannot nest inside a running loop: drive ours from a thread
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="arrowdata-async")

    def gather(self, coroutines: Iterable[Any]) -> list:
        """The results of ``coroutines``, in order, at most :data:`MAX_IN_FLIGHT` running at once."""
        coroutines = list(coroutines)
        limit = asyncio.Semaphore(MAX_IN_FLIGHT) if len(coroutines) > MAX_IN_FLIGHT else None

        async def bounded(coroutine: Any) -> Any:
            async with limit:
                return await coroutine

        async def run_all() -> list:
            return list(await asyncio.gather(*(bounded(c) if limit else c for c in coroutines)))

        if self._thread is None:
            return self._loop.run_until_complete(run_all())
        return self._thread.submit(self._loop.run_until_complete, run_all()).result()

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        self._loop.close()

    def __enter__(self) -> "AsyncCalls":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def batch_window(batch_size: int | None) -> int:
    """How many batches of a batched ``async`` function are awaited together (about 10,000 rows;
    ``batch_size`` ``None`` means whole input batches of unknown size: two at a time)."""
    return max(2, min(MAX_IN_FLIGHT, 10_000 // max(1, batch_size or 10_000)))
