"""The state of a Dataset handle and the few methods every part of arrowdata builds on.

:class:`DatasetCore` declares the handle's state (typed, see DESIGN.md) and holds
``_from_parts`` / ``_replace`` / ``_take`` / ``_rows`` / ``iter_arrow`` / ``num_rows``. The
mixins (``MapOps``, ``RowOps``, ``ColumnOps``, ``ExportOps``, ``PersistenceOps``...) subclass it,
so readers and type checkers can follow ``self._table`` and ``self._info`` in them; ``Dataset``
(``dataset.py``) combines the mixins and stays the one public class. Nothing here imports a
mixin, ``dataset.py`` or ``dataset_dict.py``.

Example:
    >>> import pyarrow as pa
    >>> core = DatasetCore._from_parts(pa.table({"a": [1, 2, 3]}), fingerprint="0" * 32, indices=[2, 0])
    >>> core.num_rows, core._take([1, 0])["a"].to_pylist(), core.features
    (2, [1, 3], Features({'a': Value(dtype='int64')}))
"""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np
import pyarrow as pa

from .errors import ArrowDataError, CorruptFileError, check_columns
from .features import Features
from .features.inference import fill_opaque, matches_arrow_type
from .formatting import Format
from .gather import iter_take, take
from .info import DatasetInfo
from .projection import Projection, derive

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

_FIELDS = ("table", "indices", "format", "fingerprint", "info", "split", "data_files", "projection")


class DatasetCore:
    """The immutable state of a dataset handle (DESIGN.md, "The Dataset handle") and its core reads."""

    _table: pa.Table  # the whole underlying table, memory-mapped from _data_files or in memory
    _indices: pa.UInt64Array | None  # logical row i is _table row _indices[i]; None = all rows in order
    _format: Format  # output format: type, columns, kwargs, transform
    _fingerprint: str  # content key (32 hex characters)
    _info: DatasetInfo  # description, citation...; features always describe _table's columns exactly
    _split: str | None
    _data_files: list[str]  # the .arrow files _table maps; [] when the table lives in memory
    _projection: Projection | None  # how _table derives from what _data_files open to; None = as opened

    def _init(self, table: pa.Table, fingerprint: str, indices: pa.Array | None, info: DatasetInfo | None,
              split: str | None, fmt: Format | None, data_files: list[str] | None,
              projection: Projection | None) -> None:
        if indices is not None:
            if isinstance(indices, pa.ChunkedArray):
                indices = indices.combine_chunks()
            elif not isinstance(indices, pa.Array):
                indices = pa.array(np.asarray(indices, dtype=np.uint64))
            if indices.type != pa.uint64():
                indices = indices.cast(pa.uint64())
        info = info.copy() if info is not None else DatasetInfo()
        if not _features_fit(info.features, table.schema):
            info.features = _features_for(table, info.features)
        self._table = table
        self._indices = indices
        self._format = fmt or Format()
        self._fingerprint = fingerprint
        self._info = info
        self._split = split
        self._data_files = list(data_files or [])
        # None: ``_table`` is the files' table as opened; else how ``_table`` derives from it.
        self._projection = projection if self._data_files else None

    @classmethod
    def _from_parts(cls, table: pa.Table, *, fingerprint: str, indices: pa.Array | None = None,
                    info: DatasetInfo | None = None, split: str | None = None, format: Format | None = None,
                    data_files: list[str] | None = None, projection: Projection | None = None) -> "Self":
        """Internal constructor used by every part of arrowdata (see DESIGN.md).

        ``table`` must be the table ``data_files`` open to, or ``projection`` applied to it.
        """
        self = cls.__new__(cls)
        self._init(table, fingerprint, indices, info, split, format, data_files, projection)
        return self

    def _replace(self, **changes: Any) -> "Self":
        """A copy with some of the state replaced (keys with or without the leading underscore).

        A new ``table`` without new ``data_files`` keeps the files when it is a column
        projection of this table (renamed, removed, reordered columns, features or metadata
        changed, values untouched: see :mod:`arrowdata.projection`), so the result still
        pickles by path; any other table is in memory (``data_files`` becomes ``[]``). New
        ``data_files`` without a ``projection`` means the table is exactly those files.
        """
        state = {name: getattr(self, "_" + name) for name in _FIELDS}
        given = set()
        for key, value in changes.items():
            name = key.lstrip("_")
            if name not in state:
                raise TypeError(f"_replace: unknown field {key!r}; fields are {list(_FIELDS)}")
            state[name] = value
            given.add(name)
        if "data_files" in given:
            state["projection"] = changes.get("projection", changes.get("_projection"))
        elif "table" in given and "projection" not in given and state["table"] is not self._table:
            derived = self._derive_projection(state["table"])
            state["data_files"], state["projection"] = (self._data_files, derived[1]) if derived[0] else ([], None)
        return type(self)._from_parts(state["table"], fingerprint=state["fingerprint"], indices=state["indices"],
                                      info=state["info"], split=state["split"], format=state["format"],
                                      data_files=state["data_files"], projection=state["projection"])

    def _derive_projection(self, table: pa.Table) -> tuple[bool, Projection | None]:
        """Whether ``table`` (derived from this one) is still a projection of this dataset's files."""
        if not self._data_files:
            return False, None
        return derive([(self._table, self._projection)], table)

    # ------------------------------------------------------------------ attributes
    @contextlib.contextmanager
    def _damage_named(self) -> Iterator[None]:
        """Turn a raw ``UnicodeDecodeError`` from stored strings into a :class:`CorruptFileError` naming the files.

        Opening checks offsets, not every UTF-8 byte (``verify=True`` does), so bytes changed in place in a
        shard surface when values are decoded. A user transform's own errors pass through unchanged.
        """
        try:
            yield
        except UnicodeDecodeError as e:
            if self._format.transform is not None or not self._data_files:
                raise
            raise CorruptFileError(
                f"invalid UTF-8 in a string value read from {', '.join(self._data_files)}: the file was changed "
                f"or damaged after it was written ({e.reason} at byte {e.start}); "
                "load_from_disk(..., verify=True) checks every byte when opening") from e
        except pa.ArrowException as e:
            # numpy/torch formats: Arrow reports a string it cannot turn into a Python object as
            # "Unknown error: Wrapping <value> failed" (the decode error itself is not chained)
            if "Wrapping" not in str(e) or self._format.transform is not None or not self._data_files:
                raise
            raise CorruptFileError(
                f"a string value read from {', '.join(self._data_files)} cannot be decoded (invalid UTF-8?): the "
                "file was changed or damaged after it was written; load_from_disk(..., verify=True) checks every "
                "byte when opening") from e

    @property
    def data(self) -> pa.Table:
        """The underlying Arrow table (indices NOT applied)."""
        return self._table

    @property
    def features(self) -> Features:
        """Column types (a new dict each time, as in HF: scripts ``update`` it to build a ``cast``).

        Example: ``ds.features["label"].names``.
        """
        return Features(self._info.features)

    @property
    def column_names(self) -> list[str]:
        return self._table.column_names

    @property
    def num_columns(self) -> int:
        return self._table.num_columns

    @property
    def num_rows(self) -> int:
        return len(self._indices) if self._indices is not None else self._table.num_rows

    def __len__(self) -> int:
        return self.num_rows

    # ------------------------------------------------------------------ reads
    def _indices_np(self) -> np.ndarray | None:
        """The indices as int64 numpy (zero-copy), or ``None`` when rows are the table in order."""
        return None if self._indices is None else np.asarray(self._indices).view(np.int64)

    def _physical(self, positions: np.ndarray) -> np.ndarray:
        idx = self._indices_np()
        return positions if idx is None else idx[positions]

    def _take(self, positions: np.ndarray, columns: Sequence[str] | None = None) -> pa.Table:
        """Logical rows ``positions`` (non-negative, in range) as a table, gathered block-wise."""
        positions = np.asarray(positions, dtype=np.int64)
        return take(self._table, self._physical(positions), columns)

    def _rows(self, start: int, stop: int, columns: Sequence[str] | None = None) -> pa.Table:
        """Logical rows ``start:stop``: a zero-copy slice when there are no indices."""
        if self._indices is None:
            table = self._table.slice(start, max(0, stop - start))
            return table.select(list(columns)) if columns is not None else table
        return self._take(np.arange(start, stop, dtype=np.int64), columns)

    def iter_arrow(self, batch_size: int, drop_last_batch: bool = False,
                   columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """Arrow tables of ``batch_size`` logical rows, in order.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1, 2, 3]})
            >>> [t.num_rows for t in ds.iter_arrow(2)]
            [2, 1]
        """
        _check_batch_size(batch_size)
        if columns is not None:
            self._check_columns(columns, "columns")
        n = self.num_rows
        if self._indices is None:
            table = self._table.select(list(columns)) if columns is not None else self._table
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                if drop_last_batch and stop - start < batch_size:
                    return
                yield table.slice(start, stop - start)
        else:
            yield from iter_take(self._table, self._indices_np(), batch_size, columns=columns,
                                 drop_last_batch=drop_last_batch)

    def _check_columns(self, columns: Sequence[str], argument: str | None = None) -> None:
        check_columns(self._table.column_names, list(columns), argument)


def _check_batch_size(batch_size: int) -> None:
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ArrowDataError(f"batch_size must be a positive integer, got {batch_size!r}")


def _features_fit(features: Features | None, schema: pa.Schema) -> bool:
    """Whether ``features`` describe exactly the columns of ``schema`` (names, order and types)."""
    if features is None or list(features) != schema.names:
        return False
    return all(matches_arrow_type(features[f.name], f.type) for f in schema)


def _features_for(table: pa.Table, stored: Features | None) -> Features:
    """Features of ``table``: the stored ones where they still fit a column, else inferred."""
    inferred = Features.from_arrow_schema(table.schema)
    if stored:
        for name in inferred:
            if name in stored:
                candidate = fill_opaque(stored[name], table.schema.field(name).type)
                if matches_arrow_type(candidate, table.schema.field(name).type):
                    inferred[name] = candidate
    return inferred
