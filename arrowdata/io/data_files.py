"""Which files make which split: split names inferred from paths, and archives opened up.

Pure resolution, shared by :func:`arrowdata.load_dataset` and the streaming reader:

* :func:`infer_splits` names splits from relative paths as Hugging Face ``datasets`` does for a
  folder: ``data/<split>-00000-of-00002.*`` shards first; else folders named after a split
  keyword (``train/``, ``dev-2020/``, ``x_test/``); else file names (``train.csv``,
  ``test-*.jsonl``, ``my_valid.json``); else everything is ``train``. Keywords: train/training,
  validation/valid/dev/val, test/testing/eval/evaluation, next to one of ``- . _ space 0-9``.
* :func:`expand_archives` replaces ``.zip`` and ``.tar(.gz|.bz2|.xz)`` files by their members,
  extracted once (safely: no path leaves the target) into the cache, keyed by the archive's content.
* :func:`folder_data_files` lists a folder and applies both.

Example:
    >>> infer_splits(["data/train.csv", "data/test-0.csv", "data/test-1.csv", "README.md"])
    {'train': ['data/train.csv'], 'test': ['data/test-0.csv', 'data/test-1.csv']}
    >>> infer_splits(["train/a.jsonl", "dev/b.jsonl"])
    {'train': ['train/a.jsonl'], 'validation': ['dev/b.jsonl']}
    >>> infer_splits(["a.csv", "b.csv"])
    {'train': ['a.csv', 'b.csv']}
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import config
from ..errors import DataFileError, MissingFileError
from ..filesystems import display_url, is_local, url_to_fs
from .compression import strip_compression_suffix
from .files import DataFile, content_hash

logger = logging.getLogger(__name__)

SPLIT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "train": ("train", "training"),
    "validation": ("validation", "valid", "dev", "val"),
    "test": ("test", "testing", "eval", "evaluation"),
}
DEFAULT_SPLITS = tuple(SPLIT_KEYWORDS)
_SEP = r"[-._ 0-9]"
_SHARDED = re.compile(r"^data/(?P<split>\w+(?:\.\w+)*)-\d{5}-of-\d{5}[^/]*\.[^/]*$")
#: metadata files a folder of data may hold; never data
FILES_TO_IGNORE = frozenset({"README.md", "config.json", "dataset_info.json", "dataset_infos.json",
                             "dummy_data.zip", "dataset_dict.json", "state.json"})
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


def _keyword_regex(keyword: str) -> tuple[re.Pattern, re.Pattern]:
    """(name starts with the keyword + separator or has it between separators, whole folder name)."""
    k = re.escape(keyword)
    in_name = re.compile(rf"^{k}{_SEP}|{_SEP}{k}{_SEP}")
    as_dir = re.compile(rf"^{k}$|^{k}{_SEP}|{_SEP}{k}$|{_SEP}{k}{_SEP}")
    return in_name, as_dir


_KEYWORD_RES = {split: [_keyword_regex(k) for k in kws] for split, kws in SPLIT_KEYWORDS.items()}


def _ordered(found: dict[str, list[str]]) -> dict[str, list[str]]:
    names = sorted(found, key=lambda s: (DEFAULT_SPLITS.index(s) if s in DEFAULT_SPLITS else len(DEFAULT_SPLITS), s))
    return {s: sorted(found[s]) for s in names}


def infer_splits(paths: Sequence[str]) -> dict[str, list[str]]:
    """``{split: [path, ...]}`` from posix paths relative to the dataset folder (see the module doc).

    A file whose path names two splits (``train_test.csv``) goes to both, as in HF ``datasets``.
    """
    paths = [p for p in paths if p.rsplit("/", 1)[-1] not in FILES_TO_IGNORE]
    sharded: dict[str, list[str]] = {}
    for p in paths:
        m = _SHARDED.match(p)
        if m:
            sharded.setdefault(m.group("split"), []).append(p)
    if sharded:
        return _ordered(sharded)
    for by_dir in (True, False):
        found: dict[str, list[str]] = {}
        for p in paths:
            parts = p.split("/")
            for split, regexes in _KEYWORD_RES.items():
                if by_dir:
                    hit = any(d.search(part) for part in parts[:-1] for _, d in regexes)
                else:
                    hit = any(n.search(parts[-1]) for n, _ in regexes)
                if hit:
                    found.setdefault(split, []).append(p)
        if found:
            return _ordered(found)
    return {"train": sorted(paths)} if paths else {}


def is_archive(name: str) -> bool:
    """Whether ``name`` is a zip or tar archive (by its extension)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _safe_target(root: Path, member: str, archive: str) -> Path:
    target = (root / member).resolve()
    if not str(target).startswith(str(root.resolve()) + os.sep) and target != root.resolve():
        raise DataFileError(f"archive member {member!r} would be written outside the extraction folder",
                            path=archive)
    return target


def _extract(archive: DataFile, dest: Path) -> None:
    import tarfile
    import zipfile

    with archive.open_raw() as raw:
        name = archive.name.lower()
        if name.endswith(".zip"):
            try:
                zf = zipfile.ZipFile(raw)
            except zipfile.BadZipFile as e:
                raise DataFileError(f"not a readable zip archive ({e})", path=archive.url) from None
            with zf:
                for info in zf.infolist():
                    _safe_target(dest, info.filename, archive.url)
                zf.extractall(dest)
            return
        try:
            tf = tarfile.open(fileobj=raw, mode="r:*")
        except tarfile.TarError as e:
            raise DataFileError(f"not a readable tar archive ({e})", path=archive.url) from None
        with tf:
            members = []
            for m in tf.getmembers():
                if not (m.isfile() or m.isdir()):
                    continue  # links and devices: never followed out of the archive
                _safe_target(dest, m.name, archive.url)
                members.append(m)
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                tf.extractall(dest, members=members)


def extracted_folder(archive: DataFile, cache_root: Path | None = None) -> Path:
    """The folder holding ``archive``'s members, extracted once per archive content."""
    size, digest = content_hash(archive)
    root = Path(cache_root) if cache_root is not None else config.cache_dir() / "extracted"
    folder = root / re.sub(r"[^\w]", "_", f"{digest}-{size}")[:80]
    if folder.is_dir():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    try:
        _extract(archive, tmp)
        try:
            os.rename(tmp, folder)
        except OSError:  # another process extracted the same archive first
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _list_local(folder: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for f in filenames:
            rel = os.path.relpath(os.path.join(dirpath, f), folder).replace(os.sep, "/")
            if not f.startswith((".", "__")):
                out.append(rel)
    return sorted(out)


def _by_extension(names: list[str], extensions: Sequence[str] | None) -> list[str]:
    if not extensions:
        return names
    matching = [n for n in names if strip_compression_suffix(n).lower().endswith(tuple(extensions))]
    return matching or names


def expand_archives(files: Sequence[DataFile], extensions: Sequence[str] | None = None) -> list[DataFile]:
    """``files`` with each zip/tar archive replaced by the data files inside it.

    Members are kept when they have one of ``extensions`` (all members when none has).

    Raises:
        MissingFileError: an archive holds no file.
        DataFileError: an archive is damaged or has a member that would escape its folder.
    """
    out: list[DataFile] = []
    for f in files:
        if not is_archive(f.name):
            out.append(f)
            continue
        folder = extracted_folder(f)
        members = _by_extension(_list_local(folder), extensions)
        if not members:
            raise MissingFileError(f.url, "the archive holds no data file")
        import fsspec

        local = fsspec.filesystem("file")
        # errors name the member inside the archive (fsspec's chained-URL form), not the cache copy
        kind = "zip" if f.name.lower().endswith(".zip") else "tar"
        out.extend(DataFile(f"{kind}://{m}::{f.url}", str(folder / m), local) for m in members)
    return out


def folder_data_files(folder: str, storage_options: Mapping[str, Any] | None = None,
                      extensions: Sequence[str] | None = None) -> dict[str, list[DataFile]]:
    """The data files of a dataset folder, by split (names inferred as in :func:`infer_splits`).

    Hidden files and folders (``.x``, ``__x``), metadata files (``README.md``...) are skipped; of
    the rest, files with one of ``extensions`` are kept when there are any.

    Raises:
        MissingFileError: the folder does not exist or holds no data file.

    Example:
        >>> import tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> for p in ("train.csv", "test-0.csv", "test-1.csv", "README.md"):
        ...     _ = open(os.path.join(d, p), "w").write("a\\n1\\n")
        >>> {s: [f.name for f in fs] for s, fs in folder_data_files(d).items()}
        {'train': ['train.csv'], 'test': ['test-0.csv', 'test-1.csv']}
    """
    fs, root = url_to_fs(os.path.expanduser(os.fspath(folder)), storage_options)
    if is_local(fs):
        root = os.path.abspath(root)
    if not fs.isdir(root):
        raise MissingFileError(os.fspath(folder), "expected a folder of data files")
    root = root.rstrip("/")
    rels = []
    for p in sorted(fs.find(root)):
        rel = p[len(root):].lstrip("/")
        if rel and not any(part.startswith((".", "__")) for part in rel.split("/")):
            rels.append(rel)
    rels = _by_extension([r for r in rels if r.rsplit("/", 1)[-1] not in FILES_TO_IGNORE],
                         tuple(extensions or ()) + ARCHIVE_SUFFIXES if extensions else None)
    splits = infer_splits(rels)
    if not splits:
        raise MissingFileError(os.fspath(folder), "the folder holds no data file")
    out = {}
    for split, names in splits.items():
        files = [DataFile(display_url(fs, f"{root}/{n}"), f"{root}/{n}", fs) for n in names]
        out[split] = expand_archives(files, extensions)
    return out
