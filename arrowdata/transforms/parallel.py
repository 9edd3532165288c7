"""``num_proc``: worker processes pulling small chunks of rows from a queue.

How it works, and why:

- **Inputs by path.** Workers re-open the dataset's memory-mapped files by path; an
  in-memory table (and any indices array) is first spilled to ``cache_dir()/spill/``
  under its fingerprint. Nothing large is ever pickled to a worker.
- **Small chunks, dynamic.** The rows are cut into about ``8 * num_proc`` chunks
  (aligned to ``batch_size``) put on a queue; a worker takes the next chunk when it is
  done, so one slow chunk does not hold the others back (no fixed shards, no stragglers).
- **Results without copying.** Each chunk's ``map`` output is its own Arrow file
  (``<fp>-<i>-of-<n>.arrow``, written atomically); the result table memory-maps them in
  chunk order. ``filter`` chunks send back row positions (8 bytes a kept row).
- **Start method: fork where the OS has it.** A forked worker inherits the user's
  function as is (lambdas, closures, tokenizers: nothing to pickle); elsewhere 'spawn'
  is used and the function must be picklable. Tokenizer libraries keep thread pools that
  do not survive a fork (a child touching them can deadlock), so every worker sets
  ``TOKENIZERS_PARALLELISM=false`` (and ``torch.set_num_threads(1)`` when torch is loaded)
  before running the user's code: each worker is single-threaded, the processes are the
  parallelism. The parent's settings are untouched.

Example:
    >>> chunk_ranges(10, 2, batch_size=3, batched=True)
    [(0, 6), (6, 10)]
    >>> len(chunk_ranges(100_000, 2, batch_size=1000, batched=True))
    15
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from ..cache import spill_dir
from ..projection import Projection, ProjectionState
from ..table import open_arrow_files
from ..writer import ArrowWriter
from .map_runner import MapSpec, run_filter, run_map
from .outputs import OutputSink, TransformError

logger = logging.getLogger(__name__)

#: Chunks per worker: enough that a slow chunk is absorbed, few enough that files stay big.
CHUNKS_PER_WORKER = 8
#: Smallest chunk worth a file of its own (unless the dataset is smaller than num_proc of them).
MIN_CHUNK_ROWS = 1000


@dataclass
class Source:
    """Where a worker finds its input: Arrow files (memory-mapped), the column projection that
    derives the dataset's table from them (plain names and schema bytes), optional indices file."""

    data_files: list[str]
    indices_file: str | None
    num_rows: int
    projection: ProjectionState | None = None

    def open(self) -> tuple[pa.Table, pa.Array | None]:
        table = open_arrow_files(self.data_files)
        if self.projection is not None:
            table = Projection.from_state(self.projection).apply(table)
        indices = None
        if self.indices_file is not None:
            col = open_arrow_files([self.indices_file]).column(0)
            indices = col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
        return table, indices


def chunk_ranges(num_rows: int, num_proc: int, batch_size: int | None, batched: bool) -> list[tuple[int, int]]:
    """Row ranges of about ``num_rows / (8 * num_proc)`` rows, multiples of ``batch_size`` when batched."""
    if num_rows <= 0:
        return []
    target = -(-num_rows // (num_proc * CHUNKS_PER_WORKER))
    # Tiny chunks cost more in files and messages than they save in balance.
    target = max(target, min(MIN_CHUNK_ROWS, -(-num_rows // num_proc)))
    if batched and batch_size and batch_size > 0:
        target = max(batch_size, -(-target // batch_size) * batch_size)
    elif batched:
        return [(0, num_rows)]
    return [(start, min(start + target, num_rows)) for start in range(0, num_rows, target)]


def start_method() -> str:
    """``$ARROWDATA_START_METHOD`` if set (e.g. 'spawn' when the parent has initialised CUDA),
    else 'fork' where available (the function needs no pickling), else 'spawn'."""
    chosen = os.environ.get("ARROWDATA_START_METHOD")
    if chosen:
        if chosen not in mp.get_all_start_methods():
            raise TransformError(f"$ARROWDATA_START_METHOD={chosen!r}: this platform offers "
                                 f"{mp.get_all_start_methods()}")
        return chosen
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


@dataclass
class Job:
    """One parallel ``map`` or ``filter``: what to run, on what, and where parts go."""

    kind: str  # "map" or "filter"
    spec: MapSpec
    source: Source
    part_paths: list[str] | None  # map to disk: one path per chunk; None = in memory / filter


def _die_with_parent() -> None:
    """Linux: a SIGKILLed parent takes its workers along instead of leaving them orphaned."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _single_threaded_libraries() -> None:
    """Each worker is one unit of parallelism: libraries' own thread pools would oversubscribe the
    cores (and some do not survive a fork)."""
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.set_num_threads(1)
        except RuntimeError:  # torch refuses once its thread pool has run: leave it as it is
            pass


def run_chunk(job: Job, table: pa.Table, indices: pa.Array | None, start: int, stop: int, path: str | None,
              rank: int, progress: Callable[[int], None] | None) -> tuple[Any, int | None]:
    """One chunk of ``job`` in a worker (of any engine), as sent back to the driver: ``filter``: the kept
    positions as uint64 bytes; ``map``: the path written, the Arrow IPC bytes of an in-memory result
    (``path=None``), or ``None`` when the function returned nothing; and the number of rows."""
    if job.kind == "filter":
        kept = run_filter(table, indices, start, stop, job.spec, rank, progress)
        return kept.astype(np.uint64).tobytes(), None
    sink = OutputSink(path)
    try:
        returned = run_map(table, indices, start, stop, job.spec, sink, rank, progress)
        out = sink.finish() if returned else None
    except BaseException:
        sink.abort()
        raise
    if isinstance(out, pa.Table):  # keep_in_memory: ship the Arrow bytes back
        stream = pa.BufferOutputStream()
        with pa.ipc.new_stream(stream, out.schema) as w:
            w.write_table(out)
        out = stream.getvalue().to_pybytes()
    elif out is not None:
        out = str(out)
    return out, sink.num_rows


def _worker(rank: int, job: Job, tasks: Any, results: Any) -> None:
    _single_threaded_libraries()
    _die_with_parent()
    try:
        table, indices = job.source.open()
    except BaseException:
        results.put(("error", None, traceback.format_exc()))
        return
    while True:
        task = tasks.get()
        if task is None:
            return
        chunk, start, stop = task
        try:
            progress = lambda n: results.put(("progress", n))  # noqa: E731 - tiny callback
            path = job.part_paths[chunk] if job.part_paths is not None else None
            out, num_rows = run_chunk(job, table, indices, start, stop, path, rank, progress)
            results.put(("done", chunk, out, num_rows))
        except BaseException:
            results.put(("error", chunk, f"rows {start}..{stop - 1}:\n{traceback.format_exc()}"))
            return


def run_parallel(job: Job, num_proc: int, ranges: list[tuple[int, int]],
                 progress: Callable[[int], None]) -> list[Any]:
    """Run ``job`` over ``ranges`` with ``num_proc`` workers; returns each chunk's result in order.

    A worker's exception is re-raised here as :class:`TransformError` with its traceback;
    a worker that dies (killed, crashed) is reported too, never waited for forever.
    """
    ctx = mp.get_context(start_method())
    tasks, results = ctx.Queue(), ctx.Queue()
    for i, (start, stop) in enumerate(ranges):
        tasks.put((i, start, stop))
    workers = [ctx.Process(target=_worker, args=(rank, job, tasks, results), daemon=True,
                           name=f"arrowdata-{job.kind}-{rank}") for rank in range(num_proc)]
    for _ in workers:
        tasks.put(None)
    try:
        for w in workers:
            w.start()
    except Exception as e:  # spawn could not pickle the function
        _stop(workers)
        raise TransformError(f"{job.kind}(num_proc={num_proc}): could not start worker processes ({e}); with the "
                             f"'{start_method()}' start method the function must be picklable") from e
    outputs: list[Any] = [None] * len(ranges)
    pending = len(ranges)
    try:
        while pending:
            try:
                message = results.get(timeout=1.0)
            except queue.Empty:
                dead = [w for w in workers if w.exitcode not in (None, 0)]
                if dead:
                    raise TransformError(f"{job.kind}: worker {dead[0].name} died (exit code {dead[0].exitcode}) "
                                         "before finishing its rows")
                if all(w.exitcode is not None for w in workers):
                    raise TransformError(f"{job.kind}: workers exited with {pending} chunk(s) unfinished")
                continue
            if message[0] == "progress":
                progress(message[1])
            elif message[0] == "error":
                raise TransformError(f"{job.kind} failed in a worker process at {message[2]}")
            else:
                _, chunk, out, returned = message
                outputs[chunk] = (out, returned)
                pending -= 1
    finally:
        _stop(workers, grace=0.0 if pending else 2.0)
    return outputs


def _stop(workers: list, grace: float = 0.0) -> None:
    """Terminate the workers; after a complete run, first give them ``grace`` seconds to exit on their
    own (they have their end-of-tasks marker): a SIGTERM mid-exit is noise, and a driver connected to
    Ray has a handler that prints a stack trace for it in every forked child."""
    deadline = time.monotonic() + grace
    for w in workers:
        if w.pid is not None and grace:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
    for w in workers:
        if w.is_alive():
            w.terminate()
    for w in workers:
        if w.pid is not None:
            w.join(timeout=5)


def _reuse(path: Path) -> bool:
    """Whether a spilled file is already there (complete: spills are renamed into place); marks it used."""
    try:
        os.utime(path)
        return True
    except FileNotFoundError:
        return False


def spill(table: pa.Table, indices: pa.Array | None, fingerprint: str) -> tuple[list[str], str | None]:
    """Write an in-memory table (and indices) to ``cache_dir()/spill/`` once; returns their paths."""
    paths: list[str] = []
    if table is not None:
        path = spill_dir() / f"{fingerprint}.arrow"
        if not _reuse(path):
            with ArrowWriter(path, schema=table.schema) as w:
                w.write(table)
        paths.append(str(path))
    indices_path = None
    if indices is not None:
        path = spill_dir() / f"{fingerprint}-indices.arrow"
        if not _reuse(path):
            with ArrowWriter(path) as w:
                w.write(pa.table({"indices": indices}))
        indices_path = str(path)
    return paths, indices_path


def bytes_to_table(data: bytes) -> pa.Table:
    """A worker's in-memory result, sent as Arrow IPC bytes (never pickled)."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()

