"""``bleu``: corpus BLEU with tensorflow/nmt ``compute_bleu`` semantics (0-1 scale).

This is the flavour ``evaluate.load("bleu")`` reports: precisions are plain match ratios
(or ``(matches + 1) / (total + 1)`` with ``smooth=True``), the brevity penalty uses the
*shortest* reference of each segment, and any zero precision makes the score 0. Unlike
the original, an empty corpus (or empty references) gives 0 instead of dividing by zero.

Example:
    >>> import metrics
    >>> out = metrics.load("bleu").compute(predictions=["hello there general kenobi"],
    ...                                    references=[["hello there general kenobi", "hello there!"]])
    >>> out["bleu"], out["brevity_penalty"], out["reference_length"]
    (1.0, 1.0, 3)
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register
from .bleu_stats import bleu_statistics
from .mt_inputs import predictions_and_references, tokenize_references
from .tokenizers_mt import get_tokenizer, tokenizer_names

__all__ = ["BLEU", "nmt_bleu_score"]


def nmt_bleu_score(matches: Sequence[int], possible: Sequence[int], translation_length: int,
                   reference_length: int, smooth: bool = False) -> dict[str, Any]:
    """tensorflow/nmt's BLEU from summed statistics, without its divisions by zero.

    ``length_ratio`` is ``translation_length / reference_length``; with no reference tokens it
    is ``0.0`` for an empty translation and ``inf`` otherwise, and an empty translation gets a
    brevity penalty of 0 (the limit of ``exp(1 - 1/ratio)``).

    Example:
        >>> r = nmt_bleu_score([3, 1], [3, 2], 3, 4)
        >>> round(r["bleu"], 6), r["precisions"], round(r["brevity_penalty"], 6)
        (0.506664, [1.0, 0.5], 0.716531)
    """
    order = len(matches)
    if smooth:
        precisions = [(int(m) + 1.0) / (int(p) + 1.0) for m, p in zip(matches, possible)]
    else:
        precisions = [int(m) / int(p) if p > 0 else 0.0 for m, p in zip(matches, possible)]
    if order and min(precisions) > 0:
        geo_mean = math.exp(sum((1.0 / order) * math.log(p) for p in precisions))
    else:
        geo_mean = 0.0
    if reference_length > 0:
        ratio = translation_length / reference_length
    else:
        ratio = math.inf if translation_length > 0 else 0.0
    if ratio > 1.0:
        bp = 1.0
    elif ratio == 0.0:
        bp = 0.0
    else:
        bp = math.exp(1 - 1.0 / ratio)
    return {"bleu": geo_mean * bp, "precisions": precisions, "brevity_penalty": bp, "length_ratio": ratio,
            "translation_length": int(translation_length), "reference_length": int(reference_length)}


def _tokenize(tokenizer: str | Callable[[str], Any], lines: list[str]) -> list[list[str]]:
    if isinstance(tokenizer, str):
        return get_tokenizer(tokenizer).tokenize_batch(lines)
    out = []
    for i, line in enumerate(lines):
        toks = tokenizer(line)
        if isinstance(toks, str):
            toks = toks.split()
        if not isinstance(toks, (list, tuple)) or not all(isinstance(t, str) for t in toks):
            raise v.MetricInputError(f"tokenizer: must return a string or a list of strings, got "
                                     f"{type(toks).__name__} for input {i}")
        out.append(list(toks))
    return out


@register("bleu", description="Corpus BLEU (0-1) with tensorflow/nmt compute_bleu semantics: shortest "
                              "reference, optional +1 smoothing; what evaluate's 'bleu' reports.")
class BLEU(Metric):
    """tensorflow/nmt BLEU on a 0-1 scale.

    Options: ``tokenizer="13a"`` (a tokenizer name from :mod:`metrics.text.tokenizers_mt`, or a
    callable returning a list of tokens, like ``evaluate``'s ``tokenizer=``), ``max_order=4``,
    ``smooth=False``. Text is tokenized as given (no lowercasing, no stripping).

    Example:
        >>> m = BLEU(max_order=2)
        >>> m.add_batch(predictions=["a b c"], references=["a b d"])
        >>> m.compute()["precisions"]
        [0.6666666666666666, 0.5]
    """

    default_options = {"tokenizer": "13a", "max_order": 4, "smooth": False}
    state_options = ("tokenizer", "max_order")

    def _init_states(self) -> None:
        tok = self.options["tokenizer"]
        if isinstance(tok, str):
            v.choice("tokenizer", tok, tokenizer_names())
        elif not callable(tok):
            raise v.MetricInputError(f"tokenizer: expected a tokenizer name or a callable, got {tok!r}")
        order = v.positive_int("max_order", self.options["max_order"])
        self.add_state("matches", np.zeros(order, dtype=np.int64), reduce="sum")
        self.add_state("possible", np.zeros(order, dtype=np.int64), reduce="sum")
        self.add_state("translation_length", 0, reduce="sum")
        self.add_state("reference_length", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references(self.name, predictions, references)
        tok = self.options["tokenizer"]
        hyp_tokens = _tokenize(tok, preds)
        ref_tokens = tokenize_references(refs, lambda lines: _tokenize(tok, lines))
        stats = bleu_statistics(hyp_tokens, ref_tokens, self.options["max_order"])
        self.matches = self.matches + stats.matches
        self.possible = self.possible + stats.totals
        self.translation_length += stats.hyp_len
        self.reference_length += stats.ref_len_shortest

    def _compute(self, *, smooth: bool, **_: Any) -> dict[str, Any]:
        return nmt_bleu_score(self.matches, self.possible, int(self.translation_length),
                              int(self.reference_length), smooth=bool(smooth))
