"""polars: rows and batches are DataFrames, a column a Series; zero-copy from Arrow where polars allows.

Example:
    >>> import pyarrow as pa
    >>> PolarsFormatter().format_batch(pa.table({"a": [1, 2]})).shape
    (2, 1)
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from .base import Formatter


class PolarsFormatter(Formatter):
    """polars output (polars is imported on first use)."""

    def format_row(self, table: pa.Table) -> Any:
        return self.format_batch(table)

    def format_batch(self, table: pa.Table) -> Any:
        import polars as pl

        return pl.from_arrow(table, rechunk=False)

    def format_column(self, table: pa.Table) -> Any:
        return self.format_batch(table).to_series(0)
