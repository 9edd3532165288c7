"""One timing helper for the benchmarks (each script runs from this folder, so ``from timing import best_of``)."""
from __future__ import annotations

import gc
import time
from typing import Any, Callable


def best_of(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """The fastest of ``repeat`` calls of ``fn`` (seconds, after a ``gc.collect()``) and its last result."""
    best, out = float("inf"), None
    for _ in range(max(1, repeat)):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out
