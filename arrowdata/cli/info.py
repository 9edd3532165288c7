"""``arrowdata info PATH``: rows, features, size on disk, fingerprint and files of a dataset.

Example:
    $ arrowdata info out/
    $ arrowdata info out/ --json
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Any
from .opening import open_path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="describe a saved dataset folder or data files",
                              description="Rows, features, size, fingerprint and files of a saved "
                                          "dataset (or DatasetDict) folder, or of data files.")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def describe(ds: Any) -> dict[str, Any]:
    """The facts ``info`` prints about one Dataset."""
    files = [c["filename"] for c in ds.cache_files]
    size = sum(os.path.getsize(f) for f in files if os.path.exists(f))
    return {"split": ds.split, "num_rows": ds.num_rows, "num_columns": len(ds.column_names),
            "features": ds.features.to_dict(), "size_bytes": size, "fingerprint": ds.fingerprint, "files": files}


def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _feature_text(feat: Any) -> str:
    if isinstance(feat, dict) and feat.get("_type") == "Value":
        return feat["dtype"]
    if isinstance(feat, dict) and feat.get("_type") == "ClassLabel":
        return f"ClassLabel(names={feat.get('names')})"
    return json.dumps(feat)


def run(args: argparse.Namespace) -> int:
    obj = open_path(args.path)
    splits = {k: obj[k] for k in obj.keys()} if hasattr(obj, "keys") and callable(obj.keys) else {None: obj}
    facts = {str(k): describe(v) for k, v in splits.items()}
    if args.json:
        print(json.dumps(facts if len(facts) > 1 or None not in splits else facts["None"], indent=2))
        return 0
    for name, f in facts.items():
        if name != "None":
            print(f"[{name}]")
        print(f"rows:        {f['num_rows']}")
        print(f"size:        {_human(f['size_bytes'])} in {len(f['files'])} file(s)")
        print(f"fingerprint: {f['fingerprint']}")
        print("features:")
        width = max((len(c) for c in f["features"]), default=0)
        for col, feat in f["features"].items():
            print(f"  {col.ljust(width)}  {_feature_text(feat)}")
        print("files:")
        for path in f["files"]:
            print(f"  {path}")
    return 0
