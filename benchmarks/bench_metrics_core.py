"""Metric registry and classification metrics: arrowdata vs ``evaluate`` and scikit-learn, in one run.

Measured on the same data, values checked equal, ratios printed:

* ``import metrics`` vs ``import evaluate`` (fresh interpreters, best of 3);
* ``metrics.load("glue", "mrpc")`` + compute vs ``evaluate.load("glue", "mrpc")`` + compute
  (offline, ``evaluate`` cannot fetch its script: that is printed);
* GLUE/mrpc compute vs what evaluate's glue script does (scikit-learn ``f1_score`` plus the
  numpy accuracy), and accuracy / macro F1 / MCC vs scikit-learn, on N labels fed in batches
  of 1,000 (arrowdata's additive state) — scikit-learn sees the whole arrays at once.

Usage:
    python benchmarks/bench_metrics_core.py                 # N = 100k and 1M
    python benchmarks/bench_metrics_core.py --sizes 10000
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings

import numpy as np

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_EVALUATE_OFFLINE", "1")


from timing import best_of  # noqa: E402


def import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(3):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        if res.returncode != 0:
            return float("nan")
        times.append(float(res.stdout.strip().splitlines()[-1]))
    return min(times)


def row(name, ours, theirs, note=""):
    ratio = theirs / ours if ours > 0 and theirs == theirs else float("nan")
    print(f"{name:<42} arrowdata {ours * 1e3:9.1f} ms   rival {theirs * 1e3:9.1f} ms   {ratio:6.1f}x  {note}")


def bench_imports():
    ours, theirs = import_time("metrics"), import_time("evaluate")
    row("import", ours, theirs, "(metrics vs evaluate)")


def bench_load(n=1000):
    import metrics

    rng = np.random.default_rng(0)
    preds, refs = rng.integers(0, 2, n), rng.integers(0, 2, n)
    ours, our_result = best_of(lambda: metrics.load("glue", "mrpc").compute(predictions=preds, references=refs))
    try:
        import evaluate

        t = time.perf_counter()
        ev = evaluate.load("glue", "mrpc")
        their_result = ev.compute(predictions=preds, references=refs)
        theirs = time.perf_counter() - t
        assert all(abs(our_result[k] - their_result[k]) <= 1e-12 for k in their_result), (our_result, their_result)
        row("glue/mrpc load+compute (1k)", ours, theirs, "values equal")
    except Exception as e:  # offline: evaluate cannot fetch the glue script from the hub
        print(f"{'glue/mrpc load+compute (1k)':<42} arrowdata {ours * 1e3:9.1f} ms   "
              f"evaluate.load failed offline: {type(e).__name__}: {str(e).splitlines()[0][:90]}")


def bench_compute(n):
    import metrics
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

    rng = np.random.default_rng(1)
    preds, refs = rng.integers(0, 2, n), rng.integers(0, 2, n)
    preds3, refs3 = rng.integers(0, 3, n), rng.integers(0, 3, n)

    def ours(name, cfg=None, p=preds, r=refs, **opts):
        m = metrics.load(name, cfg, **opts)
        for i in range(0, n, 1000):
            m.add_batch(predictions=p[i:i + 1000], references=r[i:i + 1000])
        return m.compute()

    def glue_script():
        return {"accuracy": float((preds == refs).mean()), "f1": float(f1_score(refs, preds))}

    cases = [
        ("glue/mrpc", lambda: ours("glue", "mrpc"), glue_script, lambda a, b: a == b or all(
            abs(a[k] - b[k]) <= 1e-12 for k in b)),
        ("accuracy", lambda: ours("accuracy")["accuracy"], lambda: accuracy_score(refs, preds), None),
        ("f1 macro (3 classes)", lambda: ours("f1", p=preds3, r=refs3, average="macro")["f1"],
         lambda: f1_score(refs3, preds3, average="macro"), None),
        ("matthews (3 classes)", lambda: ours("matthews_correlation", p=preds3, r=refs3)["matthews_correlation"],
         lambda: matthews_corrcoef(refs3, preds3), None),
    ]
    for name, mine, theirs, same in cases:
        t_ours, v_ours = best_of(mine)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_theirs, v_theirs = best_of(theirs)
        ok = same(v_ours, v_theirs) if same else abs(v_ours - v_theirs) <= 1e-12
        assert ok, (name, v_ours, v_theirs)
        row(f"{name} ({n:,})", t_ours, t_theirs, "values equal (vs scikit-learn)")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args(argv)
    bench_imports()
    bench_load()
    for n in args.sizes:
        bench_compute(n)


if __name__ == "__main__":
    main()
