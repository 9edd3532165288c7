"""Features of a stream, known up front (user features, a file's schema) or found on first need.

A stream's column types are only certain once a batch has been read. :class:`LazyFeatures`
reads the first batch of a plan when someone asks (and remembers the answer); operations that
keep the columns share their input's object, column operations derive a new one from it, so
asking after a ``shuffle`` never fills a shuffle buffer.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.streaming.sources import SourcePlan, TableShard
    >>> lazy = LazyFeatures(plan=SourcePlan((TableShard(pa.table({"x": [1]})),)))
    >>> lazy.resolve()
    Features({'x': Value(dtype='int64')})
"""
from __future__ import annotations

from typing import Any, Callable

from .plan import Context


class LazyFeatures:
    """Features now (``known``), from the first batch of ``plan``, or ``fn(parent features)``."""

    def __init__(self, known: Any = None, *, plan: Any = None, parent: "LazyFeatures | None" = None,
                 fn: Callable[[Any], Any] | None = None) -> None:
        self._value, self._plan, self._parent, self._fn = known, plan, parent, fn
        self._done = known is not None or (plan is None and parent is None)

    def resolve(self) -> Any:
        if not self._done:
            if self._parent is not None:
                base = self._parent.resolve()
                self._value = self._fn(base) if base is not None else None
            else:
                from ..features import Features

                runner = self._plan.open(Context(), None)
                batch = runner.next()
                self._value = Features.from_arrow_schema(batch.schema) if batch is not None else None
            self._done = True
        return self._value

    def derive(self, fn: Callable[[Any], Any]) -> "LazyFeatures":
        if self._done:
            return LazyFeatures(fn(self._value) if self._value is not None else None)
        return LazyFeatures(parent=self, fn=fn)
