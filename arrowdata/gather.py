"""Gathered reads: rows at arbitrary positions of a (chunked, memory-mapped) table.

(Provisional version; the transforms work makes it block-wise and fast.)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pyarrow as pa


def take(table: pa.Table, positions: np.ndarray | Sequence[int], columns: Sequence[str] | None = None) -> pa.Table:
    """Rows ``positions`` of ``table`` (in that order), optionally only ``columns``.

    Example:
        >>> import pyarrow as pa
        >>> take(pa.table({"a": [10, 20, 30]}), [2, 0]).column("a").to_pylist()
        [30, 10]
    """
    if columns is not None:
        table = table.select(list(columns))
    return table.take(pa.array(np.asarray(positions, dtype=np.int64)))
