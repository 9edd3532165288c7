"""The saved-folder format (``save_to_disk`` / ``load_from_disk``), shared with Hugging Face ``datasets``.

A saved dataset is a folder of ``data-0000i-of-0000N.arrow`` shards (Arrow IPC stream),
``state.json`` (shard names, fingerprint, format, split) and ``dataset_info.json``
(description, features...); a DatasetDict is a folder with ``dataset_dict.json``
(``{"splits": [...]}``) and one such folder per split. Both libraries open each other's folders.

This module is the format and nothing else: it writes shards and metadata, places a finished
folder atomically (locally or on any fsspec filesystem), fetches remote folders, and reads a
folder back as plain parts (:class:`SavedFolder`). It knows nothing of ``Dataset``:
``persistence.py`` (save/load of a Dataset), ``io/convert.py`` (data files to a folder) and
``io/load.py`` all build on it. Nothing is ever unpickled: the metadata files are JSON.

Example:
    >>> import tempfile, os, pyarrow as pa
    >>> from arrowdata.info import DatasetInfo
    >>> folder = tempfile.mkdtemp()
    >>> with ShardedWriter(folder, pa.schema([("a", pa.int64())]), max_shard_size=1 << 20) as w:
    ...     w.write(pa.table({"a": [1, 2, 3]}))
    >>> write_folder_state(folder, w.shard_names, fingerprint="0" * 32, split="train", info=DatasetInfo())
    >>> sorted(os.listdir(folder))
    ['data-00000-of-00001.arrow', 'dataset_info.json', 'state.json']
    >>> saved = open_folder(folder)
    >>> saved.table["a"].to_pylist(), saved.split
    ([1, 2, 3], 'train')
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pyarrow as pa
import xxhash

from . import config
from .errors import ArrowDataError, MetadataError, MissingFileError
from .features import Features, schema_metadata
from .file_identity import folder_fingerprint, folder_state_fields
from .filesystems import is_local, url_to_fs
from .fingerprint import is_fingerprint
from .folder_checks import check_dict_meta, check_state
from .folder_swap import recover, replace_folder as swap
from .formatting import Format
from .formatting.base import canonical_format_name
from .info import DatasetInfo
from .metadata_files import confined_name, read_json_file
from .sizes import parse_size
from .table import copy_to_memory, open_arrow_files
from .writer import ArrowWriter, temp_path_for

logger = logging.getLogger(__name__)

STATE_JSON = "state.json"
INFO_JSON = "dataset_info.json"
DICT_JSON = "dataset_dict.json"
METADATA_FILES = (STATE_JSON, INFO_JSON, DICT_JSON)
DEFAULT_MAX_SHARD_SIZE = parse_size("500MB")  # bytes of Arrow data per shard, as HF `save_to_disk`


def shard_filename(index: int, num_shards: int) -> str:
    """The name of shard ``index`` of ``num_shards``, as both libraries write it.

    Example:
        >>> shard_filename(0, 2)
        'data-00000-of-00002.arrow'
    """
    return f"data-{index:05d}-of-{num_shards:05d}.arrow"


def with_features_metadata(schema: pa.Schema, features: Features | None = None) -> pa.Schema:
    """``schema`` with its features JSON in the metadata, so every shard describes itself."""
    features = features if features is not None else Features.from_arrow_schema(schema)
    return schema.with_metadata({**(schema.metadata or {}), **schema_metadata(features)})


# ----------------------------------------------------------------------------- writing


class ShardedWriter:
    """Arrow IPC shards of at most ``max_shard_size`` bytes in ``folder``, named ``data-i-of-N`` on close.

    Shards are written under temporary names (``shard-i.arrow``, each itself atomic) and get
    their final names once the count is known. A table larger than the room left in a shard is
    cut by its average row size, so shards stay near ``max_shard_size`` whatever the batch size.

    Example:
        >>> import tempfile, pyarrow as pa
        >>> with ShardedWriter(tempfile.mkdtemp(), pa.schema([("x", pa.int8())]), max_shard_size=8) as w:
        ...     w.write(pa.table({"x": pa.array(range(20), pa.int8())}))
        >>> w.shard_names[-1], w.num_rows
        ('data-00002-of-00003.arrow', 20)
    """

    def __init__(self, folder: str | os.PathLike, schema: pa.Schema, max_shard_size: int | str) -> None:
        self.folder, self.schema = Path(folder), schema
        self.max_shard_size = parse_size(max_shard_size, "max_shard_size")
        if self.max_shard_size <= 0:
            raise ArrowDataError(f"max_shard_size must be positive, got {max_shard_size!r}")
        self.done: list[Path] = []
        self.writer: ArrowWriter | None = None
        self.num_rows = self.num_bytes = 0
        self.shard_names: list[str] = []

    def _open(self) -> ArrowWriter:
        return ArrowWriter(self.folder / f"shard-{len(self.done):05d}.arrow", schema=self.schema)

    def write(self, table: pa.Table) -> None:
        self.num_rows += table.num_rows
        self.num_bytes += table.nbytes
        # (a counter, not table.num_rows: pyarrow keeps num_rows when slicing a zero-column table)
        start, remaining = 0, table.num_rows
        per_row = max(1, table.nbytes // max(1, table.num_rows))
        while remaining:
            if self.writer is None:
                self.writer = self._open()
            room = self.max_shard_size - self.writer.num_bytes
            take = remaining if remaining * per_row <= room else max(1, room // per_row)
            self.writer.write(table.slice(start, take) if (start, take) != (0, table.num_rows) else table)
            start, remaining = start + take, remaining - take
            if self.writer.num_bytes >= self.max_shard_size or remaining:
                self.done.append(self.writer.close())
                self.writer = None

    def close(self) -> list[str]:
        """Finish the last shard and give every shard its final name; returns the names in order."""
        if self.writer is not None or not self.done:  # an empty dataset still has one (empty) shard
            self.done.append((self.writer or self._open()).close())
            self.writer = None
        self.shard_names = []
        for i, path in enumerate(self.done):
            name = shard_filename(i, len(self.done))
            os.replace(path, self.folder / name)
            self.shard_names.append(name)
        return self.shard_names

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer = None

    def __enter__(self) -> "ShardedWriter":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


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


def write_folder_state(folder: str | os.PathLike, shard_names: Sequence[str], *, fingerprint: str,
                       split: str | None, info: DatasetInfo, format: Format | None = None) -> None:
    """Write ``state.json`` and ``dataset_info.json`` for the shards ``shard_names`` of ``folder``.

    A format with a Python transform is saved as no format (a function is not JSON); format
    options that are not JSON are dropped with a warning.
    """
    fmt = format or Format()
    state = {
        "_data_files": [{"filename": n} for n in shard_names],
        "_fingerprint": fingerprint,
        "_format_columns": list(fmt.columns) if fmt.columns is not None else None,
        "_format_kwargs": _jsonable_kwargs(fmt.kwargs),
        "_format_type": fmt.type if fmt.transform is None else None,
        "_output_all_columns": fmt.output_all_columns,
        "_split": split,
    }

    state.update(folder_state_fields(fingerprint, [Path(folder, n) for n in shard_names]))  # see folder_fingerprint
    Path(folder, STATE_JSON).write_text(json.dumps(state, indent=2, sort_keys=True))
    Path(folder, INFO_JSON).write_text(info.to_json())


def write_folder_metadata(folder: str | os.PathLike, shard_names: Sequence[str], schema: pa.Schema, *,
                          fingerprint: str, split: str | None) -> None:
    """``state.json`` and ``dataset_info.json`` for shards of ``schema`` (features from the schema, no format)."""
    write_folder_state(folder, shard_names, fingerprint=fingerprint, split=split,
                       info=DatasetInfo(features=Features.from_arrow_schema(schema)))


def write_dict_json(folder: str | os.PathLike, splits: Sequence[str]) -> None:
    """``dataset_dict.json`` naming the split folders of a DatasetDict folder."""
    Path(folder, DICT_JSON).write_text(json.dumps({"splits": list(splits)}))


def temp_sibling(path: str) -> str:
    """A unique temporary name next to ``path`` (a file or folder; local or remote), as a string."""
    return str(temp_path_for(path.rstrip("/")))


def replace_folder(tmp: str, final: str) -> None:
    """Move a finished folder into place; an older folder there is removed only afterwards.

    Open memory maps of the old files stay valid (POSIX keeps unlinked files alive). Atomic, and
    recovered automatically after a crash: see :mod:`arrowdata.folder_swap`.
    """
    swap(tmp, final)


def save_folder(writer_fn: Callable[[str], Any], path: str | os.PathLike, storage_options: dict | None) -> None:
    """Run ``writer_fn(local_tmp_folder)`` then move the result to ``path`` (local or any fsspec URL).

    Locally the folder is renamed into place; on object stores (no folder rename) files are
    moved one by one, the JSON metadata last, so a reader that finds ``state.json`` finds every shard.
    """
    fs, fs_path = url_to_fs(path, storage_options)
    if is_local(fs):
        final = os.path.abspath(fs_path)
        tmp = temp_sibling(final)
        try:
            writer_fn(tmp)
            replace_folder(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    staging = temp_sibling(os.path.join(config.cache_dir(), "remote", "upload"))
    try:
        writer_fn(staging)
        remote_tmp = temp_sibling(fs_path)
        fs.put(staging.rstrip("/") + "/", remote_tmp, recursive=True)
        rels = sorted((os.path.relpath(os.path.join(d, f), staging) for d, _, fs_ in os.walk(staging) for f in fs_),
                      key=lambda r: (os.path.basename(r) in METADATA_FILES, r))
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


# ----------------------------------------------------------------------------- remote folders


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
    tmp = temp_sibling(target)
    os.makedirs(tmp, exist_ok=True)
    try:
        from .utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

        base = fs_path.rstrip("/")
        for entry in tqdm(entries, desc="Fetching", unit=" files", disable=None):
            rel = entry["name"].rstrip("/")[len(base):].lstrip("/")
            if not entry["name"].startswith(base + "/"):
                raise MissingFileError(entry["name"], hint=f"listed under {url} but not inside it")
            dest = os.path.join(tmp, confined_name(rel, url))  # a key such as "a/../../x" must not leave tmp
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            fs.get_file(entry["name"], dest)
        replace_folder(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def local_folder(url: str | os.PathLike, storage_options: dict | None = None) -> str:
    """A local folder holding ``url``'s files: the folder itself, or a cached copy of a remote one."""
    url = os.fspath(url)
    if "://" not in url and "::" not in url:  # a plain local path: no fsspec (~60 ms of imports) needed
        folder = os.path.abspath(os.path.expanduser(url))
    else:
        fs, fs_path = url_to_fs(url, storage_options)
        folder = os.path.abspath(fs_path) if is_local(fs) else fetch_remote_folder(fs, fs_path, url)
    if not os.path.isdir(folder):
        if not (recover(folder) and os.path.isdir(folder)):  # a save over it was interrupted: finish it
            raise MissingFileError(url)
    return folder


def folder_kind(folder: str) -> str | None:
    """``"dict"`` (a DatasetDict folder), ``"dataset"`` (a Dataset folder) or ``None`` (neither)."""
    if os.path.exists(os.path.join(folder, DICT_JSON)):
        return "dict"
    if os.path.exists(os.path.join(folder, STATE_JSON)):
        return "dataset"
    return None


def is_saved_folder(url: str, storage_options: dict | None = None) -> bool:
    """Whether ``url`` (local or any fsspec URL) is a Dataset or DatasetDict folder, without fetching it."""
    fs, p = url_to_fs(url, storage_options)
    p = p.rstrip("/")
    return fs.isdir(p) and (fs.exists(f"{p}/{STATE_JSON}") or fs.exists(f"{p}/{DICT_JSON}"))


# ----------------------------------------------------------------------------- reading


def read_json(path: str) -> Any:
    """A metadata file's JSON; raises :class:`CorruptFileError` (a ``MetadataError``) naming the file when it
    is not a regular file (a FIFO never blocks), too large, or not JSON (see :mod:`arrowdata.metadata_files`)."""
    return read_json_file(path, what=os.path.basename(path))


def safe_member(folder: str, name: Any, source: str) -> str:
    """``folder/name`` for a file name read from metadata; refuses paths that leave the folder."""
    try:
        return os.path.join(folder, confined_name(name, source))
    except MetadataError as e:
        raise MetadataError(f"invalid data file name {name!r}: {str(e).rsplit(': ', 1)[-1]}", path=source) from None


def stable_fingerprint(value: Any, folder: str) -> str:
    """The saved fingerprint in arrowdata's 32-hex form (HF writes 16 hex characters: kept, re-hashed)."""
    if isinstance(value, str) and is_fingerprint(value):
        return value
    seed = value if isinstance(value, str) and value else f"folder:{folder}"
    return xxhash.xxh3_128_hexdigest(f"hf:{seed}".encode())


def dict_splits(folder: str) -> list[tuple[str, str]]:
    """``[(split, split_folder), ...]`` of a DatasetDict folder, from its ``dataset_dict.json``."""
    meta_path = os.path.join(folder, DICT_JSON)

    out = []
    for split in check_dict_meta(read_json(meta_path), meta_path):
        path = safe_member(folder, split, meta_path)
        if not os.path.isdir(path):
            raise MissingFileError(path, hint=f"split {split!r} is listed in {meta_path} but has no folder")
        out.append((split, path))
    return out


@dataclass
class SavedFolder:
    """A saved Dataset folder opened: everything ``Dataset._from_parts`` takes."""

    table: pa.Table
    data_files: list[str]  # absolute shard paths; [] when the table was copied into memory
    fingerprint: str
    info: DatasetInfo
    split: str | None
    format: Format


def _saved_format(state: dict, state_path: str, column_names: list[str]) -> Format:
    try:
        cols = state.get("_format_columns")
        fmt = Format(canonical_format_name(state.get("_format_type")), tuple(cols) if cols else None,
                     bool(state.get("_output_all_columns")), dict(state.get("_format_kwargs") or {}))
    except ArrowDataError as e:
        logger.warning("%s: ignoring saved format (%s)", state_path, e)
        return Format()
    if fmt.columns is not None and not set(fmt.columns) <= set(column_names):
        fmt = fmt.replace(columns=None)
    return fmt


def open_folder(folder: str, keep_in_memory: bool = False, verify: bool | None = None) -> SavedFolder:
    """Open one local Dataset folder: memory-map its shards (or copy them into RAM) and read its metadata.

    ``verify`` as in :func:`arrowdata.load_from_disk`. Raises :class:`CorruptFileError` naming the
    file when the metadata or a shard is damaged.
    """
    state_path = os.path.join(folder, STATE_JSON)

    state = read_json(state_path)
    files = [safe_member(folder, name, state_path) for name in check_state(state, state_path)]
    table = open_arrow_files(files, verify=verify)
    if keep_in_memory:
        table = copy_to_memory(table)
    info_path = os.path.join(folder, INFO_JSON)
    info = DatasetInfo.from_dict(read_json(info_path), source=info_path) if os.path.lexists(info_path) \
        else DatasetInfo()
    return SavedFolder(table=table, data_files=[] if keep_in_memory else [os.path.abspath(f) for f in files],
                       # bound to the shards as they are now: a rewritten shard or a copied claim misses the cache
                       fingerprint=folder_fingerprint(stable_fingerprint(state.get("_fingerprint"), folder), files,
                                                      state),
                       info=info,
                       split=state.get("_split"), format=_saved_format(state, state_path, table.column_names))
