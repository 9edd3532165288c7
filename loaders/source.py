"""Reading logical rows out of a dataset for the loaders.

A loader accepts an :class:`arrowdata.Dataset` (read through its contract: ``data``, ``_indices``,
the gather function behind ``_take``) or a plain ``pa.Table``. Contiguous runs of rows are read
as zero-copy slices of the memory map; anything else goes through one vectorized gather.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arrowdata import gather

from .errors import LoaderError


class RowSource:
    """Logical rows of ``dataset`` (an arrowdata ``Dataset`` or a ``pa.Table``).

    Pickles as the dataset does (a memory-mapped Dataset by path), plus nothing else: the
    numpy view of the indices is rebuilt lazily after unpickling.

    Example:
        >>> import pyarrow as pa
        >>> RowSource(pa.table({"a": [1, 2, 3]})).read([2, 0], ["a"]).column("a").to_pylist()
        [3, 1]
    """

    def __init__(self, dataset: Any) -> None:
        if isinstance(dataset, pa.RecordBatch):
            dataset = pa.Table.from_batches([dataset])
        if not isinstance(dataset, pa.Table) and not (hasattr(dataset, "data") and hasattr(dataset, "_indices")):
            raise LoaderError(f"dataset must be an arrowdata Dataset or a pyarrow Table, got {type(dataset).__name__}")
        self.dataset = dataset
        self._physical: np.ndarray | None = None
        self._selected: dict[tuple[str, ...], pa.Table] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"dataset": self.dataset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["dataset"])

    @property
    def table(self) -> pa.Table:
        """The underlying table (indices not applied)."""
        return self.dataset if isinstance(self.dataset, pa.Table) else self.dataset.data

    @property
    def indices(self) -> np.ndarray | None:
        """Logical → physical row numbers, or None when the table is read in order."""
        if isinstance(self.dataset, pa.Table) or self.dataset._indices is None:
            return None
        if self._physical is None:
            idx = self.dataset._indices
            if isinstance(idx, pa.ChunkedArray):
                idx = idx.combine_chunks()
            self._physical = np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)
        return self._physical

    @property
    def schema(self) -> pa.Schema:
        return self.table.schema

    def __len__(self) -> int:
        idx = self.indices
        return self.table.num_rows if idx is None else len(idx)

    def read(self, positions: np.ndarray | Sequence[int], columns: Sequence[str] | None = None) -> pa.Table:
        """Logical rows ``positions`` (in that order) of ``columns``."""
        positions = np.asarray(positions, dtype=np.int64)
        idx = self.indices
        physical = positions if idx is None else idx[positions]
        table = self._columns(columns)
        n = len(physical)
        if n and physical[-1] - physical[0] == n - 1 and (n < 3 or np.all(np.diff(physical) == 1)):
            return table.slice(int(physical[0]), n)  # zero-copy window of the memory map
        return gather.take(table, physical)

    def _columns(self, columns: Sequence[str] | None) -> pa.Table:
        """The table restricted to ``columns``, kept: the gather caches its block layout per table object."""
        if columns is None:
            return self.table
        key = tuple(columns)
        table = self._selected.get(key)
        if table is None:
            table = self._selected[key] = self.table.select(list(columns))
        return table

    def lengths(self, column: str) -> np.ndarray:
        """Length of list column ``column`` for every logical row (vectorized over the whole column)."""
        if column not in self.schema.names:
            raise LoaderError(f"length column {column!r} is not in the dataset; it has {self.schema.names}")
        col_type = self.schema.field(column).type
        if not (pa.types.is_list(col_type) or pa.types.is_large_list(col_type)):
            raise LoaderError(f"length column {column!r} must be a list column (e.g. input_ids), it is {col_type}")
        lengths = pc.fill_null(pc.list_value_length(self.table.column(column)), 0)
        lengths = np.asarray(lengths.to_numpy(), dtype=np.int64)
        idx = self.indices
        return lengths if idx is None else lengths[idx]
