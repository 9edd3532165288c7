"""The ``ray`` engine: ``map``/``filter`` chunks as Ray tasks, on a local or remote Ray cluster.

What travels, and what does not:

- **The job, once.** The function, its arguments and *where* the input is (the dataset's Arrow
  file paths, column projection and indices file: never its rows) go to the object store once;
  each Ray worker process unpickles it once per job and memory-maps the files itself.
- **The output, straight into the cache.** A ``map`` task writes its chunk to the cache part file
  the local engine would write (atomically), and sends back only the path and a row count; a
  ``filter`` task sends back the kept positions (8 bytes a row). The driver commits the entry with
  the fingerprint a local run would give, so either engine's later run is a cache hit that starts
  no Ray task.
- **Errors with their row range.** A failing function is reported in the driver as a
  :class:`~arrowdata.transforms.outputs.TransformError` whose message starts with the row range
  and the original exception's type and message, followed by the worker's traceback.

On a multi-node cluster the cache folder and the dataset's files must be on storage every node
sees (see :mod:`arrowdata.engines.shared_storage`); an unshared local path is refused before any
task starts. ``ray.init(address=...)`` before the first transform picks the cluster; otherwise
``ray.init()`` runs with its defaults (``$RAY_ADDRESS``, else a local cluster).

Example:
    >>> import arrowdata  # doctest: +SKIP
    >>> ds = arrowdata.Dataset.from_dict({"x": list(range(10_000))})  # doctest: +SKIP
    >>> ds.map(lambda b: {"y": [v * 2 for v in b["x"]]}, batched=True, engine="ray")["y"][:3]  # doctest: +SKIP
    [0, 2, 4]
"""
from __future__ import annotations

import logging
import os
import sys
import traceback
import uuid
from typing import TYPE_CHECKING, Any, Callable

from .base import EngineError
from .shared_storage import SHARED_ENV, unshared

if TYPE_CHECKING:  # pragma: no cover
    from ..transforms.parallel import Job

logger = logging.getLogger(__name__)

#: Seconds to let cancelled tasks stop (and remove their half-written files) after a failure.
CANCEL_GRACE_S = 10.0


def ray_module() -> Any:
    """``ray``, connected: ``ray.init()`` with its defaults when the user has not called it."""
    try:
        import ray
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise EngineError("engine='ray' needs Ray: pip install 'arrowdata[ray]'") from e
    if not ray.is_initialized():
        logger.info("engine='ray': no Ray connection yet, calling ray.init() (set $RAY_ADDRESS or call "
                    "ray.init(address=...) first to use a running cluster)")
        ray.init()
    return ray


def check_shared_storage(ray: Any, paths: list[str]) -> None:
    """Refuse a multi-node cluster over paths not every node sees (nothing to check on one node)."""
    alive = [n for n in ray.nodes() if n.get("Alive")]
    if len(alive) <= 1:
        return
    bad = unshared(paths)
    if bad:
        listed = ", ".join(f"{p} ({t or 'unknown file system'})" for p, t in bad[:3])
        raise EngineError(
            f"engine='ray': the cluster has {len(alive)} nodes, but {listed} "
            f"{'is' if len(bad) == 1 else 'are'} on local storage the other nodes cannot read or write. Point "
            f"$ARROWDATA_CACHE (and the dataset's files) at a network file system mounted at the same path on "
            f"every node, or set {SHARED_ENV}=1 if this storage is shared after all (see docs/scale.md)")


# ----------------------------------------------------------------------------- worker side

#: In a Ray worker process: the job it last ran, unpickled and with its input opened, by job id.
_worker_jobs: dict[str, tuple[Any, Any, Any]] = {}


def _opened_job(job_id: str, boxed_ref: list) -> tuple[Any, Any, Any]:
    state = _worker_jobs.get(job_id)
    if state is None:
        import ray

        job = ray.get(boxed_ref[0])
        table, indices = job.source.open()
        _worker_jobs.clear()  # one job at a time: release the previous job's memory maps
        state = _worker_jobs[job_id] = (job, table, indices)
    return state


def run_chunk(job_id: str, boxed_ref: list, rank: int, start: int, stop: int, path: str | None) -> tuple:
    """One Ray task: ``("done", output, num_rows, pid)`` or ``("error", type name, message, traceback)``."""
    from ..transforms.parallel import _single_threaded_libraries
    from ..transforms.parallel import run_chunk as run_one

    _single_threaded_libraries()
    try:
        job, table, indices = _opened_job(job_id, boxed_ref)
        out, num_rows = run_one(job, table, indices, start, stop, path, rank, None)
        return "done", out, num_rows, os.getpid()
    except Exception as e:
        return "error", type(e).__name__, str(e), traceback.format_exc()


# ----------------------------------------------------------------------------- driver side

class RayEngine:
    """Runs ``map``/``filter`` chunks as Ray tasks (one CPU each), ``workers`` of them at a time.

    ``tasks_submitted`` counts the tasks this engine started in this process (a cache hit starts none).
    """

    name = "ray"
    in_process = False

    def __init__(self) -> None:
        self.tasks_submitted = 0
        self._remote: Any = None

    def workers(self, num_proc: int | None, num_rows: int) -> int:
        if num_proc:
            return max(1, min(int(num_proc), num_rows))
        cpus = int(ray_module().cluster_resources().get("CPU", 1))
        return max(1, min(cpus, num_rows))

    def _task(self, ray: Any, kind: str) -> Any:
        if self._remote is None:
            self._remote = ray.remote(run_chunk)
        return self._remote.options(num_cpus=1, name=f"arrowdata.{kind}")

    def run(self, job: "Job", workers: int, ranges: list[tuple[int, int]],
            progress: Callable[[int], None]) -> list[Any]:
        from ..config import cache_dir
        from ..transforms.outputs import TransformError

        ray = ray_module()
        source = job.source
        paths = [str(cache_dir()), *source.data_files, *([source.indices_file] if source.indices_file else []),
                 *(os.path.dirname(p) for p in (job.part_paths or [])[:1])]
        check_shared_storage(ray, paths)
        job_id = uuid.uuid4().hex
        for value in (job.spec.function, *job.spec.fn_kwargs.values()):
            _ship_user_module_by_value(ray, value)
        boxed = [ray.put(job)]  # in a list, so the task gets the reference and unpickles the job once
        task = self._task(ray, job.kind)
        outputs: list[Any] = [None] * len(ranges)
        pending: dict[Any, tuple[int, int]] = {}
        next_chunk = 0

        def submit(rank: int) -> None:
            nonlocal next_chunk
            start, stop = ranges[next_chunk]
            path = job.part_paths[next_chunk] if job.part_paths is not None else None
            pending[task.remote(job_id, boxed, rank, start, stop, path)] = (next_chunk, rank)
            self.tasks_submitted += 1
            next_chunk += 1

        # When num_proc covers the whole cluster, one more task per worker waits in Ray's queue, so a
        # worker that finishes starts its next chunk at once instead of waiting for the driver's
        # round trip; below that, extra tasks would run at once and exceed the hint (and with_rank
        # needs one task per rank at a time).
        cluster_cpus = ray.cluster_resources().get("CPU", 0)
        depth = 2 if cluster_cpus <= workers and not job.spec.with_rank else 1
        try:
            for slot in range(min(workers * depth, len(ranges))):
                submit(slot % workers)
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                chunk, rank = pending.pop(ref)
                start, stop = ranges[chunk]
                try:
                    result = ray.get(ref)
                except Exception as e:  # the task itself died: worker crash, node lost, out of memory
                    raise TransformError(f"{job.kind} failed in a Ray task at rows {start}..{stop - 1}: "
                                         f"{type(e).__name__}: {e}") from e
                if result[0] == "error":
                    _, type_name, message, trace = result
                    raise TransformError(f"{job.kind} failed in a Ray worker at rows {start}..{stop - 1}: "
                                         f"{type_name}: {message}\n{trace}")
                outputs[chunk] = (result[1], result[2])
                progress(stop - start)
                if next_chunk < len(ranges):
                    submit(rank)
        finally:
            if pending:
                _cancel(ray, list(pending))
        return outputs


def _ship_user_module_by_value(ray: Any, value: Any) -> None:
    """A function (or a ``fn_kwargs`` value's class) from the user's own module (a script's helper
    file, a test module) is pickled by value, as a fork would carry it: the Ray workers could not
    import that module by name. Installed packages still travel by reference (the workers have them)."""
    from ..fingerprint import _module_kind

    owner = value if callable(value) and hasattr(value, "__module__") else type(value)
    name = getattr(owner, "__module__", None) or ""
    module = sys.modules.get(name)
    if module is None or name == "__main__" or name.split(".")[0] in ("arrowdata", "loaders", "metrics"):
        return  # __main__ is already pickled by value
    if _module_kind(name) == "user":
        ray.cloudpickle.register_pickle_by_value(module)


def _cancel(ray: Any, refs: list) -> None:
    """Stop the tasks still running after a failure and let them clean up their partial files."""
    for ref in refs:
        try:
            ray.cancel(ref)
        except Exception:  # already finished, or the cluster is going away: nothing left to stop
            logger.debug("could not cancel a Ray task", exc_info=True)
    ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_S)
