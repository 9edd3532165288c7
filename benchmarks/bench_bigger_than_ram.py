"""Bigger than RAM: open, pass over, shuffle, map and stream a corpus larger than the machine's memory.

Builds (once, in ``--workdir``) a ``save_to_disk`` folder of ``--size`` bytes of Arrow data (the
Zipf text corpus of ``benchmarks/corpus.py``) and the same rows as Parquet files, then measures
for arrowdata and, with ``--hf``, HF ``datasets`` on the same files:

- ``load_from_disk``: time and RssAnon growth;
- a full arrow-format pass (GB/s);
- a shuffled streamed pass (``to_iterable_dataset(num_shards).shuffle(buffer_size=10_000)``);
- a batched ``map`` over the stream (a word count per text);
- a streamed pass over the Parquet files (``load_dataset("parquet", streaming=True)``);

each with its peak RssAnon (anonymous resident memory: what the process holds, not the page
cache the kernel may drop). For the issue's proof, pass ``--size`` at 1.5x the RAM
(``free -b``); at small sizes the script checks that everything works.

Usage: ``python benchmarks/bench_bigger_than_ram.py --size 36GB --workdir /big/disk [--hf]``
(sizes: ``500MB``, ``2GB``, ``36GB``...; ``--rows-limit`` caps the slow Python passes).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_streaming import PeakRss  # noqa: E402
from corpus import write_saved_folder  # noqa: E402


def parse_size(text: str) -> int:
    units = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


def build(workdir: Path, size: int) -> tuple[Path, Path]:
    import pyarrow.parquet as pq

    import arrowdata

    folder = workdir / f"saved-{size}"
    if not (folder / "state.json").exists():
        t = time.perf_counter()
        rows = write_saved_folder(folder, size)
        print(f"built {folder} ({rows:,} rows) in {time.perf_counter() - t:.0f} s")
    parquet = workdir / f"parquet-{size}"
    if not (parquet / "_done").exists():
        parquet.mkdir(exist_ok=True)
        ds = arrowdata.load_from_disk(str(folder))
        for i, f in enumerate(ds.cache_files):  # one parquet file per arrow shard, batch by batch
            import pyarrow as pa

            with pa.memory_map(f["filename"]) as src:
                reader = pa.ipc.open_stream(src)
                with pq.ParquetWriter(parquet / f"part-{i:05d}.parquet", reader.schema) as w:
                    for batch in reader:
                        w.write_batch(batch)
        (parquet / "_done").write_text("")
    return folder, parquet


def measure(label: str, fn) -> None:
    gc.collect()
    with PeakRss() as rss:
        t = time.perf_counter()
        detail = fn()
        dt = time.perf_counter() - t
    print(f"  {label}: {dt:.2f} s{detail}, RssAnon {rss.base:.0f} -> peak {rss.peak:.0f} MB "
          f"(+{rss.peak - rss.base:.0f} MB)")


def words(batch):
    return {"n_words": [t.count(" ") + 1 for t in batch["text"]]}


def run(lib, name: str, folder: Path, parquet: Path, limit: int | None, num_shards: int) -> None:
    print(name)
    box = {}

    def open_():
        box["ds"] = lib.load_from_disk(str(folder))
        return f" ({len(box['ds']):,} rows)"

    measure("load_from_disk", open_)
    ds = box["ds"]
    nbytes = sum(os.path.getsize(f["filename"]) for f in ds.cache_files)

    def arrow_pass():
        import pyarrow.compute as pc

        start = time.perf_counter()
        n = chars = 0
        for t in ds.with_format("arrow").iter(batch_size=10_000):  # touch every text byte
            n += t.num_rows
            chars += pc.sum(pc.utf8_length(t.column("text"))).as_py() or 0
        return f" ({n:,} rows, {nbytes / 1e9:.2f} GB: {nbytes / 1e9 / (time.perf_counter() - start):.2f} GB/s)"

    measure("full arrow pass", arrow_pass)
    stream = ds.to_iterable_dataset(num_shards=num_shards)
    if limit:
        stream = stream.take(limit)

    def shuffled():
        n = sum(len(b["id"]) for b in stream.shuffle(seed=0, buffer_size=10_000).iter(batch_size=1000))
        return f" ({n:,} rows)"

    def mapped():
        n = sum(len(b["n_words"]) for b in stream.map(words, batched=True).iter(batch_size=1000))
        return f" ({n:,} rows)"

    def from_parquet():
        s = lib.load_dataset("parquet", data_files=str(parquet / "*.parquet"), split="train", streaming=True)
        if limit:
            s = s.take(limit)
        n = sum(len(b["id"]) for b in s.with_format("arrow").iter(batch_size=10_000))
        return f" ({n:,} rows)"

    measure("shuffled streamed pass", shuffled)
    measure("batched map over the stream", mapped)
    measure("streamed pass from parquet", from_parquet)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="200MB", help="Arrow bytes of the corpus (1.5x RAM for the proof)")
    parser.add_argument("--workdir", default="/tmp/bigger_than_ram")
    parser.add_argument("--hf", action="store_true", help="also run HF datasets on the same folder")
    parser.add_argument("--rows-limit", type=int, default=None, help="rows for the streamed passes (default all)")
    parser.add_argument("--num-shards", type=int, default=64)
    args = parser.parse_args()
    size = parse_size(args.size)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(f"corpus {size / 1e9:.2f} GB, RAM {ram / 1e9:.1f} GB ({size / ram:.2f}x RAM), load average "
          f"{os.getloadavg()[0]:.1f}")
    folder, parquet = build(workdir, size)
    import pyarrow as pa

    import arrowdata

    # pyarrow imports pandas on its first pa.array() call (~30 MB), HF datasets at its import:
    # done here, before any measurement, so no figure below includes that one-time import.
    pa.array([0])

    if size < ram:  # files that fit in the page cache: read them once, so the first library is not the cold one
        for f in sorted(folder.glob("*.arrow")) + sorted(parquet.glob("*.parquet")):
            with open(f, "rb") as fh:
                while fh.read(64 << 20):
                    pass
    run(arrowdata, "arrowdata", folder, parquet, args.rows_limit, args.num_shards)
    if args.hf:
        import datasets

        datasets.disable_progress_bars()
        run(datasets, "HF datasets", folder, parquet, args.rows_limit, args.num_shards)


if __name__ == "__main__":
    main()
