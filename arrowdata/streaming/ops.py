"""Per-batch operators: ``map``, ``filter``, column operations, ``batch`` and round-robin steps.

``map``/``filter`` run the same kernels as the map-style side
(:func:`arrowdata.transforms.map_runner.run_map` / ``run_filter``) on each Arrow batch, so
functions see the same arguments and may return the same things. A batched function sees
exactly ``batch_size`` rows (the last batch fewer unless ``drop_last_batch``): the runner
re-cuts its input through a :class:`~arrowdata.streaming.state.Cursor`. Indices
(``with_indices``) count the rows that entered the operator.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.streaming.plan import Context
    >>> from arrowdata.streaming.sources import SourcePlan, TableShard
    >>> src = SourcePlan((TableShard(pa.table({"x": [1, 2, 3]})),))
    >>> plan = MapPlan(src, function=lambda b: {"y": [v * 10 for v in b["x"]]}, batched=True, batch_size=2)
    >>> r = plan.open(Context(), None)
    >>> r.next().column("y").to_pylist(), r.next().column("y").to_pylist()
    ([10, 20], [30])
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from .plan import Context, Plan, Runner
from .state import Cursor


#: rows per kernel call for row-wise functions and expressions
ROWWISE_ROWS = 16_384


class _Shifted:
    """Calls ``function`` with indices counted from ``base`` (the kernels count from the batch)."""

    __slots__ = ("function", "base")

    def __init__(self, function: Callable) -> None:
        self.function, self.base = function, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        *head, idx = args
        if isinstance(idx, list):
            idx = [i + self.base for i in idx]
        else:
            idx = idx + self.base
        return self.function(*head, idx, **kwargs)


def _spec(function: Callable | None, *, with_indices: bool, input_columns: list[str] | None, batched: bool,
          remove_columns: list[str] | None = None, features: Any = None, fn_kwargs: dict | None = None,
          batch_format: str = "python", expression: Any = None) -> Any:
    from ..transforms.map_runner import MapSpec

    return MapSpec(function=_Shifted(function) if with_indices and function is not None else function,
                   with_indices=with_indices, input_columns=input_columns, batched=batched,
                   batch_size=None, remove_columns=list(remove_columns or []), features=features,
                   fn_kwargs=dict(fn_kwargs or {}), batch_format=batch_format or "python", expression=expression)


class _BatchedRunner(Runner):
    """Feeds ``apply(batch, first_index)`` exactly ``batch_size`` rows at a time (or whole input batches)."""

    def __init__(self, plan: Any, ctx: Context, state: dict | None) -> None:
        self.plan = plan
        self.cursor = Cursor(lambda s: plan.child.open(ctx, s), state["cursor"] if state else None)
        self.index = state["index"] if state else 0

    def state(self) -> dict:
        return {"cursor": self.cursor.state(), "index": self.index}

    def next(self) -> pa.Table | None:
        batched = self.plan.batched and self.plan.batch_size is not None and self.plan.batch_size > 0
        while True:
            if batched:
                size = self.plan.batch_size
                batch = self.cursor.take(size)
                if batch is not None and self.plan.drop_last_batch and batch.num_rows < size:
                    return None
            else:
                # Row-wise functions see rows one by one whatever the cut; large calls let the kernel
                # keep the columns the function reads decoded up front from its second batch on.
                batch = self.cursor.take(ROWWISE_ROWS)
            if batch is None:
                return None
            first, self.index = self.index, self.index + batch.num_rows
            out = self.apply(batch, first)
            if out is not None and out.num_rows:
                return out

    def apply(self, batch: pa.Table, first: int) -> pa.Table | None:
        raise NotImplementedError


@dataclass(frozen=True)
class MapPlan(Plan):
    child: Plan
    function: Callable | None = None
    with_indices: bool = False
    input_columns: list | None = None
    batched: bool = False
    batch_size: int | None = 1000
    drop_last_batch: bool = False
    remove_columns: list | None = None
    features: Any = None
    fn_kwargs: dict | None = None
    batch_format: str = "python"

    def open(self, ctx: Context, state: Any) -> Runner:
        return _MapRunner(self, ctx, state)


class _MapRunner(_BatchedRunner):
    def __init__(self, plan: MapPlan, ctx: Context, state: dict | None) -> None:
        super().__init__(plan, ctx, state)
        self.spec = _spec(plan.function, with_indices=plan.with_indices, input_columns=plan.input_columns,
                          batched=plan.batched, remove_columns=plan.remove_columns, features=plan.features,
                          fn_kwargs=plan.fn_kwargs, batch_format=plan.batch_format)

    def apply(self, batch: pa.Table, first: int) -> pa.Table | None:
        from ..transforms.map_runner import run_map
        from ..transforms.outputs import OutputSink

        if self.plan.function is not None:
            if self.plan.with_indices:
                self.spec.function.base = first
            sink = OutputSink(None)
            if run_map(batch, None, 0, batch.num_rows, self.spec, sink):
                return sink.finish()
        # no function, or side effects only: the rows go on unchanged (less remove_columns), as in HF
        return batch.drop_columns([c for c in self.spec.remove_columns if c in batch.column_names])


@dataclass(frozen=True)
class FilterPlan(Plan):
    child: Plan
    function: Callable | None = None
    expression: Any = None
    with_indices: bool = False
    input_columns: list | None = None
    batched: bool = False
    batch_size: int | None = 1000
    fn_kwargs: dict | None = None
    batch_format: str = "python"
    drop_last_batch: bool = False

    def open(self, ctx: Context, state: Any) -> Runner:
        return _FilterRunner(self, ctx, state)


class _FilterRunner(_BatchedRunner):
    def __init__(self, plan: FilterPlan, ctx: Context, state: dict | None) -> None:
        super().__init__(plan, ctx, state)
        self.spec = _spec(plan.function, with_indices=plan.with_indices, input_columns=plan.input_columns,
                          batched=plan.batched, fn_kwargs=plan.fn_kwargs, batch_format=plan.batch_format,
                          expression=plan.expression)

    def apply(self, batch: pa.Table, first: int) -> pa.Table | None:
        from ..transforms.map_runner import run_filter

        if self.plan.with_indices:
            self.spec.function.base = first
        kept = run_filter(batch, None, 0, batch.num_rows, self.spec)
        if len(kept) == batch.num_rows:
            return batch
        from ..gather import take

        return take(batch, kept.astype(np.int64), build_index=False)


@dataclass(frozen=True)
class ColumnsPlan(Plan):
    """A per-batch table function that keeps the rows (rename, select, remove, cast)."""

    child: Plan
    op: Any  # a picklable callable pa.Table -> pa.Table

    @property
    def borrowed(self) -> bool:
        return self.child.borrowed and getattr(self.op, "zero_copy", False)

    def open(self, ctx: Context, state: Any) -> Runner:
        return _ColumnsRunner(self.child.open(ctx, state), self.op)


class _ColumnsRunner(Runner):
    def __init__(self, up: Runner, op: Any) -> None:
        self.up, self.op = up, op

    def state(self) -> Any:
        return self.up.state()

    def next(self) -> pa.Table | None:
        batch = self.up.next()
        return None if batch is None else self.op(batch)


@dataclass(frozen=True)
class Rename:
    mapping: dict
    zero_copy = True  # a view of the same buffers (see Plan.borrowed)

    def __call__(self, t: pa.Table) -> pa.Table:
        return t.rename_columns([self.mapping.get(c, c) for c in t.column_names])


@dataclass(frozen=True)
class Select:
    columns: tuple
    zero_copy = True  # a view of the same buffers (see Plan.borrowed)

    def __call__(self, t: pa.Table) -> pa.Table:
        return t.select(list(self.columns))


@dataclass(frozen=True)
class Remove:
    columns: tuple
    zero_copy = True  # a view of the same buffers (see Plan.borrowed)

    def __call__(self, t: pa.Table) -> pa.Table:
        return t.drop_columns(list(self.columns))


@dataclass(frozen=True)
class Cast:
    features: Any

    def __call__(self, t: pa.Table) -> pa.Table:
        from ..features import cast_table

        return cast_table(t, self.features)


@dataclass(frozen=True)
class Conform:
    """Cast to ``features``, adding the columns a batch lacks as nulls, in the features' order (the
    inputs of ``concatenate``/``interleave`` with different columns)."""

    features: Any

    def __call__(self, t: pa.Table) -> pa.Table:
        from ..features import conform_table

        return conform_table(t, self.features)


@dataclass(frozen=True)
class BatchPlan(Plan):
    """``batch(batch_size)``: each output row holds ``batch_size`` input rows as lists; with
    ``by_column``, each run of consecutive rows sharing that column's value instead."""

    child: Plan
    batch_size: int = 1
    drop_last_batch: bool = False
    by_column: tuple | None = None

    def open(self, ctx: Context, state: Any) -> Runner:
        return _BatchRunner(self, ctx, state)


class _BatchRunner(Runner):
    def __init__(self, plan: BatchPlan, ctx: Context, state: dict | None) -> None:
        self.plan = plan
        self.cursor = Cursor(lambda s: plan.child.open(ctx, s), state)

    def state(self) -> dict:
        return self.cursor.state()

    def _run(self) -> pa.Table | None:
        """The next run of rows with one value in ``by_column`` (read ahead until it ends)."""
        import pyarrow.compute as pc

        want = 1024
        while True:
            rows = self.cursor.peek(want)
            if rows is None:
                return None
            if rows.num_rows > 1:
                n = rows.num_rows
                changed = np.zeros(n - 1, dtype=bool)
                for name in self.plan.by_column:
                    col = rows.column(name)
                    differs = pc.fill_null(pc.not_equal(col.slice(1), col.slice(0, n - 1)), True)
                    nulls = col.is_null().to_numpy(zero_copy_only=False)
                    changed |= differs.to_numpy(zero_copy_only=False) & ~(nulls[1:] & nulls[:-1])  # null == null
                changes = np.flatnonzero(changed)
                if len(changes):
                    n = int(changes[0]) + 1
                    self.cursor.advance(n)
                    return rows.slice(0, n)
            if rows.num_rows < want:  # the stream ended inside this run
                self.cursor.advance(rows.num_rows)
                return rows
            want *= 2

    def next(self) -> pa.Table | None:
        size = self.plan.batch_size
        if self.plan.by_column is not None:
            rows = self._run()
            if rows is None:
                return None
        else:
            rows = self.cursor.take(size)
            if rows is None or (self.plan.drop_last_batch and rows.num_rows < size):
                return None
        offsets = pa.array([0, rows.num_rows], pa.int32())
        cols = [pa.ListArray.from_arrays(offsets, c.combine_chunks()) for c in rows.columns]
        return pa.Table.from_arrays(cols, names=rows.column_names)


@dataclass(frozen=True)
class StepPlan(Plan):
    """Every ``step``-th row starting at ``offset`` (``split_dataset_by_node`` when shards do not divide)."""

    child: Plan
    step: int = 1
    offset: int = 0

    def open(self, ctx: Context, state: Any) -> Runner:
        return _StepRunner(self, ctx, state)


class _StepRunner(Runner):
    def __init__(self, plan: StepPlan, ctx: Context, state: dict | None) -> None:
        self.plan = plan
        self.up = plan.child.open(ctx, state["up"] if state else None)
        self.index = state["index"] if state else 0

    def state(self) -> dict:
        return {"up": self.up.state(), "index": self.index}

    def next(self) -> pa.Table | None:
        while True:
            batch = self.up.next()
            if batch is None:
                return None
            n, first = batch.num_rows, self.index
            self.index += n
            start = (self.plan.offset - first) % self.plan.step
            if start < n:
                out = batch.take(pa.array(np.arange(start, n, self.plan.step)))
                if out.num_rows:
                    return out
