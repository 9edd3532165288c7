"""NumPy: a batch is a dict of arrays, a row a dict of scalars/arrays, a column an array.

Numeric columns are zero-copy, read-only views of the Arrow data.

Example:
    >>> import pyarrow as pa
    >>> NumpyFormatter().format_batch(pa.table({"a": [1, 2]}))["a"].dtype
    dtype('int64')
"""
from __future__ import annotations


import numpy as np
import pyarrow as pa

from .arrays import to_numpy
from .base import ColumnFormatter


class NumpyFormatter(ColumnFormatter):
    """NumPy output; ``dtype=`` casts numeric columns."""

    def _convert(self, col: pa.ChunkedArray) -> np.ndarray:
        arr = to_numpy(col)
        dtype = self.kwargs.get("dtype")
        if dtype is not None and arr.dtype != object:
            arr = arr.astype(dtype, copy=False)
        return arr

    def format_row(self, table: pa.Table) -> dict:
        # a row's text values are NumPy scalars (np.str_, np.bytes_), as HF's numpy format gives them
        row = super().format_row(table)
        return {k: np.str_(v) if isinstance(v, str) else np.bytes_(v) if isinstance(v, bytes) else v
                for k, v in row.items()}
