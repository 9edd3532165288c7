"""DatasetDict: a mapping from split name to Dataset, with the per-split form of every Dataset method.

Every ``Dataset`` method and property is available here without being written out:
``dd.map(f)`` runs ``map`` on each split and returns a DatasetDict, ``dd.num_rows`` is a
``{split: n}`` dict. Arguments that HF ``datasets`` takes per split (``seeds``,
``cache_file_names``...) are dicts keyed by split.

Example:
    >>> from arrowdata import Dataset, DatasetDict
    >>> dd = DatasetDict({"train": Dataset.from_dict({"a": [1, 2]}), "test": Dataset.from_dict({"a": [3]})})
    >>> dd.num_rows
    {'train': 2, 'test': 1}
    >>> dd.with_format("numpy")["test"]["a"]
    array([3])
"""
from __future__ import annotations

import contextlib
import os
import re
from typing import Any, Callable, Iterator

from .errors import ArrowDataError

# Per-split keyword (as DatasetDict takes it) -> the Dataset keyword it feeds.
PER_SPLIT_KWARGS = {
    "cache_file_names": "cache_file_name",
    "indices_cache_file_names": "indices_cache_file_name",
    "seeds": "seed",
    "generators": "generator",
}
_SPLIT_NAME = re.compile(r"^[\w][\w.\-]*$")


def _dataset_cls() -> type:
    from .dataset import Dataset

    return Dataset


class DatasetDict(dict):
    """``{split: Dataset}`` with every Dataset method applied split by split.

    Example:
        >>> from arrowdata import Dataset, DatasetDict
        >>> dd = DatasetDict({"train": Dataset.from_dict({"a": [1, 2, 3]})})
        >>> dd.column_names
        {'train': ['a']}
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(_dataset_cls(), name, None)
        if attr is None:
            raise AttributeError(f"'DatasetDict' object has no attribute {name!r}")
        if isinstance(attr, property) or not callable(attr):
            return {split: getattr(ds, name) for split, ds in self.items()}
        return self._per_split(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {n for n in dir(_dataset_cls()) if not n.startswith("_")})

    def _per_split(self, name: str) -> Callable[..., Any]:
        def method(*args: Any, **kwargs: Any) -> Any:
            per_split = {k: kwargs.pop(k) for k in list(kwargs) if k in PER_SPLIT_KWARGS}
            results = {}
            for split, ds in self.items():
                split_kwargs = dict(kwargs)
                for k, v in per_split.items():
                    if v is not None:
                        if not isinstance(v, dict) or split not in v:
                            raise ArrowDataError(f"{name}({k}=...): give a dict with an entry for split {split!r}")
                        split_kwargs[PER_SPLIT_KWARGS[k]] = v[split]
                results[split] = getattr(ds, name)(*args, **split_kwargs)
            values = list(results.values())
            if all(v is None for v in values):
                return None
            if all(isinstance(v, _dataset_cls()) for v in values):
                return DatasetDict(results)
            return results

        method.__name__ = name
        method.__doc__ = f"Per-split form of :meth:`arrowdata.Dataset.{name}`."
        return method

    def __enter__(self) -> "DatasetDict":
        return self  # as Dataset's (arrowdata.lifecycle): nothing to release early

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {k}: {ds!r}".replace("\n", "\n    ") for k, ds in self.items())
        return f"DatasetDict({{\n{inner}\n}})"

    @contextlib.contextmanager
    def formatted_as(self, type: str | None = None, columns: list[str] | None = None,
                     output_all_columns: bool = False, **format_kwargs: Any) -> Iterator[None]:
        """Temporarily set the format of every split inside a ``with`` block."""
        with contextlib.ExitStack() as stack:
            for ds in self.values():
                stack.enter_context(ds.formatted_as(type, columns, output_all_columns, **format_kwargs))
            yield

    def save_to_disk(self, dataset_dict_path: str | os.PathLike, max_shard_size: int | str | None = None,
                     num_shards: int | dict[str, int] | None = None, storage_options: dict | None = None,
                     num_proc: int | None = None) -> None:
        """Save every split under one folder (``dataset_dict.json`` + a folder per split), atomically.

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset, DatasetDict, load_from_disk
            >>> p = os.path.join(tempfile.mkdtemp(), "dd")
            >>> DatasetDict({"train": Dataset.from_dict({"a": [1]})}).save_to_disk(p)
            >>> load_from_disk(p)["train"]["a"]
            [1]
        """
        from .folder_format import save_folder, write_dict_json
        from .persistence import write_dataset_folder

        for split in self:
            if not isinstance(split, str) or not _SPLIT_NAME.match(split):
                raise ArrowDataError(f"split name {split!r} cannot be a folder name; use letters, digits, _ . -")
        if isinstance(num_shards, dict) and set(num_shards) != set(self):
            raise ArrowDataError(f"num_shards: give one entry per split {list(self)}, got {list(num_shards)}")

        def write(folder: str) -> None:
            os.makedirs(folder, exist_ok=True)
            for split, ds in self.items():
                n = num_shards.get(split) if isinstance(num_shards, dict) else num_shards
                write_dataset_folder(ds, os.path.join(folder, split), max_shard_size, n)
            with open(os.path.join(folder, DICT_JSON), "w") as f:
                json.dump({"splits": list(self)}, f)

        save_folder(write, dataset_dict_path, storage_options)

    @staticmethod
    def load_from_disk(dataset_dict_path: str | os.PathLike, keep_in_memory: bool | None = None,
                       storage_options: dict | None = None) -> "DatasetDict":
        """Open a folder written by ``DatasetDict.save_to_disk`` (arrowdata's or HF's)."""
        from .persistence import load_from_disk

        out = load_from_disk(dataset_dict_path, keep_in_memory=keep_in_memory, storage_options=storage_options)
        if not isinstance(out, DatasetDict):
            raise ArrowDataError(f"{dataset_dict_path} holds a single Dataset, not a DatasetDict; "
                                 "use arrowdata.load_from_disk")
        return out

    @classmethod
    def _load_folder(cls, folder: str, keep_in_memory: bool = False, verify: bool | None = None) -> "DatasetDict":
        from .folder_format import dict_splits
        from .persistence import load_dataset_folder

        return cls({s: load_dataset_folder(path, keep_in_memory, verify) for s, path in dict_splits(folder)})
