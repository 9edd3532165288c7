"""``arrowdata head PATH -n N``: the first rows of a dataset, as JSON Lines or an aligned table.

Example:
    $ arrowdata head out/ -n 3
    $ arrowdata head train.csv.gz -n 5 --table
"""
from __future__ import annotations

import argparse
import base64
import json
from typing import Any
from ..errors import UnknownNameError
from .opening import open_path, pick_split


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("head", help="print the first rows of a dataset",
                              description="Print the first N rows of a saved folder or data files, "
                                          "one JSON object per line (or --table).")
    p.add_argument("path", metavar="PATH")
    p.add_argument("-n", type=int, default=5, help="number of rows (default 5)")
    p.add_argument("--split", help="split of a DatasetDict (default: the first)")
    p.add_argument("--columns", "-c", help="comma-separated columns to show")
    p.add_argument("--table", action="store_true", help="an aligned text table instead of JSON Lines")
    p.set_defaults(func=run)


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _cell(value: Any, width: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=_jsonable, ensure_ascii=False)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    if args.n < 0:
        raise ValueError(f"-n must be >= 0, got {args.n}")
    _, ds = pick_split(open_path(args.path), args.split)
    columns = args.columns.split(",") if args.columns else list(ds.column_names)
    unknown = [c for c in columns if c not in ds.column_names]
    if unknown:
        raise UnknownNameError("column", unknown[0], list(ds.column_names))
    n = min(args.n, ds.num_rows)
    # logical rows (after any indices), straight from Arrow: no formatting, one vectorized gather
    rows = ds._take(_positions(n), columns=columns).to_pylist() if n else []
    if not args.table:
        for row in rows:
            print(json.dumps(row, default=_jsonable, ensure_ascii=False))
        return 0
    cells = [[_cell(r[c]) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    return 0


def _positions(n: int):
    import numpy as np

    return np.arange(n, dtype=np.int64)
