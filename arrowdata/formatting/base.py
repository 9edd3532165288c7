"""The formatter registry and the logic shared by every format (column subsets, transforms)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Literal

import pyarrow as pa

from ..errors import UnknownNameError

Kind = Literal["row", "batch", "column"]


@dataclass(frozen=True)
class Format:
    """How a dataset presents its data.

    Attributes:
        type: registered formatter name (``None`` = python objects).
        columns: the columns returned (``None`` = all).
        output_all_columns: also return the other columns, as python objects.
        kwargs: options passed to the formatter (e.g. ``dtype`` for torch).
        transform: a function applied to every python batch (``with_transform``); its
            output is returned as is.

    Example:
        >>> Format("numpy", columns=("a",)).type
        'numpy'
    """

    type: str | None = None
    columns: tuple[str, ...] | None = None
    output_all_columns: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)
    transform: Callable[[dict], Any] | None = None

    def replace(self, **changes: Any) -> "Format":
        return replace(self, **changes)

    @property
    def is_default(self) -> bool:
        return self.type is None and self.columns is None and self.transform is None


class Formatter:
    """Turns Arrow tables into one output type. Subclasses override the three methods.

    ``features`` (may be ``None``) lets a formatter use shapes known from the schema
    (Array2D...). ``kwargs`` are the options given to ``with_format``.
    """

    def __init__(self, features: Any = None, **kwargs: Any) -> None:
        self.features = features
        self.kwargs = kwargs

    def format_row(self, table: pa.Table) -> Any:
        raise NotImplementedError

    def format_batch(self, table: pa.Table) -> Any:
        raise NotImplementedError

    def format_column(self, table: pa.Table) -> Any:
        raise NotImplementedError


class ColumnFormatter(Formatter):
    """A formatter that converts each column on its own: subclasses write ``_convert`` only.

    A row is the first element of every converted column, a batch is a dict of converted
    columns, and a column is one converted column.
    """

    def _convert(self, col: pa.ChunkedArray) -> Any:
        raise NotImplementedError

    def format_row(self, table: pa.Table) -> dict[str, Any]:
        return {name: self._convert(col)[0] for name, col in zip(table.column_names, table.columns)}

    def format_batch(self, table: pa.Table) -> dict[str, Any]:
        return {name: self._convert(col) for name, col in zip(table.column_names, table.columns)}

    def format_column(self, table: pa.Table) -> Any:
        return self._convert(table.column(0))


_REGISTRY: dict[str, type[Formatter]] = {}
_ALIASES: dict[str | None, str] = {}


def register_formatter(name: str, cls: type[Formatter], aliases: list[str | None] = ()) -> None:
    """Make ``with_format(name)`` use ``cls``.

    Example:
        >>> class Upper(Formatter):
        ...     def format_batch(self, t): return {k.upper(): v for k, v in t.to_pydict().items()}
        >>> register_formatter("upper", Upper)
    """
    _REGISTRY[name] = cls
    _ALIASES[name] = name
    for alias in aliases:
        _ALIASES[alias] = name


def known_formats() -> list[str]:
    return sorted(_REGISTRY)


def canonical_format_name(name: str | None) -> str | None:
    """The registered name for ``name`` or an alias; ``UnknownNameError`` lists the known ones."""
    if name == "custom":
        return "custom"
    if name not in _ALIASES:
        raise UnknownNameError("format", str(name), known_formats())
    resolved = _ALIASES[name]
    return None if resolved == "python" else resolved


def get_formatter(name: str | None, features: Any = None, **kwargs: Any) -> Formatter:
    """An instance of the formatter registered as ``name``."""
    resolved = canonical_format_name(name) or "python"
    return _REGISTRY[resolved](features, **kwargs)


def _apply_transform(table: pa.Table, kind: Kind, fmt: Format) -> Any:
    batch = table.to_pydict()
    out = fmt.transform(batch)
    if kind == "batch":
        return out
    if kind == "row":
        return {k: v[0] for k, v in out.items()} if isinstance(out, dict) else out
    return out[table.column_names[0]] if isinstance(out, dict) and table.column_names[0] in out else out


def format_table(table: pa.Table, kind: Kind, fmt: Format, features: Any = None) -> Any:
    """Format ``table`` (already the right rows) as a ``kind`` under ``fmt``.

    ``kind="row"`` expects a one-row table, ``"column"`` a one-column table.
    """
    if fmt.transform is not None:
        if kind == "column" or fmt.columns is None:
            return _apply_transform(table, kind, fmt)
        selected = [c for c in table.column_names if c in fmt.columns]
        # output_all_columns adds the other columns to the transform's output too, as in HF
        return _with_other_columns(_apply_transform(table.select(selected), kind, fmt), table, selected, kind, fmt)
    formatter = get_formatter(fmt.type, features, **fmt.kwargs)
    if kind == "column":
        return formatter.format_column(table)
    if fmt.columns is None:
        return formatter.format_row(table) if kind == "row" else formatter.format_batch(table)
    selected = [c for c in table.column_names if c in fmt.columns]
    out = formatter.format_row(table.select(selected)) if kind == "row" else formatter.format_batch(table.select(selected))
    return _with_other_columns(out, table, selected, kind, fmt)


def _with_other_columns(out: Any, table: pa.Table, selected: list[str], kind: Kind, fmt: Format) -> Any:
    """``out`` plus the columns outside ``fmt.columns`` as Python objects, when ``output_all_columns``."""
    if fmt.output_all_columns and isinstance(out, dict):
        rest = table.drop_columns(selected)
        if rest.num_columns:
            plain = get_formatter(None)
            extra = plain.format_row(rest) if kind == "row" else plain.format_batch(rest)
            out = {**out, **extra}
    return out
