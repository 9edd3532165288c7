"""Mixing streams: ``interleave`` (cyclic, or random with probabilities) and ``concatenate``
(row-wise, or column-wise with :class:`ZipPlan`).

Interleaving draws which input gives the next row (1,000 choices per generator call), then
takes each input's rows for a whole output batch at once and puts them in order with one
Arrow ``take``. Its state is each input's cursor, the generator state before the current
block of choices and how many of them are used, and which inputs were exhausted, so a
resumed mix is exactly the uninterrupted one.

An input counts as exhausted as soon as its last row is taken (as in Hugging Face's streaming).
``stopping_strategy``: ``"first_exhausted"`` stops as soon as one input is exhausted;
``"all_exhausted"`` restarts an exhausted input until every input has been exhausted once;
``"all_exhausted_without_replacement"`` gives every row once, exhausted inputs dropping out.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.streaming.plan import Context
    >>> from arrowdata.streaming.sources import SourcePlan, TableShard
    >>> a = SourcePlan((TableShard(pa.table({"x": [0, 2, 4]})),))
    >>> b = SourcePlan((TableShard(pa.table({"x": [1, 3]})),))
    >>> r = InterleavePlan((a, b)).open(Context(), None)
    >>> r.next().column("x").to_pylist()
    [0, 1, 2, 3]
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import InvalidArgumentError
from .plan import Context, OneShard, Plan, Runner
from .state import Cursor, concat

CHOICES_PER_DRAW = 1000
ROWS_PER_BATCH = 1000
STOPPING_STRATEGIES = ("first_exhausted", "all_exhausted", "all_exhausted_without_replacement")


@dataclass(frozen=True)
class _Multi(Plan):
    children: tuple = ()

    @property
    def n_shards(self) -> int:
        return min(c.n_shards for c in self.children)

    @property
    def fixed_order(self) -> bool:
        return all(c.fixed_order for c in self.children)

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> Plan:
        return replace(self, children=tuple(c.shard(num_shards, index, contiguous) for c in self.children))

    def permute_shards(self, rng: np.random.Generator) -> Plan:
        return replace(self, children=tuple(c.permute_shards(rng) for c in self.children))


@dataclass(frozen=True)
class ConcatPlan(_Multi):
    def open(self, ctx: Context, state: Any) -> Runner:
        return _ConcatRunner(self, ctx, state)


class _ConcatRunner(Runner):
    def __init__(self, plan: ConcatPlan, ctx: Context, state: dict | None) -> None:
        self.plan, self.ctx = plan, ctx
        self.i = state["child"] if state else 0
        self.up = plan.children[self.i].open(ctx, state["up"] if state else None) \
            if self.i < len(plan.children) else None

    def state(self) -> dict:
        return {"child": self.i, "up": self.up.state() if self.up is not None else None}

    def next(self) -> pa.Table | None:
        while self.up is not None:
            batch = self.up.next()
            if batch is not None:
                return batch
            self.i += 1
            self.up = self.plan.children[self.i].open(self.ctx, None) if self.i < len(self.plan.children) else None
        return None


@dataclass(frozen=True)
class InterleavePlan(_Multi):
    probabilities: tuple | None = None
    seed: int = 0
    stopping_strategy: str = "first_exhausted"

    def __post_init__(self) -> None:
        if self.stopping_strategy not in STOPPING_STRATEGIES:
            raise InvalidArgumentError("stopping_strategy", f"must be one of {STOPPING_STRATEGIES}, got "
                                       f"{self.stopping_strategy!r}")
        if self.probabilities is not None:
            p = np.asarray(self.probabilities, dtype=float)
            if len(p) != len(self.children) or (p < 0).any() or not np.isclose(p.sum(), 1.0):
                raise InvalidArgumentError("probabilities", f"must be {len(self.children)} non-negative numbers "
                                           f"summing to 1, got {list(self.probabilities)}")

    def open(self, ctx: Context, state: Any) -> Runner:
        return _InterleaveRunner(self, ctx, state)


class _InterleaveRunner(Runner):
    def __init__(self, plan: InterleavePlan, ctx: Context, state: dict | None) -> None:
        self.plan, self.ctx = plan, ctx
        n = len(plan.children)
        states = state["children"] if state else [None] * n
        self.cursors = [self._cursor(i, s) for i, s in enumerate(states)]
        self.exhausted = list(state["exhausted"]) if state else [False] * n
        self.done = state["done"] if state else False
        self.rng = ctx.seed_for(plan.seed, 2) if plan.probabilities is not None else None
        self.block_start = state["block_start"] if state else 0  # cyclic: index of the block's first choice
        if self.rng is not None and state:
            self.rng.bit_generator.state = state["rng"]
        self.rng_before = self.rng.bit_generator.state if self.rng is not None else None
        self.block = self._draw()
        self.used = state["used"] if state else 0

    def _cursor(self, i: int, state: Any) -> Cursor:
        child = self.plan.children[i]
        return Cursor(lambda s: child.open(self.ctx, s), state)

    def _draw(self) -> np.ndarray:
        n = len(self.plan.children)
        if self.rng is None:
            return np.arange(self.block_start, self.block_start + CHOICES_PER_DRAW) % n
        self.rng_before = self.rng.bit_generator.state
        return self.rng.choice(n, size=CHOICES_PER_DRAW, p=np.asarray(self.plan.probabilities, dtype=float))

    def state(self) -> dict:
        return {"children": [c.state() for c in self.cursors], "exhausted": list(self.exhausted),
                "done": self.done, "rng": self.rng_before, "used": self.used, "block_start": self.block_start}

    def _choices(self) -> np.ndarray:
        if self.used >= len(self.block):
            self.block_start += len(self.block)
            self.block, self.used = self._draw(), 0
        return self.block[self.used:self.used + ROWS_PER_BATCH]

    def next(self) -> pa.Table | None:
        n = len(self.cursors)
        strategy = self.plan.stopping_strategy
        drop_out = strategy == "all_exhausted_without_replacement"
        while not self.done:
            raw = self._choices()
            valid = np.flatnonzero(~np.asarray(self.exhausted)[raw]) if drop_out else None
            choices = raw[valid] if drop_out else raw
            k = len(choices)
            counts = np.bincount(choices, minlength=n)
            # one row of look-ahead: an input counts as exhausted as soon as its last row is taken
            avail = np.array([min(self.cursors[j].fill(int(counts[j]) + 1), int(counts[j]) + 1) for j in range(n)])
            order = np.argsort(choices, kind="stable")
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            rank = np.empty(k, dtype=np.int64)
            rank[order] = np.arange(k) - np.repeat(starts, counts)
            left = avail[choices]
            last = (rank == left - 1) & (left <= counts[choices])
            empty = rank >= left
            events = np.flatnonzero(last | empty)
            stop = k
            if len(events):
                e = int(events[0])
                stop = e + 1 if last[e] else e
            out = None
            if stop:
                taken = choices[:stop]
                used_counts = np.bincount(taken, minlength=n)
                parts = [self.cursors[j].take(int(used_counts[j])) for j in range(n) if used_counts[j]]
                order = np.argsort(taken, kind="stable")
                where = np.empty(stop, dtype=np.int64)
                where[order] = np.arange(stop)
                out = concat(parts).take(pa.array(where))
            # choices used up (with drop-out, the skipped choices of exhausted inputs too)
            if drop_out:
                self.used += len(raw) if stop == k else int(valid[stop])
            else:
                self.used += stop
            if len(events):
                j = int(choices[events[0]])
                self.exhausted[j] = True
                if strategy == "first_exhausted" or all(self.exhausted):
                    self.done = True
                elif not drop_out:
                    self.cursors[j] = self._cursor(j, None)
                    if self.cursors[j].fill(1) == 0:  # an empty input can never give its row
                        self.done = True
            if out is not None and out.num_rows:
                return out
        return None


@dataclass(frozen=True)
class ZipPlan(OneShard, _Multi):
    """``concatenate(..., axis=1)``: the columns of every input side by side, row ``i`` with row ``i``.

    The output has as many rows as the longest input; a shorter input's columns are null past its
    end (as in Hugging Face). Rows are paired by position, so the inputs are never sharded or
    reordered on their own: the zip is one shard.
    """

    schemas: tuple = ()  # each input's known Arrow schema (None if unknown): the nulls past its end

    def empty(self) -> Plan:
        from .order import _Empty

        return _Empty(self)

    def open(self, ctx: Context, state: Any) -> Runner:
        return _ZipRunner(self, ctx, state)


class _ZipRunner(Runner):
    def __init__(self, plan: ZipPlan, ctx: Context, state: dict | None) -> None:
        self.cursors = [Cursor(lambda s, c=child: c.open(ctx, s), state["inputs"][i] if state else None)
                        for i, child in enumerate(plan.children)]
        self.schemas: list[pa.Schema | None] = list(plan.schemas or [None] * len(plan.children))

    def state(self) -> dict:
        return {"inputs": [c.state() for c in self.cursors]}

    def next(self) -> pa.Table | None:
        # up to ROWS_PER_BATCH rows from every input: as many as the input with the most buffered has
        want = max(min(c.fill(ROWS_PER_BATCH), ROWS_PER_BATCH) for c in self.cursors)
        if want == 0:
            return None
        parts = []
        for i, c in enumerate(self.cursors):
            part = c.take(want)
            if part is not None:
                self.schemas[i] = part.schema
            schema = self.schemas[i]
            if schema is None:
                raise InvalidArgumentError("dsets", f"input {i} of a column-wise concatenation gave no row and "
                                           "its features are unknown: pass features= to it")
            have = 0 if part is None else part.num_rows
            if have < want:  # past this input's end: nulls
                nulls = pa.table({f.name: pa.nulls(want - have, f.type) for f in schema}, schema=schema)
                part = nulls if part is None else concat([part, nulls])
            parts.append(part)
        names = [n for p in parts for n in p.column_names]
        return pa.Table.from_arrays([col for p in parts for col in p.columns], names=names)
