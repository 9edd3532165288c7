"""PyTorch: numeric columns become tensors, ragged lists lists of tensors, strings lists of str.

Tensors are copies by default: a tensor viewing a read-only memory map would crash the
interpreter on an in-place write. ``with_format("torch", zero_copy=True)`` shares memory
instead (treat those tensors as read-only). ``dtype=`` casts numeric columns.

Example:
    >>> import pyarrow as pa
    >>> TorchFormatter().format_column(pa.table({"a": [1, 2]})).tolist()
    [1, 2]
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pyarrow as pa

from .arrays import to_numpy
from .base import ColumnFormatter


class TorchFormatter(ColumnFormatter):
    """torch output (torch is imported on first use)."""

    def _tensor(self, arr: np.ndarray) -> Any:
        import torch

        if arr.dtype == object:
            if len(arr) and all(isinstance(x, np.ndarray) and x.dtype != object for x in arr):
                return [self._tensor(x) for x in arr]
            return arr.tolist()
        if arr.dtype.kind in "US":
            return arr.tolist()
        if arr.dtype.kind in "mM":
            arr = arr.view(np.int64)
        if self.kwargs.get("zero_copy"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "array is not writable": documented above
                out = torch.from_numpy(arr)
        else:
            out = torch.from_numpy(np.array(arr, copy=True))
        dtype = self.kwargs.get("dtype")
        return out.to(dtype) if dtype is not None and (out.is_floating_point() or not dtype.is_floating_point) else out

    def _convert(self, col: pa.ChunkedArray) -> Any:
        return self._tensor(to_numpy(col))
