"""``arrowdata cache list|info|clean``: see and bound the transform cache.

Example:
    $ arrowdata cache list
    $ arrowdata cache info
    $ arrowdata cache clean --older-than 7d --max-size 20GB
    $ arrowdata cache clean --all
"""
from __future__ import annotations

import argparse
import datetime
import json
import time

from .. import cache, config


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cache", help="list, describe or clean the transform cache",
                              description=f"The transform cache lives in $ARROWDATA_CACHE (now {config.cache_dir()}).")
    sub = p.add_subparsers(dest="cache_command", metavar="ACTION")
    ls = sub.add_parser("list", help="one line per cached result (map/filter, conversions, generated), "
                                               "most recently used first")
    ls.add_argument("--json", action="store_true", help="print JSON lines")
    ls.set_defaults(func=_list)
    info = sub.add_parser("info", help="location, number of entries, total size, leftover files")
    info.add_argument("--json", action="store_true")
    info.set_defaults(func=_info)
    clean = sub.add_parser("clean", help="remove entries (and files left by killed processes)")
    clean.add_argument("--older-than", metavar="D", help="entries not used for this long (e.g. 12h, 7d, 2w)")
    clean.add_argument("--max-size", metavar="S", help="then least recently used entries until the whole cache "
                                                       "fits "
                                                       "(e.g. 500MB, 20GB)")
    clean.add_argument("--all", action="store_true", help="every entry")
    clean.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    clean.set_defaults(func=_clean)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _age(ts: float) -> str:
    seconds = max(0.0, time.time() - ts)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _row(e: cache.CacheEntry) -> dict:
    return {"fingerprint": e.fingerprint, "op": str(e.meta.get("op")), "parent": e.meta.get("parent"),
            "kind": e.kind, "num_rows": e.num_rows, "size_bytes": e.size, "files": len(e.files),
            "last_used": datetime.datetime.fromtimestamp(e.meta["last_used"], datetime.timezone.utc).isoformat()}


def _list(args: argparse.Namespace) -> int:
    entries = cache.list_all()
    if args.json:
        for e in entries:
            print(json.dumps(_row(e)))
        return 0
    if not entries:
        print(f"no cached results in {cache.transforms_dir()}")
        return 0
    print(f"{'fingerprint':32}  {'op':6}  {'rows':>10}  {'size':>10}  {'used':>5}  parent")
    for e in entries:
        rows = "" if e.num_rows is None else str(e.num_rows)
        op, parent = str(e.meta.get("op", "?"))[:16], str(e.meta.get("parent") or "")[:64]  # sidecars are untrusted
        print(f"{e.fingerprint:32}  {op:6}  {rows:>10}  {cache.format_size(e.size):>10}  "
              f"{_age(e.meta['last_used']):>5}  {parent}")
    return 0


def _info(args: argparse.Namespace) -> int:
    entries = cache.list_all()
    debris = cache.unfinished_files()
    spill = sum(p.stat().st_size for p in cache.spill_dir().iterdir() if p.is_file() and not p.is_symlink())
    by_kind: dict[str, list] = {}
    for e in entries:
        by_kind.setdefault(e.kind if e.kind in cache.FOLDER_KINDS else "transforms", []).append(e)
    kinds = {k: {"entries": len(v), "size_bytes": sum(e.size for e in v)} for k, v in sorted(by_kind.items())}
    facts = {"cache_dir": str(config.cache_dir()), "entries": len(entries),
             "size_bytes": sum(e.size for e in entries) + spill, "spill_bytes": spill,
             "unfinished_files": len(debris), "by_folder": kinds, "caching_enabled": config.is_caching_enabled()}
    if args.json:
        print(json.dumps(facts))
        return 0
    print(f"cache folder:      {facts['cache_dir']}")
    print(f"entries:           {facts['entries']} ({cache.format_size(facts['size_bytes'])} in all)")
    for kind, fact in kinds.items():
        print(f"  {kind + ':':16} {fact['entries']} ({cache.format_size(fact['size_bytes'])})")
    print(f"spilled tables:    {cache.format_size(spill)}")
    print(f"unfinished files:  {len(debris)} (in progress, or left by killed processes; "
          "`arrowdata cache clean` removes the dead ones)")
    return 0


def _clean(args: argparse.Namespace) -> int:
    older = cache.parse_duration(args.older_than) if args.older_than else None
    size = cache.parse_size(args.max_size) if args.max_size else None
    if older is None and size is None and not args.all:
        debris = cache.clean_debris(force=True) if not args.dry_run else []
        print(f"removed {len(debris)} leftover file(s); give --older-than, --max-size or --all to evict entries")
        return 0
    removed = cache.clean(older_than=older, max_size=size, everything=args.all, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(removed)} entr{'y' if len(removed) == 1 else 'ies'} "
          f"({cache.format_size(sum(e.size for e in removed))})")
    return 0
