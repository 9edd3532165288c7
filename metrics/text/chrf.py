"""``chrf``: character n-gram F-score (chrF) and chrF++ (``word_order=2``), exactly as sacreBLEU 2.x.

For every segment and every reference, each order (character orders 1..``char_order``, then
word orders 1..``word_order``) gives three counts: hypothesis n-grams, reference n-grams and
clipped matches. The reference with the best sentence-level F-score is kept (the first on
ties), and the corpus score is the F-score of the summed counts. Those sums are the state:
they merge across batches and processes by addition.

Example:
    >>> import metrics
    >>> out = metrics.load("chrf").compute(predictions=["The cat sat."], references=[["The cat sat."]])
    >>> out["score"], out["char_order"], out["word_order"], out["beta"]
    (100.0, 6, 0, 2)
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register
from .bleu_stats import flatten_references
from .mt_inputs import predictions_and_references
from .ngrams import encode_chars, encode_words, iter_ngrams, owner_keys, paired_overlap, replicate_ranges

__all__ = ["CHRF", "chrf_statistics", "chrf_f_score", "split_punctuation"]

#: segments handled per vectorised pass
CHUNK_SEGMENTS = 4096
#: stands in for a zero precision/recall, as in chrF++.py and sacreBLEU
_EPS = 1e-16
_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def split_punctuation(sentence: str) -> list[str]:
    """Words for chrF++'s word n-grams: one ASCII punctuation mark at the end (else at the start)
    of a word becomes a word of its own (m-popovic/chrF's rule).

    Example:
        >>> split_punctuation('"Hello, world!" (ok)')
        ['"Hello', ',', 'world!', '"', '(ok', ')']
    """
    out: list[str] = []
    for w in sentence.split():
        if len(w) > 1 and w[-1] in _PUNCTUATION:
            out += (w[:-1], w[-1])
        elif len(w) > 1 and w[0] in _PUNCTUATION:
            out += (w[0], w[1:])
        else:
            out.append(w)
    return out


def chrf_f_score(stats: np.ndarray, beta: float, eps_smoothing: bool) -> np.ndarray:
    """chrF scores (0-100) of statistics shaped ``(..., orders, 3)`` = (hyp, ref, match) counts.

    Mirrors sacreBLEU operation by operation (in float64) so that scores, and therefore the
    reference chosen per segment, are bit-identical.

    Example:
        >>> float(chrf_f_score(np.array([[4, 4, 4], [3, 3, 2]]), 2, False))
        83.33333333333333
    """
    stats = np.asarray(stats, dtype=np.int64)
    factor = beta ** 2
    shape = stats.shape[:-2]
    score = np.zeros(shape)
    avg_prec, avg_rec = np.zeros(shape), np.zeros(shape)
    effective = np.zeros(shape, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(stats.shape[-2]):
            n_hyp, n_ref, n_match = stats[..., i, 0], stats[..., i, 1], stats[..., i, 2]
            prec = np.where(n_hyp > 0, n_match / n_hyp, _EPS)
            rec = np.where(n_ref > 0, n_match / n_ref, _EPS)
            denom = factor * prec + rec
            score = score + np.where(denom > 0, (1 + factor) * prec * rec / denom, _EPS)
            both = (n_hyp > 0) & (n_ref > 0)
            avg_prec = np.where(both, avg_prec + prec, avg_prec)
            avg_rec = np.where(both, avg_rec + rec, avg_rec)
            effective = effective + both
        if eps_smoothing:
            return 100 * score / stats.shape[-2]
        avg_prec = np.where(effective > 0, avg_prec / effective, 0.0)
        avg_rec = np.where(effective > 0, avg_rec / effective, 0.0)
        total = avg_prec + avg_rec
        f = (1 + factor) * avg_prec * avg_rec
        f = f / ((factor * avg_prec) + avg_rec)
        return np.where(total != 0, 100 * f, 0.0)


def _order_stats(grams: np.ndarray, owners: np.ndarray, bound: int, n_hyp: int, ref_seg: np.ndarray,
                 hyp_counts: np.ndarray, ref_counts: np.ndarray) -> np.ndarray:
    """(hyp, ref, match) counts of one order for every (segment, reference) pair, shape (R, 3)."""
    n_refs = len(ref_seg)
    is_hyp = owners < n_hyp
    h_grams, h_owner = grams[is_hyp], owners[is_hyp]
    r_grams, r_inst = grams[~is_hyp], owners[~is_hyp] - n_hyp
    if n_refs == n_hyp:  # one reference per segment: pair index == segment index
        h_keys = owner_keys(h_owner, h_grams, bound)
    else:
        # give each reference its own copy of its segment's hypothesis n-grams
        per_seg = np.bincount(h_owner, minlength=n_hyp)
        seg_start = np.concatenate([[0], np.cumsum(per_seg)[:-1]])
        lengths = per_seg[ref_seg]
        idx = replicate_ranges(seg_start[ref_seg], lengths)
        h_keys = owner_keys(np.repeat(np.arange(n_refs, dtype=np.int64), lengths), h_grams[idx], bound)
    keys, clipped = paired_overlap(h_keys, owner_keys(r_inst, r_grams, bound))
    matches = np.bincount(keys // bound, weights=clipped, minlength=n_refs).astype(np.int64)
    hyp = hyp_counts[ref_seg]
    # sacreBLEU counts no hypothesis n-grams against a reference too short to have any
    return np.stack([np.where(ref_counts > 0, hyp, 0), ref_counts, matches], axis=1)


def _ngram_counts(lengths: np.ndarray, n: int) -> np.ndarray:
    return np.maximum(lengths - (n - 1), 0)


def _chunk_statistics(hyps: Sequence[str], refs: list[str], ref_seg: np.ndarray, *, char_order: int,
                      word_order: int, whitespace: bool, beta: float, eps_smoothing: bool) -> np.ndarray:
    n_hyp, n_refs = len(hyps), len(refs)
    texts = list(hyps) + refs
    per_order: list[np.ndarray] = []
    chars = encode_chars(texts if whitespace else ["".join(t.split()) for t in texts])
    lengths = chars.lengths
    for n, grams, owners, bound in iter_ngrams(chars, char_order):
        counts = _ngram_counts(lengths, n)
        per_order.append(_order_stats(grams, owners, bound, n_hyp, ref_seg, counts[:n_hyp], counts[n_hyp:]))
    if word_order > 0:
        words = encode_words([split_punctuation(t) for t in texts])
        lengths = words.lengths
        for n, grams, owners, bound in iter_ngrams(words, word_order):
            counts = _ngram_counts(lengths, n)
            per_order.append(_order_stats(grams, owners, bound, n_hyp, ref_seg, counts[:n_hyp], counts[n_hyp:]))
    stats = np.stack(per_order, axis=1)  # (refs, orders, 3)
    if n_refs != n_hyp:
        # keep, per segment, the reference with the best sentence score (the first on ties)
        f = chrf_f_score(stats, beta, eps_smoothing)
        order = np.lexsort((np.arange(n_refs), -f, ref_seg))
        first = np.ones(n_refs, dtype=bool)
        first[1:] = ref_seg[order][1:] != ref_seg[order][:-1]
        stats = stats[order[first]]
    return stats.sum(axis=0)


def chrf_statistics(hypotheses: Sequence[str], references: Sequence[Sequence[str]], *, char_order: int = 6,
                    word_order: int = 0, whitespace: bool = False, beta: float = 2,
                    eps_smoothing: bool = False) -> np.ndarray:
    """Summed (hyp, ref, match) counts per order, shape ``(char_order + word_order, 3)``.

    Example:
        >>> chrf_statistics(["ab"], [["abc"]], char_order=2).tolist()
        [[2, 3, 2], [1, 2, 1]]
    """
    total = np.zeros((char_order + word_order, 3), dtype=np.int64)
    for start in range(0, len(hypotheses), CHUNK_SEGMENTS):
        flat, seg = flatten_references(references[start:start + CHUNK_SEGMENTS])
        total += _chunk_statistics(hypotheses[start:start + CHUNK_SEGMENTS], flat, seg, char_order=char_order,
                                   word_order=word_order, whitespace=whitespace, beta=beta,
                                   eps_smoothing=eps_smoothing)
    return total


@register("chrf", description="chrF / chrF++ (0-100) exactly as sacreBLEU: character and word n-gram "
                              "F-beta, best reference per segment.")
class CHRF(Metric):
    """chrF (``word_order=0``) and chrF++ (``word_order=2``) on a 0-100 scale.

    Options (defaults as sacreBLEU and ``evaluate``): ``char_order=6``, ``word_order=0``,
    ``beta=2``, ``lowercase=False``, ``whitespace=False`` (count spaces inside character
    n-grams), ``eps_smoothing=False`` (True: chrF++.py/NLTK/Moses-style averaging over all
    orders instead of sacreBLEU's effective-order average).

    Example:
        >>> m = CHRF(word_order=2)
        >>> m.add_batch(predictions=["a cat"], references=["the cat"])
        >>> round(m.compute()["score"], 4)
        29.363
    """

    default_options = {"char_order": 6, "word_order": 0, "beta": 2, "lowercase": False, "whitespace": False,
                       "eps_smoothing": False}
    # beta and eps_smoothing decide which reference each segment keeps, so they shape the state
    state_options = ("char_order", "word_order", "beta", "lowercase", "whitespace", "eps_smoothing")

    def _init_states(self) -> None:
        o = self.options
        v.positive_int("char_order", o["char_order"], minimum=0)
        v.positive_int("word_order", o["word_order"], minimum=0)
        if o["char_order"] + o["word_order"] < 1:
            raise v.MetricInputError("char_order + word_order must be at least 1")
        v.finite_number("beta", o["beta"])
        self.add_state("stats", np.zeros((o["char_order"] + o["word_order"], 3), dtype=np.int64), reduce="sum")

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references(self.name, predictions, references)
        o = self.options
        if o["lowercase"]:
            preds, refs = [p.lower() for p in preds], [[r.lower() for r in rs] for rs in refs]
        self.stats = self.stats + chrf_statistics(
            preds, refs, char_order=o["char_order"], word_order=o["word_order"], whitespace=o["whitespace"],
            beta=o["beta"], eps_smoothing=o["eps_smoothing"])

    def _compute(self, *, char_order: int, word_order: int, beta: float, eps_smoothing: bool,
                 **_: Any) -> dict[str, Any]:
        score = float(chrf_f_score(self.stats, beta, eps_smoothing))
        return {"score": score, "char_order": char_order, "word_order": word_order, "beta": beta}
