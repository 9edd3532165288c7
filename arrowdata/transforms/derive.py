"""How a row or column operation derives a new Dataset handle from an old one.

Every derived handle gets a fingerprint from its parent's, the operation's name and its
canonical (JSON-able) arguments; large arguments such as index arrays enter by the hash
of their bytes, so deriving costs the same whatever their size.

Example:
    >>> import numpy as np
    >>> digest(np.arange(3)) == digest(np.arange(3, dtype=np.int32))
    True
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import xxhash

# The error classes and the column check live in errors.py; imported here, where the operations use them.
from ..errors import ColumnNotFoundError, InvalidArgumentError, check_columns  # noqa: F401
from ..fingerprint import derive_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset


def digest(positions: np.ndarray) -> str:
    """A stable content hash of an integer index array (dtype-independent).

    Example:
        >>> len(digest(np.array([1, 2])))
        32
    """
    return xxhash.xxh3_128_hexdigest(np.ascontiguousarray(positions, dtype=np.int64).tobytes())


def new_fingerprint(ds: "Dataset", op: str, args: dict[str, Any], given: str | None = None) -> str:
    """The fingerprint of ``op(ds, **args)``, or ``given`` when the user fixed it."""
    if given is not None:
        if not isinstance(given, str) or not given:
            raise InvalidArgumentError("new_fingerprint", f"must be a non-empty string, got {given!r}")
        return given
    return derive_fingerprint(ds._fingerprint, op, args)


def with_positions(ds: "Dataset", positions: np.ndarray, op: str, args: dict[str, Any],
                   fingerprint: str | None = None) -> "Dataset":
    """``ds`` restricted to its logical rows ``positions`` (already validated), no data copied.

    The new indices are composed with any existing ones; rows that come out as the whole
    table in order drop the indices altogether, so later reads are plain slices.
    """
    current = ds._indices_np()
    physical = positions if current is None else current[positions]
    n = ds._table.num_rows
    if len(physical) == n and (n == 0 or (physical[0] == 0 and physical[-1] == n - 1
                                          and np.array_equal(physical, np.arange(n)))):
        indices = None
    else:
        indices = pa.array(physical.astype(np.uint64, copy=False), type=pa.uint64())
    return ds._replace(_indices=indices, _fingerprint=new_fingerprint(ds, op, args, fingerprint))


def as_name_list(value: str | list[str] | tuple[str, ...], argument: str) -> list[str]:
    """A column name or a list of them, as a list; rejects anything else, naming ``argument``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InvalidArgumentError(argument, f"expected a column name or a list of names, got {value!r}")
