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
import functools
import os
import re
from typing import Any, Callable, Iterator, Mapping

from .errors import ArrowDataError, InvalidArgumentError, MissingFileError
from .folder_format import DICT_JSON, STATE_JSON, dict_splits, folder_kind, local_folder, save_folder, write_dict_json
from .persistence import load_dataset_folder, shards_for, write_dataset_folder

# Per-split keyword (as DatasetDict takes it) -> the Dataset keyword it feeds.
PER_SPLIT_KWARGS = {
    "cache_file_names": "cache_file_name",
    "indices_cache_file_names": "indices_cache_file_name",
    "seeds": "seed",
    "generators": "generator",
}
# per-split keywords that may also be given once for all splits (HF: `seed=42` shuffles every split with 42)
_BROADCAST_KWARGS = {"seeds", "generators"}
# methods whose function may receive the split name as its last positional argument (``with_split=True``)
_WITH_SPLIT_METHODS = {"map", "filter"}
_SPLIT_NAME = re.compile(r"^[\w][\w.\-]*$")


def _from_files(reader: str) -> classmethod:
    """``DatasetDict.from_<reader>``: ``Dataset.from_<reader>`` on each split of a dict of paths."""

    def build(cls: type, path_or_paths: Any, features: Any = None, cache_dir: str | None = None,
              keep_in_memory: bool = False, **kwargs: Any) -> "DatasetDict":
        paths = dict(path_or_paths) if isinstance(path_or_paths, Mapping) else {"train": path_or_paths}
        read = getattr(_dataset_cls(), reader)
        return cls({str(split): read(p, split=str(split), features=features, cache_dir=cache_dir,
                                     keep_in_memory=keep_in_memory, **kwargs) for split, p in paths.items()})

    build.__name__ = f"from_{reader[5:]}" if reader.startswith("from_") else reader
    build.__doc__ = f"""A DatasetDict from a dict of split -> path(s), each read with ``Dataset.{reader}``.

        A single path or list (not a dict) is the ``train`` split. Other keywords go to the reader.

        Example:
            >>> import arrowdata  # doctest: +SKIP
            >>> arrowdata.DatasetDict.{reader}({{"train": "train.x", "test": "test.x"}})  # doctest: +SKIP
        """
    return classmethod(build)


class _SplitArg(functools.partial):
    """``f`` called with the split name appended to its positional arguments (``map(with_split=True)``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, *self.args, **kwargs)


def _bind_split(args: list[Any], kwargs: dict[str, Any], split: str) -> None:
    if args:
        args[0] = _SplitArg(args[0], split)
    elif kwargs.get("function") is not None:
        kwargs["function"] = _SplitArg(kwargs["function"], split)
    else:
        raise InvalidArgumentError("with_split", "needs a function")


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

    from_csv = _from_files("from_csv")
    from_json = _from_files("from_json")
    from_parquet = _from_files("from_parquet")
    from_text = _from_files("from_text")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(_dataset_cls(), name, None)
        if attr is None:
            raise AttributeError(f"'DatasetDict' object has no attribute {name!r}")
        if isinstance(attr, property) or not callable(attr):
            return {split: getattr(ds, name) for split, ds in self.items()}
        return self._per_split(name)

    def _check_values_type(self) -> None:
        for split, ds in self.items():
            if not isinstance(ds, _dataset_cls()):
                raise TypeError(f"DatasetDict values must be Dataset objects; split {split!r} holds a "
                                f"{type(ds).__name__}")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {n for n in dir(_dataset_cls()) if not n.startswith("_")})

    def _per_split(self, name: str) -> Callable[..., Any]:
        def method(*args: Any, **kwargs: Any) -> Any:
            self._check_values_type()
            per_split = {k: kwargs.pop(k) for k in list(kwargs) if k in PER_SPLIT_KWARGS}
            with_split = bool(kwargs.pop("with_split", False)) if name in _WITH_SPLIT_METHODS else False
            results = {}
            for split, ds in self.items():
                split_args, split_kwargs = list(args), dict(kwargs)
                for k, v in per_split.items():
                    if v is None:
                        continue
                    if not isinstance(v, dict) and k in _BROADCAST_KWARGS:  # one seed for every split, as HF
                        v = dict.fromkeys(self, v)
                    if not isinstance(v, dict) or split not in v:
                        raise InvalidArgumentError(k, f"{name}(): give a dict with an entry for split {split!r}")
                    split_kwargs[PER_SPLIT_KWARGS[k]] = v[split]
                if with_split:
                    _bind_split(split_args, split_kwargs, split)
                results[split] = getattr(ds, name)(*split_args, **split_kwargs)
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
                     num_shards: int | dict[str, int] | None = None, num_proc: int | None = None,
                     storage_options: dict | None = None) -> None:
        """Save every split under one folder (``dataset_dict.json`` + a folder per split), atomically.

        The arguments are HF's, in HF's order. As in HF, a split is written in at least
        ``num_proc`` shards when ``num_shards`` does not say otherwise (writing itself is sequential I/O).

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset, DatasetDict, load_from_disk
            >>> p = os.path.join(tempfile.mkdtemp(), "dd")
            >>> DatasetDict({"train": Dataset.from_dict({"a": [1]})}).save_to_disk(p)
            >>> load_from_disk(p)["train"]["a"]
            [1]
        """
        self._check_values_type()
        for split in self:
            if not isinstance(split, str) or not _SPLIT_NAME.match(split):
                raise InvalidArgumentError("dataset_dict_path", f"split name {split!r} cannot be a folder name; "
                                           "use letters, digits, _ . -")
        if isinstance(num_shards, dict) and set(num_shards) != set(self):
            raise InvalidArgumentError("num_shards", f"give one entry per split {list(self)}, got {list(num_shards)}")

        def write(folder: str) -> None:
            os.makedirs(folder, exist_ok=True)
            for split, ds in self.items():
                n = shards_for(ds, max_shard_size, num_shards.get(split) if isinstance(num_shards, dict) else num_shards,
                               num_proc)
                write_dataset_folder(ds, os.path.join(folder, split), max_shard_size, n)
            write_dict_json(folder, list(self))

        save_folder(write, dataset_dict_path, storage_options)

    @staticmethod
    def load_from_disk(dataset_dict_path: str | os.PathLike, keep_in_memory: bool | None = None,
                       storage_options: dict | None = None) -> "DatasetDict":
        """Open a folder written by ``DatasetDict.save_to_disk`` (arrowdata's or HF's)."""
        out = load_from_disk(dataset_dict_path, keep_in_memory=keep_in_memory, storage_options=storage_options)
        if not isinstance(out, DatasetDict):
            raise ArrowDataError(f"{dataset_dict_path} holds a single Dataset, not a DatasetDict; "
                                 "use arrowdata.load_from_disk")
        return out

    @classmethod
    def _load_folder(cls, folder: str, keep_in_memory: bool = False, verify: bool | None = None) -> "DatasetDict":
        dataset_cls = _dataset_cls()
        return cls({s: load_dataset_folder(path, dataset_cls, keep_in_memory, verify)
                    for s, path in dict_splits(folder)})


def load_from_disk(dataset_path: str | os.PathLike, keep_in_memory: bool | None = None,
                   storage_options: dict | None = None, verify: bool | None = None) -> Any:
    """Open a folder written by ``save_to_disk`` (arrowdata's or HF ``datasets``'): a Dataset or DatasetDict.

    Args:
        dataset_path: local folder or fsspec URL; remote folders are fetched into the cache first.
        keep_in_memory: copy the data into RAM instead of memory-mapping it (default: map).
        storage_options: fsspec options.
        verify: ``True`` runs Arrow's full validation (every offset and UTF-8 byte); ``False``
            checks the structure only; ``None`` (default) checks the structure plus every offset
            buffer up to 1 GB of shards (what would crash a later read), the structure beyond.
            A failed check raises ``CorruptFileError`` naming the file.

    Example:
        >>> load_from_disk("/no/such/folder")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        arrowdata.errors.MissingFileError: No such file or directory: '/no/such/folder'
    """
    url = os.fspath(dataset_path)
    folder = local_folder(url, storage_options)
    kind = folder_kind(folder)
    if kind == "dict":
        return DatasetDict._load_folder(folder, keep_in_memory=bool(keep_in_memory), verify=verify)
    if kind == "dataset":
        return load_dataset_folder(folder, _dataset_cls(), keep_in_memory=bool(keep_in_memory), verify=verify)
    raise MissingFileError(os.path.join(url, STATE_JSON),
                           hint=f"{url} is not a save_to_disk folder (no {STATE_JSON} or {DICT_JSON})")
