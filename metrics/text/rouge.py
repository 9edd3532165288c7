"""ROUGE-N, ROUGE-L and ROUGE-Lsum, equal to rouge-score 0.1.2, vectorised over the corpus.

Per example, each ROUGE type gives precision, recall and F-measure exactly as
``rouge_score.rouge_scorer.RougeScorer(types, use_stemmer).score`` (one reference) or
``.score_multi`` (several: the reference with the highest F-measure wins, the first on
ties). The corpus score is the plain mean of the per-example values: deterministic, unlike
``evaluate``'s default bootstrap "mid". A seeded bootstrap confidence interval is
available with ``bootstrap=True``; with the same seed it reproduces rouge-score's
``BootstrapAggregator`` after ``np.random.seed(seed)``.

How it is fast: the whole corpus is tokenized in one byte-translation pass and hashed to int ids by
Arrow; n-gram overlaps are multiset intersections done with numpy sorts; LCS lengths come
from rapidfuzz (C++); rougeLsum's union-LCS alignment is a numpy DP batched over sentence
pairs (:mod:`metrics.text.rouge_lcs`).

Example:
    >>> import metrics
    >>> rouge = metrics.load("rouge")
    >>> out = rouge.compute(predictions=["the cat sat on the mat"], references=["the cat was on the mat"])
    >>> round(out["rouge1"], 4), round(out["rouge2"], 4), round(out["rougeL"], 4)
    (0.8333, 0.6, 0.8333)
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register
from . import ragged
from .rouge_lcs import lcs_positions
from .rouge_tokenize import TokenizedCorpus, tokenize_corpus, tokenize_corpus_with

logger = logging.getLogger(__name__)

DEFAULT_ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
MEASURES = ("precision", "recall", "fmeasure")
_ROUGE_N = re.compile(r"rouge([1-9])$")


# --- pairs of (prediction, reference) texts -------------------------------------------------------

@dataclass
class _Pairs:
    """Every (prediction, reference) pair to score, over one tokenized corpus."""

    corpus: TokenizedCorpus
    pred_doc: np.ndarray   # corpus text index of each pair's prediction
    ref_doc: np.ndarray    # corpus text index of each pair's reference
    _lcs: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.pred_doc)

    def doc_lengths(self) -> np.ndarray:
        return ragged.lengths(self.corpus.doc_offsets)

    def lcs_lengths(self, sentences: bool = False) -> np.ndarray:
        """LCS length of each pair's whole token sequences, in the text view or (``sentences``) the
        sentence view; computed once per view and shared by rougeL and rougeLsum."""
        view = "sent" if sentences and not self.corpus.same_views else "doc"
        if view not in self._lcs:
            from rapidfuzz.distance import LCSseq

            c = self.corpus
            strings = (ragged.as_strings(c.sent_ids, c.sent_doc_offsets) if view == "sent"
                       else ragged.as_strings(c.ids, c.doc_offsets))
            sim = LCSseq.similarity
            self._lcs[view] = np.fromiter((sim(strings[a], strings[b]) for a, b in
                                           zip(self.pred_doc.tolist(), self.ref_doc.tolist())),
                                          dtype=np.int64, count=len(self))
        return self._lcs[view]


# --- one scorer per ROUGE type: (pairs) -> (hits, prediction total, reference total) -------------

Counts = tuple[np.ndarray, np.ndarray, np.ndarray]


def _ngrams(corpus: TokenizedCorpus, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Dense n-gram ids of every text (n-grams never cross texts), as ``(values, offsets)``."""
    ids, offsets = corpus.ids, corpus.doc_offsets
    doc_len = ragged.lengths(offsets)
    counts = np.maximum(doc_len - (n - 1), 0)
    gram_offsets = ragged.offsets_from_lengths(counts)
    # start position of every n-gram: its text's start plus its rank inside the text
    starts = np.arange(gram_offsets[-1], dtype=np.int64) - np.repeat(gram_offsets[:-1] - offsets[:-1], counts)
    codes = ids[starts]
    # fold one more token at a time, renumbering when codes would grow large (no int64 overflow for any n)
    base = corpus.vocab_size + 1
    for k in range(1, n):
        if len(codes) and int(codes.max()) >= (1 << 40) // base:
            codes, _ = ragged.dense_ids(codes)
        codes = codes * base + ids[starts + k]
    return codes, gram_offsets


def _score_ngrams(n: int) -> Callable[[_Pairs], Counts]:
    def score(pairs: _Pairs) -> Counts:
        grams, offsets = _ngrams(pairs.corpus, n)
        pred, pred_off = ragged.take_segments(grams, offsets, pairs.pred_doc)
        ref, ref_off = ragged.take_segments(grams, offsets, pairs.ref_doc)
        hits = ragged.clipped_overlap(pred, ragged.segment_ids(pred_off), ref, ragged.segment_ids(ref_off),
                                      len(pairs))
        return hits, np.diff(pred_off), np.diff(ref_off)

    return score


def _score_lcs(pairs: _Pairs) -> Counts:
    lens = pairs.doc_lengths()
    return pairs.lcs_lengths(), lens[pairs.pred_doc], lens[pairs.ref_doc]


def _score_lsum(pairs: _Pairs) -> Counts:
    corpus = pairs.corpus
    lens = ragged.lengths(corpus.sent_doc_offsets)
    n_sents = ragged.lengths(corpus.doc_sent_offsets)
    a, b = n_sents[pairs.pred_doc], n_sents[pairs.ref_doc]
    hits = np.zeros(len(pairs), dtype=np.int64)
    # one sentence each side: the union of one LCS is that LCS, and clipping never binds
    single = (a == 1) & (b == 1)
    if single.any():
        hits[single] = pairs.lcs_lengths(sentences=True)[single]
    general = np.flatnonzero((a > 0) & (b > 0) & ~single)
    if len(general):
        hits[general] = _union_lcs_hits(corpus, pairs.pred_doc[general], pairs.ref_doc[general])
    return hits, lens[pairs.pred_doc], lens[pairs.ref_doc]


def _union_lcs_hits(corpus: TokenizedCorpus, pred_doc: np.ndarray, ref_doc: np.ndarray) -> np.ndarray:
    """Summary-level LCS hits: per pair, sum over tokens w of min(|union LCS ∩ w|, count of w in the
    candidate) — the closed form of rouge-score's count-and-decrement loop (the union positions of a
    token never outnumber its occurrences in the reference)."""
    sent_start = corpus.doc_sent_offsets
    a = sent_start[pred_doc + 1] - sent_start[pred_doc]
    b = sent_start[ref_doc + 1] - sent_start[ref_doc]
    per_pair = a * b
    pair = np.repeat(np.arange(len(pred_doc), dtype=np.int64), per_pair)
    k = np.arange(int(per_pair.sum()), dtype=np.int64) - np.repeat(ragged.offsets_from_lengths(per_pair)[:-1],
                                                                     per_pair)
    ref_sent = sent_start[ref_doc][pair] + k // a[pair]
    cand_sent = sent_start[pred_doc][pair] + k % a[pair]
    ids, offsets = corpus.sent_ids, corpus.sent_offsets
    mark = lcs_positions(ids, offsets, ids, offsets, ref_sent, cand_sent)
    # union tokens of each pair's reference, against all tokens of its candidate
    doc_offsets = corpus.sent_doc_offsets
    ref_vals, ref_off = ragged.take_segments(ids, doc_offsets, ref_doc)
    ref_mark, _ = ragged.take_segments(mark, doc_offsets, ref_doc)
    ref_seg = ragged.segment_ids(ref_off)
    cand_vals, cand_off = ragged.take_segments(ids, doc_offsets, pred_doc)
    return ragged.clipped_overlap(ref_vals[ref_mark], ref_seg[ref_mark], cand_vals,
                                  ragged.segment_ids(cand_off), len(pred_doc))


#: ROUGE types with a fixed name; ``rouge1``..``rouge9`` are resolved by :func:`_scorer`
SCORERS: dict[str, Callable[[_Pairs], Counts]] = {"rougeL": _score_lcs, "rougeLsum": _score_lsum}


def _scorer(rouge_type: str) -> Callable[[_Pairs], Counts]:
    if rouge_type in SCORERS:
        return SCORERS[rouge_type]
    m = _ROUGE_N.match(rouge_type)
    if m:
        return _score_ngrams(int(m.group(1)))
    raise v.MetricInputError(f"rouge_types: unknown ROUGE type {rouge_type!r}; valid: rouge1..rouge9, "
                             f"{', '.join(SCORERS)}")


def check_rouge_types(rouge_types: Any) -> list[str]:
    """``rouge_types`` as a list of valid names (one string is accepted as a one-item list)."""
    types = [rouge_types] if isinstance(rouge_types, str) else list(rouge_types or ())
    if not types:
        raise v.MetricInputError("rouge_types: empty; give at least one of rouge1..rouge9, rougeL, rougeLsum")
    for t in types:
        _scorer(t)
    return types


# --- functional API -------------------------------------------------------------------------------

def _prf(hits: np.ndarray, pred_total: np.ndarray, ref_total: np.ndarray) -> np.ndarray:
    """(n, 3) precision, recall, F-measure with rouge-score's float operations, in its order."""
    precision = hits / np.maximum(pred_total, 1)
    recall = hits / np.maximum(ref_total, 1)
    denom = precision + recall
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(denom > 0, 2 * precision * recall / denom, 0.0)
    return np.stack([precision, recall, f], axis=1)


def _tokenizer_function(tokenizer: Any) -> Callable[[str], Sequence] | None:
    """``None``, a callable, or an object with ``tokenize(text)`` (rouge-score's Tokenizer)."""
    if tokenizer is None:
        return None
    if callable(getattr(tokenizer, "tokenize", None)):
        return tokenizer.tokenize
    if callable(tokenizer):
        return tokenizer
    raise v.MetricInputError(f"tokenizer: expected a callable or an object with a tokenize(text) method, "
                             f"got {tokenizer!r}")


def rouge_scores(predictions: Sequence[str], references: Sequence[Sequence[str]] | Sequence[str],
                 rouge_types: Sequence[str] = DEFAULT_ROUGE_TYPES,
                 use_stemmer: bool = False, tokenizer: Any = None) -> dict[str, np.ndarray]:
    """Per-example ROUGE: ``{type: array (n, 3) of precision, recall, F-measure}``.

    ``references`` holds one string or one list of strings per prediction; with several
    references, each type keeps the reference with the highest F-measure (the first on ties),
    as rouge-score's ``score_multi``. ``tokenizer`` (a callable, or an object with
    ``tokenize``) replaces the default tokenizer, as rouge-score's ``tokenizer=``; the stemmer
    then does not apply.

    Example:
        >>> s = rouge_scores(["a b c"], [["a b", "x"]], rouge_types=["rouge1"])
        >>> s["rouge1"].round(4).tolist()
        [[0.6667, 1.0, 0.8]]
    """
    types = check_rouge_types(rouge_types)
    preds = v.texts("predictions", predictions)
    refs = v.reference_lists("references", references)
    v.check_lengths(preds, refs)
    n_refs = np.fromiter((len(r) for r in refs), dtype=np.int64, count=len(refs))
    if len(refs) and n_refs.min() == 0:
        raise v.MetricInputError(f"references[{int(np.argmin(n_refs))}]: no reference for this prediction")
    flat_refs = [r for rs in refs for r in rs]
    tokenize = _tokenizer_function(tokenizer)
    if tokenize is not None and use_stemmer:
        raise v.MetricInputError("use_stemmer: stems the default tokenizer's words only; with tokenizer=, "
                                 "stem inside your tokenizer")
    corpus = (tokenize_corpus(preds + flat_refs, use_stemmer=use_stemmer) if tokenize is None
              else tokenize_corpus_with(preds + flat_refs, tokenize))
    logger.debug("rouge: %d predictions, %d references, %d distinct tokens", len(preds), len(flat_refs),
                 corpus.vocab_size)
    group = np.repeat(np.arange(len(preds), dtype=np.int64), n_refs)
    pairs = _Pairs(corpus, pred_doc=group, ref_doc=len(preds) + np.arange(len(flat_refs), dtype=np.int64))
    out = {}
    for t in types:
        scores = _prf(*_scorer(t)(pairs))
        if len(flat_refs) != len(preds):
            scores = scores[_best_per_group(scores[:, 2], group)]
        out[t] = scores
    return out


def _best_per_group(f: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Index of the first maximum of ``f`` within each run of equal ``group`` (groups sorted)."""
    order = np.lexsort((np.arange(len(f)), -f, group))
    first = np.ones(len(order), dtype=bool)
    first[1:] = group[order][1:] != group[order][:-1]
    return order[first]


def bootstrap_interval(values: np.ndarray, n_samples: int = 1000, confidence_interval: float = 0.95,
                       seed: int | np.random.RandomState = 0) -> np.ndarray:
    """(3, k) low/mid/high percentiles of the resampled mean of each column of ``values`` (n, k).

    Resampling draws ``RandomState(seed).randint(0, n, n)`` per sample — the very stream
    rouge-score's ``BootstrapAggregator`` uses after ``np.random.seed(seed)``. Pass a
    ``RandomState`` as ``seed`` to continue one stream over several calls.

    Example:
        >>> bootstrap_interval(np.array([[0.0], [1.0]]), n_samples=200, seed=1)[:, 0].tolist()
        [0.0, 0.5, 1.0]
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    rs = seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    means = np.empty((n_samples, values.shape[1]))
    chunk = max(1, (1 << 22) // max(n, 1))
    for start in range(0, n_samples, chunk):
        stop = min(n_samples, start + chunk)
        idx = rs.randint(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)
    delta = (1 - confidence_interval) / 2
    return np.percentile(means, 100 * np.array([delta, 0.5, 1 - delta]), axis=0)


def rouge(predictions: Sequence[str], references: Sequence[Sequence[str]] | Sequence[str], *,
          rouge_types: Sequence[str] = DEFAULT_ROUGE_TYPES, use_stemmer: bool = False,
          use_aggregator: bool = True, measure: str = "fmeasure", bootstrap: bool = False,
          n_samples: int = 1000, confidence_interval: float = 0.95, seed: int = 0,
          tokenizer: Any = None) -> dict[str, Any]:
    """ROUGE scores with ``evaluate``'s keys; see :class:`Rouge` for the options.

    Example:
        >>> rouge(["the cat sat"], ["the cat sat down"], rouge_types=["rouge1", "rougeL"])
        {'rouge1': 0.8571428571428571, 'rougeL': 0.8571428571428571}
    """
    scores = rouge_scores(predictions, references, rouge_types, use_stemmer, tokenizer)
    return summarise(scores, use_aggregator=use_aggregator, measure=measure, bootstrap=bootstrap,
                     n_samples=n_samples, confidence_interval=confidence_interval, seed=seed)


def summarise(scores: dict[str, np.ndarray], *, use_aggregator: bool, measure: str, bootstrap: bool,
              n_samples: int, confidence_interval: float, seed: int) -> dict[str, Any]:
    """Per-example ``(n, 3)`` score arrays to the result dict (means, intervals or lists)."""
    column = MEASURES.index(v.choice("measure", measure, MEASURES))
    if not use_aggregator:
        if bootstrap:
            raise v.MetricInputError("bootstrap=True needs use_aggregator=True (an interval is about the mean)")
        return {t: s[:, column].tolist() for t, s in scores.items()}
    out: dict[str, Any] = {}
    # one stream over the types in order, as rouge-score's aggregator draws them
    stream = np.random.RandomState(seed)
    for t, s in scores.items():
        out[t] = float(s[:, column].mean()) if len(s) else 0.0
        if bootstrap and len(s):
            low, mid, high = bootstrap_interval(s[:, column:column + 1], n_samples, confidence_interval, stream)[:, 0]
            out.update({f"{t}_low": float(low), f"{t}_mid": float(mid), f"{t}_high": float(high)})
    return out


# --- the registered metric ------------------------------------------------------------------------

@register("rouge", description="ROUGE-1/2/L/Lsum F-measures as rouge-score computes them (0-1 scale).")
class Rouge(Metric):
    """ROUGE, equal to rouge-score 0.1.2; per-example scores kept in Arrow.

    Options (defaults in brackets):
        rouge_types [rouge1, rouge2, rougeL, rougeLsum]: any of rouge1..rouge9, rougeL, rougeLsum
            (rougeLsum splits texts into sentences on newlines).
        use_stemmer [False]: Porter-stem words longer than 3 characters (nltk's stemmer).
        use_aggregator [True]: the mean over examples; False gives one value per example.
        measure ["fmeasure"]: report "precision", "recall" or "fmeasure".
        bootstrap [False]: also give ``<type>_low/_mid/_high``, a seeded bootstrap interval of the mean.
        n_samples [1000], confidence_interval [0.95], seed [0]: the bootstrap's settings.
        tokenizer [None]: a callable ``text -> tokens`` (or an object with ``tokenize``) replacing
            the default ``[a-z0-9]+`` tokenizer, as rouge-score's and ``evaluate``'s ``tokenizer=``.

    Example:
        >>> import metrics
        >>> r = metrics.load("rouge", rouge_types=["rouge1"])
        >>> r.add_batch(predictions=["a b c"], references=[["a b", "a c x"]])
        >>> r.compute()
        {'rouge1': 0.8}
    """

    default_options = {"rouge_types": list(DEFAULT_ROUGE_TYPES), "use_stemmer": False, "use_aggregator": True,
                       "measure": "fmeasure", "bootstrap": False, "n_samples": 1000,
                       "confidence_interval": 0.95, "seed": 0, "tokenizer": None}
    state_options = ("rouge_types", "use_stemmer", "tokenizer")

    def _check_options(self, options, base=None):
        opts = super()._check_options(options, base)
        opts["rouge_types"] = check_rouge_types(opts["rouge_types"])
        if _tokenizer_function(opts["tokenizer"]) is not None and opts["use_stemmer"]:
            raise v.MetricInputError("use_stemmer: stems the default tokenizer's words only; with tokenizer=, "
                                     "stem inside your tokenizer")
        v.choice("measure", opts["measure"], MEASURES)
        if not isinstance(opts["n_samples"], int) or opts["n_samples"] < 1:
            raise v.MetricInputError(f"n_samples: expected a positive int, got {opts['n_samples']!r}")
        ci = v.finite_number("confidence_interval", opts["confidence_interval"])
        if not 0 <= ci <= 1:
            raise v.MetricInputError(f"confidence_interval: expected a number in [0, 1], got {ci!r}")
        return opts

    def _init_states(self) -> None:
        import pyarrow as pa

        for t in self.options["rouge_types"]:
            for m in MEASURES:
                self.add_state(f"{t}_{m}", pa.float64(), reduce="cat")

    def _update(self, predictions: Any, references: Any) -> None:
        o = self.options
        scores = rouge_scores(predictions, references, o["rouge_types"], o["use_stemmer"], o["tokenizer"])
        for t, s in scores.items():
            for k, m in enumerate(MEASURES):
                getattr(self, f"{t}_{m}").append(s[:, k])

    def _compute(self, *, rouge_types, use_aggregator, measure, bootstrap, n_samples, confidence_interval,
                 seed, **_) -> dict[str, Any]:
        scores = {t: np.stack([np.asarray(getattr(self, f"{t}_{m}").to_numpy(), dtype=np.float64)
                               for m in MEASURES], axis=1) for t in rouge_types}
        return summarise(scores, use_aggregator=use_aggregator, measure=measure, bootstrap=bootstrap,
                         n_samples=n_samples, confidence_interval=confidence_interval, seed=seed)
