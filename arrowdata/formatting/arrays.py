"""Arrow arrays to NumPy, shared by the numpy, torch, tensorflow and jax formats.

Fixed-width numeric columns without nulls come back zero-copy (read-only views of the
Arrow buffers, hence of the memory map). Lists whose rows all have the same shape come
back as one n-D array (a reshaped view of the values); ragged lists as an object array
of per-row arrays.

Example:
    >>> import pyarrow as pa
    >>> to_numpy(pa.array([[1, 2], [3, 4]])).shape
    (2, 2)
    >>> [a.tolist() for a in to_numpy(pa.array([[1], [2, 3]]))]
    [[1], [2, 3]]
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.types as pat


def is_list_type(t: pa.DataType) -> bool:
    return pat.is_list(t) or pat.is_large_list(t) or pat.is_fixed_size_list(t) or pat.is_list_view(t)


def is_numeric_type(t: pa.DataType) -> bool:
    """Types whose Arrow buffer is exactly a NumPy buffer (zero-copy possible)."""
    return pat.is_integer(t) or pat.is_floating(t)


def _combine(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 1:
            return array.chunk(0)
        return array.combine_chunks() if array.num_chunks else pa.array([], type=array.type)
    return array


def _offsets(array: pa.Array) -> np.ndarray:
    offsets = np.asarray(array.offsets)
    return offsets - offsets[0] if len(offsets) else offsets


def uniform_shape(array: pa.Array) -> tuple[int, ...] | None:
    """The per-row shape when every row of a (nested) list array has the same shape, else None."""
    if not is_list_type(array.type):
        return ()
    if array.null_count:
        return None
    if pat.is_fixed_size_list(array.type):
        size = array.type.list_size
    else:
        lengths = np.diff(_offsets(array))
        if len(lengths) == 0:
            return None
        size = int(lengths[0])
        if not (lengths == size).all():
            return None
    inner = uniform_shape(array.flatten())
    return None if inner is None else (size, *inner)


def to_numpy(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """One NumPy array for an Arrow column (see module docstring for the rules)."""
    array = _combine(array)
    t = array.type
    if isinstance(array, pa.ExtensionArray):
        return to_numpy(array.storage)
    if is_numeric_type(t) and array.null_count == 0:
        return array.to_numpy(zero_copy_only=True)
    if is_list_type(t):
        shape = uniform_shape(array)
        if shape is not None and len(array):
            leaf = array
            for _ in shape:
                leaf = leaf.flatten()
            return to_numpy(leaf).reshape((len(array), *shape))
        return _ragged_to_numpy(array)
    return array.to_numpy(zero_copy_only=False)


def _ragged_to_numpy(array: pa.Array) -> np.ndarray:
    out = np.empty(len(array), dtype=object)
    if len(array) == 0:
        return out
    if array.null_count:
        for i in range(len(array)):
            out[i] = None if not array[i].is_valid else to_numpy(array[i].values)
        return out
    offsets = _offsets(array)
    # One conversion of all values, then views cut at the offsets (no per-row Arrow objects).
    values = to_numpy(array.flatten())
    # Item by item: a slice assignment would let NumPy fuse equal-length parts into a 2-D array.
    for i, part in enumerate(np.split(values, offsets[1:-1]) if len(array) > 1 else [values]):
        out[i] = part
    return out


def ragged_parts(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """``(flat values, [row_splits per nesting level])`` of a nested list array without nulls.

    This is exactly what ``tf.RaggedTensor.from_nested_row_splits`` takes, so ragged text
    tokens reach TensorFlow without a per-row Python loop. ``None`` when there are nulls.
    """
    array = _combine(array)
    splits = []
    while is_list_type(array.type):
        if array.null_count:
            return None
        if pat.is_fixed_size_list(array.type):
            n = array.type.list_size
            splits.append(np.arange(len(array) + 1, dtype=np.int64) * n)
        else:
            splits.append(_offsets(array).astype(np.int64))
        array = array.flatten()
    return to_numpy(array), splits
