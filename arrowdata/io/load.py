"""``load_dataset``: data files in, a memory-mapped Dataset out, converted once and cached.

The first call streams the input through a builder into ``cache_dir()/converted/<key>/`` (a
``save_to_disk`` folder). The key covers the builder, its options, the features, the split and
every file's URL, size and content hash, so later calls on unchanged files reopen the folder
in milliseconds, and any edit to a file (even one that keeps its size and mtime) converts again.

Example:
    >>> import arrowdata, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.jsonl"); _ = open(p, "w").write('{"x": 1}\\n{"x": 2}\\n')
    >>> ds = arrowdata.load_dataset("json", data_files=p)
    >>> ds.num_rows, ds.split
    (2, 'train')
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Mapping

from .. import config
from ..dataset import Dataset
from ..dataset_dict import DatasetDict
from ..errors import UnknownNameError
from ..features import Features
from ..folder_format import DEFAULT_MAX_SHARD_SIZE
from .builder import BUILDERS, Builder, get_builder, infer_builder
from .convert import CONVERSION_VERSION, conversion_key, convert_cached  # noqa: F401  (re-exported)
from .files import DataFile, resolve_data_files

logger = logging.getLogger(__name__)

_SPLIT_SLICE = re.compile(r"^(?P<name>[\w.-]+)(?:\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?$")


def _as_features(features: Any) -> Any:
    if features is None:
        return None
    if isinstance(features, Features):
        return features
    if isinstance(features, Mapping):
        values = list(features.values())
        # a JSON form ({"a": {"dtype": "int64", "_type": "Value"}}) or a dict of feature objects
        if values and all(isinstance(v, Mapping) and "_type" in v for v in values):
            return Features.from_dict(dict(features))
        return Features(dict(features))
    raise TypeError(f"features must be arrowdata.Features or a dict of features, got {type(features).__name__}")


def _pick_builder(builder: str | None, data_files: Any,
                  storage_options: Mapping[str, Any] | None = None) -> tuple[str, Any]:
    """``(builder_name, data_files)``; a path given as the builder is a data file to infer from."""
    if builder in BUILDERS:
        return builder, data_files
    looks_like_path = builder is not None and ("/" in builder or "." in builder or os.path.exists(builder))
    if data_files is None and looks_like_path:
        data_files = builder
        builder = None
    if builder is None:
        if data_files is None:
            raise TypeError("load_dataset needs a builder name or data_files")
        resolved = resolve_data_files(data_files, storage_options)
        name = infer_builder([f.inner_name for files in resolved.values() for f in files])
        if name is None:
            raise UnknownNameError("builder for files like", next(iter(resolved.values()))[0].url, list(BUILDERS))
        return name, data_files
    raise UnknownNameError("builder", builder, list(BUILDERS))


def _load_split(builder: Builder, files: list[DataFile], split: str, features: Any, root: Path, *,
                keep_in_memory: bool, progress: bool, max_shard_size: int | str) -> Dataset:
    saved = convert_cached(builder, files, split, features, root, keep_in_memory=keep_in_memory,
                           progress=progress, max_shard_size=max_shard_size)
    return Dataset._from_parts(saved.table, fingerprint=saved.fingerprint, info=saved.info, split=saved.split,
                               format=saved.format, data_files=saved.data_files)


def _apply_slice(ds: Any, spec: re.Match) -> Any:
    start, stop = spec.group("start"), spec.group("stop")
    if start is None and stop is None:
        return ds
    n = len(ds)

    def bound(text: str | None, default: int) -> int:
        if text is None:
            return default
        value = int(round(n * int(text[:-1]) / 100)) if text.endswith("%") else int(text)
        return max(0, min(n, value + n if value < 0 else value))

    return ds.select(range(bound(start, 0), bound(stop, n)))


def load_dataset(builder: str | None = None, data_files: Any = None, split: str | None = None,
                 cache_dir: str | os.PathLike | None = None, features: Any = None, *,
                 data_dir: str | None = None, storage_options: Mapping[str, Any] | None = None,
                 keep_in_memory: bool = False, progress: bool = True,
                 max_shard_size: int | str = DEFAULT_MAX_SHARD_SIZE, streaming: bool = False,
                 **builder_options: Any) -> Any:
    """Load data files as a memory-mapped :class:`arrowdata.Dataset` (or a ``DatasetDict``).

    Args:
        builder: ``"csv"``, ``"json"``, ``"parquet"``, ``"text"`` or ``"arrow"``; or a path/URL,
            whose extension picks the builder.
        data_files: a path, URL, folder or glob; a list of them (one ``Dataset``); or a dict of
            split name -> path(s) (a ``DatasetDict``). Compressed files (.gz .bz2 .xz .zst) are read
            transparently; any fsspec URL works (``memory://``, ``s3://``...).
        split: with a dict, the split to return (``"train"``, or a slice: ``"train[:10%]"``,
            ``"test[100:200]"``); with a path or list, the split name to record.
        cache_dir: where conversions go (default ``arrowdata.config.cache_dir()/converted``).
        features: :class:`arrowdata.Features` to cast the columns to (e.g. ``ClassLabel`` from strings).
        data_dir: a folder of data files, used when ``data_files`` is not given.
        storage_options: passed to fsspec (credentials, ``client_kwargs={"endpoint_url": ...}``).
        keep_in_memory: load the converted table into RAM instead of memory-mapping it.
        progress: show a progress bar while converting.
        max_shard_size: bytes per converted ``.arrow`` shard.
        streaming: read the files lazily as an ``arrowdata.streaming.IterableDataset`` (or an
            ``IterableDatasetDict``) instead of converting them: see ``docs/streaming.md``.
        **builder_options: the builder's options (``delimiter=";"``, ``field="data"``,
            ``sample_by="paragraph"``...); an unknown one is an error listing the known ones.

    Raises:
        UnknownNameError: the builder, a builder option or the split is unknown (the known ones are listed).
        MissingFileError: a file, folder or pattern does not exist (the path is named).
        DataFileError: malformed input (file and line named).
        SchemaMismatchError: files disagree on their columns (file and column named).
        CastError: the data does not fit ``features``.

    Example:
        >>> import arrowdata
        >>> dd = arrowdata.load_dataset("csv", data_files={"train": "train.csv", "test": "test.csv"})  # doctest: +SKIP
        >>> dd["test"].num_rows  # doctest: +SKIP
        100
    """
    if data_files is None and data_dir is not None:
        data_files = data_dir
    name, data_files = _pick_builder(builder, data_files, storage_options)
    configured = get_builder(name, **builder_options)
    feats = _as_features(features)
    spec = _SPLIT_SLICE.match(split) if split is not None else None
    if split is not None and spec is None:
        raise ValueError(f"split {split!r} is not a split name or a slice such as 'train[:10%]'")
    single = not isinstance(data_files, Mapping)
    default_split = spec.group("name") if (single and spec is not None) else "train"
    resolved = resolve_data_files(data_files, storage_options, extensions=configured.extensions,
                                  default_split=default_split)
    if spec is not None and spec.group("name") not in resolved:
        raise UnknownNameError("split", spec.group("name"), list(resolved))
    if streaming:
        from ..streaming import load_streaming

        return load_streaming(configured, resolved, split=split, single=single, features=feats)
    root = Path(cache_dir).expanduser() if cache_dir is not None else config.cache_dir() / "converted"
    root.mkdir(parents=True, exist_ok=True)
    wanted = [spec.group("name")] if spec is not None else list(resolved)
    loaded = {s: _load_split(configured, resolved[s], s, feats, root, keep_in_memory=keep_in_memory,
                             progress=progress, max_shard_size=max_shard_size) for s in wanted}
    if spec is not None:
        return _apply_slice(loaded[spec.group("name")], spec)
    if single:
        return loaded[default_split]
    return DatasetDict(loaded)
