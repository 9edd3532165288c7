"""TensorFlow: numeric columns become tensors, ragged lists ``tf.RaggedTensor``, strings string tensors.

Ragged tensors are built from the Arrow offsets directly (no per-row Python loop). Integers come
back as ``int64`` and floats as ``float32``, as with HF ``datasets`` (``dtype=`` casts instead).

Example:
    >>> import pyarrow as pa
    >>> TensorFlowFormatter().format_column(pa.table({"a": [[1], [2, 3]]})).shape.as_list()  # doctest: +SKIP
    [2, None]
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .arrays import is_list_type, ragged_parts, to_numpy, uniform_shape
from .base import ColumnFormatter


class TensorFlowFormatter(ColumnFormatter):
    """tensorflow output (tensorflow is imported on first use); ``dtype=`` casts numeric columns."""

    def _dense(self, arr: np.ndarray) -> Any:
        import tensorflow as tf

        if arr.dtype.kind in "mM":
            arr = arr.view(np.int64)
        if arr.dtype == object and arr.size == 0:
            return tf.zeros(arr.shape)  # empty lists of unknown type (Arrow null)
        if arr.dtype == object:
            # Strings/bytes become tf.string; anything else (structs) stays Python.
            if all(isinstance(x, (str, bytes)) for x in arr):
                return tf.constant(arr.tolist(), dtype=tf.string)
            return arr.tolist()
        if arr.dtype.kind in "iuf":
            # HF's tensor types: ints int64, floats float32, whatever width the column is stored in
            arr = arr.astype(np.int64 if arr.dtype.kind in "iu" else np.float32, copy=False)
        out = tf.constant(arr)
        dtype = self.kwargs.get("dtype")
        return tf.cast(out, dtype) if dtype is not None and arr.dtype.kind in "iuf" else out

    def _convert(self, col: pa.ChunkedArray) -> Any:
        import tensorflow as tf

        chunk = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        if is_list_type(chunk.type) and uniform_shape(chunk) is None:
            parts = ragged_parts(chunk)
            if parts is not None:
                values, splits = parts
                return tf.RaggedTensor.from_nested_row_splits(self._dense(values), [tf.constant(s) for s in splits])
        return self._dense(to_numpy(chunk))
