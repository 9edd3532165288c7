"""The ``local`` engine: ``num_proc`` worker processes on this machine (see
:mod:`arrowdata.transforms.parallel`), or the calling process itself when ``num_proc`` is 1 or unset.

Example:
    >>> engine = LocalEngine()
    >>> engine.workers(None, 100), engine.workers(4, 100), engine.workers(4, 2)
    (1, 4, 2)
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ..transforms.parallel import Job


class LocalEngine:
    """Process pool of this machine (fork where available); workers pull chunks from a queue."""

    name = "local"
    in_process = True

    def workers(self, num_proc: int | None, num_rows: int) -> int:
        return max(1, min(int(num_proc or 1), num_rows))

    def run(self, job: "Job", workers: int, ranges: list[tuple[int, int]],
            progress: Callable[[int], None]) -> list[Any]:
        from ..transforms.parallel import run_parallel

        return run_parallel(job, workers, ranges, progress)
