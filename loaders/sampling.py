"""Which rows go into which batch, per epoch and per rank.

Everything here is a pure function of ``(num_rows, seed, epoch, rank, world_size, ...)``, so any
process (a DataLoader worker, a resumed job, another rank) recomputes the same plan without
being sent it.

Example:
    >>> plan = plan_epoch(10, SamplingConfig(batch_size=4), epoch=0)
    >>> [plan[i].tolist() for i in range(len(plan))]
    [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .errors import LoaderError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SamplingConfig:
    """How an epoch is ordered and cut.

    Args:
        batch_size: rows per batch on each rank.
        shuffle: permute the rows, with a generator seeded by ``(seed, epoch)``.
        seed: base seed; the same seed and epoch give the same order in every process.
        drop_last: drop the trailing rows that cannot fill a whole batch on every rank.
        group_by_length: length-grouped bucketing: after shuffling, sort each mega-batch of
            ``mega_batch_mult * batch_size * world_size`` rows by length (longest first), so a batch
            holds rows of similar length and needs little padding.
        mega_batch_mult: the mega-batch size in batches (50, as in transformers' length-grouped sampler).
        rank, world_size: this process's shard; ranks get disjoint rows and the same number of batches.
    """

    batch_size: int
    shuffle: bool = False
    seed: int = 0
    drop_last: bool = False
    group_by_length: bool = False
    mega_batch_mult: int = 50
    rank: int = 0
    world_size: int = 1

    def __post_init__(self) -> None:
        _positive("batch_size", self.batch_size)
        _positive("world_size", self.world_size)
        _positive("mega_batch_mult", self.mega_batch_mult)
        if not 0 <= self.rank < self.world_size:
            raise LoaderError(f"rank must be in [0, world_size={self.world_size}), got {self.rank}")


def _positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise LoaderError(f"{name} must be a positive integer, got {value!r}")


class BatchPlan:
    """One rank's batches for one epoch: ``plan[k]`` is the array of logical row positions of batch ``k``.

    Stored as one positions array plus batch bounds, so a plan for millions of rows is two arrays,
    not millions of small ones.
    """

    def __init__(self, positions: np.ndarray, bounds: np.ndarray, batch_ids: np.ndarray) -> None:
        self.positions = positions
        self.bounds = bounds
        self.batch_ids = batch_ids  # which global batches (of bounds) belong to this rank

    def __len__(self) -> int:
        return len(self.batch_ids)

    def __getitem__(self, k: int) -> np.ndarray:
        g = self.batch_ids[k]
        return self.positions[self.bounds[g]:self.bounds[g + 1]]

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def batch_sizes(self) -> np.ndarray:
        """The size of each of this rank's batches."""
        return (self.bounds[self.batch_ids + 1] - self.bounds[self.batch_ids]).astype(np.int64)


def epoch_order(num_rows: int, config: SamplingConfig, epoch: int, lengths: np.ndarray | None = None) -> np.ndarray:
    """The global order of the logical rows for ``epoch`` (before sharding).

    Example:
        >>> import numpy as np
        >>> cfg = SamplingConfig(batch_size=2, group_by_length=True, mega_batch_mult=2)
        >>> epoch_order(4, cfg, 0, lengths=np.array([1, 5, 3, 4])).tolist()
        [1, 3, 2, 0]
    """
    if config.shuffle:
        rng = np.random.default_rng([int(config.seed) & 0xFFFFFFFF, int(epoch)])
        order = rng.permutation(num_rows).astype(np.int64)
    else:
        order = np.arange(num_rows, dtype=np.int64)
    if config.group_by_length:
        if lengths is None or len(lengths) != num_rows:
            raise LoaderError("group_by_length needs one length per row (the length column of the dataset)")
        order = _sort_within_megabatches(order, np.asarray(lengths),
                                         config.mega_batch_mult * config.batch_size * config.world_size)
    return order


def _sort_within_megabatches(order: np.ndarray, lengths: np.ndarray, mega: int) -> np.ndarray:
    """Stable sort of each run of ``mega`` rows by decreasing length, all runs in one lexsort."""
    block = np.arange(len(order), dtype=np.int64) // mega
    return order[np.lexsort((-lengths[order], block))]


def shard_sizes(num_rows: int, batch_size: int, world_size: int, drop_last: bool) -> np.ndarray:
    """Sizes of the global batches, step-major: batch ``k`` of rank ``r`` is entry ``k * world_size + r``.

    Every rank gets the same number of batches, every batch holds at most ``batch_size`` rows and at
    least one. When the tail cannot be spread over the ranks, the last one or two steps are balanced
    instead of leaving some rank an empty batch.

    Example:
        >>> shard_sizes(7, 2, 3, drop_last=False).tolist()   # 2 steps x 3 ranks, no empty batch
        [2, 1, 1, 1, 1, 1]
    """
    step = batch_size * world_size
    if drop_last:
        return np.full((num_rows // step) * world_size, batch_size, dtype=np.int64)
    if num_rows == 0:
        return np.zeros(0, dtype=np.int64)
    steps = -(-num_rows // step)
    rem = num_rows - (steps - 1) * step
    full = np.full((steps - 1) * world_size, batch_size, dtype=np.int64)
    if rem >= world_size:
        return np.concatenate([full, _even_split(rem, world_size)])
    # rem < world_size: fold the last full step into the tail so every batch keeps a row.
    return np.concatenate([full[:-world_size], _even_split(step + rem, 2 * world_size)])


def _even_split(total: int, parts: int) -> np.ndarray:
    sizes = np.full(parts, total // parts, dtype=np.int64)
    sizes[: total % parts] += 1
    return sizes


def plan_epoch(num_rows: int, config: SamplingConfig, epoch: int, lengths: np.ndarray | None = None) -> BatchPlan:
    """This rank's :class:`BatchPlan` for ``epoch``.

    When rows cannot be split over the ranks at all (fewer rows than ranks, or ``batch_size=1``
    with a remainder), the order is padded by repeating its first rows, as torch's
    ``DistributedSampler`` does, and a warning is logged; otherwise ranks are disjoint.
    """
    return plan_from_order(epoch_order(num_rows, config, epoch, lengths), config)


def plan_from_order(order: np.ndarray, config: SamplingConfig) -> BatchPlan:
    """Cut an already ordered array of positions into this rank's batches (see :func:`plan_epoch`)."""
    num_rows = len(order)
    bs, world = config.batch_size, config.world_size
    if not config.drop_last and world > 1 and num_rows:
        step = bs * world
        rem = num_rows - (-(-num_rows // step) - 1) * step
        if rem < world and (num_rows < step or bs == 1):
            target = -(-num_rows // world) * world
            logger.warning("%d rows cannot be split over %d ranks without an empty batch; repeating %d rows",
                           num_rows, world, target - num_rows)
            order = np.resize(order, target)
    sizes = shard_sizes(len(order), bs, world, config.drop_last)
    bounds = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    batch_ids = np.arange(config.rank, len(sizes), world, dtype=np.int64)
    return BatchPlan(order, bounds, batch_ids)
