"""Dataset methods: select, shuffle, sort, train_test_split, shard, skip, take, flatten_indices."""
from __future__ import annotations


class RowOps:
    """Mixin of :class:`arrowdata.Dataset`: select, shuffle, sort, train_test_split, shard, skip, take, flatten_indices."""
