"""The pipeline: immutable plans, and the runners that execute them batch by batch.

A :class:`Plan` describes one operation over its child plans (a source of shards, a map, a
shuffle buffer...). ``plan.open(ctx, state)`` returns a :class:`Runner`, whose ``next()``
returns the next ``pyarrow.Table`` (``None`` at the end) and whose ``state()`` says where it
stands between two batches, as a dict. The contract every runner keeps:

    a runner opened with ``state()`` yields exactly the rows the original runner would have
    yielded after that point, in the same order (the batch boundaries may differ).

So no operator may depend on where its input's batches are cut: a batched ``map`` re-cuts its
input to ``batch_size`` rows, and the shuffle buffer's vectorised step equals the row-by-row one.

Row-granular cuts are the :class:`~arrowdata.streaming.state.Cursor`'s job. Shards travel
through the plans: ``shard(num_shards, index, contiguous)`` keeps some of them (workers, ranks,
``IterableDataset.shard``) and ``permute_shards(rng)`` reorders them (``shuffle``).

Example:
    >>> from arrowdata.streaming.sources import TableShard, SourcePlan
    >>> import pyarrow as pa
    >>> plan = SourcePlan((TableShard(pa.table({"x": [1, 2, 3]})),))
    >>> runner = plan.open(Context(), None)
    >>> runner.next().column("x").to_pylist(), runner.next()
    ([1, 2, 3], None)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Context:
    """What an iteration depends on besides the plan: the epoch, the repetition (``repeat``) and the worker."""

    epoch: int = 0
    round: int = 0
    worker: int = 0  # the DataLoader worker reading (its shards and its random draws differ)

    def seed_for(self, seed: int, *salt: int) -> np.random.Generator:
        """A generator for ``seed`` in this epoch, repetition and worker (reproducible, distinct per epoch)."""
        return np.random.default_rng([int(seed), self.epoch, self.round, self.worker, *salt])


class Runner:
    """Executes a plan: ``next()`` batches, ``state()`` between them."""

    def next(self) -> pa.Table | None:
        raise NotImplementedError

    def state(self) -> Any:
        raise NotImplementedError


class Plan:
    """Base of every plan node. Unary nodes keep their input in ``child``."""

    child: "Plan"

    @property
    def n_shards(self) -> int:
        return self.child.n_shards

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "Plan":
        """This plan over shard ``index`` of ``num_shards`` pieces of its shards."""
        return replace(self, child=self.child.shard(num_shards, index, contiguous))

    def permute_shards(self, rng: np.random.Generator) -> "Plan":
        """This plan with its shards in an order drawn from ``rng`` (a no-op where order is fixed)."""
        return replace(self, child=self.child.permute_shards(rng))

    def open(self, ctx: Context, state: Any) -> Runner:
        raise NotImplementedError

    @property
    def fixed_order(self) -> bool:
        """Whether ``skip``/``take`` fixed the order of the shards (then shuffling keeps it)."""
        return self.child.fixed_order

    @property
    def borrowed(self) -> bool:
        """Whether every batch is a zero-copy view of a table held anyway (memory-mapped or in memory).

        A shuffle buffer then keeps references to the batches instead of copying its rows out:
        they cost no new memory. False unless a plan knows better (maps, filters, files, casts
        make new batches).
        """
        return False


class OneShard:
    """Mixin for a plan that is a single shard whose order is fixed (``skip``/``take``, a column-wise
    zip): shuffling keeps its order, and sharding gives everything to piece 0 and nothing to the
    others (:meth:`empty`)."""

    @property
    def n_shards(self) -> int:
        return 1

    @property
    def fixed_order(self) -> bool:
        return True

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "Plan":
        return self if num_shards == 1 or index == 0 else self.empty()  # type: ignore[return-value]

    def permute_shards(self, rng: np.random.Generator) -> "Plan":
        return self  # type: ignore[return-value]

    def empty(self) -> "Plan":
        """This plan with no rows (what the other pieces of a shard get)."""
        raise NotImplementedError


def shard_indices(n: int, num_shards: int, index: int, contiguous: bool = True) -> list[int]:
    """Which of ``n`` shards piece ``index`` of ``num_shards`` gets (the first ``n % num_shards``
    contiguous pieces get one more, as ``Dataset.shard``).

    Example:
        >>> shard_indices(5, 2, 0), shard_indices(5, 2, 1), shard_indices(5, 2, 1, contiguous=False)
        ([0, 1, 2], [3, 4], [1, 3])
    """
    if num_shards < 1 or not 0 <= index < num_shards:
        from ..errors import InvalidArgumentError

        raise InvalidArgumentError("index", f"must be in [0, {num_shards}) for num_shards={num_shards}, got {index}")
    if not contiguous:
        return list(range(index, n, num_shards))
    div, mod = divmod(n, num_shards)
    start = div * index + min(index, mod)
    return list(range(start, start + div + (index < mod)))
