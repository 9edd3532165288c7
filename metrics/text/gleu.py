"""``google_bleu``: Google's sentence-level BLEU (GLEU) summed over a corpus, as nltk's ``corpus_gleu``
with evaluate's tokenization (13a).

For each prediction and each of its references: ``tp`` = clipped n-gram matches over orders
``min_len..max_len``, ``n_all`` = max(hypothesis n-grams, reference n-grams); the reference
with the best ``tp / n_all`` (the first on ties) adds its ``tp`` and ``n_all`` to the corpus.
The score is ``sum(tp) / sum(n_all)``; the state is exactly these two integer sums.

Example:
    >>> import metrics
    >>> metrics.load("google_bleu").compute(predictions=["the cat sat"], references=[["the cat sat down"]])
    {'google_bleu': 0.6}
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from .mt_inputs import predictions_and_references, tokenize_references
from .ngrams import encode_words, iter_ngrams, owner_keys, paired_overlap
from .tokenizers_mt import get_tokenizer


def pair_counts(hyps: list[list[str]], refs: list[list[str]], min_len: int,
                max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Per (hypothesis, reference) pair: clipped n-gram matches over orders ``min_len..max_len`` and
    ``max(hypothesis n-grams, reference n-grams)``; vectorised over the whole batch (exact ids, no hashing)."""
    n_pairs = len(hyps)
    batch = encode_words(hyps + refs)
    tp = np.zeros(n_pairs, dtype=np.int64)
    hyp_total = np.zeros(n_pairs, dtype=np.int64)
    ref_total = np.zeros(n_pairs, dtype=np.int64)
    for _, grams, owners, bound in iter_ngrams(batch, max_len, min_len, n_owners=n_pairs):
        is_hyp = owners < n_pairs
        pair = np.where(is_hyp, owners, owners - n_pairs)
        hyp_total += np.bincount(pair[is_hyp], minlength=n_pairs)
        ref_total += np.bincount(pair[~is_hyp], minlength=n_pairs)
        keys, counts = paired_overlap(owner_keys(pair[is_hyp], grams[is_hyp], bound),
                                      owner_keys(pair[~is_hyp], grams[~is_hyp], bound))
        tp += np.bincount(keys // bound, weights=counts, minlength=n_pairs).astype(np.int64)
    return tp, np.maximum(hyp_total, ref_total)


def best_per_prediction(tp: np.ndarray, n_all: np.ndarray, refs_per_prediction: np.ndarray) -> tuple[int, int]:
    """Corpus sums of ``tp`` and ``n_all`` over each prediction's best reference (highest ``tp / n_all``,
    the first on ties; references with no n-grams at all skipped, as nltk)."""
    valid = n_all > 0
    ratio = np.where(valid, tp / np.where(valid, n_all, 1), -1.0)
    group = np.repeat(np.arange(len(refs_per_prediction)), refs_per_prediction)
    starts = np.r_[0, np.cumsum(refs_per_prediction)[:-1]]
    best = np.maximum.reduceat(ratio, starts)
    idx = np.flatnonzero((ratio == best[group]) & valid)
    chosen = idx[np.r_[True, group[idx][1:] != group[idx][:-1]]] if len(idx) else idx  # first best per group
    return int(tp[chosen].sum()), int(n_all[chosen].sum())


def batch_tokenizer(tokenizer: Any) -> Callable[[list[str]], list[list[str]]]:
    """``None``/a name -> a registered MT tokenizer ("13a" by default); a callable -> applied per line
    (evaluate's ``tokenizer=`` contract: a string in, a list of tokens out)."""
    if tokenizer is None or isinstance(tokenizer, str):
        return get_tokenizer(tokenizer or "13a").tokenize_batch
    if callable(tokenizer):
        return lambda lines: [list(tokenizer(line)) for line in lines]
    raise MetricInputError(f"tokenizer: expected a tokenizer name or a callable, got {type(tokenizer).__name__}")


@register("google_bleu", description="Google BLEU (GLEU), corpus level, as nltk's corpus_gleu on 13a tokens.")
class GoogleBleu(Metric):
    """GLEU. Inputs: ``predictions`` (strings), ``references`` (a string or a list of strings each).

    Options: ``tokenizer`` (a tokenizer name such as ``"13a"`` or a callable), ``min_len`` (1),
    ``max_len`` (4). Returns ``{"google_bleu": float}``.
    """

    citation = """\
@misc{wu2016googles, title = {Google's Neural Machine Translation System: Bridging the Gap between Human
    and Machine Translation}, author = {Yonghui Wu and others}, year = {2016}, eprint = {1609.08144}}
"""

    default_options = {"tokenizer": None, "min_len": 1, "max_len": 4}
    state_options = ("tokenizer", "min_len", "max_len")

    def _init_states(self) -> None:
        self.add_state("matches", 0, reduce="sum")
        self.add_state("totals", 0, reduce="sum")
        lo = v.positive_int("min_len", self.options["min_len"])
        hi = v.positive_int("max_len", self.options["max_len"])
        if lo > hi:
            raise MetricInputError(f"min_len ({lo}) must not exceed max_len ({hi})")
        self._tokenize = batch_tokenizer(self.options["tokenizer"])

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references("google_bleu", predictions, references)
        if not preds:
            return
        hyps = self._tokenize(preds)
        ref_tokens = tokenize_references(refs, self._tokenize)
        tp, n_all = pair_counts([h for h, rs in zip(hyps, ref_tokens) for _ in rs],
                                [r for rs in ref_tokens for r in rs], self.options["min_len"], self.options["max_len"])
        matches, totals = best_per_prediction(tp, n_all, np.array([len(rs) for rs in ref_tokens]))
        self.matches += matches
        self.totals += totals

    def _compute(self, **_: Any) -> dict[str, Any]:
        return {"google_bleu": self.matches / self.totals if self.totals else 0.0}
