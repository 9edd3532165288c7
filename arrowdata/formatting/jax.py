"""JAX: numeric columns become ``jax.Array``, ragged lists lists of arrays, strings lists of str.

JAX has no ragged array type, so variable-length lists come back as Python lists of arrays.
Numbers get HF's types: floats ``float32``, ints ``int32`` (``int64`` with ``jax_enable_x64``).

Example:
    >>> import pyarrow as pa
    >>> JaxFormatter().format_column(pa.table({"a": [1, 2]})).tolist()  # doctest: +SKIP
    [1, 2]
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .arrays import to_numpy
from .base import ColumnFormatter


class JaxFormatter(ColumnFormatter):
    """jax output (jax is imported on first use); ``dtype=`` casts numeric columns."""

    def _array(self, arr: np.ndarray) -> Any:
        import jax.numpy as jnp

        if arr.dtype == object:
            if len(arr) and all(isinstance(x, np.ndarray) and x.dtype != object for x in arr):
                return [self._array(x) for x in arr]
            return arr.tolist()
        if arr.dtype.kind in "US":
            return arr.tolist()
        if arr.dtype.kind in "mM":
            arr = arr.view(np.int64)
        dtype = self.kwargs.get("dtype")
        if dtype is None and arr.dtype.kind in "iuf":
            # HF's array types: floats float32, ints int64 (int32 unless jax runs with x64 enabled)
            import jax

            dtype = np.float32 if arr.dtype.kind == "f" else (np.int64 if jax.config.jax_enable_x64 else np.int32)
        return jnp.asarray(arr, dtype=dtype)

    def _convert(self, col: pa.ChunkedArray) -> Any:
        return self._array(to_numpy(col))
