"""Operators on the order and count of rows: ``skip``, ``take``, ``repeat``.

After ``skip``/``take`` the shards keep their order (a later ``shuffle`` shuffles rows in its
buffer only) and the stream counts as one shard: which rows are skipped or taken depends on
the whole order, so it cannot be split across workers shard by shard.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.streaming.plan import Context
    >>> from arrowdata.streaming.sources import SourcePlan, TableShard
    >>> src = SourcePlan((TableShard(pa.table({"x": list(range(10))}), batch_rows=4),))
    >>> r = TakePlan(SkipPlan(src, 3), 4).open(Context(), None)
    >>> r.next().column("x").to_pylist(), r.next().column("x").to_pylist(), r.next()
    ([3], [4, 5, 6], None)
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from .plan import Context, OneShard, Plan, Runner


@dataclass(frozen=True)
class _Counted(OneShard, Plan):
    child: Plan
    n: int = 0

    @property
    def borrowed(self) -> bool:
        return self.child.borrowed  # skip/take slice

    def empty(self) -> Plan:
        return replace(self, child=_Empty(self.child))


@dataclass(frozen=True)
class _Empty(Plan):
    child: Plan

    def open(self, ctx: Context, state: Any) -> Runner:
        return _EmptyRunner()


class _EmptyRunner(Runner):
    def next(self) -> None:
        return None

    def state(self) -> dict:
        return {}


class _CountedRunner(Runner):
    def __init__(self, plan: _Counted, ctx: Context, state: dict | None) -> None:
        self.plan = plan
        self.up = plan.child.open(ctx, state["up"] if state else None)
        self.count = state["count"] if state else 0

    def state(self) -> dict:
        return {"up": self.up.state(), "count": self.count}


@dataclass(frozen=True)
class SkipPlan(_Counted):
    def open(self, ctx: Context, state: Any) -> Runner:
        return _SkipRunner(self, ctx, state)


class _SkipRunner(_CountedRunner):
    def next(self) -> pa.Table | None:
        while True:
            batch = self.up.next()
            if batch is None:
                return None
            left = self.plan.n - self.count
            if left <= 0:
                return batch
            self.count += min(left, batch.num_rows)
            if left < batch.num_rows:
                return batch.slice(left)


@dataclass(frozen=True)
class TakePlan(_Counted):
    def open(self, ctx: Context, state: Any) -> Runner:
        return _TakeRunner(self, ctx, state)


class _TakeRunner(_CountedRunner):
    def next(self) -> pa.Table | None:
        left = self.plan.n - self.count
        if left <= 0:
            return None
        batch = self.up.next()
        if batch is None:
            return None
        if batch.num_rows > left:
            batch = batch.slice(0, left)
        self.count += batch.num_rows
        return batch


@dataclass(frozen=True)
class RepeatPlan(Plan):
    """The child ``num_times`` times (``None``: forever); each repetition is a new ``round`` of the
    context, so a shuffle inside draws a new order each time."""

    child: Plan
    num_times: int | None = None

    @property
    def borrowed(self) -> bool:
        return self.child.borrowed

    def open(self, ctx: Context, state: Any) -> Runner:
        return _RepeatRunner(self, ctx, state)


class _RepeatRunner(Runner):
    def __init__(self, plan: RepeatPlan, ctx: Context, state: dict | None) -> None:
        self.plan, self.ctx = plan, ctx
        self.round = state["round"] if state else 0
        self.empty_round = state.get("empty", True) if state else True
        self.up = plan.child.open(self._ctx(), state["up"] if state else None)

    def _ctx(self) -> Context:
        return Context(epoch=self.ctx.epoch, round=self.ctx.round * 1_000_003 + self.round, worker=self.ctx.worker)

    def state(self) -> dict:
        return {"round": self.round, "up": self.up.state(), "empty": self.empty_round}

    def next(self) -> pa.Table | None:
        while True:
            if self.plan.num_times is not None and self.round >= self.plan.num_times:
                return None
            batch = self.up.next()
            if batch is not None:
                self.empty_round = False
                return batch
            if self.empty_round:  # an empty stream repeated forever is still empty
                return None
            self.round += 1
            self.empty_round = True
            self.up = self.plan.child.open(self._ctx(), None)
