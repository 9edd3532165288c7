"""Split names and split slicing: ``NamedSplit``, ``Split`` and ``"train[:10%]+test[-100:]"``.

The slicing grammar and its rounding are Hugging Face ``datasets``' (``ReadInstruction``):

* ``name`` or ``name[from:to]``; ``from``/``to`` are row numbers, negative ones count from the
  end, and either may be left out. A ``%`` on either bound makes *both* bounds percentages.
* Percent bounds are rounded to the closest row (``round(p * n / 100)``, Python's round-half-even),
  or with ``(pct1_dropremainder)`` to multiples of ``n // 100`` (which needs ``n >= 100``).
* Bounds are clipped to ``[0, n]``; ``a+b`` concatenates the parts in order.

Example:
    >>> from arrowdata.splits import parse_split, row_ranges
    >>> row_ranges(parse_split("train[:10%]+test[-2:]"), {"train": 50, "test": 7})
    [('train', 0, 5), ('test', 5, 7)]
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

_NAME = r"\w+(?:\.\w+)*"
_PART = re.compile(
    rf"^(?P<split>{_NAME})"
    r"(?:\[(?:(?P<from>-?[\d_]+)(?P<from_pct>%)?)?:(?:(?P<to>-?[\d_]+)(?P<to_pct>%)?)?\])?"
    r"(?:\((?P<rounding>[^)]*)\))?$")
_PLUS = re.compile(r"\s*\+\s*")
ROUNDINGS = ("closest", "pct1_dropremainder")


class NamedSplit(str):
    """A split name; equal to (and hashed as) its plain string, so it works as a dict key or path part.

    Example:
        >>> from arrowdata import NamedSplit
        >>> NamedSplit("train") == "train", str(NamedSplit("test"))
        (True, 'test')
    """

    def __new__(cls, name: str) -> "NamedSplit":
        name = str(name)
        if not re.fullmatch(_NAME, name):
            raise ValueError(f"Split name should match '{_NAME}' (letters, digits, _ and dots), got {name!r}")
        return super().__new__(cls, name)

    @property
    def _name(self) -> str:  # HF's attribute, read by some scripts
        return str(self)

    def __repr__(self) -> str:
        return f"NamedSplit({str(self)!r})"


class Split:
    """The standard split names: ``Split.TRAIN``, ``Split.VALIDATION``, ``Split.TEST``, ``Split.ALL``.

    ``Split("train")`` returns ``NamedSplit("train")``.

    Example:
        >>> from arrowdata import Split
        >>> Split.TRAIN, Split("dev") == "dev"
        (NamedSplit('train'), True)
    """

    TRAIN = NamedSplit("train")
    VALIDATION = NamedSplit("validation")
    TEST = NamedSplit("test")
    ALL = NamedSplit("all")

    def __new__(cls, name: str) -> NamedSplit:  # type: ignore[misc]
        return NamedSplit(name)


@dataclass(frozen=True)
class SplitPart:
    """One ``name[from:to](rounding)`` term of a split expression."""

    split: str
    from_: int | None = None
    to: int | None = None
    unit: str = "abs"  # "abs" or "%"
    rounding: str = "closest"

    def __post_init__(self) -> None:
        if self.unit not in ("abs", "%"):
            raise ValueError(f"unit must be 'abs' or '%', got {self.unit!r}")
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"rounding must be one of {ROUNDINGS}, got {self.rounding!r}")
        if self.unit == "%":
            for b in (self.from_, self.to):
                if b is not None and abs(b) > 100:
                    raise ValueError(f"percent slice bound {b} is outside [-100, 100] in split {self.split!r}")

    def rows(self, num_rows: int) -> tuple[int, int]:
        """``(start, stop)`` rows of this part in a split of ``num_rows`` rows."""
        start, stop = self.from_, self.to
        if self.unit == "%":
            if self.rounding == "closest":
                to_rows = lambda p: int(round(p * num_rows / 100.0))  # noqa: E731
            else:
                if num_rows < 100:
                    raise ValueError('"pct1_dropremainder" rounding on a split with fewer than 100 rows '
                                     "always gives an empty dataset")
                to_rows = lambda p: p * math.trunc(num_rows / 100.0)  # noqa: E731
            start = 0 if start is None else to_rows(start)
            stop = num_rows if stop is None else to_rows(stop)
        else:
            start = 0 if start is None else start
            stop = num_rows if stop is None else stop
        if start < 0:
            start = max(num_rows + start, 0)
        if stop < 0:
            stop = max(num_rows + stop, 0)
        return min(start, num_rows), min(stop, num_rows)

    @property
    def is_whole(self) -> bool:
        return self.from_ is None and self.to is None


class ReadInstruction:
    """HF's object form of a split expression: ``ReadInstruction("train", to=10, unit="%")``.

    Instructions add up (``a + b``); :meth:`from_spec` parses the string form and :meth:`to_spec`
    writes it back. ``load_dataset(split=...)`` takes either form.

    Example:
        >>> from arrowdata.splits import ReadInstruction
        >>> (ReadInstruction("train", to=10, unit="%") + ReadInstruction("test", from_=-5)).to_spec()
        'train[:10%]+test[-5:]'
    """

    def __init__(self, split_name: str, rounding: str | None = None, from_: int | None = None,
                 to: int | None = None, unit: str | None = None) -> None:
        self.parts = [SplitPart(str(split_name), from_, to, unit or "abs", rounding or "closest")]

    @classmethod
    def _of(cls, parts: list[SplitPart]) -> "ReadInstruction":
        out = cls.__new__(cls)
        out.parts = list(parts)
        return out

    @classmethod
    def from_spec(cls, spec: str) -> "ReadInstruction":
        """Parse ``"train[:10%]+test"`` (see :func:`parse_split`)."""
        return cls._of(parse_split(spec))

    def to_spec(self) -> str:
        """The string form of this instruction."""
        def bound(v: int | None, p: SplitPart) -> str:
            return "" if v is None else f"{v}{'%' if p.unit == '%' else ''}"

        out = []
        for p in self.parts:
            text = p.split if p.is_whole else f"{p.split}[{bound(p.from_, p)}:{bound(p.to, p)}]"
            out.append(text + (f"({p.rounding})" if p.unit == "%" and p.rounding != "closest" else ""))
        return "+".join(out)

    def to_absolute(self, name2len: Mapping[str, int]) -> list[tuple[str, int, int]]:
        """``[(split, start, stop), ...]`` for splits of the given sizes."""
        return row_ranges(self.parts, name2len)

    def __add__(self, other: "ReadInstruction") -> "ReadInstruction":
        if not isinstance(other, ReadInstruction):
            raise TypeError(f"a ReadInstruction can only be added to another one, got {type(other).__name__}")
        return ReadInstruction._of(self.parts + other.parts)

    def __str__(self) -> str:
        return self.to_spec()

    def __repr__(self) -> str:
        return f"ReadInstruction({self.to_spec()!r})"


def parse_split(spec: Any) -> list[SplitPart]:
    """Parse a split expression (``"train"``, ``"train[10:20]"``, ``"train[:10%]+test"``...).

    A ``NamedSplit``, a ``SplitPart`` or a list of parts is accepted as it is.

    Raises:
        ValueError: the expression is not in the grammar (the offending part is named).

    Example:
        >>> parse_split("validation[-5%:](pct1_dropremainder)")[0].rounding
        'pct1_dropremainder'
    """
    if isinstance(spec, SplitPart):
        return [spec]
    if isinstance(spec, ReadInstruction):
        return list(spec.parts)
    if isinstance(spec, (list, tuple)) and all(isinstance(p, SplitPart) for p in spec):
        return list(spec)
    if not isinstance(spec, str):
        raise TypeError(f"split must be a string such as 'train' or 'train[:10%]', got {type(spec).__name__}")
    parts = []
    for text in _PLUS.split(spec.strip()):
        m = _PART.match(text)
        if m is None:
            raise ValueError(f"Unrecognized split {text!r} in {spec!r}: expected 'name', 'name[from:to]' or "
                             "'name[from%:to%]', joined by '+'")
        pct = bool(m.group("from_pct") or m.group("to_pct"))
        rounding = m.group("rounding") or "closest"
        if m.group("rounding") and not pct:
            raise ValueError(f"split {text!r}: a rounding applies only to percent slices")
        parts.append(SplitPart(m.group("split"), int(m.group("from")) if m.group("from") else None,
                               int(m.group("to")) if m.group("to") else None, "%" if pct else "abs", rounding))
    return parts


def row_ranges(parts: list[SplitPart], sizes: Mapping[str, int]) -> list[tuple[str, int, int]]:
    """``[(split, start, stop), ...]`` for parsed ``parts`` over splits of the given sizes.

    Raises:
        ValueError: a part names a split that is not in ``sizes`` (the known ones are listed).
    """
    out = []
    for p in parts:
        if p.split not in sizes:
            raise ValueError(f'Unknown split "{p.split}". Should be one of {list(sizes)}.')
        out.append((p.split, *p.rows(sizes[p.split])))
    return out


def expand_all(parts: list[SplitPart], available: Sequence[str]) -> list[SplitPart]:
    """``all`` (``Split.ALL``) read as every available split in order, unless a split is named ``all``."""
    if "all" in available:
        return parts
    out = []
    for p in parts:
        if p.split == "all":
            if not p.is_whole:
                raise ValueError("'all' cannot be sliced; slice the splits themselves ('train[:10%]+test[:10%]')")
            out.extend(SplitPart(s) for s in available)
        else:
            out.append(p)
    return out


def split_names(spec: Any, available: Sequence[str] = ()) -> list[str]:
    """The split names an expression reads, in order, without duplicates."""
    names: list[str] = []
    for p in expand_all(parse_split(spec), available):
        if p.split not in names:
            names.append(p.split)
    return names


def apply_split(datasets: Mapping[str, Any], spec: Any) -> Any:
    """The Dataset a split expression selects from ``{split: Dataset}``.

    A single whole split is returned as it is; slices are ``select``-ed (no copy) and several
    parts are concatenated. The result's ``split`` is the expression.

    Example:
        >>> from arrowdata import Dataset
        >>> d = {"train": Dataset.from_dict({"a": list(range(10))})}
        >>> apply_split(d, "train[2:4]")["a"]
        [2, 3]
    """
    parts = expand_all(parse_split(spec), list(datasets))
    ranges = row_ranges(parts, {k: len(v) for k, v in datasets.items()})
    if len(parts) == 1 and parts[0].is_whole:
        return datasets[parts[0].split]
    pieces = [datasets[name].select(range(start, stop)) for name, start, stop in ranges]
    if len(pieces) == 1:
        out = pieces[0]
    else:
        from .transforms.combine import concatenate_datasets

        out = concatenate_datasets(pieces)
    return _with_split(out, str(spec) if isinstance(spec, (str, ReadInstruction)) else None)


def _with_split(ds: Any, name: str | None) -> Any:
    return ds._replace(split=name) if name is not None else ds
