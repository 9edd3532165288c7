"""``IterableDatasetDict``: one :class:`IterableDataset` per split, with the same operations.

Example:
    >>> from arrowdata.streaming import IterableDataset
    >>> dd = IterableDatasetDict({"train": IterableDataset.from_dict({"a": [1, 2]})})
    >>> [r for r in dd.map(lambda r: {"b": r["a"] * 2})["train"]]
    [{'a': 1, 'b': 2}, {'a': 2, 'b': 4}]
"""
from __future__ import annotations

from typing import Any

#: the IterableDataset methods an IterableDatasetDict applies to every split
_PER_SPLIT = ("map", "filter", "shuffle", "with_format", "with_transform", "rename_column", "rename_columns",
              "remove_columns", "select_columns", "cast", "cast_column", "take", "skip", "repeat", "batch")


class IterableDatasetDict(dict):
    """A dict of split name -> :class:`~arrowdata.streaming.IterableDataset`."""

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {k}: {v!r}".replace("\n", "\n    ") for k, v in self.items())
        return f"IterableDatasetDict({{\n{inner}\n}})"

    @property
    def column_names(self) -> dict[str, Any]:
        return {k: v.column_names for k, v in self.items()}

    @property
    def features(self) -> dict[str, Any]:
        return {k: v.features for k, v in self.items()}

    @property
    def n_shards(self) -> dict[str, int]:
        return {k: v.n_shards for k, v in self.items()}

    def set_epoch(self, epoch: int) -> None:
        for ds in self.values():
            ds.set_epoch(epoch)


def _per_split(name: str):
    def method(self: IterableDatasetDict, *args: Any, **kwargs: Any) -> IterableDatasetDict:
        return IterableDatasetDict({k: getattr(v, name)(*args, **kwargs) for k, v in self.items()})

    method.__name__ = name
    method.__doc__ = f"``IterableDataset.{name}`` applied to every split."
    return method


for _name in _PER_SPLIT:
    setattr(IterableDatasetDict, _name, _per_split(_name))
