"""PyTorch: :class:`TorchLoader`, an iterable of dicts of tensors built columnar from Arrow.

Example:
    >>> import pyarrow as pa
    >>> table = pa.table({"input_ids": [[101, 7, 102], [101, 102]], "label": [1, 0]})
    >>> batch = next(iter(TorchLoader(table, batch_size=2)))
    >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist(), batch["labels"].tolist()
    ([[101, 7, 102], [101, 102, 0]], [[1, 1, 1], [1, 1, 0]], [1, 0])
"""
from __future__ import annotations

import logging
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from .device import prefetch_to_device, resolve_device
from .errors import LoaderError
from .numpy_loader import BatchBuilder, NumpyLoader

logger = logging.getLogger(__name__)


def to_tensors(batch: Mapping[str, Any]) -> dict[str, Any]:
    """numpy arrays → torch tensors without copying (other values pass through)."""
    import torch

    return {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
            for k, v in batch.items()}


def distributed_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` from ``torch.distributed`` when a process group is initialised."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover - torch built without distributed
        return None
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return None


class _WorkerGroups:
    """Map-style dataset for ``torch.utils.data.DataLoader`` workers: item ``(lo, hi)`` is the list of
    batches ``lo..hi-1`` of one epoch (one gather each). Only the builder travels to the worker
    (the dataset by path, no plan)."""

    def __init__(self, builder: BatchBuilder, epoch: int) -> None:
        self.builder, self.epoch = builder, epoch

    def __getitem__(self, group: tuple[int, int]) -> list[dict[str, Any]]:
        return [to_tensors(b) for b in self.builder.iter_group(self.epoch, *group)]


def _identity(batch: Any) -> Any:
    return batch


class TorchLoader(NumpyLoader):
    """Iterate a dataset as dicts of torch tensors, padded per batch, for training loops.

    Takes every argument of :class:`~loaders.numpy_loader.NumpyLoader` (padding, bucketing with
    ``group_by_length``, packing with ``block_size``, resumption), plus:

    Args:
        num_workers: build batches in this many worker processes (they re-open the memory map;
            nothing large is pickled). 0 builds them in the calling thread, which is usually fast
            enough: a batch is a few vectorized numpy operations.
        pin_memory: return page-locked tensors, for fast asynchronous copies to CUDA (ignored,
            with a warning, when CUDA is not available).
        device: move batches to this device in a background thread, ``prefetch`` batches ahead,
            with ``non_blocking`` copies on a side CUDA stream.
        prefetch: batches kept ready ahead of the training loop (device thread and workers).
        multiprocessing_context: passed to ``torch.utils.data.DataLoader`` for workers.
        rank, world_size: default to ``torch.distributed``'s when a process group is initialised.

    Example:
        >>> import pyarrow as pa
        >>> loader = TorchLoader(pa.table({"input_ids": [[1, 2], [3]]}), batch_size=2, device="cpu")
        >>> [b["input_ids"].shape for b in loader]
        [torch.Size([2, 2])]
    """

    def __init__(self, dataset: Any, batch_size: int = 32, columns: Sequence[str] | None = None,
                 shuffle: bool = False, seed: int = 0,
                 drop_last: bool = False, *, num_workers: int = 0, pin_memory: bool = False,
                 device: Any = None, prefetch: int = 2, multiprocessing_context: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(dataset, batch_size, columns, shuffle, seed, drop_last, **kwargs)
        if not isinstance(num_workers, int) or num_workers < 0:
            raise LoaderError(f"num_workers must be a non-negative integer, got {num_workers!r}")
        self.num_workers = num_workers
        self.device = resolve_device(device) if device is not None else None
        self.pin_memory = pin_memory and self._cuda_available(pin_memory)
        self.prefetch = max(1, int(prefetch))
        self.multiprocessing_context = multiprocessing_context

    @staticmethod
    def _resolve_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
        dist = distributed_world()
        if dist is not None:
            rank = dist[0] if rank is None else rank
            world_size = dist[1] if world_size is None else world_size
        return (0 if rank is None else rank), (1 if world_size is None else world_size)

    @staticmethod
    def _cuda_available(requested: bool) -> bool:
        import torch

        if requested and not torch.cuda.is_available():
            logger.warning("pin_memory=True ignored: CUDA is not available, so there is nothing to pin for")
            return False
        return requested

    def _batches(self, epoch: int, start: int) -> Iterator[Any]:
        batches = self._worker_batches(epoch, start) if self.num_workers else self._local_batches(epoch, start)
        if self.device is not None:
            return prefetch_to_device(batches, self.device, depth=self.prefetch, pin_memory=self.pin_memory)
        if self.pin_memory:
            return ({k: v.pin_memory() if hasattr(v, "pin_memory") else v for k, v in b.items()} for b in batches)
        return batches

    def _local_batches(self, epoch: int, start: int) -> Iterator[dict[str, Any]]:
        for batch in super()._batches(epoch, start):
            yield to_tensors(batch)

    def _worker_batches(self, epoch: int, start: int) -> Iterator[dict[str, Any]]:
        from torch.utils.data import DataLoader

        # batch_size=None: each item already is a list of batches; the DataLoader keeps sampler order.
        loader = DataLoader(_WorkerGroups(self.builder, epoch), batch_size=None,
                            sampler=self.builder.groups(epoch, start), collate_fn=_identity,
                            num_workers=self.num_workers, prefetch_factor=self.prefetch,
                            pin_memory=self.pin_memory and self.device is None,
                            multiprocessing_context=self.multiprocessing_context)
        for group in loader:
            yield from group
