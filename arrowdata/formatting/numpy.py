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
