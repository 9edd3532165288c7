"""Tokenizer columns stored in small integers, as Hugging Face ``datasets`` stores them (or smaller).

A tokenizer returns Python ints (int64 once in Arrow). Token ids fit in int32 and masks in
int8, which is 2-8x less disk, cache and page cache. :func:`compact_token_column` narrows a
column named like a tokenizer output when it was built from Python or NumPy values and no
type was asked for: ``input_ids`` to int32, ``attention_mask``, ``token_type_ids`` and
``special_tokens_mask`` to int8 (HF's choices). When the values do not fit, the smallest
integer type that holds them exactly is used instead (HF falls back to int64), so no value
ever changes.

Example:
    >>> import pyarrow as pa
    >>> compact_token_column("attention_mask", pa.array([[1, 1, 0]])).type
    ListType(list<item: int8>)
    >>> compact_token_column("token_type_ids", pa.array([[0, 300]])).type
    ListType(list<item: int16>)
    >>> compact_token_column("labels", pa.array([1, 2])).type
    DataType(int64)
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat

#: Column name → the integer type HF ``datasets`` stores it in (``OptimizedTypedSequence``).
TOKEN_COLUMN_TYPES: dict[str, pa.DataType] = {
    "input_ids": pa.int32(),
    "attention_mask": pa.int8(),
    "special_tokens_mask": pa.int8(),
    "token_type_ids": pa.int8(),
}

_LADDER = (pa.int8(), pa.int16(), pa.int32(), pa.int64())
_BOUNDS = {t: (-(1 << (t.bit_width - 1)), (1 << (t.bit_width - 1)) - 1) for t in _LADDER}


def _leaf_and_depth(arrow_type: pa.DataType) -> tuple[pa.DataType, int]:
    depth = 0
    while pat.is_list(arrow_type) and depth < 2:  # HF narrows up to lists of lists
        arrow_type, depth = arrow_type.value_type, depth + 1
    return arrow_type, depth


def _rebuild(leaf: pa.DataType, depth: int) -> pa.DataType:
    for _ in range(depth):
        leaf = pa.list_(leaf)
    return leaf


def _flat_values(array: pa.Array | pa.ChunkedArray, depth: int) -> pa.Array | pa.ChunkedArray:
    for _ in range(depth):
        array = pc.list_flatten(array)
    return array


def smallest_int_type(array: pa.Array | pa.ChunkedArray, at_least: pa.DataType) -> pa.DataType:
    """The smallest signed integer type, no smaller than ``at_least``, that holds every value of ``array``."""
    if len(array) == 0 or array.null_count == len(array):
        return at_least
    lo, hi = (v.as_py() for v in pc.min_max(array).values())
    for candidate in _LADDER[_LADDER.index(at_least):]:
        low, high = _BOUNDS[candidate]
        if low <= lo and hi <= high:
            return candidate
    return pa.int64()


def compact_token_column(name: str, array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """``array`` narrowed to the type of tokenizer column ``name`` (see module doc); else unchanged.

    Only int64 values (what Python ints become), bare or in lists up to two levels deep, are narrowed.
    """
    target = TOKEN_COLUMN_TYPES.get(name)
    if target is None:
        return array
    leaf, depth = _leaf_and_depth(array.type)
    if not pat.is_int64(leaf):
        return array
    chosen = smallest_int_type(_flat_values(array, depth), target)
    return array if chosen == pa.int64() else array.cast(_rebuild(chosen, depth))
