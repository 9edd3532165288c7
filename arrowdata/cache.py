"""The transform cache: results of ``map``/``filter`` stored by fingerprint.

Layout under ``cache_dir()/transforms/``:

- ``<fp>.arrow``: the result of a single-process step (a table, or for ``filter`` an
  ``indices`` column of uint64 row positions);
- ``<fp>-<i>-of-<n>.arrow``: the parts written by ``num_proc`` workers, in order;
- ``<fp>.json``: the sidecar, written *last* and atomically. It lists the entry's files
  (relative names, so a moved cache folder still works) with their sizes, the number of
  rows, and the components of the key for :func:`explain_miss`.

An entry exists only if its sidecar exists and every file it lists has the recorded
size; anything else (``*.tmp-*`` files, parts without a sidecar) is debris from a killed
process, never read as a result, and removed by :func:`clean_debris`. A lookup reads one
small JSON file and stats the data files: when each file still has the identity (mtime,
ctime, inode) recorded at commit, nobody wrote to it since, and the hit costs the same at
10 MB and at 10 GB. A file whose identity changed is validated in full before reuse, and
an entry that fails is discarded and recomputed (see :func:`lookup`).

Names read from a sidecar are confined to the entry's own files beside it: a hostile
sidecar can neither make a hit read, nor a cleanup delete, anything else.

The same module bounds the whole cache folder: ``transforms/``, ``spill/``,
``converted/`` (``load_dataset`` conversions) and ``generated/`` (``from_generator``
output) are listed, sized and cleaned together (:func:`list_all`, :func:`clean`).

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.writer import ArrowWriter
    >>> fp = "a" * 32
    >>> with ArrowWriter(entry_path(fp)) as w: w.write(pa.table({"x": [1, 2]}))
    >>> _ = commit(fp, [entry_path(fp)], {"op": "map", "num_rows": 2})
    >>> lookup(fp).num_rows
    2
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa

from . import config, sizes
from .cache_lock import lock_is_live, locks_dir, pid_alive
from .errors import ArrowDataError, CorruptFileError, MetadataError, MissingFileError
from .file_identity import sampled_digest
from .metadata_files import confined_name, read_json_file
from .table import concat_tables, normalize_table, open_arrow_file
from .writer import TMP_MARKER, temp_path_for

logger = logging.getLogger(__name__)

SIDECAR_VERSION = 1
#: Debris older than this is removed whatever its owner (a live writer touches its file constantly).
DEBRIS_MAX_AGE = 3600.0
#: A sidecar is a few kilobytes; anything much larger is not ours.
MAX_SIDECAR_BYTES = 16 << 20
_FP_RE = re.compile(r"[0-9a-f]{32}")
_PART_RE = re.compile(r"^(?P<fp>[0-9a-f]{32})(-\d{5}-of-\d{5})?\.arrow$")  # a result file or a worker part
_debris_checked = False


def transforms_dir() -> Path:
    """``cache_dir()/transforms``, created on demand."""
    path = config.cache_dir() / "transforms"
    path.mkdir(parents=True, exist_ok=True)
    return path


def spill_dir() -> Path:
    """``cache_dir()/spill``: in-memory tables written out for worker processes."""
    path = config.cache_dir() / "spill"
    path.mkdir(parents=True, exist_ok=True)
    return path


def entry_path(fp: str, base: str | os.PathLike | None = None) -> Path:
    """The single-file result path of an entry (``base`` is a user's ``cache_file_name``)."""
    return Path(base) if base is not None else transforms_dir() / f"{fp}.arrow"


def part_path(fp: str, index: int, count: int, base: str | os.PathLike | None = None) -> Path:
    """The path of worker part ``index`` of ``count``."""
    if base is not None:
        base = Path(base)
        return base.with_name(f"{base.stem}-{index:05d}-of-{count:05d}{base.suffix or '.arrow'}")
    return transforms_dir() / f"{fp}-{index:05d}-of-{count:05d}.arrow"


def sidecar_path(fp: str, base: str | os.PathLike | None = None) -> Path:
    """The sidecar of an entry; its presence is what makes an entry exist."""
    if base is not None:
        return Path(f"{os.fspath(base)}.json")
    return transforms_dir() / f"{fp}.json"


@dataclass
class CacheEntry:
    """A complete cache entry: its files (in order) and its sidecar's contents."""

    fingerprint: str
    files: list[Path]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_rows(self) -> int | None:
        return self.meta.get("num_rows")

    @property
    def kind(self) -> str:
        return self.meta.get("kind", "table")

    @property
    def size(self) -> int:
        return sum(self.meta.get("sizes", []))


def _read_sidecar(path: Path) -> dict | None:
    """The sidecar's JSON object, or ``None`` when absent or unreadable (a warning names it).

    A sidecar that is not a regular file (a FIFO would block ``open`` forever), too large or
    not a JSON object is never an entry.
    """
    try:
        meta = read_json_file(path, max_bytes=MAX_SIDECAR_BYTES, what="cache sidecar")
    except FileNotFoundError:
        return None
    except MetadataError as e:
        logger.warning("ignoring unreadable cache sidecar: %s", e)
        return None
    if not isinstance(meta, dict):
        logger.warning("ignoring cache sidecar %s: not a JSON object", path)
        return None
    return meta


def _entry_name_re(fp: str, base: str | os.PathLike | None) -> re.Pattern:
    """The only file names an entry may list: its own result file and worker parts, beside the sidecar."""
    if base is None:
        return re.compile(rf"{re.escape(fp)}(-\d{{5}}-of-\d{{5}})?\.arrow")
    base = Path(base)
    return re.compile(rf"{re.escape(base.name)}|{re.escape(base.stem)}-\d{{5}}-of-\d{{5}}"
                      rf"{re.escape(base.suffix or '.arrow')}")


def _checked_meta(fp: str, meta: dict, side: Path, base: str | os.PathLike | None) -> tuple[list[Path], list[int]]:
    """The entry's files and sizes, after checking every field a hostile sidecar could abuse.

    File names must be the entry's own names (so never absolute, never ``../``, never another
    entry's file): a sidecar is a file on disk, and a shared cache may hold hostile ones.
    Raises :class:`MetadataError` naming the sidecar and the field.
    """
    names, sizes = meta.get("files"), meta.get("sizes")
    if not isinstance(names, list) or not names:
        raise MetadataError("must be a non-empty list of file names", path=str(side), field="files")
    if not isinstance(sizes, list) or len(sizes) != len(names) or not all(
            type(n) is int and 0 <= n < 1 << 62 for n in sizes):
        raise MetadataError("must list one non-negative integer size per file", path=str(side), field="sizes")
    allowed = _entry_name_re(fp, base)
    for i, name in enumerate(names):
        confined_name(name, str(side), field=f"files[{i}]", plain=True)
        if not allowed.fullmatch(name):
            raise MetadataError(f"{name!r} is not a file of entry {fp}", path=str(side), field=f"files[{i}]")
    rows = meta.get("num_rows")
    if rows is not None and (type(rows) is not int or rows < 0):
        raise MetadataError("must be a non-negative integer", path=str(side), field="num_rows")
    return [side.parent / n for n in names], sizes


def _identity(st: os.stat_result) -> list[int]:
    """What changes whenever a file's bytes change, short of root rewinding the clock: a write
    updates ``st_ctime_ns`` (which no ``touch`` can set back); a replacement changes the inode."""
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


_warned: set[str] = set()


def _warn_once(fp: str, message: str) -> None:
    level = logging.INFO if fp in _warned else logging.WARNING
    _warned.add(fp)
    logger.log(level, message)


def lookup(fp: str, base: str | os.PathLike | None = None, *, touch: bool = True) -> CacheEntry | None:
    """The complete, trustworthy entry for ``fp``, or ``None``.

    The usual hit reads the sidecar and stats the files, nothing more: every file must be a
    regular file of the recorded size whose identity (mtime, ctime, inode) is the one recorded
    at commit, i.e. nobody has written to it since. When an identity differs (the cache was
    copied, or a file was modified in place) the files are checked in full before reuse: the
    sampled digest recorded at commit (:mod:`arrowdata.file_identity`; the whole file up to 1 MiB),
    then Arrow's full validation (structure, every offset, UTF-8) and indices within range; an entry that fails is removed with a
    warning and recomputed by the caller. ``touch`` marks the entry as used now, for
    ``clean --older-than`` and ``--max-size``.
    """
    side = sidecar_path(fp, base)
    meta = _read_sidecar(side)
    if meta is None or meta.get("fingerprint") != fp:
        return None
    try:
        files, sizes = _checked_meta(fp, meta, side, base)
    except MetadataError as e:
        _warn_once(fp, f"ignoring cache entry {fp}: {e}")
        return None
    stats = meta.get("stats")
    recorded = stats if isinstance(stats, list) and len(stats) == len(files) else [None] * len(files)
    changed = False
    for path, size, ident in zip(files, sizes, recorded):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode) or st.st_size != size:
            what = "missing" if st is None else "not a regular file" if not stat.S_ISREG(st.st_mode) else \
                "the wrong size"
            _warn_once(fp, f"cache entry {fp}: {path} is {what}; recomputing it")
            return None
        changed = changed or ident != _identity(st)
    entry = CacheEntry(fp, files, meta)
    if changed and not _revalidate(entry, side, base):
        return None
    if touch:
        try:
            os.utime(side)
        except OSError:  # a read-only cache still serves hits
            pass
    return entry


def _revalidate(entry: CacheEntry, side: Path, base: str | os.PathLike | None) -> bool:
    """Full validation of an entry whose files changed identity; records the new identity when it
    passes, removes the entry (with a warning) when it fails."""
    fp = entry.fingerprint
    try:
        digests = entry.meta.get("digests")
        if isinstance(digests, list) and len(digests) == len(entry.files):
            for path, digest in zip(entry.files, digests):
                if sampled_digest(path) != digest:
                    raise CorruptFileError(f"{path}: its bytes changed since the entry was written")
        rows = 0
        for path in entry.files:
            table = open_arrow_file(str(path), verify=True)
            rows += table.num_rows
            if entry.kind == "indices":
                _check_indices(table, entry.meta.get("parent_table_rows"), path)
        if entry.num_rows is not None and rows != entry.num_rows:
            raise CorruptFileError(f"{side}: the entry holds {rows} rows, its sidecar says {entry.num_rows}")
    except (CorruptFileError, MissingFileError) as e:
        logger.warning("cache entry %s is damaged (%s); discarding it and recomputing", fp, e)
        _remove_if_unchanged(entry, side, base)
        return False
    logger.info("cache entry %s: files changed identity (copied cache?) but validate in full; reusing", fp)
    try:
        ids = [_identity(os.lstat(p)) for p in entry.files]
        body = {**entry.meta, "stats": ids}
        body.pop("last_used", None)
        _write_sidecar(side, body)
        entry.meta["stats"] = ids
    except OSError:  # read-only cache: validate again next time
        pass
    return True


def _check_indices(table: pa.Table, parent_rows: Any, path: Path) -> None:
    import pyarrow.compute as pc

    if table.num_columns != 1 or not pa.types.is_unsigned_integer(table.schema.field(0).type):
        raise CorruptFileError(f"{path}: an indices entry must hold one unsigned integer column")
    if type(parent_rows) is not int:
        raise CorruptFileError(f"{path}: the sidecar lacks the parent's row count")
    top = pc.max(table.column(0)).as_py() if table.num_rows else None
    if top is not None and top >= parent_rows:
        raise CorruptFileError(f"{path}: row position {top} is out of range (the parent has {parent_rows} rows)")


def _remove_if_unchanged(entry: CacheEntry, side: Path, base: str | os.PathLike | None) -> None:
    """Remove a damaged entry, unless another process has meanwhile committed a new one under its key."""
    again = _read_sidecar(side)
    if again is not None and again.get("created") != entry.meta.get("created"):
        return
    remove_entry(entry.fingerprint, base)


def commit(fp: str, files: Iterable[str | os.PathLike], meta: dict[str, Any],
           base: str | os.PathLike | None = None) -> CacheEntry:
    """Make an entry visible: write its sidecar atomically, after all its files are in place."""
    side = sidecar_path(fp, base)
    files = [Path(f) for f in files]
    for f in files:
        if f.parent.resolve() != side.parent.resolve():
            raise ArrowDataError(f"cache entry {fp}: {f} must live beside its sidecar {side}")
    stats = [os.stat(f) for f in files]
    body = {"version": SIDECAR_VERSION, "fingerprint": fp, "created": time.time(), **meta,
            "files": [f.name for f in files], "sizes": [st.st_size for st in stats],
            "stats": [_identity(st) for st in stats],
            "digests": [sampled_digest(f, st.st_size) for f, st in zip(files, stats)]}
    _write_sidecar(side, body)
    return CacheEntry(fp, files, body)


def _write_sidecar(side: Path, body: dict) -> None:
    tmp = temp_path_for(side)
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(body, out, indent=1, sort_keys=True, default=str)
        os.replace(tmp, side)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_entry(fp: str, base: str | os.PathLike | None = None) -> int:
    """Delete an entry (sidecar first, so it stops existing before its files go); returns bytes freed.

    Only the entry's own files beside its sidecar are deleted, whatever names the sidecar lists.
    """
    if base is None and not _FP_RE.fullmatch(fp):
        raise ArrowDataError(f"not a cache key: {fp!r}")
    side = sidecar_path(fp, base)
    meta = _read_sidecar(side) or {}
    freed = 0
    try:
        st = os.lstat(side)
        if stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            freed += st.st_size if stat.S_ISREG(st.st_mode) else 0
            side.unlink()
    except FileNotFoundError:
        pass
    allowed = _entry_name_re(fp, base)
    listed = meta.get("files") if isinstance(meta.get("files"), list) else []
    names = {n for n in listed if isinstance(n, str) and allowed.fullmatch(n)}
    if base is None:
        names |= {p.name for p in side.parent.glob(f"{fp}-*-of-*.arrow")} | {f"{fp}.arrow"}
    for name in names:
        path = side.parent / name
        try:
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                continue
            freed += st.st_size if stat.S_ISREG(st.st_mode) else 0
            path.unlink()
        except FileNotFoundError:
            pass
    return freed


def list_entries() -> list[CacheEntry]:
    """Every complete transform entry in the cache, most recently used first.

    Sidecars whose name is not ``<fingerprint>.json`` of the fingerprint they hold, or whose
    fields are malformed, are skipped with a warning (never followed to other files).
    """
    entries = []
    for side in transforms_dir().glob("*.json"):
        if TMP_MARKER in side.name or not _FP_RE.fullmatch(side.stem):
            continue
        meta = _read_sidecar(side)
        if meta is None:
            continue
        if meta.get("fingerprint") != side.stem:
            logger.warning("ignoring cache sidecar %s: it names fingerprint %r", side, meta.get("fingerprint"))
            continue
        try:
            files, _ = _checked_meta(side.stem, meta, side, None)
            meta["last_used"] = os.lstat(side).st_mtime
        except MetadataError as e:
            logger.warning("ignoring cache entry: %s", e)
            continue
        except FileNotFoundError:
            continue
        if not isinstance(meta.get("parent"), (str, type(None))):
            meta["parent"] = None
        entries.append(CacheEntry(side.stem, files, meta))
    return sorted(entries, key=lambda e: -e.meta["last_used"])


# ----------------------------------------------------------------------------- opening entries

_STREAM_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def open_entry(entry: CacheEntry) -> pa.Table:
    """The entry's table, memory-mapped; cost independent of the data's size.

    Files are opened by :func:`arrowdata.table.open_arrow_file`, which reads only the record
    batch headers (structure validated; the sidecar's sizes already rule out truncation).
    """
    tables = [normalize_table(open_arrow_file(str(f), verify=False)) for f in entry.files]
    return tables[0] if len(tables) == 1 else concat_tables(tables)


# ----------------------------------------------------------------------------- debris and cleaning

def _tmp_owner(name: str) -> int | None:
    try:
        return int(name.split(TMP_MARKER, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return None


#: Cache folders besides ``transforms/`` whose entries are whole folders or files named by a key.
FOLDER_KINDS = {"converted": "load_dataset", "generated": "from_generator", "remote": "load_from_disk (remote)"}


def _kind_dir(kind: str) -> Path:
    return config.cache_dir() / kind


def _is_debris(path: Path, now: float) -> bool:
    """A temp file or folder whose writer is gone (dead PID, over a minute old) or that is very old."""
    try:
        age = now - os.lstat(path).st_mtime
    except FileNotFoundError:
        return False
    owner = _tmp_owner(path.name)
    dead = owner is not None and owner != os.getpid() and not pid_alive(owner)
    return age > DEBRIS_MAX_AGE or (dead and age > 60)


def unfinished_files() -> list[Path]:
    """Every ``*.tmp-*`` file or folder in the cache: work in progress, or left by a killed process."""
    found = []
    for folder in [transforms_dir(), spill_dir(), locks_dir()] + [_kind_dir(k) for k in FOLDER_KINDS]:
        if folder.is_dir():
            found += [p for p in folder.iterdir() if TMP_MARKER in p.name]
    return found


def _delete(path: Path) -> None:
    """Remove a file, a symlink (never what it points to) or a folder (renamed away first, so it
    vanishes at once and a half-deleted folder is never seen under its name)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        path.unlink(missing_ok=True)
        return
    doomed = path if TMP_MARKER in path.name else temp_path_for(path)
    try:
        if doomed != path:
            os.rename(path, doomed)
    except FileNotFoundError:
        return
    shutil.rmtree(doomed, ignore_errors=True)


def clean_debris(*, force: bool = False) -> list[Path]:
    """Remove what killed processes left: temp files and folders, parts with no sidecar, stale locks.

    A temp file or folder (in ``transforms/``, ``spill/``, ``converted/``, ``generated/``,
    ``remote/``) goes when its writer's PID is gone from this host (and it is over a minute
    old) or when it is older than :data:`DEBRIS_MAX_AGE`; result files and parts without a sidecar go when no
    live lock covers their key. Runs once per process by itself (on the first cache write);
    ``force`` runs it again.
    """
    global _debris_checked
    if _debris_checked and not force:
        return []
    _debris_checked = True
    now, removed = time.time(), []
    for path in unfinished_files():
        if _is_debris(path, now):
            removed.append(path)
    folder = transforms_dir()
    for path in folder.iterdir():
        match = _PART_RE.match(path.name)
        if match is None or (folder / f"{match['fp']}.json").exists():
            continue
        try:
            age = now - os.lstat(path).st_mtime
        except FileNotFoundError:
            continue
        if age > 60 and not lock_is_live(match["fp"]):
            removed.append(path)
    for path in locks_dir().iterdir():
        if ".stale-" in path.name or (path.suffix == ".lock" and not lock_is_live(path.stem)):
            removed.append(path)
    for path in removed:
        _delete(path)
    if removed:
        logger.info("removed %d leftover file(s) from killed processes", len(removed))
    return removed


def _tree_size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symlinks are not followed)."""
    total = 0
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size if stat.S_ISREG(st.st_mode) else 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def list_folder_entries() -> list[CacheEntry]:
    """The complete entries of ``converted/``, ``generated/`` and ``remote/``, as :class:`CacheEntry`
    (``kind`` is the folder name; ``files`` is the entry's one folder or file)."""
    entries = []
    for kind, op in FOLDER_KINDS.items():
        folder = _kind_dir(kind)
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if TMP_MARKER in path.name:
                continue
            try:
                st = os.lstat(path)
                if stat.S_ISDIR(st.st_mode):
                    marker = path / "state.json" if (path / "state.json").exists() else path / "dataset_dict.json"
                    last_used = os.lstat(marker).st_mtime
                elif stat.S_ISREG(st.st_mode) and path.suffix == ".arrow":
                    last_used = st.st_mtime
                else:
                    continue
            except FileNotFoundError:
                continue
            entries.append(CacheEntry(path.name, [path], {"kind": kind, "op": op, "sizes": [_tree_size(path)],
                                                          "last_used": last_used, "parent": None}))
    return entries


def list_all() -> list[CacheEntry]:
    """Every complete entry of the cache folder (transforms, conversions, generated, remote), most recently
    used first."""
    return sorted(list_entries() + list_folder_entries(), key=lambda e: -e.meta["last_used"])


def _evict(entry: CacheEntry) -> None:
    if entry.kind in FOLDER_KINDS:
        for path in entry.files:  # the entry's own folder or file, inside its cache folder
            if path.parent == _kind_dir(entry.kind):
                _delete(path)
    else:
        remove_entry(entry.fingerprint)


def clean(older_than: float | None = None, max_size: int | None = None, *, everything: bool = False,
          dry_run: bool = False) -> list[CacheEntry]:
    """Evict entries of every cache folder (transforms, conversions, generated, remote); returns them.

    Args:
        older_than: remove entries not used for this many seconds.
        max_size: then remove least recently used entries until the whole cache fits in this many bytes.
        everything: remove every entry (and the spilled tables).
        dry_run: only report what would go.

    Example:
        >>> clean(older_than=30 * 86400)  # doctest: +SKIP
    """
    clean_debris(force=True) if not dry_run else None
    entries = list_all()
    now = time.time()
    doomed: list[CacheEntry] = []
    keep: list[CacheEntry] = []
    for e in entries:
        if everything or (older_than is not None and now - e.meta["last_used"] > older_than):
            doomed.append(e)
        else:
            keep.append(e)
    if max_size is not None:
        total = sum(e.size for e in keep)
        for e in reversed(keep):  # least recently used first
            if total <= max_size:
                break
            doomed.append(e)
            total -= e.size
    if not dry_run:
        for e in doomed:
            _evict(e)
        if everything:
            for path in spill_dir().iterdir():
                _delete(path)
            kept = {e.fingerprint for e in list_entries()}
            for side in transforms_dir().glob("*.json"):  # malformed or hostile sidecars: never entries
                if side.stem not in kept and TMP_MARKER not in side.name:
                    _delete(side)
        elif older_than is not None:
            # Spilled inputs are touched whenever a parallel step reuses them.
            for path in spill_dir().iterdir():
                try:
                    if now - os.lstat(path).st_mtime > older_than:
                        _delete(path)
                except FileNotFoundError:
                    pass
    return doomed


# ----------------------------------------------------------------------------- explaining misses

def _flatten(components: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in components.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + ": "))
        else:
            flat[name] = json.dumps(value, sort_keys=True, default=str)
    return flat


def explain_miss(fp: str, parent: str, op: str, components: dict[str, Any]) -> str:
    """Say why ``fp`` missed: which key components differ from the nearest entry with the same parent and op.

    Example:
        >>> explain_miss("b" * 32, "c" * 32, "map", {"function": {"code": "1"}})
        'map: no cached entry of this operation on dataset cccccccccccccccccccccccccccccccc'
    """
    mine = _flatten(components)
    best: tuple[int, CacheEntry, list[str]] | None = None
    for entry in list_entries():
        meta = entry.meta
        if meta.get("parent") != parent or meta.get("op") != op or entry.fingerprint == fp:
            continue
        theirs = _flatten(meta.get("components", {}))
        differ = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
        if best is None or len(differ) < best[0]:
            best = (len(differ), entry, differ)
    if best is None:
        return f"{op}: no cached entry of this operation on dataset {parent}"
    _, entry, differ = best
    return (f"{op}: cache miss; nearest entry {entry.fingerprint} differs in: "
            + (", ".join(differ) if differ else "nothing recorded (entry predates components)"))


# ----------------------------------------------------------------------------- human-friendly sizes

_DURATIONS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """``--max-size`` read by the one size rule of :mod:`arrowdata.sizes`: ``'500MB'`` -> 500000000.

    Example:
        >>> parse_size("1.5 GB"), parse_size("2GiB")
        (1500000000, 2147483648)
    """
    return sizes.parse_size(text, "--max-size")


def parse_duration(text: str) -> float:
    """``'7d'`` -> 604800.0 seconds; units s, m/min, h, d, w.

    Example:
        >>> parse_duration("12h")
        43200.0
    """
    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _DURATIONS:
        raise ArrowDataError(f"--older-than: cannot read duration {text!r}; use e.g. 30m, 12h, 7d, 2w")
    return float(m.group(1)) * _DURATIONS[m.group(2).lower()]


def format_size(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover
