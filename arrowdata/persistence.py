"""save_to_disk / load_from_disk, in the folder layout of Hugging Face ``datasets``.

A saved dataset is a folder of ``data-0000i-of-0000N.arrow`` shards (Arrow IPC stream),
``state.json`` (files, fingerprint, format, split) and ``dataset_info.json`` (description,
features...); a DatasetDict is a folder with ``dataset_dict.json`` (``{"splits": [...]}``) and
one such folder per split. Both libraries open each other's folders.

Saving writes a temporary folder and renames it into place, so a crash never leaves a
half-written dataset. Loading memory-maps the shards (a few MB of RAM whatever the size);
remote folders (any fsspec URL) are first fetched into ``cache_dir()/remote/<key>/``.
Nothing is ever unpickled: the metadata files are JSON.

Example:
    >>> import tempfile, os
    >>> from arrowdata import Dataset, load_from_disk
    >>> path = os.path.join(tempfile.mkdtemp(), "ds")
    >>> Dataset.from_dict({"a": [1, 2, 3]}).save_to_disk(path)
    >>> sorted(os.listdir(path))
    ['data-00000-of-00001.arrow', 'dataset_info.json', 'state.json']
    >>> load_from_disk(path)["a"]
    [1, 2, 3]
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import xxhash

from . import config
from .errors import ArrowDataError, CorruptFileError, MissingFileError

logger = logging.getLogger(__name__)

STATE_JSON = "state.json"
INFO_JSON = "dataset_info.json"
DICT_JSON = "dataset_dict.json"
DEFAULT_MAX_SHARD_SIZE = 500 << 20
WRITE_BATCH_ROWS = 1000
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}


def parse_size(size: int | str) -> int:
    """Bytes in ``size``: an int, or a string such as ``"500MB"``, ``"1GiB"``.

    Example:
        >>> parse_size("2KiB"), parse_size("1MB"), parse_size(10)
        (2048, 1000000, 10)
    """
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)\s*", str(size).upper())
    if not m or m.group(2) not in _UNITS:
        raise ArrowDataError(f"max_shard_size={size!r} is not a size; use bytes or e.g. '500MB', '1GiB'")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def shard_filename(index: int, num_shards: int) -> str:
    return f"data-{index:05d}-of-{num_shards:05d}.arrow"


def _url_to_fs(path: str, storage_options: dict | None) -> tuple[Any, str, bool]:
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    fs, fs_path = fsspec.core.url_to_fs(os.fspath(path), **(storage_options or {}))
    return fs, fs_path, isinstance(fs, LocalFileSystem)


def _temp_sibling(path: str) -> str:
    return f"{path.rstrip('/')}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _replace_folder(tmp: str, final: str) -> None:
    """Move a finished folder into place; an older folder there is removed only afterwards.

    Open memory maps of the old files stay valid (POSIX keeps unlinked files alive).
    """
    if os.path.exists(final):
        old = _temp_sibling(final)
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(final)) or ".", exist_ok=True)
        os.replace(tmp, final)


def _jsonable_kwargs(kwargs: dict) -> dict:
    out = {}
    for k, v in kwargs.items():
        try:
            json.dumps(v)
        except TypeError:
            logger.warning("format option %s=%r is not saved (not JSON)", k, v)
            continue
        out[k] = v
    return out


def _num_shards(ds: Any, max_shard_size: int | str | None, num_shards: int | None) -> int:
    n = ds.num_rows
    if num_shards is not None:
        if not isinstance(num_shards, int) or num_shards < 1:
            raise ArrowDataError(f"num_shards must be a positive integer, got {num_shards!r}")
        if n and num_shards > n:
            raise ArrowDataError(f"num_shards={num_shards} is more than the {n} rows")
        return num_shards
    limit = parse_size(max_shard_size if max_shard_size is not None else DEFAULT_MAX_SHARD_SIZE)
    if limit <= 0:
        raise ArrowDataError(f"max_shard_size must be positive, got {max_shard_size!r}")
    total = ds._table.nbytes * (n / ds._table.num_rows if ds._table.num_rows else 0)
    return max(1, min(n, math.ceil(total / limit))) if n else 1


def write_dataset_folder(ds: Any, folder: str, max_shard_size: int | str | None = None,
                         num_shards: int | None = None) -> None:
    """Write ``ds`` (indices applied) as a save_to_disk folder at the local path ``folder``."""
    from tqdm.auto import tqdm

    from .features import schema_metadata
    from .gather import iter_take
    from .table import to_disk_table
    from .writer import ArrowWriter

    shards = _num_shards(ds, max_shard_size, num_shards)
    os.makedirs(folder, exist_ok=True)
    n = ds.num_rows
    features = ds.features
    schema = to_disk_table(ds._table.slice(0, 0), features).schema
    schema = schema.with_metadata({**(schema.metadata or {}), **schema_metadata(features)})
    idx = ds._indices_np()
    files = []
    with tqdm(total=n, desc=f"Saving ({shards} shards)", unit=" examples", disable=None) as bar:
        for s in range(shards):
            start, stop = s * n // shards, (s + 1) * n // shards
            name = shard_filename(s, shards)
            with ArrowWriter(os.path.join(folder, name), schema=schema) as writer:
                if idx is None:
                    for batch in ds._table.slice(start, stop - start).to_batches(max_chunksize=WRITE_BATCH_ROWS * 10):
                        writer.write(to_disk_table(_as_table(batch), features))
                        bar.update(batch.num_rows)
                else:
                    for table in iter_take(ds._table, idx[start:stop], WRITE_BATCH_ROWS):
                        writer.write(to_disk_table(table, features))
                        bar.update(table.num_rows)
            files.append(name)
    fmt = ds._format
    state = {
        "_data_files": [{"filename": f} for f in files],
        "_fingerprint": ds._fingerprint,
        "_format_columns": list(fmt.columns) if fmt.columns is not None else None,
        "_format_kwargs": _jsonable_kwargs(fmt.kwargs),
        "_format_type": fmt.type if fmt.transform is None else None,
        "_output_all_columns": fmt.output_all_columns,
        "_split": ds._split,
    }
    Path(folder, STATE_JSON).write_text(json.dumps(state, indent=2, sort_keys=True))
    Path(folder, INFO_JSON).write_text(ds._info.to_json())


def _as_table(batch: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_batches([batch])


def save_folder(writer_fn: Any, path: str | os.PathLike, storage_options: dict | None) -> None:
    """Run ``writer_fn(local_tmp_folder)`` then move the result to ``path`` (local or any fsspec URL)."""
    fs, fs_path, local = _url_to_fs(os.fspath(path), storage_options)
    if local:
        final = os.path.abspath(fs_path)
        tmp = _temp_sibling(final)
        try:
            writer_fn(tmp)
            _replace_folder(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    staging = os.path.join(config.cache_dir(), "remote", f"upload.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        writer_fn(staging)
        remote_tmp = _temp_sibling(fs_path)
        fs.put(staging.rstrip("/") + "/", remote_tmp, recursive=True)
        # Object stores have no folder rename: move file by file, the JSON metadata last, so a
        # reader that finds state.json / dataset_dict.json finds every shard it names.
        rels = sorted((os.path.relpath(os.path.join(d, f), staging) for d, _, fs_ in os.walk(staging) for f in fs_),
                      key=lambda r: (os.path.basename(r) in (STATE_JSON, INFO_JSON, DICT_JSON), r))
        if fs.exists(fs_path):
            fs.rm(fs_path, recursive=True)
        for rel in rels:
            rel = rel.replace(os.sep, "/")
            fs.mv(f"{remote_tmp}/{rel}", f"{fs_path.rstrip('/')}/{rel}")
        try:
            fs.rm(remote_tmp, recursive=True)
        except FileNotFoundError:  # nothing left: object stores drop empty prefixes
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class PersistenceOps:
    """Mixin of :class:`arrowdata.Dataset`: save_to_disk and load_from_disk."""

    def save_to_disk(self, dataset_path: str | os.PathLike, max_shard_size: int | str | None = None,
                     num_shards: int | None = None, storage_options: dict | None = None,
                     num_proc: int | None = None) -> None:
        """Save as a folder that ``arrowdata.load_from_disk`` and HF ``datasets.load_from_disk`` open.

        Args:
            dataset_path: local folder or fsspec URL (``s3://...``, ``memory://...``).
            max_shard_size: largest shard, bytes or ``"500MB"`` (default 500MB).
            num_shards: exact number of shards (overrides ``max_shard_size``).
            storage_options: fsspec options (credentials, endpoint...).
            num_proc: accepted for HF compatibility; writing is sequential I/O.

        Rows selected/shuffled through indices are written in their logical order.

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset
            >>> p = os.path.join(tempfile.mkdtemp(), "d")
            >>> Dataset.from_dict({"a": list(range(10))}).save_to_disk(p, num_shards=2)
            >>> sorted(f for f in os.listdir(p) if f.endswith(".arrow"))
            ['data-00000-of-00002.arrow', 'data-00001-of-00002.arrow']
        """
        save_folder(lambda tmp: write_dataset_folder(self, tmp, max_shard_size, num_shards), dataset_path,
                    storage_options)

    @staticmethod
    def load_from_disk(dataset_path: str | os.PathLike, keep_in_memory: bool | None = None,
                       storage_options: dict | None = None, verify: bool | None = None) -> Any:
        """Open a saved folder (see :func:`load_from_disk`)."""
        return load_from_disk(dataset_path, keep_in_memory=keep_in_memory, storage_options=storage_options,
                              verify=verify)


def _remote_key(fs: Any, fs_path: str, url: str) -> tuple[str, list[dict]]:
    entries = [e for e in fs.find(fs_path, detail=True, withdirs=False).values()]
    listing = sorted((e["name"], e.get("size"), str(e.get("ETag") or e.get("etag") or e.get("mtime")
                                                    or e.get("LastModified") or e.get("created") or ""))
                     for e in entries)
    return xxhash.xxh3_128_hexdigest(json.dumps([url, listing], default=str).encode()), entries


def fetch_remote_folder(fs: Any, fs_path: str, url: str) -> str:
    """Copy a remote folder into ``cache_dir()/remote/<key>/`` (reused while the listing is unchanged)."""
    if not fs.exists(fs_path):
        raise MissingFileError(url)
    key, entries = _remote_key(fs, fs_path, url)
    target = os.path.join(config.cache_dir(), "remote", key)
    if os.path.isdir(target):
        return target
    tmp = _temp_sibling(target)
    os.makedirs(tmp, exist_ok=True)
    try:
        from tqdm.auto import tqdm

        base = fs_path.rstrip("/")
        for entry in tqdm(entries, desc="Fetching", unit=" files", disable=None):
            rel = entry["name"].rstrip("/")[len(base):].lstrip("/")
            dest = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            fs.get_file(entry["name"], dest)
        _replace_folder(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except ValueError as e:
        raise CorruptFileError(f"{path}: not valid JSON ({e})") from e


def _safe_member(folder: str, name: Any, source: str) -> str:
    """``folder/name`` for a file name read from metadata; refuses paths that leave the folder."""
    if not isinstance(name, str) or not name or os.path.isabs(name) or ".." in Path(name).parts:
        raise CorruptFileError(f"{source}: invalid data file name {name!r}")
    return os.path.join(folder, name)


def _stable_fingerprint(value: Any, folder: str) -> str:
    from .fingerprint import is_fingerprint

    if isinstance(value, str) and is_fingerprint(value):
        return value
    # HF writes 16 hex characters; keep its identity but in our 32-character form.
    seed = value if isinstance(value, str) and value else f"folder:{folder}"
    return xxhash.xxh3_128_hexdigest(f"hf:{seed}".encode())


def load_dataset_folder(folder: str, keep_in_memory: bool = False, verify: bool | None = None) -> Any:
    """Open one local save_to_disk folder as a Dataset."""
    from .dataset import Dataset
    from .formatting import Format
    from .formatting.base import canonical_format_name
    from .info import DatasetInfo
    from .table import open_arrow_files

    state_path = os.path.join(folder, STATE_JSON)
    state = _read_json(state_path)
    if not isinstance(state, dict) or not isinstance(state.get("_data_files"), list) or not state["_data_files"]:
        raise CorruptFileError(f"{state_path}: no '_data_files' list")
    files = [_safe_member(folder, (f or {}).get("filename") if isinstance(f, dict) else None, state_path)
             for f in state["_data_files"]]
    table = open_arrow_files(files, verify=verify)
    if keep_in_memory:
        from .construct import _copy_to_memory

        table = _copy_to_memory(table)
    info_path = os.path.join(folder, INFO_JSON)
    info = DatasetInfo.from_dict(_read_json(info_path)) if os.path.exists(info_path) else DatasetInfo()
    fmt = Format()
    try:
        ftype = canonical_format_name(state.get("_format_type"))
        cols = state.get("_format_columns")
        fmt = Format(ftype, tuple(cols) if cols else None, bool(state.get("_output_all_columns")),
                     dict(state.get("_format_kwargs") or {}))
        if fmt.columns is not None and not set(fmt.columns) <= set(table.column_names):
            fmt = fmt.replace(columns=None)
    except ArrowDataError as e:
        logger.warning("%s: ignoring saved format (%s)", state_path, e)
    return Dataset._from_parts(table, fingerprint=_stable_fingerprint(state.get("_fingerprint"), folder),
                               info=info, split=state.get("_split"), format=fmt,
                               data_files=[] if keep_in_memory else [os.path.abspath(f) for f in files])


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
    fs, fs_path, local = _url_to_fs(url, storage_options)
    folder = os.path.abspath(fs_path) if local else fetch_remote_folder(fs, fs_path, url)
    if not os.path.isdir(folder):
        raise MissingFileError(url)
    if os.path.exists(os.path.join(folder, DICT_JSON)):
        from .dataset_dict import DatasetDict

        return DatasetDict._load_folder(folder, keep_in_memory=bool(keep_in_memory), verify=verify)
    if os.path.exists(os.path.join(folder, STATE_JSON)):
        return load_dataset_folder(folder, keep_in_memory=bool(keep_in_memory), verify=verify)
    raise MissingFileError(os.path.join(url, STATE_JSON),
                           hint=f"{url} is not a save_to_disk folder (no {STATE_JSON} or {DICT_JSON})")
