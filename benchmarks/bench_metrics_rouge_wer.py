"""ROUGE, WER, CER and METEOR: arrowdata vs rouge-score, jiwer, nltk (and ``evaluate``) in one run.

On the same generated corpora (sentence pairs of ~25 words drawn from a Zipf vocabulary,
references are noisy copies of the predictions, 1% empty), each metric is computed by
arrowdata and by the reference package; every value is checked equal (per-example ROUGE
scores exactly, corpus WER/CER exactly, METEOR to 1e-12) and the time ratio printed, from
CPU time (fair on a shared machine: every contender is single-threaded) and from wall time.

* ROUGE: ``metrics.load("rouge")`` (4 types, mean F) vs ``RougeScorer(4 types).score`` per pair
  plus the mean (``evaluate``'s work minus its random bootstrap). Target ≥ 10x.
* rougeLsum on multi-sentence summaries (3-5 sentences each side), where the union-LCS runs.
* WER / CER: vs ``jiwer.wer`` / ``jiwer.cer`` on the whole corpus. Target ≥ 1x.
* METEOR: vs ``nltk.translate.meteor_score.meteor_score`` per pair on the same tokens (no WordNet).
* ``evaluate.load(...)`` is tried for each; offline it cannot fetch its scripts, which is printed.

Usage:
    python benchmarks/bench_metrics_rouge_wer.py                      # 10k and 100k pairs
    python benchmarks/bench_metrics_rouge_wer.py --sizes 2000 --slow-limit 2000
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rivals import try_evaluate  # noqa: E402

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_corpus(n: int, seed: int = 0, sentences: int = 1) -> tuple[list[str], list[str]]:
    """``n`` (prediction, reference) pairs of ~25 words per sentence, Zipf-distributed words."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(20000)]
    vocab[:8] = ["the", "of", "and", "running", "runs", "cats", "Cat", "it's"]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]

    def sentence(k: int) -> list[str]:
        return rng.choices(vocab, weights, k=k)

    preds, refs = [], []
    for _ in range(n):
        p_sents, r_sents = [], []
        for _ in range(sentences if sentences == 1 else rng.randint(3, 5)):
            words = sentence(rng.randint(15, 35) if sentences == 1 else rng.randint(5, 15))
            noisy = [w if rng.random() < 0.7 else rng.choice(vocab) for w in words if rng.random() < 0.9]
            p_sents.append(" ".join(words).capitalize() + rng.choice([".", "!", ",", ""]))
            r_sents.append(" ".join(noisy) + ".")
        if rng.random() < 0.01:
            p_sents = [""]
        preds.append("\n".join(p_sents))
        refs.append("\n".join(r_sents))
    return preds, refs


def timed(fn: Callable[[], Any]) -> tuple[Any, tuple[float, float]]:
    """Result, (wall seconds, CPU seconds of this process). Every contender here runs on one core,
    so CPU time is the fair measure on a machine shared with other jobs; wall time is shown too."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - wall, time.process_time() - cpu)


def bench_rouge(preds, refs, use_stemmer: bool, types: list[str]):
    import metrics
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    ours, t_ours = timed(lambda: metrics.load("rouge", rouge_types=types, use_stemmer=use_stemmer).compute(
        predictions=preds, references=refs, use_aggregator=False))
    theirs, t_theirs = timed(lambda: [scorer.score(r, p) for p, r in zip(preds, refs)])
    for t in types:
        expected = [s[t].fmeasure for s in theirs]
        assert ours[t] == expected, f"{t} differs"
    return t_ours, t_theirs


def bench_edit_rate(name: str, preds, refs):
    import jiwer

    import metrics

    ours, t_ours = timed(lambda: metrics.load(name).compute(predictions=preds, references=refs)[name])
    theirs, t_theirs = timed(lambda: getattr(jiwer, name)(refs, preds))
    assert ours == theirs, f"{name}: {ours} != {theirs}"
    return t_ours, t_theirs


class _NoWordNet:
    def synsets(self, word):
        return []


def bench_meteor(preds, refs):
    from nltk.translate.meteor_score import meteor_score

    import metrics

    ours, t_ours = timed(lambda: metrics.load("meteor", tokenizer="whitespace").compute(
        predictions=preds, references=refs)["meteor"])
    wn = _NoWordNet()
    theirs, t_theirs = timed(lambda: float(np.mean([meteor_score([r.split()], p.split(), wordnet=wn)
                                                    for p, r in zip(preds, refs)])))
    assert abs(ours - theirs) <= 1e-12, (ours, theirs)
    return t_ours, t_theirs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--slow-limit", type=int, default=10_000,
                        help="largest size for the slowest references (stemmed ROUGE, summaries, METEOR)")
    args = parser.parse_args(argv)

    import metrics

    # warm imports (pandas via pyarrow, rapidfuzz, nltk) so no side pays a first-call cost
    metrics.load("rouge").compute(predictions=["a b"], references=["a b"])
    metrics.load("rouge", use_stemmer=True).compute(predictions=["a b"], references=["a b"])
    metrics.load("wer").compute(predictions=["a b"], references=["a"])
    metrics.load("meteor").compute(predictions=["a b"], references=["a"])

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for name in ("rouge", "wer", "cer", "meteor"):
        print(f"evaluate.load({name!r}): {try_evaluate(name)}")
    four = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    rows = []

    def record(metric: str, ref_name: str, n: int, times: tuple[tuple[float, float], tuple[float, float]]) -> None:
        (w_ours, c_ours), (w_theirs, c_theirs) = times
        rows.append((metric, ref_name, n, c_ours, c_theirs, w_ours, w_theirs))
        print(f"  {metric:<36} n={n:>7}: CPU arrowdata {c_ours:7.3f} s, {ref_name} {c_theirs:7.3f} s, "
              f"{c_theirs / c_ours:6.1f}x   (wall {w_ours:.3f} s vs {w_theirs:.3f} s, {w_theirs / w_ours:.1f}x)",
              flush=True)

    for n in args.sizes:
        preds, refs = make_corpus(n)
        record("ROUGE 4 types", "rouge-score", n, bench_rouge(preds, refs, False, four))
        if n <= args.slow_limit:
            record("ROUGE 4 types, stemmer", "rouge-score", n, bench_rouge(preds, refs, True, four))
        record("WER", "jiwer", n, bench_edit_rate("wer", preds, refs))
        record("CER", "jiwer", n, bench_edit_rate("cer", preds, refs))
        if n <= args.slow_limit:
            record("METEOR", "nltk", n, bench_meteor(preds, refs))
            spreds, srefs = make_corpus(n, seed=1, sentences=3)
            record("rougeLsum, 3-5 sentence summaries", "rouge-score", n,
                   bench_rouge(spreds, srefs, False, ["rougeLsum"]))
    print("\n| metric | pairs | arrowdata CPU (s) | reference | reference CPU (s) | speed-up (CPU) | speed-up (wall) |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for metric, ref_name, n, c_ours, c_theirs, w_ours, w_theirs in rows:
        print(f"| {metric} | {n:,} | {c_ours:.3f} | {ref_name} | {c_theirs:.3f} | {c_theirs / c_ours:.1f}x "
              f"| {w_theirs / w_ours:.1f}x |")
    print("\nAll values equal (ROUGE per example exactly, WER/CER exactly, METEOR to 1e-12).")

if __name__ == "__main__":
    main()
