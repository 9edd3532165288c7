"""Resumable positions in a stream: JSON encoding of runner states, and the row-granular cursor.

Every runner of the pipeline can report its position *between two batches* as a small dict
(:meth:`Runner.state`) and re-open there, yielding the same rows (batch boundaries may differ). What lies *inside* a batch (a consumer that
took 300 of its 1000 rows) is one more number: the :class:`Cursor` keeps the state the runner
had before the batch and how many of its rows are used, so any cut point is exact.

States may hold NumPy arrays internally (shuffle-buffer slots); :func:`to_json` turns them
into plain JSON values (base64 of the raw little-endian bytes) and :func:`from_json` back.

Example:
    >>> import numpy as np, json
    >>> s = to_json({"slots": np.arange(3), "n": 2})
    >>> from_json(json.loads(json.dumps(s)))["slots"].tolist()
    [0, 1, 2]
"""
from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pyarrow as pa

_ARRAY_KEY = "__ndarray__"


def to_json(value: Any) -> Any:
    """``value`` with NumPy arrays and scalars replaced by JSON-able values (recursively)."""
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        arr = np.ascontiguousarray(value.astype(value.dtype.newbyteorder("<"), copy=False))
        return {_ARRAY_KEY: base64.b64encode(arr.tobytes()).decode("ascii"), "dtype": arr.dtype.str}
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def from_json(value: Any) -> Any:
    """The inverse of :func:`to_json`."""
    if isinstance(value, dict):
        if _ARRAY_KEY in value:
            return np.frombuffer(base64.b64decode(value[_ARRAY_KEY]), dtype=np.dtype(value["dtype"])).copy()
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def concat(tables: list[pa.Table]) -> pa.Table:
    """Tables of one stream as one table; column types that drifted (int then float) are unified."""
    if len(tables) == 1:
        return tables[0]
    first = tables[0].schema
    if all(t.schema.equals(first, check_metadata=False) for t in tables[1:]):
        return pa.concat_tables([t.replace_schema_metadata(first.metadata) for t in tables])
    return pa.concat_tables(tables, promote_options="permissive")


class Cursor:
    """Reads a runner at row granularity: ``peek(n)`` rows, ``advance(k)`` past them.

    Its state is the runner's state before the first buffered batch plus the rows of that batch
    already consumed; restoring re-opens the runner there and drops those rows.

    Args:
        open_runner: ``state -> Runner`` (``None`` = from the start).
        state: a state from :meth:`state`, or ``None``.
    """

    __slots__ = ("_open", "runner", "_pending", "_befores", "_offset", "exhausted")

    def __init__(self, open_runner: Any, state: dict | None = None) -> None:
        self._open = open_runner
        self._pending: list[pa.Table] = []  # batches pulled and not fully consumed
        self._befores: list[Any] = []  # the runner's state before each of them
        self._offset = 0  # rows of _pending[0] already consumed
        self.exhausted = False
        if state is None:
            self.runner = open_runner(None)
        else:
            self.runner = open_runner(state["before"])
            # Runners promise the same rows after a state, not the same batch boundaries (a Parquet
            # file resumed mid-way starts at a row group): the offset may span several batches.
            left = state["offset"]
            while left:
                before = self.runner.state()
                batch = self.runner.next()
                if batch is None:
                    raise ValueError("the stream no longer matches this state (fewer rows than when it was saved)")
                if batch.num_rows > left:
                    self._pending, self._befores, self._offset = [batch], [before], left
                    break
                left -= batch.num_rows

    def state(self) -> dict:
        if self._pending:
            return {"before": self._befores[0], "offset": self._offset}
        return {"before": self.runner.state(), "offset": 0}

    def available(self) -> int:
        return sum(t.num_rows for t in self._pending) - self._offset

    def fill(self, n: int) -> int:
        """Pull batches until ``n`` rows are buffered or the runner ends; returns the rows buffered."""
        have = self.available()
        while have < n and not self.exhausted:
            before = self.runner.state()
            batch = self.runner.next()
            if batch is None:
                self.exhausted = True
                break
            if batch.num_rows == 0:
                continue
            self._pending.append(batch)
            self._befores.append(before)
            have += batch.num_rows
        return have

    def peek(self, n: int) -> pa.Table | None:
        """Up to ``n`` next rows without consuming them (``None`` at the end)."""
        have = self.fill(n)
        if have == 0:
            return None
        out, need, offset = [], min(n, have), self._offset
        for t in self._pending:
            part = t.slice(offset, need) if offset or t.num_rows > need else t
            out.append(part)
            need -= part.num_rows
            offset = 0
            if need == 0:
                break
        return concat(out)

    def advance(self, k: int) -> None:
        """Consume ``k`` buffered rows."""
        self._offset += k
        while self._pending and self._offset >= self._pending[0].num_rows:
            self._offset -= self._pending[0].num_rows
            self._pending.pop(0)
            self._befores.pop(0)

    def take(self, n: int) -> pa.Table | None:
        """The next ``n`` rows (fewer at the end; ``None`` when nothing is left)."""
        out = self.peek(n)
        if out is not None:
            self.advance(out.num_rows)
        return out

    def next_batch(self) -> pa.Table | None:
        """The rest of the current batch, or the runner's next batch, whole (no copy, no concat)."""
        if self._pending:
            t, off = self._pending[0], self._offset
            self.advance(t.num_rows - off)
            return t.slice(off) if off else t
        if self.exhausted:
            return None
        before = self.runner.state()
        batch = self.runner.next()
        if batch is None:
            self.exhausted = True
        return batch
