"""Splitting a dataset across the processes (nodes, ranks) of a distributed job.

``split_dataset_by_node(ds, rank, world_size)`` gives rank ``rank`` its part, with Hugging Face's
semantics:

- an :class:`~arrowdata.streaming.IterableDataset` whose shard count divides by
  ``world_size`` gives each rank whole shards (every ``world_size``-th one); otherwise every
  rank reads the whole stream and keeps every ``world_size``-th row, starting at row ``rank``.
  Ranks then differ by at most one shard or one row. DataLoader workers inside a rank split
  the rank's shards further.
- a map-style :class:`~arrowdata.Dataset` gives each rank a contiguous ``shard``.

Example:
    >>> from arrowdata.streaming import IterableDataset
    >>> ds = IterableDataset.from_dict({"x": list(range(10))})
    >>> [[r["x"] for r in split_dataset_by_node(ds, rank, 3)] for rank in range(3)]
    [[0, 3, 6, 9], [1, 4, 7], [2, 5, 8]]
"""
from __future__ import annotations

from typing import Any

from .errors import InvalidArgumentError


def split_dataset_by_node(dataset: Any, rank: int, world_size: int) -> Any:
    """The part of ``dataset`` that process ``rank`` of ``world_size`` should read.

    Args:
        dataset: an ``IterableDataset`` or a map-style ``Dataset``.
        rank: this process's rank, in ``[0, world_size)``.
        world_size: how many processes share the data.

    Raises:
        InvalidArgumentError: ``world_size < 1`` or ``rank`` out of range.

    Example:
        >>> import arrowdata
        >>> part = split_dataset_by_node(arrowdata.Dataset.from_dict({"x": list(range(10))}), rank=1, world_size=4)
        >>> part["x"]
        [3, 4, 5]
    """
    if not isinstance(world_size, int) or world_size < 1:
        raise InvalidArgumentError("world_size", f"must be an int >= 1, got {world_size!r}")
    if not isinstance(rank, int) or not 0 <= rank < world_size:
        raise InvalidArgumentError("rank", f"must be in [0, {world_size}), got {rank!r}")
    from .streaming.iterable import Distributed, IterableDataset

    if isinstance(dataset, IterableDataset):
        if dataset._distributed is not None:
            # already split: split the rank's part again (ranks of ranks)
            prev = dataset._distributed
            return dataset._copy(_distributed=Distributed(prev.rank + prev.world_size * rank,
                                                          prev.world_size * world_size))
        return dataset._copy(_distributed=Distributed(rank, world_size))
    if hasattr(dataset, "shard"):
        return dataset.shard(num_shards=world_size, index=rank, contiguous=True)
    raise TypeError(f"split_dataset_by_node takes a Dataset or an IterableDataset, got {type(dataset).__name__}")
