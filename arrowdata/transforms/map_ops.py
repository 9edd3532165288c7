"""Dataset methods: map, filter."""
from __future__ import annotations


class MapOps:
    """Mixin of :class:`arrowdata.Dataset`: map, filter."""
