"""``load_dataset``: data files in, a memory-mapped Dataset out, converted once and cached.

The first call streams the input through a builder into ``cache_dir()/converted/<key>/`` (a
``save_to_disk`` folder). The key covers the builder, its options, the features, the split and
every file's URL, size and content hash, so later calls on unchanged files reopen the folder
in milliseconds, and any edit to a file (even one that keeps its size and mtime) converts again.

Example:
    >>> import arrowdata, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.jsonl"); _ = open(p, "w").write('{"x": 1}\\n{"x": 2}\\n')
    >>> dd = arrowdata.load_dataset("json", data_files=p, progress=False)
    >>> dd["train"].num_rows, dd["train"].split
    (2, 'train')
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

from .. import config
from ..dataset import Dataset
from ..dataset_dict import DatasetDict
from ..errors import DatasetNotFoundError, InvalidArgumentError, UnknownNameError
from ..features import Features
from ..folder_format import DEFAULT_MAX_SHARD_SIZE
from ..splits import apply_split, split_names
from .builder import BUILDERS, Builder, get_builder, infer_builder
from .convert import CONVERSION_VERSION, conversion_key, convert_cached  # noqa: F401  (re-exported)
from .data_files import expand_archives, folder_data_files
from .files import DataFile, resolve_data_files

logger = logging.getLogger(__name__)


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


_DOWNLOAD_MODES = ("reuse_dataset_if_exists", "reuse_cache_if_exists", "force_redownload")


def _path_kind(path: str, storage_options: Mapping[str, Any] | None) -> str:
    """``"folder"``, ``"files"`` (a file, glob or URL that resolves) or ``"missing"``."""
    from ..filesystems import url_to_fs

    text = os.path.expanduser(os.fspath(path))
    try:
        fs, inner = url_to_fs(text, storage_options)
        if fs.isdir(inner):
            return "folder"
        if any(c in inner for c in "*?[") and fs.glob(inner):
            return "files"
        return "files" if fs.exists(inner) else "missing"
    except (ValueError, ImportError, OSError):
        return "missing"


def _not_found(path: str) -> DatasetNotFoundError:
    return DatasetNotFoundError(os.fspath(path), list(BUILDERS))


def _resolve(path: str | None, data_dir: str | None, data_files: Any, storage_options: Mapping[str, Any] | None,
             builder_options: dict[str, Any]) -> tuple[Builder, dict[str, list[DataFile]]]:
    """The configured builder and ``{split: files}`` for load_dataset's arguments (HF's rules)."""
    name = path if path in BUILDERS else None
    if path is not None and name is None:
        kind = _path_kind(path, storage_options)
        if kind == "missing":
            raise _not_found(path)
        if kind == "folder":  # a dataset folder: data_dir and data_files are inside it
            if data_dir is not None:
                data_dir = _under(os.fspath(path), data_dir)
            elif data_files is None:
                data_dir = os.fspath(path)
            else:
                data_files = _under(os.fspath(path), data_files)
        elif data_files is None and data_dir is None:
            data_files = path
        else:
            raise InvalidArgumentError("path", f"{path!r} is a data file; give either it or data_files=/data_dir=")
    elif data_files is not None and data_dir is not None:
        data_files = _under(data_dir, data_files)
    if data_files is None and data_dir is None:
        raise TypeError("load_dataset needs data_files=, data_dir= or a path to a file or folder")
    extensions = BUILDERS[name].extensions if name is not None else None
    if data_files is not None:
        resolved = resolve_data_files(data_files, storage_options, extensions=extensions)
        resolved = {s: expand_archives(fs, extensions) for s, fs in resolved.items()}
    else:
        known = tuple(e for cls in BUILDERS.values() for e in cls.extensions)
        resolved = folder_data_files(data_dir, storage_options, extensions or known)
    if name is None:
        name = infer_builder([f.inner_name for files in resolved.values() for f in files])
        if name is None:
            raise UnknownNameError("builder for files like", next(iter(resolved.values()))[0].url, list(BUILDERS))
        # a folder of mixed files: keep the ones the chosen builder reads
        ext = BUILDERS[name].extensions
        resolved = {s: [f for f in fs if f.inner_name.lower().endswith(ext)] or fs for s, fs in resolved.items()}
    return get_builder(name, **builder_options), resolved


def _under(data_dir: str, data_files: Any) -> Any:
    """``data_files`` with relative paths taken inside ``data_dir`` (HF's rule when both are given)."""
    def join(p: Any) -> Any:
        p = os.fspath(p)
        return p if ("://" in p or os.path.isabs(p)) else os.path.join(os.fspath(data_dir), p)

    if isinstance(data_files, Mapping):
        return {k: _under(data_dir, v) for k, v in data_files.items()}
    if isinstance(data_files, (list, tuple)):
        return [join(p) for p in data_files]
    return join(data_files)


def _load_split(builder: Builder, files: list[DataFile], split: str, features: Any, root: Path, *,
                keep_in_memory: bool, progress: bool, max_shard_size: int | str) -> Dataset:
    saved = convert_cached(builder, files, split, features, root, keep_in_memory=keep_in_memory,
                           progress=progress, max_shard_size=max_shard_size)
    return Dataset._from_parts(saved.table, fingerprint=saved.fingerprint, info=saved.info, split=saved.split,
                               format=saved.format, data_files=saved.data_files)


def load_dataset(path: str | None = None, name: str | None = None, data_dir: str | None = None,
                 data_files: Any = None, split: Any = None, cache_dir: str | os.PathLike | None = None,
                 features: Any = None, download_config: Any = None, download_mode: str | None = None,
                 verification_mode: Any = None, keep_in_memory: bool | None = None, save_infos: bool = False,
                 revision: str | None = None, token: Any = None, streaming: bool = False, num_proc: int | None = None,
                 storage_options: Mapping[str, Any] | None = None, trust_remote_code: bool | None = None, *,
                 builder: str | None = None, progress: bool = True,
                 max_shard_size: int | str = DEFAULT_MAX_SHARD_SIZE, **builder_options: Any) -> Any:
    """Load data files as memory-mapped datasets: a ``DatasetDict`` of splits, or the ``Dataset`` of ``split``.

    The signature and the results are Hugging Face ``datasets``' for local and fsspec files. The
    first call converts the files into the cache; later calls on unchanged files reopen it in
    milliseconds, and any edit to a file converts again.

    Args:
        path: a builder (``"csv"``, ``"json"``, ``"parquet"``, ``"text"``, ``"arrow"``), or a data
            file / glob / folder / fsspec URL whose files pick the builder. A name that is none of
            these (a Hub dataset id) is a :class:`DatasetNotFoundError`.
        name: HF's configuration name; local builders have one configuration, so it is ignored.
        data_dir: a folder of data files; its splits are named from folder and file names
            (``train.csv``, ``test-*.jsonl``, ``validation/...``, ``data/train-00000-of-00002.parquet``).
            With ``data_files``, relative data files are taken inside it.
        data_files: a path, URL, glob or folder (all ``train``); a list of them; or a dict of split
            -> path(s). Compressed files (.gz .bz2 .xz .zst) are read transparently; ``.zip`` and
            ``.tar(.gz)`` archives are extracted once and their files read.
        split: ``None`` (a ``DatasetDict`` of every split), a split name, a slice or sum in HF's
            grammar (``"train[:10%]"``, ``"train[10:20]"``, ``"train+test"``, see
            :mod:`arrowdata.splits`), or a list of them (a list of datasets).
        cache_dir: where conversions go (default ``arrowdata.config.cache_dir()/converted``).
        features: :class:`arrowdata.Features` (or their dict form) the columns are cast to; values
            the reader produced are converted where exact (CSV ``"1.0"`` to an int, numbers to strings).
        download_mode: ``"force_redownload"`` converts again even when the cache holds the files'
            conversion; the other HF values reuse it.
        keep_in_memory: load the converted table into RAM instead of memory-mapping it; ``None``
            (default): into RAM only when smaller than ``arrowdata.config.IN_MEMORY_MAX_SIZE`` bytes
            (0 by default: always memory-mapped), as in HF.
        streaming: return ``IterableDataset`` streams reading the files lazily (``arrowdata.streaming``).
        storage_options: passed to fsspec (credentials, ``client_kwargs={"endpoint_url": ...}``).
        download_config, verification_mode, save_infos, revision, token, num_proc, trust_remote_code:
            HF's Hub and builder-script options; accepted for drop-in compatibility and without effect
            on local files.
        builder: the builder name, as a keyword (arrowdata's earlier spelling of ``path``).
        progress: show a progress bar while converting.
        max_shard_size: bytes per converted ``.arrow`` shard.
        **builder_options: the builder's options (``delimiter=";"``, ``field="data"``,
            ``sample_by="paragraph"``...); an unknown one is an error listing the known ones.

    Raises:
        DatasetNotFoundError: ``path`` is not a builder, file or folder (a ``FileNotFoundError``).
        UnknownNameError: the builder, a builder option or the split is unknown (the known ones are listed).
        MissingFileError: a file, folder or pattern does not exist (the path is named).
        DataFileError: malformed input (file and line named).
        SchemaMismatchError: files disagree on their columns (file and column named).
        CastError: the data does not fit ``features``.

    Example:
        >>> import arrowdata, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "a.jsonl"); _ = open(p, "w").write('{"x": 1}\\n{"x": 2}\\n')
        >>> dd = arrowdata.load_dataset("json", data_files=p, progress=False)
        >>> list(dd), dd["train"].num_rows
        (['train'], 2)
        >>> arrowdata.load_dataset("json", data_files=p, split="train[:50%]", progress=False)["x"]
        [1]
    """
    if builder is not None:
        if path is not None and path != builder:
            raise InvalidArgumentError("builder", f"give the builder once (path={path!r}, builder={builder!r})")
        path = builder
    if download_mode is not None and str(getattr(download_mode, "value", download_mode)) not in _DOWNLOAD_MODES:
        raise InvalidArgumentError("download_mode", f"{download_mode!r}; use one of {list(_DOWNLOAD_MODES)}")
    if name is not None:
        logger.debug("load_dataset: configuration name %r ignored (local builders have one configuration)", name)
    builder_options = {k: v for k, v in builder_options.items() if not _ignored_option(k, v)}
    configured, resolved = _resolve(path, data_dir, data_files, storage_options, builder_options)
    feats = _as_features(features)
    if streaming:
        from ..streaming import load_streaming

        return load_streaming(configured, resolved, split=None if split is None else str(split), single=False,
                              features=feats)
    wanted_specs = split if isinstance(split, list) else [split] if split is not None else []
    for spec in wanted_specs:
        for part in split_names(spec, list(resolved)):
            if part not in resolved:
                raise UnknownNameError("split", part, list(resolved))
    needed = list(resolved) if split is None else \
        [s for spec in wanted_specs for s in split_names(spec, list(resolved))]
    root = Path(cache_dir).expanduser() if cache_dir is not None else config.cache_dir() / "converted"
    root.mkdir(parents=True, exist_ok=True)
    force = str(getattr(download_mode, "value", download_mode)) == "force_redownload"
    loaded: dict[str, Dataset] = {}
    for s in dict.fromkeys(needed):
        if force:
            shutil.rmtree(root / conversion_key(configured, resolved[s], feats, s), ignore_errors=True)
        loaded[s] = _load_split(configured, resolved[s], s, feats, root, keep_in_memory=bool(keep_in_memory),
                                progress=progress, max_shard_size=max_shard_size)
        if keep_in_memory is None and 0 < loaded[s].dataset_size < config.IN_MEMORY_MAX_SIZE:
            # HF's rule for keep_in_memory=None: small splits in RAM (config.IN_MEMORY_MAX_SIZE, 0 = never)
            loaded[s] = _load_split(configured, resolved[s], s, feats, root, keep_in_memory=True,
                                    progress=progress, max_shard_size=max_shard_size)
    if split is None:
        return DatasetDict(loaded)
    out = [apply_split(loaded, spec) for spec in wanted_specs]
    return out if isinstance(split, list) else out[0]


def _ignored_option(key: str, value: Any) -> bool:
    """HF keywords with no meaning for local files: dropped (``use_auth_token`` and friends)."""
    if key in ("use_auth_token", "ignore_verifications", "task", "base_path", "dataset_info"):
        logger.debug("load_dataset: %s=%r ignored for local files", key, value)
        return True
    return False
