"""Arrow: rows and batches are ``pa.Table``, a column a ``pa.ChunkedArray``. No conversion at all.

Example:
    >>> import pyarrow as pa
    >>> ArrowFormatter().format_batch(pa.table({"a": [1]})).num_rows
    1
"""
from __future__ import annotations

import pyarrow as pa

from .base import Formatter


class ArrowFormatter(Formatter):
    """Zero-copy Arrow output."""

    def format_row(self, table: pa.Table) -> pa.Table:
        return table

    def format_batch(self, table: pa.Table) -> pa.Table:
        return table

    def format_column(self, table: pa.Table) -> pa.ChunkedArray:
        return table.column(0)
