"""``shuffle(seed, buffer_size)``: shard order drawn per epoch, then a shuffle buffer, resumable exactly.

The buffer works like Hugging Face's: once ``buffer_size`` rows are in, each new row takes the
place of a random one, which goes out. Here one vectorised step handles a whole Arrow batch
(one ``rng.integers`` call for its rows, then a gather), so no Python runs per row.

The buffer holds *positions* (the index of each row in the input stream); the rows themselves
stay in the Arrow batches they came in. Its state is the generator state, those positions and
the input's state just before the oldest batch still referenced. Restoring re-reads the input
from there (on average ``buffer_size * ln(buffer_size)`` rows) and keeps the referenced rows,
so the resumed stream is exactly the uninterrupted one; no row is stored in the state.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.streaming.plan import Context
    >>> from arrowdata.streaming.sources import SourcePlan, TableShard
    >>> src = SourcePlan((TableShard(pa.table({"x": list(range(6))}), batch_rows=2),))
    >>> r = ShufflePlan(src, seed=0, buffer_size=3).open(Context(), None)
    >>> out = []
    >>> while (b := r.next()) is not None: out += b.column("x").to_pylist()
    >>> sorted(out)
    [0, 1, 2, 3, 4, 5]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .plan import Context, Plan, Runner

#: input rows per vectorised step, and rows per output batch while the buffer empties at the end
STEP_ROWS = 4096
DRAIN_ROWS = 4096
#: ...fewer for wide rows: a step's output stays near this many bytes (at least MIN_STEP_ROWS rows)
STEP_BYTES = 4 << 20
MIN_STEP_ROWS = 256


def replace_step(slots: np.ndarray, incoming: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """For each incoming row ``j`` in turn: emit ``slots[picks[j]]`` and put ``incoming[j]`` there.

    Vectorised: a slot picked again within the batch emits the row written there last.
    ``slots`` is updated in place; returns what is emitted, in order.

    Example:
        >>> s = np.array([10, 11]); replace_step(s, np.array([20, 21, 22]), np.array([0, 0, 1])).tolist(), s.tolist()
        ([10, 20, 11], [21, 22])
    """
    n = len(picks)
    if n == 0:
        return picks[:0]
    order = np.lexsort((np.arange(n), picks))  # by slot, then by time
    si = picks[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = si[1:] == si[:-1]
    previous = np.empty(n, dtype=np.int64)
    previous[0] = 0
    previous[1:] = order[:-1]
    emitted = np.empty(n, dtype=slots.dtype)
    emitted[order] = np.where(same, incoming[previous], slots[si])
    last = np.ones(n, dtype=bool)
    last[:-1] = si[1:] != si[:-1]
    slots[si[last]] = incoming[order[last]]
    return emitted


@dataclass(frozen=True)
class ShufflePlan(Plan):
    child: Plan
    seed: int = 0
    buffer_size: int = 1000

    def open(self, ctx: Context, state: Any) -> Runner:
        child = self.child
        if not child.fixed_order:
            child = child.permute_shards(ctx.seed_for(self.seed, 1))
        return _ShuffleRunner(child, self.buffer_size, ctx.seed_for(self.seed, 0), ctx, state,
                              compact=not child.borrowed)


class _Store:
    """Input rows by stream position: the batches still referenced, plus compacted survivors."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, pa.Table]] = []
        self.rows = 0
        self.row_bytes = 0.0  # average bytes per input row, from the last batch added

    def step_rows(self) -> int:
        """Input rows per step: STEP_ROWS, fewer when rows are wide (output near STEP_BYTES)."""
        if self.row_bytes <= 0:
            return STEP_ROWS
        return int(min(STEP_ROWS, max(MIN_STEP_ROWS, STEP_BYTES // self.row_bytes)))

    def add(self, positions: np.ndarray, table: pa.Table) -> None:
        self.parts.append((positions, table))
        self.rows += len(positions)
        if table.num_rows:
            self.row_bytes = table.nbytes / table.num_rows

    def gather(self, positions: np.ndarray, combine: bool = True) -> pa.Table:
        keys = np.concatenate([p for p, _ in self.parts])
        where = np.searchsorted(keys, positions)
        tables = [t for _, t in self.parts]
        if len(tables) > 1:
            first = tables[0].schema
            if all(t.schema.equals(first) for t in tables[1:]):
                table = pa.concat_tables(tables)
            else:
                table = pa.concat_tables(tables, promote_options="permissive")
        else:
            table = tables[0]
        from ..gather import take

        # the store changes every step: no index to reuse
        return take(table, where, combine=combine, build_index=False)

    def keep(self, live: np.ndarray, limit: int | None) -> None:
        """Drop parts no live position refers to; compact into one part past ``limit`` rows (if any)."""
        if not len(live):
            self.parts, self.rows = [], 0
            return
        low = live.min()
        self.parts = [(p, t) for p, t in self.parts if p[-1] >= low]
        self.rows = sum(len(p) for p, _ in self.parts)
        if limit is not None and self.rows > limit:
            ordered = np.sort(live)
            table = self.gather(ordered, combine=False)  # ascending: one piece per source batch, one copy
            self.parts, self.rows = [(ordered, table)], len(ordered)


class _ShuffleRunner(Runner):
    def __init__(self, child: Plan, buffer_size: int, rng: np.random.Generator, ctx: Context,
                 state: dict | None, compact: bool = True) -> None:
        self.size = max(1, int(buffer_size))
        # Input batches that are views of a table held anyway (memory-mapped) are referenced, never
        # copied. Others (decoded files, map outputs) are compacted to the live rows once the
        # batches kept reach about twice the buffer: at most one extra copy per row on average.
        self.limit = 2 * self.size + 2 * STEP_ROWS if compact else None
        self.rng = rng
        self.store = _Store()
        self.checkpoints: list[tuple[int, Any]] = []  # (stream position, input state before that batch)
        if state is None:
            self.up = child.open(ctx, None)
            self.slots = np.zeros(0, dtype=np.int64)
            self.pos, self.drain, self.ended = 0, None, False
            self.pending = np.zeros(0, dtype=np.int64)
            return
        self.rng.bit_generator.state = state["rng"]
        self.slots = np.asarray(state["slots"], dtype=np.int64)
        self.drain = None if state["drain"] is None else np.asarray(state["drain"], dtype=np.int64)
        self.ended = state["ended"]
        self.pos = state["ckpt"]["pos"]
        self.up = child.open(ctx, state["ckpt"]["up"])
        while self.pos < state["pos"]:  # replay: the input from the oldest referenced batch
            pulled = self._pull()
            if pulled is None:
                raise ValueError("the stream no longer matches this state (fewer rows than when it was saved)")
        # the input may be cut differently on replay: rows past the saved position are still to come
        self.pending = np.arange(state["pos"], self.pos, dtype=np.int64)
        self._trim()

    def _live(self) -> np.ndarray:
        """Positions whose rows are still needed: in the buffer (or draining), or pulled and not yet in."""
        live = self.slots if self.drain is None else self.drain
        return np.concatenate([live, self.pending]) if len(self.pending) else live

    def state(self) -> dict:
        live = self._live()
        low = int(live.min()) if len(live) else self.pos
        ckpt = (self.pos, self.up.state())
        for start, up in self.checkpoints:  # the last batch starting at or before the oldest live row
            if start <= low:
                ckpt = (start, up)
            else:
                break
        return {"rng": self.rng.bit_generator.state, "slots": self.slots.copy(),
                "drain": None if self.drain is None else self.drain.copy(), "ended": self.ended,
                "pos": self.pos - len(self.pending), "ckpt": {"pos": ckpt[0], "up": ckpt[1]}}

    def _pull(self) -> np.ndarray | None:
        before = self.up.state()
        batch = self.up.next()
        if batch is None:
            return None
        positions = np.arange(self.pos, self.pos + batch.num_rows, dtype=np.int64)
        self.checkpoints.append((self.pos, before))
        self.store.add(positions, batch)
        self.pos += batch.num_rows
        return positions

    def _trim(self) -> None:
        live = self._live()
        low = int(live.min()) if len(live) else self.pos
        keep = 0
        for i, (start, _) in enumerate(self.checkpoints):
            if start <= low:
                keep = i
        del self.checkpoints[:keep]
        self.store.keep(live, self.limit)

    def next(self) -> pa.Table | None:
        while self.drain is None:
            incoming: np.ndarray | None = None
            if len(self.pending):
                incoming, self.pending = self.pending, self.pending[:0]
            # a step takes step_rows() input rows: few, large gathers of bounded size (the step is
            # row-exact, so where steps are cut changes nothing); rows pulled beyond wait in pending
            step = self.store.step_rows()
            while not self.ended and (incoming is None or len(incoming) < step):
                pulled = self._pull()
                if pulled is None:
                    self.ended = True
                    break
                incoming = pulled if incoming is None else np.concatenate([incoming, pulled])
                step = self.store.step_rows()
            if incoming is not None and len(incoming) > step:
                incoming, self.pending = incoming[:step], incoming[step:]
            if incoming is None:
                self.drain = self.slots[self.rng.permutation(len(self.slots))]
                break
            room = self.size - len(self.slots)
            if room > 0:
                self.slots = np.concatenate([self.slots, incoming[:room]])
                incoming = incoming[room:]
            if len(incoming):
                emitted = replace_step(self.slots, incoming, self.rng.integers(0, self.size, size=len(incoming)))
                out = self.store.gather(emitted)
                self._trim()
                return out
        if not len(self.drain):
            return None
        rows = min(DRAIN_ROWS, self.store.step_rows())
        emitted, self.drain = self.drain[:rows], self.drain[rows:]
        out = self.store.gather(emitted)
        self._trim()
        return out
