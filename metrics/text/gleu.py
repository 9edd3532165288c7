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

from collections import Counter
from typing import Any, Callable, Sequence

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from .mt_inputs import predictions_and_references, tokenize_references
from .tokenizers_mt import get_tokenizer


def everygram_counts(tokens: Sequence[str], min_len: int, max_len: int) -> Counter:
    """Counts of every n-gram of ``tokens`` with ``min_len <= n <= max_len``."""
    counts: Counter = Counter()
    for n in range(min_len, min(max_len, len(tokens)) + 1):
        counts.update(zip(*[tokens[k:] for k in range(n)]))  # C-level tuple building
    return counts


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
        hyps = self._tokenize(preds)
        ref_tokens = tokenize_references(refs, self._tokenize)
        lo, hi = self.options["min_len"], self.options["max_len"]
        for hyp, rs in zip(hyps, ref_tokens):
            hyp_counts = everygram_counts(hyp, lo, hi)
            tpfp = sum(hyp_counts.values())
            best = None
            for ref in rs:
                ref_counts = everygram_counts(ref, lo, hi)
                n_all = max(tpfp, sum(ref_counts.values()))
                if n_all == 0:
                    continue
                tp = sum((ref_counts & hyp_counts).values())
                if best is None or tp / n_all > best[0] / best[1]:
                    best = (tp, n_all)
            if best is not None:
                self.matches += best[0]
                self.totals += best[1]

    def _compute(self, **_: Any) -> dict[str, Any]:
        return {"google_bleu": self.matches / self.totals if self.totals else 0.0}
