"""Streaming: arrowdata's IterableDataset against HF ``datasets`` streaming and raw pyarrow.

Measures, on one parquet file written here (``--rows`` rows: an id, a label and a text column),
in one run:

1. the issue's pipeline: ``shuffle(buffer_size=10_000)`` -> batched Python ``map`` -> row
   ``filter`` -> batches of 32, in arrowdata and in HF streaming (same functions);
2. an arrow-format streamed pass (``with_format("arrow").iter(batch_size)``) against pyarrow's own
   ``ParquetFile.iter_batches`` (same batch size);
3. RssAnon (anonymous resident memory, /proc/self/status) before and at its peak during a full
   shuffled pass.

Usage: ``python benchmarks/bench_streaming.py [--rows 200000] [--repeat 3] [--no-hf]``.
"""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def rss_anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakRss:
    """Samples RssAnon every 5 ms in a thread; ``peak`` after the block."""

    def __enter__(self) -> "PeakRss":
        self.base = rss_anon_mb()
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_anon_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_anon_mb())


def write_parquet(path: str, rows: int) -> None:
    rng = np.random.default_rng(0)
    words = np.array(["data", "stream", "arrow", "batch", "shuffle", "model", "token", "train", "fast", "row"])
    texts = [" ".join(words[rng.integers(0, len(words), size=int(n))]) for n in rng.integers(5, 30, size=rows)]
    table = pa.table({"id": np.arange(rows), "label": rng.integers(0, 3, size=rows), "text": texts})
    pq.write_table(table, path, row_group_size=50_000)


def add_length(batch):
    return {"n_words": [len(t.split()) for t in batch["text"]]}


def keep(row):
    return row["label"] != 0


from timing import best_of  # noqa: E402


def pipeline(mod, path: str) -> int:
    ds = mod.load_dataset("parquet", data_files=path, split="train", streaming=True)
    ds = ds.shuffle(seed=0, buffer_size=10_000).map(add_length, batched=True).filter(keep)
    n = 0
    for batch in ds.iter(batch_size=32):
        n += len(batch["id"])
    return n


def arrow_pass(path: str, batch_size: int) -> int:
    import arrowdata

    ds = arrowdata.load_dataset("parquet", data_files=path, split="train", streaming=True).with_format("arrow")
    return sum(t.num_rows for t in ds.iter(batch_size=batch_size))


def pyarrow_pass(path: str, batch_size: int) -> int:
    pf = pq.ParquetFile(path, memory_map=True, pre_buffer=True)
    return sum(b.num_rows for b in pf.iter_batches(batch_size=batch_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-hf", action="store_true", help="skip HF datasets (arrowdata and pyarrow only)")
    args = parser.parse_args()
    import arrowdata

    work = tempfile.mkdtemp(prefix="bench_streaming_")
    path = os.path.join(work, "data.parquet")
    write_parquet(path, args.rows)
    print(f"parquet: {args.rows:,} rows, {os.path.getsize(path) / 1e6:.1f} MB, load average "
          f"{os.getloadavg()[0]:.1f}")

    t_ad, n_ad = best_of(lambda: pipeline(arrowdata, path), args.repeat)
    print(f"pipeline shuffle(10k) -> batched map -> filter -> batches of 32: arrowdata {t_ad:.2f} s ({n_ad:,} rows)")
    if not args.no_hf:
        import datasets

        datasets.disable_progress_bars()
        t_hf, n_hf = best_of(lambda: pipeline(datasets, path), max(1, args.repeat - 1))
        print(f"  HF datasets {t_hf:.2f} s ({n_hf:,} rows): ratio {t_hf / t_ad:.1f}x")

    for batch_size in (1_000, 65_536):
        t_pa, n_pa = best_of(lambda: pyarrow_pass(path, batch_size), args.repeat)
        t_ar, n_ar = best_of(lambda: arrow_pass(path, batch_size), args.repeat)
        assert n_pa == n_ar == args.rows
        print(f"arrow pass, batches of {batch_size:,}: arrowdata {t_ar * 1e3:.0f} ms, pyarrow iter_batches "
              f"{t_pa * 1e3:.0f} ms: {t_ar / t_pa:.2f}x pyarrow's time")

    ds = arrowdata.load_dataset("parquet", data_files=path, split="train", streaming=True)
    with PeakRss() as rss:
        n = sum(len(b["id"]) for b in ds.shuffle(seed=0, buffer_size=10_000).map(add_length, batched=True)
                .iter(batch_size=32))
    print(f"RssAnon during a full shuffled pass ({n:,} rows): {rss.base:.0f} MB before, peak {rss.peak:.0f} MB "
          f"(+{rss.peak - rss.base:.0f} MB; the file holds {os.path.getsize(path) / 1e6:.0f} MB compressed)")


if __name__ == "__main__":
    main()
