"""Column indexes for gathered reads: one vectorized gather per column, whatever the chunking.

Arrow can only ``take`` from one contiguous array; a memory-mapped table has hundreds of
record batches. For the two most common column kinds a small per-table index removes the
per-batch work altogether:

* **text and binary** columns get a *view* index: the column cast to Arrow's
  ``string_view``/``binary_view`` layout, 16 bytes a row that point into the original
  (memory-mapped) data buffers, never copying them. Gathering rows is then a numpy take
  over those 16-byte views plus one cast back, which copies each selected string once.
* **fixed-width** columns (numbers, booleans, dates, decimals...) are small next to the
  text, so they are combined into one contiguous array and gathered with a single take;
  so are lists of them (tokenized ``input_ids`` and masks), while the budget allows.

Indexes are built on the first large gather from a table, cached for that table's
lifetime, and capped at :data:`INDEX_BUDGET_BYTES` per table; columns of other types
(lists, structs) and columns over the budget go through the block-wise path of
:mod:`arrowdata.gather`.

Example:
    >>> import numpy as np, pyarrow as pa
    >>> t = pa.Table.from_batches([pa.record_batch({"s": ["a", "bb"]}), pa.record_batch({"s": [None, "dddddddddddddd"]})])
    >>> idx = column_indexes(t)
    >>> idx["s"].take(np.array([3, 0, 2])).to_pylist()
    ['dddddddddddddd', 'a', None]
"""
from __future__ import annotations

import logging
import weakref
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.types as pat

logger = logging.getLogger(__name__)

#: Most bytes of index kept per table (views: 16 bytes a row, plus a byte for nulls; combined columns: their size).
INDEX_BUDGET_BYTES = 256 * 1024 * 1024

_VIEW_OF = {pa.string(): pa.string_view(), pa.large_string(): pa.string_view(),
            pa.binary(): pa.binary_view(), pa.large_binary(): pa.binary_view()}


class ViewIndex:
    """A text/binary column as 16-byte views into its own data buffers."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        if pat.is_large_string(column.type) or pat.is_large_binary(column.type):
            # Views address bytes with 32-bit offsets: a chunk past 2 GB cannot be viewed.
            if any(len(chunk) and chunk.buffers()[2] is not None and chunk.buffers()[2].size >= 2**31 - 1
                   for chunk in column.chunks):
                raise ValueError("a chunk holds 2 GB or more of data")
        self.out_type = column.type
        self.view_type = _VIEW_OF.get(column.type, column.type)
        viewed = column.cast(self.view_type).combine_chunks()
        buffers = viewed.buffers()
        n = len(viewed)
        self.views = np.frombuffer(buffers[1], dtype=np.int64, count=2 * (viewed.offset + n)).reshape(-1, 2)
        self.views = self.views[viewed.offset:viewed.offset + n]
        self.data = buffers[2:]
        self.valid = (np.asarray(viewed.is_valid().to_numpy(zero_copy_only=False))
                      if viewed.null_count else None)
        self._keep = viewed  # owns the views buffer
        self.nbytes = self.views.nbytes + (self.valid.nbytes if self.valid is not None else 0)

    def take(self, positions: np.ndarray) -> pa.Array:
        views = np.ascontiguousarray(self.views[positions])
        validity = None
        if self.valid is not None:
            validity = pa.py_buffer(np.packbits(self.valid[positions], bitorder="little"))
        gathered = pa.Array.from_buffers(self.view_type, len(positions), [validity, pa.py_buffer(views), *self.data])
        return gathered if self.out_type == self.view_type else gathered.cast(self.out_type)


class FlatIndex:
    """A fixed-width column combined into one contiguous array."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self.array = column.combine_chunks()
        self.nbytes = self.array.nbytes

    def take(self, positions: np.ndarray) -> pa.Array:
        return self.array.take(pa.array(positions))


def _index_kind(arrow_type: pa.DataType) -> Callable[[pa.ChunkedArray], "ViewIndex | FlatIndex"] | None:
    if arrow_type in _VIEW_OF or pat.is_string_view(arrow_type) or pat.is_binary_view(arrow_type):
        return ViewIndex
    if pat.is_dictionary(arrow_type) or isinstance(arrow_type, pa.ExtensionType):
        return None
    if (pat.is_integer(arrow_type) or pat.is_floating(arrow_type) or pat.is_boolean(arrow_type)
            or pat.is_temporal(arrow_type) or pat.is_decimal(arrow_type) or pat.is_fixed_size_binary(arrow_type)):
        return FlatIndex
    if (pat.is_list(arrow_type) or pat.is_large_list(arrow_type)) and _index_kind(arrow_type.value_type) is FlatIndex:
        # Token lists (input_ids, masks): combined, one take copies each gathered row once, where
        # the block path copies it three times (per-batch takes, concatenation, re-ordering).
        return FlatIndex
    return None


def _estimate(column: pa.ChunkedArray, kind: type) -> int:
    if kind is ViewIndex:
        return 17 * len(column)
    return column.nbytes


class _TableIndexes:
    """The indexes built so far for one table, and what is left of its budget."""

    def __init__(self) -> None:
        self.indexes: dict[str, ViewIndex | FlatIndex] = {}
        self.unindexable: set[str] = set()
        self.budget = INDEX_BUDGET_BYTES


# Keyed by id() (Arrow tables are unhashable), dropped when the table is collected.
_cache: dict[int, tuple["weakref.ref[pa.Table]", _TableIndexes]] = {}


def _forget(key: int) -> Callable[[object], None]:
    return lambda _ref: _cache.pop(key, None)


def _entry(table: pa.Table, create: bool) -> _TableIndexes | None:
    key = id(table)
    hit = _cache.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1]
    if not create:
        return None
    entry = _TableIndexes()
    try:
        _cache[key] = (weakref.ref(table, _forget(key)), entry)
    except TypeError:  # not weak-referenceable: the entry lives for this call only
        pass
    return entry


def column_indexes(table: pa.Table, columns: list[str] | None = None,
                   build: bool = True) -> dict[str, "ViewIndex | FlatIndex"]:
    """Indexes of ``table``'s ``columns`` (default: all) that exist or, with ``build``, can be built.

    Each column is indexed once per table, on first request, while the table's budget
    lasts; columns of other types are left out. With ``build=False`` only indexes built
    earlier are returned, so small reads never pay for building one.
    """
    names = table.column_names if columns is None else columns
    entry = _entry(table, create=build)
    if entry is None or len(set(table.column_names)) != table.num_columns:
        return {}
    if build and table.num_rows:
        for name in names:
            if name in entry.indexes or name in entry.unindexable:
                continue
            column = table.column(name)
            kind = _index_kind(column.type)
            if kind is None or _estimate(column, kind) > entry.budget:
                entry.unindexable.add(name)
                continue
            try:
                index = kind(column)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, ValueError) as e:
                # e.g. a large_string chunk past 2 GB cannot be viewed: the block path serves it.
                logger.debug("no gather index for column %r (%s)", name, e)
                entry.unindexable.add(name)
                continue
            entry.budget -= index.nbytes
            entry.indexes[name] = index
    return {name: entry.indexes[name] for name in names if name in entry.indexes}
