"""PyTorch: numeric columns become tensors, ragged lists lists of tensors, strings lists of str.

Tensors are copies by default: a tensor viewing a read-only memory map would crash the
interpreter on an in-place write. ``with_format("torch", zero_copy=True)`` shares memory
instead (treat those tensors as read-only). ``dtype=`` casts numeric columns.

Integers come back as ``int64`` and floats as ``float32`` whatever their stored width, as with
HF ``datasets``: tokenizer columns are stored as ``int32``/``int8``, and ``nn.Embedding`` or a
cross-entropy loss refuses ``int8``/``int32`` tensors. ``zero_copy=True`` keeps the stored type
(a cast would be a copy).

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


# HF's default tensor types, by numpy kind: signed and unsigned ints to int64, floats to float32
# (uint64 too, as HF does: torch has no uint64 that a model could take).
_DEFAULT_WIDTH = {"i": np.dtype(np.int64), "u": np.dtype(np.int64), "f": np.dtype(np.float32)}


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
            out = torch.from_numpy(np.array(arr, dtype=_DEFAULT_WIDTH.get(arr.dtype.kind, arr.dtype), copy=True))
        dtype = self.kwargs.get("dtype")
        return out.to(dtype) if dtype is not None and (out.is_floating_point() or not dtype.is_floating_point) else out

    def _convert(self, col: pa.ChunkedArray) -> Any:
        return self._tensor(to_numpy(col))
