"""Python objects: a row is a dict, a batch a dict of lists, a column a list.

Example:
    >>> import pyarrow as pa
    >>> PythonFormatter().format_row(pa.table({"a": [1]}))
    {'a': 1}
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from .base import Formatter


class PythonFormatter(Formatter):
    """The default format."""

    def format_row(self, table: pa.Table) -> dict[str, Any]:
        return {name: col[0].as_py() for name, col in zip(table.column_names, table.columns)}

    def format_batch(self, table: pa.Table) -> dict[str, list]:
        return table.to_pydict()

    def format_column(self, table: pa.Table) -> list:
        return table.column(0).to_pylist()
