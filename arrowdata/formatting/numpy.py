"""NumPy: a batch is a dict of arrays, a row a dict of scalars/arrays, a column an array.

Numeric columns are zero-copy, read-only views of the Arrow data.

Example:
    >>> import pyarrow as pa
    >>> NumpyFormatter().format_batch(pa.table({"a": [1, 2]}))["a"].dtype
    dtype('int64')
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .arrays import to_numpy
from .base import Formatter


class NumpyFormatter(Formatter):
    """NumPy output; ``dtype=`` casts numeric columns."""

    def _convert(self, col: pa.ChunkedArray) -> np.ndarray:
        arr = to_numpy(col)
        dtype = self.kwargs.get("dtype")
        if dtype is not None and arr.dtype != object:
            arr = arr.astype(dtype, copy=False)
        return arr

    def format_row(self, table: pa.Table) -> dict[str, Any]:
        return {name: self._convert(col)[0] for name, col in zip(table.column_names, table.columns)}

    def format_batch(self, table: pa.Table) -> dict[str, np.ndarray]:
        return {name: self._convert(col) for name, col in zip(table.column_names, table.columns)}

    def format_column(self, table: pa.Table) -> np.ndarray:
        return self._convert(table.column(0))
