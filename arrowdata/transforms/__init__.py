"""Transforms: every operation that derives a new Dataset from an old one.

The methods live in mixins, one module per concept, and ``Dataset`` inherits them:
``MapOps`` (map, filter), ``RowOps`` (select, shuffle, sort, split, shard...),
``ColumnOps`` (rename, remove, add, cast, flatten...); ``Dataset`` imports them from their modules.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ColumnOps", "MapOps", "RowOps"]
_MIXINS = {"ColumnOps": "column_ops", "MapOps": "map_ops", "RowOps": "row_ops"}


def __getattr__(name: str) -> Any:
    # The mixins sit above the rest of this package (they build on map_runner, parallel...), which the
    # streaming package and the engines import alone: importing them here would pull the whole core in.
    if name in _MIXINS:
        import importlib

        return getattr(importlib.import_module(f".{_MIXINS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
