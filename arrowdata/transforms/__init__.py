"""Transforms: every operation that derives a new Dataset from an old one.

The methods live in mixins, one module per concept, and ``Dataset`` inherits them:
``MapOps`` (map, filter), ``RowOps`` (select, shuffle, sort, split, shard...),
``ColumnOps`` (rename, remove, add, cast, flatten...).
"""
from .column_ops import ColumnOps
from .map_ops import MapOps
from .row_ops import RowOps

__all__ = ["ColumnOps", "MapOps", "RowOps"]
