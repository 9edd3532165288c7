"""Byte sizes written by people: ``"500MB"``, ``"2GiB"``, ``"1.5 TB"``, ``10_000``.

The one rule used everywhere a size is read (``save_to_disk(max_shard_size=)``,
``load_dataset(max_shard_size=)``, ``arrowdata convert --max-shard-size``,
``arrowdata cache clean --max-size``):

* a plain integer (or a string of digits) is bytes;
* ``K``, ``M``, ``G``, ``T``, ``P`` are the decimal SI prefixes (powers of 1000), with or
  without a trailing ``B``: ``"500MB"`` = ``"500M"`` = 500,000,000 bytes, ``"1G"`` = 10**9,
  as in Hugging Face ``datasets``;
* ``KiB``, ``MiB``, ``GiB``, ``TiB``, ``PiB`` (or ``Ki``, ``Mi``...) are the binary prefixes
  (powers of 1024): ``"2GiB"`` = 2,147,483,648 bytes;
* letters are case-insensitive, spaces around the number are allowed, the number may have a
  fraction (``"1.5GB"``); the result is rounded down to whole bytes.

Example:
    >>> parse_size("500MB"), parse_size("1G"), parse_size("2KiB"), parse_size(10)
    (500000000, 1000000000, 2048, 10)
"""
from __future__ import annotations

import numbers
import re
from fractions import Fraction

from .errors import InvalidArgumentError

_PREFIXES = "kmgtp"
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*")


def _unit_table() -> dict[str, int]:
    units = {"": 1, "b": 1}
    for power, letter in enumerate(_PREFIXES, start=1):
        units[letter] = units[letter + "b"] = 1000 ** power
        units[letter + "i"] = units[letter + "ib"] = 1024 ** power
    return units


UNITS = _unit_table()


def parse_size(size: int | str, argument: str = "size") -> int:
    """Bytes in ``size``: an int, or a string such as ``"500MB"`` (decimal) or ``"1GiB"`` (binary).

    Args:
        size: the size (see the module docstring for the rule).
        argument: the argument's name, used in the error message.

    Raises:
        InvalidArgumentError: (a ``ValueError``) the size is negative or not a size; the message
            names ``argument``.

    Example:
        >>> parse_size("1.5 GB"), parse_size("64kib")
        (1500000000, 65536)
    """
    if isinstance(size, numbers.Real) and not isinstance(size, bool):
        if size < 0 or size != int(size):
            raise InvalidArgumentError(argument, f"{size!r} is not a whole, non-negative number of bytes")
        return int(size)
    m = _SIZE.fullmatch(size.lower()) if isinstance(size, str) else None
    if m is None or m.group(2) not in UNITS:
        raise InvalidArgumentError(argument, f"cannot read size {size!r}; use bytes or e.g. 500MB (decimal, "
                                             "powers of 1000) or 2GiB (binary, powers of 1024)")
    return int(Fraction(m.group(1)) * UNITS[m.group(2)])  # exact: no float rounding of big sizes
