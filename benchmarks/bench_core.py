"""The dataset core, arrowdata vs Hugging Face ``datasets``, on the same files in one run.

Measures, side by side (ratio = datasets time / arrowdata time, so > 1 means arrowdata is faster):

* conversion of JSON Lines and of Parquet into a dataset (``load_dataset``), and reloading the
  unchanged files (the cache hit);
* ``load_from_disk``: time, and ``RssAnon`` growth (anonymous memory, page cache excluded);
* a full pass in python, numpy and arrow formats that reads every value (GB/s), with the
  ``RssAnon`` peak and end growth during the pass;
* random row access: single rows ``ds[i]`` and one gather of many rows ``ds[list]``.

Every measurement of open/pass/random runs in a fresh subprocess, so one library's memory or
page-cache warm-up never counts for the other; both open the very same ``save_to_disk`` folder
(written once, in bounded memory, by ``corpus.write_saved_folder``).

Usage:
    python benchmarks/bench_core.py                        # 200 MB, quick
    python benchmarks/bench_core.py --size 1GB
    python benchmarks/bench_core.py --size 20GB --passes arrow,numpy --skip convert --no-hf-pass
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

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


# ---------------------------------------------------------------------------- helpers
def rss_anon_mb() -> float:
    """Anonymous resident memory of this process (MB), from /proc/self/status."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def parse_size(text: str) -> int:
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "B": 1}
    t = text.strip().upper()
    for u, m in units.items():
        if t.endswith(u):
            return int(float(t[: -len(u)]) * m)
    return int(t)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.glob("*.arrow"))


# ---------------------------------------------------------------------------- consumers
def consume_arrow(table: Any) -> float:
    """Read every value of an Arrow batch: numbers summed, string bytes summed (slice-exact)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0.0
    for col in table.columns:
        for chunk in col.chunks:
            if pa.types.is_string(chunk.type) or pa.types.is_binary(chunk.type):
                off = np.frombuffer(chunk.buffers()[1], np.int32)[chunk.offset: chunk.offset + len(chunk) + 1]
                if len(off):
                    data = np.frombuffer(chunk.buffers()[2], np.uint8)[off[0]: off[-1]]
                    total += float(data.sum(dtype=np.uint64))
            else:
                s = pc.sum(chunk).as_py()
                total += float(s or 0)
    return total


def consume_numpy(batch: dict) -> float:
    total = 0.0
    for v in batch.values():
        if v.dtype.kind in "iufb":
            total += float(v.sum())
        else:
            total += sum(len(s) for s in v)
    return total


def consume_python(batch: dict) -> float:
    total = 0.0
    for v in batch.values():
        if v and isinstance(v[0], str):
            total += sum(len(s) for s in v)
        else:
            total += sum(v)
    return total


CONSUMERS = {"arrow": consume_arrow, "numpy": consume_numpy, "python": consume_python}


# ---------------------------------------------------------------------------- child measurements
def _open(lib: str, path: str):
    if lib == "arrowdata":
        import arrowdata

        return arrowdata.load_from_disk(path)
    import datasets

    datasets.disable_progress_bars()
    return datasets.load_from_disk(path)


def child_open(lib: str, path: str) -> dict:
    _open(lib, path)  # warm imports and the OS page cache of the metadata; the measured open is the next one
    import gc

    gc.collect()
    before = rss_anon_mb()
    t = time.perf_counter()
    ds = _open(lib, path)
    elapsed = time.perf_counter() - t
    after = rss_anon_mb()
    return {"seconds": elapsed, "rss_growth_mb": after - before, "rows": len(ds)}


def child_pass(lib: str, path: str, fmt: str, batch_size: int) -> dict:
    ds = _open(lib, path).with_format(fmt)
    consume = CONSUMERS[fmt]
    opened = rss_anon_mb()
    t = time.perf_counter()
    checksum = 0.0
    batches = ds.iter(batch_size=batch_size)
    # The first batch pays one-off costs (the formatter's lazy imports, allocator arenas): growth
    # is measured from after it, so what is left is what grows with the data.
    checksum += consume(next(batches))
    before = peak = rss_anon_mb()
    for i, batch in enumerate(batches):
        checksum += consume(batch)
        if i % 64 == 0:
            peak = max(peak, rss_anon_mb())
    elapsed = time.perf_counter() - t
    end = rss_anon_mb()
    return {"seconds": elapsed, "checksum": checksum, "rss_first_batch_mb": before - opened,
            "rss_peak_growth_mb": max(peak, end) - before, "rss_end_growth_mb": end - before}


def child_random(lib: str, path: str, n_single: int, n_gather: int) -> dict:
    import numpy as np

    ds = _open(lib, path)
    rng = np.random.default_rng(0)
    single = rng.integers(0, len(ds), n_single).tolist()
    gather = rng.integers(0, len(ds), n_gather).tolist()
    import pyarrow as pa

    # One-off costs are not row access: lazy imports of both code paths, and pyarrow's compute
    # kernels, which initialise on their first call (~0.5 s here) in whichever library calls first.
    pa.array([1]).take(pa.array([0])), pa.array(["a"]).take(pa.array([0]))
    ds[0], ds[[0, len(ds) - 1]]
    t = time.perf_counter()
    for i in single:
        ds[i]
    t_single = (time.perf_counter() - t) / n_single
    t = time.perf_counter()
    rows = ds[gather]
    t_gather = time.perf_counter() - t
    return {"single_us": t_single * 1e6, "gather_s": t_gather, "gathered": len(rows["id"])}


def child_convert(lib: str, builder: str, path: str, cache: str) -> dict:
    if lib == "arrowdata":
        import arrowdata

        def load():
            return arrowdata.load_dataset(builder, data_files=path, split="train", cache_dir=cache, progress=False)
    else:
        import datasets

        datasets.disable_progress_bars()

        def load():
            return datasets.load_dataset(builder, data_files=path, split="train", cache_dir=cache)
    t = time.perf_counter()
    ds = load()
    first = time.perf_counter() - t
    t = time.perf_counter()
    again = load()
    second = time.perf_counter() - t
    assert len(again) == len(ds)
    return {"seconds": first, "reload_seconds": second, "rows": len(ds)}


CHILDREN = {"open": child_open, "pass": child_pass, "random": child_random, "convert": child_convert}


def warm_page_cache(folder: str) -> None:
    """Read every shard once so both libraries start from the same (warm) page cache; otherwise
    whichever runs first pays the disk reads. Skipped for folders larger than half the RAM."""
    files = sorted(Path(folder).glob("*.arrow"))
    total = sum(p.stat().st_size for p in files)
    if total > os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2:
        return
    for p in files:
        with open(p, "rb", buffering=0) as fh:
            while fh.read(16 << 20):
                pass


def run_child(kind: str, **kwargs: Any) -> dict:
    if "path" in kwargs and kind != "convert":
        warm_page_cache(kwargs["path"])
    spec = json.dumps({"kind": kind, "kwargs": kwargs})
    r = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"child {kind} {kwargs} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- data
def prepare_saved(work: Path, size: int) -> Path:
    from corpus import write_saved_folder

    folder = work / f"saved-{size}"
    if (folder / "state.json").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    rows = write_saved_folder(folder, size)
    os.sync()  # dirty pages still being flushed would slow whichever measurement comes first
    print(f"# wrote {rows:,} rows, {folder_bytes(folder) / 1e9:.2f} GB to {folder} in {time.perf_counter() - t:.0f} s",
          flush=True)
    return folder


def prepare_inputs(work: Path, size: int) -> dict[str, Path]:
    import pyarrow.parquet as pq

    from corpus import corpus_tables

    out = {"json": work / f"input-{size}.jsonl", "parquet": work / f"input-{size}.parquet"}
    if all(p.exists() for p in out.values()):
        return out
    writer = None
    with open(out["json"], "wb") as jf:
        for table in corpus_tables(size, batch_rows=10_000, seed=7):
            if writer is None:
                writer = pq.ParquetWriter(out["parquet"], table.schema)
            writer.write_table(table)
            jf.write(_ndjson(table))
    writer.close()
    return out


def _ndjson(table: Any) -> bytes:
    try:
        import polars as pl

        import io

        buf = io.BytesIO()
        pl.from_arrow(table).write_ndjson(buf)
        return buf.getvalue()
    except ImportError:
        return "".join(json.dumps(r) + "\n" for r in table.to_pylist()).encode()


# ---------------------------------------------------------------------------- report
def ratio(hf: float | None, ours: float | None) -> str:
    if not hf or not ours:
        return "-"
    return f"{hf / ours:.2f}x"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="200MB", help="size of the saved dataset (e.g. 200MB, 1GB, 20GB)")
    ap.add_argument("--convert-size", default="100MB", help="size of the jsonl/parquet inputs to convert")
    ap.add_argument("--workdir", default=None, help="where data goes (default: a temp folder, removed)")
    ap.add_argument("--keep", action="store_true", help="keep the workdir")
    ap.add_argument("--passes", default="arrow,numpy,python", help="formats of the full pass")
    ap.add_argument("--batch-size", type=int, default=1000)
    ap.add_argument("--skip", default="", help="sections to skip: convert,open,pass,random")
    ap.add_argument("--no-hf-pass", action="store_true", help="skip the datasets full passes (huge sizes)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(CHILDREN[spec["kind"]](**spec["kwargs"])))
        return

    size, conv_size = parse_size(args.size), parse_size(args.convert_size)
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-core-"))
    work.mkdir(parents=True, exist_ok=True)
    import datasets

    print(f"# bench_core: size={args.size}, convert-size={args.convert_size}, datasets {datasets.__version__}, "
          f"{os.cpu_count()} cores", flush=True)
    rows_md: list[str] = []

    def row(what: str, ours: str, hf: str, r: str) -> None:
        line = f"| {what} | {ours} | {hf} | {r} |"
        rows_md.append(line)
        print(line, flush=True)

    print("| measurement | arrowdata | datasets | ratio (datasets/arrowdata) |\n|---|---|---|---|")
    try:
        if "convert" not in skip:
            inputs = prepare_inputs(work, conv_size)
            for builder, path in inputs.items():
                mb = path.stat().st_size / 1e6
                # best of 2, libraries alternating, each into a fresh cache: the machine is shared
                runs: dict[str, list[dict]] = {"arrowdata": [], "datasets": []}
                for attempt in range(2):
                    for lib in runs:
                        cache = work / f"cache-{lib}-{builder}-{attempt}"
                        runs[lib].append(run_child("convert", lib=lib, builder=builder, path=str(path),
                                                   cache=str(cache)))
                        shutil.rmtree(cache, ignore_errors=True)
                a, h = ({"seconds": min(r["seconds"] for r in rs), "reload_seconds": min(r["reload_seconds"] for r in rs),
                         "rows": rs[0]["rows"]} for rs in (runs["arrowdata"], runs["datasets"]))
                row(f"convert {builder} ({mb:.0f} MB, {a['rows']:,} rows), best of 2", f"{a['seconds']:.2f} s",
                    f"{h['seconds']:.2f} s", ratio(h["seconds"], a["seconds"]))
                row(f"reload unchanged {builder} (cache hit)", f"{a['reload_seconds'] * 1e3:.0f} ms",
                    f"{h['reload_seconds'] * 1e3:.0f} ms", ratio(h["reload_seconds"], a["reload_seconds"]))
        saved = prepare_saved(work, size)
        gb = folder_bytes(saved) / 1e9
        if "open" not in skip:
            # alternate the libraries, best of 3: the page cache and other tenants of the machine
            # move between runs, and neither library should pay for that
            runs: dict[str, list[dict]] = {"arrowdata": [], "datasets": []}
            for _ in range(3):
                for lib in runs:
                    runs[lib].append(run_child("open", lib=lib, path=str(saved)))
            a, h = ({"seconds": min(r["seconds"] for r in rs), "rss_growth_mb": max(r["rss_growth_mb"] for r in rs),
                     "rows": rs[0]["rows"]} for rs in (runs["arrowdata"], runs["datasets"]))
            row(f"load_from_disk ({gb:.2f} GB, {a['rows']:,} rows), best of 3", f"{a['seconds'] * 1e3:.1f} ms",
                f"{h['seconds'] * 1e3:.1f} ms", ratio(h["seconds"], a["seconds"]))
            row("load_from_disk RssAnon growth (worst of 3)", f"{a['rss_growth_mb']:.1f} MB", f"{h['rss_growth_mb']:.1f} MB", "-")
        if "pass" not in skip:
            for fmt in filter(None, args.passes.split(",")):
                a = run_child("pass", lib="arrowdata", path=str(saved), fmt=fmt, batch_size=args.batch_size)
                h = None if args.no_hf_pass else run_child("pass", lib="datasets", path=str(saved), fmt=fmt,
                                                           batch_size=args.batch_size)
                if h is not None and abs(a["checksum"] - h["checksum"]) > 1e-6 * max(1.0, abs(h["checksum"])):
                    raise AssertionError(f"{fmt} pass: checksums differ {a['checksum']} vs {h['checksum']}")
                row(f"full pass, {fmt} batches of {args.batch_size}", f"{gb / a['seconds']:.2f} GB/s",
                    f"{gb / h['seconds']:.2f} GB/s" if h else "not run",
                    ratio(h["seconds"], a["seconds"]) if h else "-")
                row(f"full pass, {fmt}: RssAnon first batch; then peak / end growth",
                    f"{a['rss_first_batch_mb']:.1f}; {a['rss_peak_growth_mb']:.1f} / {a['rss_end_growth_mb']:.1f} MB",
                    f"{h['rss_first_batch_mb']:.1f}; {h['rss_peak_growth_mb']:.1f} / {h['rss_end_growth_mb']:.1f} MB"
                    if h else "not run", "-")
        if "random" not in skip:
            res = {lib: run_child("random", lib=lib, path=str(saved), n_single=2000, n_gather=10_000)
                   for lib in ("arrowdata", "datasets")}
            a, h = res["arrowdata"], res["datasets"]
            row("random access ds[i] (2000 rows)", f"{a['single_us']:.0f} us/row", f"{h['single_us']:.0f} us/row",
                ratio(h["single_us"], a["single_us"]))
            row("random gather ds[list of 10k]", f"{a['gather_s'] * 1e3:.0f} ms", f"{h['gather_s'] * 1e3:.0f} ms",
                ratio(h["gather_s"], a["gather_s"]))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
