"""Cold reads: what a fresh training process pays first, arrowdata vs Hugging Face datasets, side by side.

Every figure comes from its own fresh Python process (libraries alternating, best of ``--runs``),
on one ``save_to_disk`` folder both libraries open, with the folder in the OS page cache (read
once before each child, so neither side pays the disk for the other):

- **import + first ``load_from_disk``**: ``import arrowdata`` / ``import datasets`` and the first open;
- **first random gather**: ``ds[list of --gather random rows]``, the first read of the dataset's rows
  in the process (pyarrow's compute kernels are initialised beforehand on a tiny unrelated table,
  so the figure is the reading, not a one-off kernel set-up), then a second gather of other rows
  (warm code, cold pages) for comparison;
- whether ``fsspec`` was imported for the local path.

    python benchmarks/bench_cold_reads.py [--size 1GB] [--gather 10000] [--runs 3] [--workdir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

LIBS = ("arrowdata", "datasets")


def child(lib: str, path: str, gather: int) -> dict[str, Any]:
    t = time.perf_counter()
    if lib == "arrowdata":
        import arrowdata as mod
    else:
        import datasets as mod

        mod.disable_progress_bars()
    ds = mod.load_from_disk(path)
    opened = time.perf_counter() - t
    fsspec_loaded = "fsspec" in sys.modules
    import numpy as np
    import pyarrow as pa

    # pyarrow's kernels initialise on their first call (~0.5 s here): not a read of the data.
    pa.array([1]).take(pa.array([0])), pa.array(["a"]).take(pa.array([0]))
    pa.table({"a": [[1]]}).take(pa.array([0]))
    rng = np.random.default_rng(0)
    first_rows = rng.integers(0, len(ds), gather).tolist()
    second_rows = rng.integers(0, len(ds), gather).tolist()
    t = time.perf_counter()
    rows = ds[first_rows]
    first = time.perf_counter() - t
    t = time.perf_counter()
    ds[second_rows]
    second = time.perf_counter() - t
    key = next(iter(rows))
    return {"open_s": opened, "first_gather_s": first, "second_gather_s": second,
            "rows": len(rows[key]), "fsspec_imported": fsspec_loaded}


def warm_page_cache(folder: Path) -> None:
    for p in sorted(folder.glob("*.arrow")):
        with open(p, "rb", buffering=0) as fh:
            while fh.read(16 << 20):
                pass


def run_child(lib: str, path: Path, gather: int) -> dict[str, Any]:
    warm_page_cache(path)
    spec = json.dumps({"lib": lib, "path": str(path), "gather": gather})
    r = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"child {lib} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> int:
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    for unit, mult in units.items():
        if text.upper().endswith(unit):
            return int(float(text[:-2]) * mult)
    return int(text)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--gather", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None, help="keep the data here (reused when present)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(**spec)))
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-cold-"))
    folder = work / f"saved-{args.size}"
    try:
        if not (folder / "state.json").exists():
            from corpus import write_saved_folder

            shutil.rmtree(folder, ignore_errors=True)
            rows = write_saved_folder(folder, parse_size(args.size))
            os.sync()
            print(f"# wrote {rows:,} rows to {folder}", flush=True)
        runs: dict[str, list[dict]] = {lib: [] for lib in LIBS}
        for _ in range(args.runs):
            for lib in LIBS:
                runs[lib].append(run_child(lib, folder, args.gather))
        best = {lib: {k: min(r[k] for r in rs) for k in ("open_s", "first_gather_s", "second_gather_s")}
                for lib, rs in runs.items()}
        a, h = best["arrowdata"], best["datasets"]
        print(f"# {args.size}, {args.gather} random rows, best of {args.runs} fresh processes each, "
              f"load average {os.getloadavg()[0]:.1f}")
        print("| measurement | arrowdata | datasets | ratio (datasets/arrowdata) |\n|---|---|---|---|")
        for key, name in (("open_s", "import + first load_from_disk"),
                          ("first_gather_s", f"first random gather of {args.gather:,} rows"),
                          ("second_gather_s", f"second random gather of {args.gather:,} other rows")):
            print(f"| {name} | {a[key] * 1e3:.1f} ms | {h[key] * 1e3:.1f} ms | {h[key] / a[key]:.2f}x |")
        print(f"| fsspec imported for a local folder | {runs['arrowdata'][0]['fsspec_imported']} | "
              f"{runs['datasets'][0]['fsspec_imported']} | - |")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
