"""What a ``map``/``filter`` function receives: the ``batch_format`` registry.

``batch_format`` names a registered formatter (``arrowdata.formatting``): ``"python"``
(dicts of lists, the default), ``"numpy"``, ``"arrow"`` (a ``pyarrow.Table``),
``"pandas"``, ``"polars"``, and any format registered later (``"torch"``...). A
vectorized function receiving Arrow or NumPy data never touches Python objects.

With ``input_columns``, the function receives one argument per column instead of one
batch: a list / array / ``pyarrow.ChunkedArray`` / ``Series`` in the chosen format.

Example:
    >>> import pyarrow as pa
    >>> format_batch(pa.table({"a": [1, 2]}), "python")
    {'a': [1, 2]}
    >>> format_batch(pa.table({"a": [1, 2], "b": [3, 4]}), "arrow", ["b"])[0].to_pylist()
    [3, 4]
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..formatting import get_formatter
from ..formatting.base import canonical_format_name


def check_batch_format(batch_format: str) -> str:
    """The canonical name of ``batch_format``; an unknown one raises ``UnknownNameError`` listing the known ones."""
    return canonical_format_name(batch_format) or "python"


def format_batch(table: pa.Table, batch_format: str, input_columns: list[str] | None = None) -> Any:
    """``table`` as the function's argument(s): one batch, or a tuple of columns when ``input_columns`` is set."""
    name = check_batch_format(batch_format)
    if input_columns is not None:
        table = table.select(input_columns)
    formatted = get_formatter(name).format_batch(table)
    if input_columns is None:
        return formatted
    return tuple(formatted[c] for c in input_columns)


def format_rows(table: pa.Table, input_columns: list[str] | None = None):
    """Rows of ``table`` as python dicts (or tuples of values with ``input_columns``), one batch decoded at once."""
    cols = table.to_pydict()
    names = input_columns if input_columns is not None else list(cols)
    values = [cols[n] for n in names]
    if input_columns is not None:
        return list(zip(*values)) if values else [() for _ in range(table.num_rows)]
    return [dict(zip(names, row)) for row in zip(*values)] if values else [{} for _ in range(table.num_rows)]
