"""What a ``map``/``filter`` function receives: the ``batch_format`` registry.

``batch_format`` names a registered formatter (``arrowdata.formatting``): ``"python"``
(dicts of lists, the default), ``"numpy"``, ``"arrow"`` (a ``pyarrow.Table``),
``"pandas"``, ``"polars"``, and any format registered later (``"torch"``...). A
vectorized function receiving Arrow or NumPy data never touches Python objects.

With ``input_columns``, the function receives one argument per column instead of one
batch: a list / array / ``pyarrow.ChunkedArray`` / ``Series`` in the chosen format.

Example:
    >>> import pyarrow as pa
    >>> dict(format_batch(pa.table({"a": [1, 2]}), "python"))
    {'a': [1, 2]}
    >>> format_batch(pa.table({"a": [1, 2], "b": [3, 4]}), "arrow", ["b"])[0].to_pylist()
    [3, 4]
"""
from __future__ import annotations

import functools
import sys
from collections import deque
from collections.abc import MutableMapping
from itertools import repeat
from operator import setitem
from typing import Any, Iterator

import pyarrow as pa

from ..features.json_values import decode_values, json_features_of_schema
from ..formatting import get_formatter
from ..formatting.base import canonical_format_name


@functools.lru_cache(maxsize=None)
def _formatter(name: str):
    # Formatters without features or options hold no state: one instance serves every batch.
    return get_formatter(name)


def check_batch_format(batch_format: str) -> str:
    """The canonical name of ``batch_format``; an unknown one raises ``UnknownNameError`` listing the known ones."""
    return canonical_format_name(batch_format) or "python"


def python_column(table: pa.Table, name: str) -> list:
    """Column ``name`` of ``table`` as Python values (``Json`` columns parsed, as HF hands them to functions)."""
    values = table.column(name).to_pylist()
    feature = json_features_of_schema(table.schema).get(name)
    return values if feature is None else decode_values(values, feature)


class _LazyColumns(MutableMapping):
    """A dict-like view of Arrow columns that turns a column into Python objects on first access.

    A predicate that reads ``label`` never pays for decoding a ``text`` column. Writes and
    deletions are kept on top, so ``batch["new"] = ...; return batch`` works as with a dict.
    """

    __slots__ = ("_table", "_decoded", "_written", "_deleted")

    def __init__(self, table: pa.Table, decoded: dict[str, list]) -> None:
        self._table, self._decoded = table, decoded
        self._written: dict[str, Any] = {}
        self._deleted: set[str] = set()

    def _column(self, key: str) -> list:
        col = self._decoded.get(key)
        if col is None:
            if key not in self._table.column_names:
                raise KeyError(key)
            col = self._decoded[key] = python_column(self._table, key)
        return col

    def __setitem__(self, key: str, value: Any) -> None:
        self._written[key] = value
        self._deleted.discard(key)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._written.pop(key, None)
        self._deleted.add(key)

    def __iter__(self) -> Iterator[str]:
        for name in self._table.column_names:
            if name not in self._deleted:
                yield name
        for name in self._written:
            if name not in self._table.column_names:
                yield name

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return key not in self._deleted and (key in self._written or key in self._table.column_names)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class LazyBatch(_LazyColumns):
    """A batch as a dict of lists, decoded column by column when read."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        if key in self._written:
            return self._written[key]
        if key in self._deleted:
            raise KeyError(key)
        return self._column(key)


def _refcount_alone() -> int | None:
    """What ``sys.getrefcount`` reports, through ``map``, for an object only a list refers to."""
    getrefcount = getattr(sys, "getrefcount", None)
    return None if getrefcount is None else max(map(getrefcount, [object()]))


#: ``None`` where reference counts cannot be read: every batch is then taken to have escaped rows.
_ALONE = _refcount_alone()


def _escaped(rows: list) -> bool:
    """Whether anything besides ``rows`` still refers to one of its rows (the function kept it).

    A C-level scan of reference counts costs a fraction of indexing every row by id, and it can
    only err towards "escaped": a row held elsewhere always counts more than one held by the list.
    """
    return _ALONE is None or bool(rows) and max(map(sys.getrefcount, rows)) > _ALONE


class _RowSource:
    """What the rows of one batch share: the table, its decoded columns, and which columns are hot."""

    __slots__ = ("table", "decoded", "hot", "rows", "_index")

    def __init__(self, table: pa.Table, hot: set[str]) -> None:
        self.table, self.hot = table, hot
        self.decoded: dict[str, list] = {}
        self.rows: list = []
        self._index: dict[int, int] | None = None

    def position(self, row: "LazyRow") -> int:
        """The row's index in its batch; built on first need, so creating rows stores nothing per row."""
        if self._index is None:
            self._index = dict(zip(map(id, self.rows), range(len(self.rows))))
        return self._index[id(row)]

    def release(self) -> bool:
        """Drop the batch's rows once the function is done with them; returns whether none escaped.

        Each batch's row class refers to this source, so a source holding its rows would form a
        cycle only the garbage collector could free: rows would pile up and every collection
        would walk them. When the function kept some row, the index (ids, no rows) is kept so
        that row still finds its position; usually none did, and the index is never built.
        The list is emptied in place, so the rows go as soon as the function is done with them.
        """
        rows, self.rows = self.rows, []
        escaped = _escaped(rows)
        if escaped and self._index is None:
            self._index = dict(zip(map(id, rows), range(len(rows))))
        elif not escaped:
            self._index = None
        rows.clear()
        return not escaped

    def column(self, key: str) -> list:
        col = self.decoded.get(key)
        if col is None:
            if key not in self.table.column_names:
                raise KeyError(key)
            col = self.decoded[key] = python_column(self.table, key)
        return col


class LazyRow(dict):
    """A row as a real ``dict`` holding the columns functions have read so far ("hot" ones);
    any other column is fetched on first use (``__missing__``) and becomes hot for the next
    batches. Reads of hot columns are plain dict lookups, so a predicate over ``label`` runs
    at dict speed and never decodes ``text``. Iteration and ``len`` see every column.
    """

    # Each batch gets a subclass whose class attribute ``_src`` is the batch's _RowSource: a row
    # is then created as fast as a plain dict, with no per-row attribute.
    _src: _RowSource

    def __missing__(self, key: str) -> Any:
        src = self._src
        value = src.column(key)[src.position(self)]
        src.hot.add(key)
        dict.__setitem__(self, key, value)
        return value

    def _names(self) -> list[str]:
        names = list(self._src.table.column_names)
        return names + [k for k in dict.keys(self) if k not in set(names)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._src.table.column_names

    def keys(self):  # type: ignore[override]
        return self._names()

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in self._names()]

    def values(self):  # type: ignore[override]
        return [self[k] for k in self._names()]

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def copy(self) -> dict:  # type: ignore[override]
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def written(self) -> dict[str, Any]:
        """What the function set: new keys, columns given a different object than they had, and
        containers (lists, dicts), which the function may have changed in place."""
        src = self._src
        i = src.position(self)
        out = {}
        for key, value in dict.items(self):
            col = src.decoded.get(key)
            if col is None or col[i] is not value or isinstance(value, (list, dict)):
                out[key] = value
        return out


def format_batch(table: pa.Table, batch_format: str, input_columns: list[str] | None = None) -> Any:
    """``table`` as the function's argument(s): one batch, or a tuple of columns when ``input_columns`` is set.

    The python format gives a lazy dict of lists: only the columns the function reads are decoded.
    """
    name = check_batch_format(batch_format)
    if input_columns is not None:
        table = table.select(input_columns)
    if name == "python" and input_columns is None:
        return LazyBatch(table, {})
    if name == "python":
        return tuple(python_column(table, c) for c in input_columns)
    formatted = _formatter(name).format_batch(table)
    if input_columns is None:
        return formatted
    return tuple(formatted[c] for c in input_columns)


class RowBatches:
    """Makes the :class:`LazyRow` rows of the successive batches of one ``map``/``filter`` call.

    The batches share the set of hot columns, and one row class for as long as no row outlives
    its batch: creating a class per batch costs more than the rows of a small batch, and every
    class is a cycle left to the garbage collector. A batch whose rows escaped keeps its class
    (its rows still read through it) and the next batch gets a new one.
    """

    __slots__ = ("hot", "_free")

    def __init__(self, hot: set[str] | None = None) -> None:
        self.hot = hot if hot is not None else set()
        self._free: type | None = None  # a row class no live row uses

    def rows(self, table: pa.Table) -> list:
        """The rows of ``table``; hand them to :meth:`release` when the function is done with them."""
        src = _RowSource(table, self.hot)
        names = [n for n in table.column_names if n in src.hot]
        columns = [src.column(n) for n in names]
        row_type, self._free = self._free, None
        if row_type is None:
            row_type = type("LazyRow", (LazyRow,), {"_src": src})
        else:
            row_type._src = src
        # All C-level loops: empty instances, then one column at a time. ``operator.setitem`` reaches
        # dict's own slot (LazyRow does not override ``__setitem__``) and is about twice as fast as
        # building each row from pairs.
        rows = list(map(_new_dict, repeat(row_type, table.num_rows)))
        for name, col in zip(names, columns):
            deque(map(setitem, rows, repeat(name), col), 0)
        src.rows = rows
        return rows

    def release(self, rows: list) -> None:
        """Let the batch's rows be freed as soon as nothing else holds them (empties ``rows``)."""
        if rows and isinstance(rows[0], LazyRow):
            row_type = type(rows[0])
            if row_type._src.release():
                self._free = row_type


_new_dict = dict.__new__


def release_rows(rows: list) -> None:
    """Let a batch of :func:`format_rows` rows be freed as soon as nothing else holds them (empties ``rows``)."""
    if rows and isinstance(rows[0], LazyRow):
        rows[0]._src.release()


def format_rows(table: pa.Table, input_columns: list[str] | None = None, hot: set[str] | None = None,
                batches: RowBatches | None = None):
    """Rows of ``table`` as :class:`LazyRow` dicts (or tuples of values with ``input_columns``).

    ``hot`` (shared across the batches of one call) names the columns decoded up front; a row
    reading another column decodes it for the whole batch and adds it to ``hot``. ``batches``
    (one per call, its ``hot`` used instead) also reuses the row class between batches. Call
    ``release_rows(rows)`` (or ``batches.release(rows)``) when the function is done with them.
    """
    if input_columns is not None:
        values = [python_column(table, n) for n in input_columns]
        return list(zip(*values)) if values else [() for _ in range(table.num_rows)]
    return (batches if batches is not None else RowBatches(hot)).rows(table)
