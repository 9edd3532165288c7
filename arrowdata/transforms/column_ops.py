"""Dataset methods: rename/remove/select/add columns, cast, flatten, unique, class_encode_column."""
from __future__ import annotations


class ColumnOps:
    """Mixin of :class:`arrowdata.Dataset`: rename/remove/select/add columns, cast, flatten, unique, class_encode_column."""
