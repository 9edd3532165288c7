"""Keep a rewritten column's feature when the new values still fit it (``try_original_type``).

When a ``map`` function returns a column that already exists, Hugging Face ``datasets``
tries the column's old feature first: a ``ClassLabel`` stays a ``ClassLabel``, an int32
column stays int32. :func:`retain_feature` does the same, but only when the new values are
of the same kind (integers for an integer or class-label column, floats or integers for a
float column, strings for a string column, lists for lists, structs with the same fields)
and the cast is exact (no overflow, a class label within ``-1..num_classes-1``). Values
that no longer fit keep their inferred type: numbers never silently become strings, floats
never become integers.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.features import ClassLabel, Value
    >>> retain_feature(pa.array([1, 0]), ClassLabel(names=["a", "b"]), "label").type
    DataType(int64)
    >>> retain_feature(pa.array([5]), ClassLabel(names=["a", "b"]), "label") is None
    True
    >>> retain_feature(pa.array([1, 2]), Value("int32"), "x").type
    DataType(int32)
    >>> retain_feature(pa.array([1.5]), Value("int32"), "x") is None
    True
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.types as pat

from ..errors import CastError
from .cast import cast_array
from .inference import storage_type
from .serialization import Opaque
from .types import ClassLabel, FeatureType, arrow_type_of


def _family(t: pa.DataType) -> str:
    if pat.is_boolean(t):
        return "bool"
    if pat.is_integer(t):
        return "int"
    if pat.is_floating(t):
        return "float"
    if pat.is_string(t) or pat.is_large_string(t) or pat.is_string_view(t):
        return "string"
    if pat.is_binary(t) or pat.is_large_binary(t) or pat.is_binary_view(t) or pat.is_fixed_size_binary(t):
        return "binary"
    if pat.is_list(t) or pat.is_large_list(t) or pat.is_fixed_size_list(t) or pat.is_list_view(t):
        return "list"
    if pat.is_struct(t):
        return "struct"
    return str(t)  # temporal, decimal...: only the very same type fits


#: Source family → target families its values may be cast to without changing meaning.
_FITS = {"int": {"int", "float"}, "float": {"float"}, "bool": {"bool"}, "string": {"string"},
         "binary": {"binary"}}


def same_kind(source: pa.DataType, target: pa.DataType) -> bool:
    """Whether values of ``source`` may be cast to ``target`` (recursively through lists and structs)."""
    if pat.is_null(source):
        return True
    src, dst = _family(source), _family(target)
    if src == "list":
        return dst == "list" and same_kind(source.value_type, target.value_type)
    if src == "struct":
        if dst != "struct" or {f.name for f in source} != {f.name for f in target}:
            return False
        return all(same_kind(source.field(f.name).type, target.field(f.name).type) for f in source)
    return dst in _FITS.get(src, {src})


def retain_feature(array: pa.Array | pa.ChunkedArray, feature: FeatureType,
                   column: str) -> pa.Array | pa.ChunkedArray | None:
    """``array`` cast to ``feature``'s storage when its values still fit that feature, else ``None``."""
    if isinstance(feature, Opaque):
        return None
    try:
        target = storage_type(arrow_type_of(feature))
    except (TypeError, ValueError):
        return None
    if array.type == target and not isinstance(feature, ClassLabel):
        return array
    if not same_kind(array.type, target):
        return None
    try:
        if isinstance(array, pa.ChunkedArray):
            return pa.chunked_array([cast_array(c, feature, column) for c in array.chunks], type=target)
        return cast_array(array, feature, column)
    except (CastError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
