"""Python objects: a row is a dict, a batch a dict of lists, a column a list.

Example:
    >>> import pyarrow as pa
    >>> PythonFormatter().format_row(pa.table({"a": [1]}))
    {'a': 1}
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..features.json_values import decode_columns, decode_rows, decode_values, json_features
from .base import Formatter


class PythonFormatter(Formatter):
    """The default format."""

    def format_row(self, table: pa.Table) -> dict[str, Any]:
        row = {name: col[0].as_py() for name, col in zip(table.column_names, table.columns)}
        found = json_features(self.features)
        return decode_rows([row], found)[0] if found else row

    def format_batch(self, table: pa.Table) -> dict[str, list]:
        found = json_features(self.features)
        return decode_columns(table.to_pydict(), found) if found else table.to_pydict()

    def format_column(self, table: pa.Table) -> list:
        values = table.column(0).to_pylist()
        feature = json_features(self.features).get(table.column_names[0])
        return values if feature is None else decode_values(values, feature)
