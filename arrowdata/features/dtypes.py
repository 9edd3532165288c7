"""Dtype strings (``"int64"``, ``"timestamp[us, tz=UTC]"``...) to Arrow types and back.

The strings are the ones Hugging Face ``datasets`` writes in ``dataset_info.json`` so a
folder written by either library describes its columns the same way.

Example:
    >>> dtype_to_arrow("timestamp[ms, tz=UTC]")
    TimestampType(timestamp[ms, tz=UTC])
    >>> arrow_to_dtype(dtype_to_arrow("float32"))
    'float32'
"""
from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.types as pat

# Names whose Arrow spelling differs from the dtype string users write.
_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "boolean": "bool",
            "str": "string", "int": "int64", "bytes": "binary"}
_SIMPLE = {
    "null": pa.null(), "bool": pa.bool_(),
    "int8": pa.int8(), "int16": pa.int16(), "int32": pa.int32(), "int64": pa.int64(),
    "uint8": pa.uint8(), "uint16": pa.uint16(), "uint32": pa.uint32(), "uint64": pa.uint64(),
    "float16": pa.float16(), "float32": pa.float32(), "float64": pa.float64(),
    "string": pa.string(), "large_string": pa.large_string(), "string_view": pa.string_view(),
    "binary": pa.binary(), "large_binary": pa.large_binary(), "binary_view": pa.binary_view(),
    "date32": pa.date32(), "date64": pa.date64(),
}
_SIMPLE_BACK = {t: name for name, t in _SIMPLE.items()}
_TIMESTAMP = re.compile(r"^timestamp\[(s|ms|us|ns)(?:,\s*tz=([^\]]+))?\]$")
_UNIT = re.compile(r"^(time32|time64|duration)\[(s|ms|us|ns)\]$")
_DECIMAL = re.compile(r"^decimal(128|256)\((\d+),\s*(-?\d+)\)$")
_FIXED_BINARY = re.compile(r"^fixed_size_binary\[(\d+)\]$")


def dtype_to_arrow(dtype: str) -> pa.DataType:
    """The Arrow type a dtype string names; ``ValueError`` naming the string if none.

    Example:
        >>> dtype_to_arrow("decimal128(10, 2)")
        Decimal128Type(decimal128(10, 2))
    """
    name = _ALIASES.get(dtype, dtype)
    if name in _SIMPLE:
        return _SIMPLE[name]
    if m := _TIMESTAMP.match(name):
        return pa.timestamp(m.group(1), tz=m.group(2))
    if m := _UNIT.match(name):
        return {"time32": pa.time32, "time64": pa.time64, "duration": pa.duration}[m.group(1)](m.group(2))
    if m := _DECIMAL.match(name):
        make = pa.decimal128 if m.group(1) == "128" else pa.decimal256
        return make(int(m.group(2)), int(m.group(3)))
    if m := _FIXED_BINARY.match(name):
        return pa.binary(int(m.group(1)))
    raise ValueError(f"{dtype!r} is not a known dtype; use an Arrow type name such as 'int64', "
                     f"'string', 'float32', 'timestamp[us]' or 'decimal128(10, 2)'")


def arrow_to_dtype(arrow_type: pa.DataType) -> str:
    """The dtype string of a primitive Arrow type; ``ValueError`` for nested types.

    Example:
        >>> arrow_to_dtype(pa.date32())
        'date32'
    """
    if arrow_type in _SIMPLE_BACK:
        return _SIMPLE_BACK[arrow_type]
    if pat.is_timestamp(arrow_type):
        return f"timestamp[{arrow_type.unit}, tz={arrow_type.tz}]" if arrow_type.tz else f"timestamp[{arrow_type.unit}]"
    if pat.is_time32(arrow_type) or pat.is_time64(arrow_type) or pat.is_duration(arrow_type):
        return str(arrow_type)
    if pat.is_decimal(arrow_type) or pat.is_fixed_size_binary(arrow_type):
        return str(arrow_type)
    if pat.is_dictionary(arrow_type):
        return arrow_to_dtype(arrow_type.value_type)
    raise ValueError(f"Arrow type {arrow_type} has no dtype string (it is nested or unsupported)")
