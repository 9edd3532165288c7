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
small JSON file and stats the data files: it never reads or hashes the data, so a hit
costs the same at 10 MB and at 10 GB.

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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa

from . import config
from .cache_lock import lock_is_live, locks_dir, pid_alive
from .errors import ArrowDataError
from .writer import TMP_MARKER, temp_path_for

logger = logging.getLogger(__name__)

SIDECAR_VERSION = 1
#: Debris older than this is removed whatever its owner (a live writer touches its file constantly).
DEBRIS_MAX_AGE = 3600.0
_PART_RE = re.compile(r"^(?P<fp>[0-9a-f]{32})-\d{5}-of-\d{5}\.arrow$")
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
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        logger.warning("ignoring unreadable cache sidecar %s (%s)", path, e)
        return None
    return meta if isinstance(meta, dict) else None


_warned: set[str] = set()


def _warn_once(fp: str, message: str) -> None:
    level = logging.INFO if fp in _warned else logging.WARNING
    _warned.add(fp)
    logger.log(level, message)


def lookup(fp: str, base: str | os.PathLike | None = None, *, touch: bool = True) -> CacheEntry | None:
    """The complete entry for ``fp``, or ``None``. Reads the sidecar and stats the files, nothing more.

    ``touch`` marks the entry as used now, for ``clean --older-than`` and ``--max-size``.
    """
    side = sidecar_path(fp, base)
    meta = _read_sidecar(side)
    if meta is None or meta.get("fingerprint") != fp:
        return None
    files = [side.parent / name for name in meta.get("files", [])]
    sizes = meta.get("sizes", [])
    for path, size in zip(files, sizes):
        try:
            actual = os.stat(path).st_size
        except FileNotFoundError:
            actual = None
        if actual != size:
            _warn_once(fp, f"cache entry {fp}: {path} is {'missing' if actual is None else 'the wrong size'}; "
                           "recomputing it")
            return None
    if touch:
        try:
            os.utime(side)
        except OSError:  # a read-only cache still serves hits
            pass
    return CacheEntry(fp, files, meta)


def commit(fp: str, files: Iterable[str | os.PathLike], meta: dict[str, Any],
           base: str | os.PathLike | None = None) -> CacheEntry:
    """Make an entry visible: write its sidecar atomically, after all its files are in place."""
    side = sidecar_path(fp, base)
    files = [Path(f) for f in files]
    for f in files:
        if f.parent.resolve() != side.parent.resolve():
            raise ArrowDataError(f"cache entry {fp}: {f} must live beside its sidecar {side}")
    body = {"version": SIDECAR_VERSION, "fingerprint": fp, "created": time.time(), **meta,
            "files": [f.name for f in files], "sizes": [os.stat(f).st_size for f in files]}
    tmp = temp_path_for(side)
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=1, sort_keys=True, default=str)
    os.replace(tmp, side)
    return CacheEntry(fp, files, body)


def remove_entry(fp: str, base: str | os.PathLike | None = None) -> int:
    """Delete an entry (sidecar first, so it stops existing before its files go); returns bytes freed."""
    side = sidecar_path(fp, base)
    meta = _read_sidecar(side) or {}
    freed = 0
    try:
        freed += side.stat().st_size
        side.unlink()
    except FileNotFoundError:
        pass
    names = set(meta.get("files", []))
    if base is None:
        names |= {p.name for p in side.parent.glob(f"{fp}-*-of-*.arrow")} | {f"{fp}.arrow"}
    for name in names:
        path = side.parent / name
        try:
            freed += path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            pass
    return freed


def list_entries() -> list[CacheEntry]:
    """Every complete entry in the cache, most recently used first."""
    entries = []
    for side in transforms_dir().glob("*.json"):
        if TMP_MARKER in side.name:
            continue
        meta = _read_sidecar(side)
        if meta is None or "fingerprint" not in meta:
            continue
        try:
            meta["last_used"] = side.stat().st_mtime
        except FileNotFoundError:
            continue
        entries.append(CacheEntry(meta["fingerprint"], [side.parent / n for n in meta.get("files", [])], meta))
    return sorted(entries, key=lambda e: -e.meta["last_used"])


# ----------------------------------------------------------------------------- opening entries

_STREAM_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def open_entry(entry: CacheEntry) -> pa.Table:
    """The entry's table, memory-mapped; cost independent of the data's size.

    Files are opened by :func:`arrowdata.table.open_arrow_file`, which reads only the record
    batch headers (structure validated; the sidecar's sizes already rule out truncation).
    """
    from .table import concat_tables, normalize_table, open_arrow_file

    tables = [normalize_table(open_arrow_file(str(f), verify=False)) for f in entry.files]
    return tables[0] if len(tables) == 1 else concat_tables(tables)


# ----------------------------------------------------------------------------- debris and cleaning

def _tmp_owner(name: str) -> int | None:
    try:
        return int(name.split(TMP_MARKER, 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return None


def clean_debris(*, force: bool = False) -> list[Path]:
    """Remove what killed processes left: temp files, parts with no sidecar, stale locks.

    A temp file goes when its writer's PID is gone from this host (and it is over a
    minute old) or when it is older than :data:`DEBRIS_MAX_AGE`; parts without a
    sidecar go when no live lock covers their key. Runs once per process by itself
    (on the first cache write); ``force`` runs it again.
    """
    global _debris_checked
    if _debris_checked and not force:
        return []
    _debris_checked = True
    now, removed = time.time(), []
    for folder in (transforms_dir(), spill_dir()):
        for path in folder.iterdir():
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            name = path.name
            if TMP_MARKER in name:
                owner = _tmp_owner(name)
                dead = owner is not None and owner != os.getpid() and not pid_alive(owner)
                if age > DEBRIS_MAX_AGE or (dead and age > 60):
                    removed.append(path)
                continue
            match = _PART_RE.match(name)
            if match and not (folder / f"{match['fp']}.json").exists() and age > 60 \
                    and not lock_is_live(match["fp"]):
                removed.append(path)
    for path in locks_dir().iterdir():
        if path.suffix == ".lock" and not lock_is_live(path.stem):
            removed.append(path)
        elif ".stale-" in path.name:
            removed.append(path)
    for path in removed:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    if removed:
        logger.info("removed %d leftover file(s) from killed processes", len(removed))
    return removed


def clean(older_than: float | None = None, max_size: int | None = None, *, everything: bool = False,
          dry_run: bool = False) -> list[CacheEntry]:
    """Evict entries; returns the ones removed.

    Args:
        older_than: remove entries not used for this many seconds.
        max_size: then remove least recently used entries until the transforms cache fits in this many bytes.
        everything: remove every entry (and the spilled tables).
        dry_run: only report what would go.

    Example:
        >>> clean(older_than=30 * 86400)  # doctest: +SKIP
    """
    clean_debris(force=True) if not dry_run else None
    entries = list_entries()
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
            remove_entry(e.fingerprint)
        if everything:
            shutil.rmtree(spill_dir(), ignore_errors=True)
        elif older_than is not None:
            # Spilled inputs are touched whenever a parallel step reuses them.
            for path in spill_dir().iterdir():
                try:
                    if now - path.stat().st_mtime > older_than:
                        path.unlink()
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

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6, "mib": 2**20,
          "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12, "tib": 2**40}
_DURATIONS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """``'500MB'`` -> 500000000; ``'2GiB'`` -> 2147483648.

    Example:
        >>> parse_size("1.5 GB")
        1500000000
    """
    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ArrowDataError(f"--max-size: cannot read size {text!r}; use e.g. 500MB, 20GB, 1.5TiB")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


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
