"""BLEU, chrF, chrF++ and TER: arrowdata vs sacreBLEU (and ``evaluate``) on the same corpora, in one run.

Corpora: ``n`` sentence pairs of ~25 words (Gaussian length, sd 6) from a Zipf vocabulary with
punctuation; each hypothesis is its reference after 0-6 MT-like edits (substitutions,
deletions, insertions, moves of 1-3-word blocks), 10% capitalised. For each metric both
libraries score the whole corpus, the script checks every reported value is equal
(exactly, or to 1e-9 for floats) and prints the time ratio sacreBLEU / arrowdata.

Targets (issue 4): BLEU, chrF, TER >= 2x sacreBLEU.

Usage:
    python benchmarks/bench_metrics_mt.py                       # 10k and 100k pairs
    python benchmarks/bench_metrics_mt.py --sizes 2000 --metrics ter
"""
from __future__ import annotations

import sys

import argparse
import math
import os
import random
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rivals import try_evaluate  # noqa: E402

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

_PUNCT = [",", ".", "!", "?", ";", '"', "'s", "(", ")", "-"]


def make_corpus(n: int, seed: int = 0, words: int = 25) -> tuple[list[str], list[str]]:
    """``n`` (hypothesis, reference) pairs; see the module docstring."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))
             for _ in range(5000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    hyps, refs = [], []
    for _ in range(n):
        ref = rng.choices(vocab, weights, k=max(1, int(rng.gauss(words, 6))))
        ref = [w + rng.choice(_PUNCT) if rng.random() < 0.08 else w for w in ref]
        hyp = list(ref)
        for _ in range(rng.randint(0, 6)):
            op, p = rng.random(), rng.randrange(len(hyp)) if hyp else 0
            if op < 0.35 and hyp:
                hyp[p] = rng.choices(vocab, weights)[0]
            elif op < 0.55 and hyp:
                del hyp[p]
            elif op < 0.75:
                hyp.insert(p, rng.choices(vocab, weights)[0])
            elif len(hyp) > 4:
                a, k = rng.randrange(len(hyp) - 3), rng.randint(1, 3)
                block = hyp[a:a + k]
                del hyp[a:a + k]
                b = rng.randrange(len(hyp) + 1)
                hyp[b:b] = block
        if rng.random() < 0.1:
            hyp = [w.capitalize() for w in hyp]
        hyps.append(" ".join(hyp))
        refs.append(" ".join(ref))
    return hyps, refs


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def _sacre_values(name: str, res: Any) -> dict[str, Any]:
    if name == "bleu":
        return {"score": res.score, "counts": res.counts, "totals": res.totals, "precisions": res.precisions,
                "bp": res.bp, "sys_len": res.sys_len, "ref_len": res.ref_len}
    if name == "ter":
        return {"score": res.score, "num_edits": res.num_edits, "ref_length": res.ref_length}
    return {"score": res.score}


#: name -> (arrowdata metric, its options, sacreBLEU class name, its options)
CASES = {
    "bleu": ("sacrebleu", {}, "BLEU", {}),
    "chrf": ("chrf", {}, "CHRF", {}),
    "chrf++": ("chrf", {"word_order": 2}, "CHRF", {"word_order": 2}),
    "ter": ("ter", {}, "TER", {}),
}
EVALUATE_NAMES = {"bleu": "sacrebleu", "chrf": "chrf", "chrf++": "chrf", "ter": "ter"}


def run(sizes: list[int], names: list[str]) -> None:
    import sacrebleu

    import metrics

    print(f"sacrebleu {sacrebleu.__version__}")
    for name in names:
        print(f"evaluate.load({EVALUATE_NAMES[name]!r}): {try_evaluate(EVALUATE_NAMES[name])}")
    print(f"{'metric':8} {'pairs':>7} {'arrowdata s':>12} {'sacrebleu s':>12} {'ratio':>7}  values equal")
    for n in sizes:
        hyps, refs = make_corpus(n)
        for name in names:
            ours_name, ours_opts, sacre_cls, sacre_opts = CASES[name]
            ours, t_ours = timed(lambda: metrics.load(ours_name, **ours_opts).compute(
                predictions=hyps, references=refs))
            scorer = getattr(sacrebleu, sacre_cls)(**sacre_opts)
            res, t_sacre = timed(lambda: scorer.corpus_score(hyps, [refs]))
            expected = _sacre_values("bleu" if name == "bleu" else name, res)
            equal = all(_same(ours[k], v) for k, v in expected.items())
            print(f"{name:8} {n:>7} {t_ours:>12.3f} {t_sacre:>12.3f} {t_sacre / t_ours:>6.2f}x  "
                  f"{'yes' if equal else 'NO'} (score {ours['score']:.6f} vs {res.score:.6f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--metrics", nargs="+", default=list(CASES), choices=list(CASES))
    args = parser.parse_args()
    run(args.sizes, args.metrics)


if __name__ == "__main__":
    main()
