"""The Dataset handle, arrowdata vs Hugging Face ``datasets``: construction, save, formats, exports.

``bench_core.py`` covers conversion, opening and full passes; this one covers the handle's
own work: building from Python, ``save_to_disk``, gathered reads in framework formats
(what a training loop's sampler asks for), a numpy full pass, and the file exports.
Both libraries get the same data in one run; ratio = datasets time / arrowdata time
(> 1 means arrowdata is faster).

    python benchmarks/bench_core_handle.py [--rows 100000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from typing import Any, Callable

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def best_of(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def make_columns(rows: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    vocab = np.array([f"w{i}" for i in range(5000)])
    lengths = rng.integers(8, 64, rows)
    return {
        "id": np.arange(rows, dtype=np.int64).tolist(),
        "text": [" ".join(vocab[rng.integers(0, 5000, n)]) for n in lengths],
        "tokens": [rng.integers(0, 30000, n).tolist() for n in lengths],
        "score": rng.random(rows).tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gathers", type=int, default=300, help="random batches of 32 per format")
    args = ap.parse_args()

    import datasets as hf
    import torch  # noqa: F401  (imported up front so no import time is measured)

    import arrowdata as ad

    hf.disable_progress_bars()
    tmp = tempfile.mkdtemp(prefix="bench_core_handle_")
    cols = make_columns(args.rows)
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, args.rows, 32).tolist() for _ in range(args.gathers)]
    singles = rng.integers(0, args.rows, 2000).tolist()
    results: list[tuple[str, float, float]] = []

    def bench(name: str, ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
        t_ours, t_theirs = best_of(ours, args.repeat), best_of(theirs, args.repeat)
        results.append((name, t_ours, t_theirs))
        print(f"{name:38s} arrowdata {t_ours * 1e3:9.1f} ms   datasets {t_theirs * 1e3:9.1f} ms   "
              f"ratio {t_theirs / t_ours:6.2f}x", flush=True)

    bench("from_dict", lambda: ad.Dataset.from_dict(cols), lambda: hf.Dataset.from_dict(cols))
    a_mem, h_mem = ad.Dataset.from_dict(cols), hf.Dataset.from_dict(cols)

    def save_ours() -> None:
        a_mem.save_to_disk(os.path.join(tmp, "ours"))

    def save_theirs() -> None:
        shutil.rmtree(os.path.join(tmp, "theirs"), ignore_errors=True)
        h_mem.save_to_disk(os.path.join(tmp, "theirs"))

    bench("save_to_disk", save_ours, save_theirs)
    folder = os.path.join(tmp, "ours")  # both libraries read the very same files from here on
    bench("load_from_disk", lambda: ad.load_from_disk(folder), lambda: hf.load_from_disk(folder))
    a, h = ad.load_from_disk(folder), hf.load_from_disk(folder)

    bench("2000 random rows ds[i] (python)", lambda: [a[i] for i in singles], lambda: [h[i] for i in singles])
    for fmt in ("numpy", "torch", "tensorflow"):
        af = a.with_format(fmt, columns=["id", "tokens", "score"])
        hf_f = h.with_format(fmt, columns=["id", "tokens", "score"])
        bench(f"{args.gathers} gathers of 32 rows ({fmt})", lambda af=af: [af[b] for b in batches],
              lambda hf_f=hf_f: [hf_f[b] for b in batches])
    an, hn = a.with_format("numpy"), h.with_format("numpy")
    bench("numpy full pass, batches of 1000",
          lambda: sum(int(b["id"].sum()) for b in an.iter(batch_size=1000)),
          lambda: sum(int(b["id"].sum()) for b in hn.iter(batch_size=1000)))
    bench("to_parquet", lambda: a.to_parquet(os.path.join(tmp, "a.parquet")),
          lambda: h.to_parquet(os.path.join(tmp, "h.parquet")))
    bench("to_json (lines)", lambda: a.to_json(os.path.join(tmp, "a.jsonl")),
          lambda: h.to_json(os.path.join(tmp, "h.jsonl")))
    small_a, small_h = a.select_columns(["id", "text", "score"]), h.select_columns(["id", "text", "score"])
    bench("to_csv (flat columns)", lambda: small_a.to_csv(os.path.join(tmp, "a.csv")),
          lambda: small_h.to_csv(os.path.join(tmp, "h.csv"), index=False))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
