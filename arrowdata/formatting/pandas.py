"""pandas: rows and batches are DataFrames, a column a Series (Arrow-backed conversion).

Example:
    >>> import pyarrow as pa
    >>> PandasFormatter().format_column(pa.table({"a": [1, 2]})).tolist()
    [1, 2]
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from .base import Formatter


class PandasFormatter(Formatter):
    """pandas output; ``kwargs`` go to ``pa.Table.to_pandas``."""

    def format_row(self, table: pa.Table) -> Any:
        return table.to_pandas(**self.kwargs)

    def format_batch(self, table: pa.Table) -> Any:
        return table.to_pandas(**self.kwargs)

    def format_column(self, table: pa.Table) -> Any:
        return table.to_pandas(**self.kwargs)[table.column_names[0]]
