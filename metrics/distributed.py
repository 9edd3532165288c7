"""Gather metric states from every process before computing, so every rank gets the same result.

Two transports, tried in order:

1. **torch.distributed**, when it is initialised with more than one rank: each rank
   serialises its state (Arrow IPC bytes, see :mod:`metrics.state`), the byte
   lengths and then the padded bytes are all-gathered as uint8 tensors, and every
   rank merges all states in rank order. No ``all_gather_object`` (it pickles).
2. **files**, when the metric was created with ``num_processes > 1``: each process
   writes ``cache_dir()/metrics/<experiment_id>/<metric>[-<config>]/round-<n>/state-<rank>-of-<N>.arrowstate``
   atomically (temporary name, then rename), waits until all N files exist, reads
   them, and leaves an ``ack-<rank>`` file; the process that sees every ack removes
   the round folder. There are no lock files, so there is nothing to deadlock on:
   a process that never arrives makes the others raise :class:`MetricGatherTimeout`
   naming the missing ranks after ``timeout`` seconds.

Example (file-based, two processes sharing a cache folder)::

    m = metrics.load("accuracy", num_processes=2, process_id=rank, experiment_id="run-42")
    m.add_batch(predictions=my_preds, references=my_refs)
    print(m.compute())   # same dict on both ranks
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from arrowdata.errors import ArrowDataError

if TYPE_CHECKING:
    from .base import Metric

logger = logging.getLogger(__name__)

_POLL_S = 0.02


class MetricGatherError(ArrowDataError):
    """Gathering states across processes failed (a clash of experiment ids, a missing process...)."""


class MetricGatherTimeout(MetricGatherError, TimeoutError):
    """Some processes never delivered their metric state in time; ``missing`` lists their ids."""

    def __init__(self, message: str, missing: list[int]) -> None:
        self.missing = missing
        super().__init__(message)


def torch_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` when torch.distributed is initialised with several ranks, else ``None``.

    torch is imported only if it is already loaded: a program that never imported it
    cannot have initialised a process group.
    """
    import sys

    if "torch" not in sys.modules:
        return None
    dist = sys.modules["torch"].distributed
    if not dist.is_available() or not dist.is_initialized():
        return None
    world = dist.get_world_size()
    return (dist.get_rank(), world) if world > 1 else None


def gather_into(metric: "Metric") -> None:
    """Merge every other process's state into ``metric`` (no-op for a single process)."""
    world = torch_world()
    if world is not None:
        _gather_torch(metric)
    elif metric.num_processes > 1:
        _gather_files(metric)


# --- torch.distributed ----------------------------------------------------------------------------

def _gather_torch(metric: "Metric") -> None:
    import numpy as np
    import torch
    import torch.distributed as dist

    device = torch.device("cpu")
    if dist.get_backend() == "nccl":  # nccl moves CUDA tensors only
        device = torch.device("cuda", torch.cuda.current_device())
    payload = metric.to_bytes()
    world = dist.get_world_size()
    size = torch.tensor([len(payload)], dtype=torch.int64, device=device)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    lengths = [int(s.item()) for s in sizes]
    buf = torch.zeros(max(lengths), dtype=torch.uint8, device=device)
    buf[:len(payload)] = torch.from_numpy(np.frombuffer(payload, dtype=np.uint8).copy()).to(device)
    bufs = [torch.zeros_like(buf) for _ in range(world)]
    dist.all_gather(bufs, buf)
    _merge_all(metric, [bytes(b[:n].cpu().numpy().tobytes()) for b, n in zip(bufs, lengths)],
               [f"rank {r}" for r in range(world)])


def _merge_all(metric: "Metric", payloads: list[bytes], sources: list[str]) -> None:
    """Replace ``metric``'s state with the merge of all payloads, in rank order (own one included)."""
    decoded = [metric._decode(p, s) for p, s in zip(payloads, sources)]
    metric.reset()
    total = 0
    for states, extra in decoded:
        metric._merge_states(states)
        total += int(extra.get("num_updates", 0))
    metric._num_updates = total


# --- files ----------------------------------------------------------------------------------------

def experiment_dir(experiment_id: str, root: str | os.PathLike | None = None) -> Path:
    """``<root>/<experiment_id>`` (``root`` defaults to ``cache_dir()/metrics``); the id must be a plain name.

    ``root`` is the ``cache_dir`` given to ``metrics.load``, as in evaluate.
    """
    from arrowdata.config import cache_dir

    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", experiment_id) or experiment_id in (".", ".."):
        from .validation import MetricInputError
        raise MetricInputError(f"experiment_id: {experiment_id!r} must be letters, digits, '_', '-' or '.'")
    return (cache_dir() / "metrics" if root is None else Path(root)) / experiment_id


def _write_atomic(path: Path, data: bytes) -> None:
    from arrowdata.writer import temp_path_for

    tmp = temp_path_for(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_ROUNDS: dict[tuple, int] = {}
_ROUNDS_LOCK = threading.Lock()


def _next_round(metric: "Metric") -> int:
    """This process's count of gathers so far for this experiment, metric and config.

    Every process runs the same sequence of ``compute()`` calls, so the counts agree
    without any coordination, even when a fresh metric object is loaded for each round.
    """
    key = (str(experiment_dir(metric.experiment_id, metric.cache_dir)), metric.name, metric.config_name,
           metric.num_processes, metric.process_id)
    with _ROUNDS_LOCK:
        n = _ROUNDS.get(key, 0)
        _ROUNDS[key] = n + 1
    return n


def _gather_files(metric: "Metric") -> None:
    n, rank = metric.num_processes, metric.process_id
    label = metric.name if metric.config_name is None else f"{metric.name}-{metric.config_name}"
    folder = experiment_dir(metric.experiment_id, metric.cache_dir) / label / f"round-{_next_round(metric)}"
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"state-{r}-of-{n}.arrowstate" for r in range(n)]
    if paths[rank].exists():
        raise MetricGatherError(f"{paths[rank]} already exists: another process uses process_id={rank} with "
                                f"experiment_id={metric.experiment_id!r}; give each run its own experiment_id")
    _write_atomic(paths[rank], metric.to_bytes())
    deadline = time.monotonic() + metric.timeout
    while True:
        missing = [r for r, p in enumerate(paths) if not p.exists()]
        if not missing:
            break
        if time.monotonic() >= deadline:
            # our own file stays: the other processes are still waiting on it, and their errors
            # must name only the processes that really never arrived
            raise MetricGatherTimeout(
                f"{metric.name}: gave up after {metric.timeout:g}s waiting for process(es) "
                f"{', '.join(map(str, missing))} of {n} (experiment_id={metric.experiment_id!r}, folder {folder}); "
                f"did they crash, or call compute() with another experiment_id or num_processes?", missing)
        time.sleep(_POLL_S)
    payloads = [p.read_bytes() for p in paths]
    _merge_all(metric, payloads, [str(p) for p in paths])
    _write_atomic(folder / f"ack-{rank}", b"")
    if all((folder / f"ack-{r}").exists() for r in range(n)):
        shutil.rmtree(folder, ignore_errors=True)
        logger.debug("removed gather folder %s", folder)
