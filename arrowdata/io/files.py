"""Resolving ``data_files`` into concrete files, and identifying each file by its content.

``data_files`` may be a string, a list, or a dict of split name -> string/list. Each entry is a
file, a folder (all its files, recursively, hidden ones skipped), or a glob, on any fsspec
filesystem: local paths, ``memory://``, ``s3://`` (through s3fs), ``file://``...

Example:
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); open(os.path.join(d, "a.csv"), "w").write("x\\n1\\n")
    4
    >>> splits = resolve_data_files({"train": os.path.join(d, "*.csv")})
    >>> [f.name for f in splits["train"]]
    ['a.csv']
"""
from __future__ import annotations

import glob as _glob
import logging
import os
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterable, Mapping, Sequence

from ..errors import MissingFileError
from ..filesystems import display_url, is_local, url_to_fs
from .compression import open_decompressed, strip_compression_suffix

logger = logging.getLogger(__name__)

_GLOB_CHARS = set("*?[")
# Checksums some filesystems report in `info()`; they are computed by the server from the content,
# so they identify content as well as our own hash would, without downloading the file twice.
_SERVER_CHECKSUMS = ("ETag", "etag", "md5Hash", "content_md5", "checksum", "crc32c")
_HASH_BLOCK = 8 << 20


@dataclass
class DataFile:
    """One input file: the fsspec filesystem, the path on it, and the URL the user can read.

    ``url`` is what error messages show: the local path for local files, ``proto://path`` otherwise.
    """

    url: str
    path: str
    fs: Any = field(repr=False)
    size: int | None = None

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_local(self) -> bool:
        return is_local(self.fs)

    def open_raw(self) -> BinaryIO:
        """The stored (still compressed) bytes; subclasses change how they are fetched."""
        return open(self.path, "rb", buffering=1 << 20) if self.is_local else self.fs.open(self.path, "rb")

    def open(self) -> BinaryIO:
        """A binary stream of the (decompressed) content. Close it when done."""
        raw = self.open_raw()
        self._raw = raw
        try:
            return open_decompressed(raw, self.path)
        except Exception:
            raw.close()
            raise

    def bytes_read(self) -> int:
        """How far the last :meth:`open` stream got in the stored (compressed) bytes; for progress bars."""
        raw = getattr(self, "_raw", None)
        try:
            return int(raw.tell()) if raw is not None and not raw.closed else (self.size or 0)
        except (OSError, ValueError, AttributeError):
            return 0

    def open_raw(self) -> BinaryIO:
        """A binary stream of the bytes on disk (still compressed)."""
        return open(self.path, "rb", buffering=1 << 20) if self.is_local else self.fs.open(self.path, "rb")

    @property
    def inner_name(self) -> str:
        """The name without its compression extension (``a.csv.gz`` -> ``a.csv``)."""
        return strip_compression_suffix(self.name)


def _hidden(rel: str) -> bool:
    # Editors, VCS and frameworks (Spark: "_SUCCESS", "_committed_*") leave such files in data folders.
    return any(part.startswith((".", "_")) for part in rel.split("/"))


def _expand(entry: str, storage_options: Mapping[str, Any] | None,
            extensions: Sequence[str] | None) -> list[DataFile]:
    if not isinstance(entry, (str, os.PathLike)):
        raise TypeError(f"data_files entries must be paths or URLs, got {type(entry).__name__}: {entry!r}")
    entry = os.fspath(entry)
    if "://" not in entry:
        entry = os.path.expanduser(entry)
    fs, path = url_to_fs(entry, storage_options)
    local = is_local(fs)
    if any(c in _GLOB_CHARS for c in path):
        matches = sorted(_glob.glob(path, recursive=True)) if local else sorted(fs.glob(path))
        files = [m for m in matches if (os.path.isfile(m) if local else fs.isfile(m))]
        if not files:
            raise MissingFileError(entry, "the pattern matches no file")
        return [DataFile(display_url(fs, p), p, fs) for p in files]
    if local:
        path = os.path.abspath(path)
    if not fs.exists(path):
        raise MissingFileError(entry)
    if not fs.isdir(path):
        return [DataFile(display_url(fs, path), path, fs)]
    root = path.rstrip("/")
    found = sorted(p for p in fs.find(root) if not _hidden(p[len(root):].lstrip("/")))
    if extensions:
        matching = [p for p in found if strip_compression_suffix(p).lower().endswith(tuple(extensions))]
        # A folder of "data.bin"-style files is still usable when the user named the builder explicitly.
        found = matching or found
    if not found:
        raise MissingFileError(entry, "the folder holds no data file")
    return [DataFile(display_url(fs, p), p, fs) for p in found]


def resolve_data_files(data_files: str | os.PathLike | Sequence[str] | Mapping[str, Any],
                       storage_options: Mapping[str, Any] | None = None,
                       extensions: Sequence[str] | None = None,
                       default_split: str = "train") -> dict[str, list[DataFile]]:
    """Turn ``data_files`` into ``{split: [DataFile, ...]}``.

    Args:
        data_files: a path/URL/glob/folder, a list of them, or a dict of split -> one or a list.
        storage_options: passed to the fsspec filesystem (e.g. ``{"anon": True}`` or an endpoint).
        extensions: inside folders, keep files with these extensions (compression suffix ignored).
        default_split: the split name a string or a list goes to.

    Raises:
        MissingFileError: naming the path, when a file, folder or pattern does not exist or is empty.

    Example:
        >>> resolve_data_files("memory://nothing-here.csv")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        MissingFileError: No such file or directory: 'memory://nothing-here.csv'
    """
    if data_files is None:
        raise TypeError("data_files is required: a path, a list of paths, or a dict of split -> paths")
    if isinstance(data_files, Mapping):
        spec = {str(k): v for k, v in data_files.items()}
    else:
        spec = {default_split: data_files}
    out: dict[str, list[DataFile]] = {}
    for split, entries in spec.items():
        if isinstance(entries, (str, os.PathLike)):
            entries = [entries]
        files: list[DataFile] = []
        for entry in entries:
            files.extend(_expand(entry, storage_options, extensions))
        if not files:
            raise MissingFileError(f"{split}: []", "no data file given for this split")
        out[split] = files
    return out


def content_hash(f: DataFile) -> tuple[int, str]:
    """``(size, hash)`` of a file's bytes on disk: xxh3-128 of the content, or the server's checksum.

    The hash is of the stored bytes (compressed if compressed), so any edit changes it, even one that
    keeps the size and the modification time.
    """
    import xxhash

    info: dict[str, Any] = {}
    if not f.is_local:
        info = f.fs.info(f.path)
        for key in _SERVER_CHECKSUMS:
            if info.get(key):
                size = int(info.get("size") or 0)
                f.size = size
                return size, f"{key}:{str(info[key]).strip(chr(34))}"
    h = xxhash.xxh3_128()
    size = 0
    if f.is_local:
        return _local_hash(f, h)
    with f.open_raw() as raw:
        while True:
            block = raw.read(_HASH_BLOCK)
            if not block:
                break
            size += len(block)
            h.update(block)
    f.size = size
    return size, h.hexdigest()


def _local_hash(f: DataFile, h: Any) -> tuple[int, str]:
    """Hash a local file through a memory map: no copy into Python buffers (~10 GB/s with xxh3)."""
    import mmap

    with open(f.path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                view = memoryview(mm)
                try:
                    for start in range(0, size, _HASH_BLOCK):
                        h.update(view[start:start + _HASH_BLOCK])
                finally:
                    view.release()
    f.size = size
    return size, h.hexdigest()


def file_identities(files: Iterable[DataFile]) -> list[dict[str, Any]]:
    """The part of the conversion key each file contributes: its URL, size and content hash."""
    out = []
    for f in files:
        size, digest = content_hash(f)
        out.append({"url": f.url, "size": size, "hash": digest})
    return out
