"""Dataset methods that regroup rows: ``batch`` (rows into list-valued rows) and ``repeat``.

Both are vectorized over Arrow: ``batch`` builds each list column from the column's values
and one offsets array (no Python per row, no ``map`` pass), ``repeat`` repeats the row
indices over the same table (no data copied). Fingerprints derive from the parent's.

Example:
    >>> from arrowdata import Dataset
    >>> ds = Dataset.from_dict({"x": [1, 2, 3, 4, 5]})
    >>> ds.batch(2)["x"]
    [[1, 2], [3, 4], [5]]
    >>> ds.repeat(2)["x"]
    [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..dataset_core import DatasetCore
from ..features import Features, List, cast_table
from .derive import InvalidArgumentError, as_name_list, check_columns
from .derive import new_fingerprint as derived_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset


def _positive(value: Any, argument: str) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise InvalidArgumentError(argument, f"must be a positive integer, got {value!r}")
    return int(value)


def _run_starts(table: pa.Table, columns: list[str]) -> np.ndarray:
    """Positions where a run of equal values (over ``columns`` together) starts."""
    n = table.num_rows
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for name in columns:
        col = table.column(name)
        if n > 1:
            a, b = col.slice(0, n - 1), col.slice(1, n - 1)
            differs = pc.fill_null(pc.not_equal(a, b), True)
            both_null = pc.and_(pc.is_null(a), pc.is_null(b))
            differs = pc.and_(differs, pc.invert(both_null))
            change[1:] |= np.asarray(differs.to_numpy(zero_copy_only=False), dtype=bool)
    return np.flatnonzero(change)


class GroupOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: batch, repeat."""

    def batch(self, batch_size: int | None = None, by_column: str | list[str] | None = None,
              drop_last_batch: bool = False, num_proc: int | None = None,
              new_fingerprint: str | None = None) -> "Dataset":
        """Group rows into batches: each row of the result holds a list of ``batch_size`` values per column.

        Args:
            batch_size: rows per batch (the last one may be shorter).
            by_column: instead, group runs of consecutive rows that share the value(s) of this column
                (or these columns); ``batch_size`` is then ignored, as in HF.
            drop_last_batch: drop a last batch shorter than ``batch_size``.
            num_proc: accepted for HF scripts (the grouping is vectorized: one process is enough).
            new_fingerprint: use this fingerprint instead of deriving one.

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"k": [1, 1, 2], "v": ["a", "b", "c"]}).batch(by_column="k")["v"]
            [['a', 'b'], ['c']]
        """
        if batch_size is None and by_column is None:
            raise InvalidArgumentError("batch_size", "give batch_size or by_column")
        table = self._rows(0, self.num_rows)
        n = table.num_rows
        if by_column is not None:
            columns = as_name_list(by_column, "by_column")
            check_columns(table.column_names, columns, "by_column")
            starts = _run_starts(table, columns)
            args: dict[str, Any] = {"by_column": columns}
        else:
            size = _positive(batch_size, "batch_size")
            starts = np.arange(0, n, size, dtype=np.int64)
            if drop_last_batch and n % size:
                starts, n = starts[:-1], n - n % size
            args = {"batch_size": size, "drop_last_batch": bool(drop_last_batch)}
        offsets = pa.array(np.append(starts, n).astype(np.int32 if n < 2**31 else np.int64))
        make = pa.ListArray if offsets.type == pa.int32() else pa.LargeListArray
        columns_out = [make.from_arrays(offsets, table.column(name).slice(0, n).combine_chunks())
                       for name in table.column_names]
        features = Features({k: List(v) for k, v in self.features.items()})
        out = pa.Table.from_arrays(columns_out, names=table.column_names)

        out = cast_table(out, features)
        info = self._info.copy()
        info.features = features
        return self._from_parts(out, fingerprint=derived_fingerprint(self, "batch", args, new_fingerprint),
                                info=info, split=self._split, format=self._format)

    def repeat(self, num_times: int) -> "Dataset":
        """The rows ``num_times`` times over (``0`` or less: no rows), by repeating indices: no data is copied.

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"a": [1, 2]}).repeat(3)["a"]
            [1, 2, 1, 2, 1, 2]
        """
        if num_times is None:
            raise InvalidArgumentError("num_times", "map-style datasets cannot repeat forever; give a count "
                                                    "(or use to_iterable_dataset().repeat(None))")
        if not isinstance(num_times, (int, np.integer)) or isinstance(num_times, bool):
            raise InvalidArgumentError("num_times", f"must be an integer, got {num_times!r}")
        num_times = max(int(num_times), 0)  # as HF: zero or fewer times is no rows
        current = self._indices_np()
        base = np.arange(self._table.num_rows, dtype=np.int64) if current is None else current
        if int(num_times) == 1:
            return self
        physical = np.tile(base, int(num_times))
        return self._replace(_indices=pa.array(physical.astype(np.uint64), type=pa.uint64()),
                             _fingerprint=derived_fingerprint(self, "repeat", {"num_times": int(num_times)}))
