"""``sacrebleu``: corpus BLEU on a 0-100 scale, exactly as sacreBLEU 2.x computes it.

Statistics are clipped n-gram matches and totals (orders 1..``max_ngram_order``), the
hypothesis length and, per segment, the reference length *closest* to the hypothesis
length (ties to the shorter). They are additive, so batches and processes merge exactly.

Example:
    >>> import metrics
    >>> bleu = metrics.load("sacrebleu")
    >>> out = bleu.compute(predictions=["the cat sat on the mat"],
    ...                    references=[["the cat sat on the mat", "a cat was on the mat"]])
    >>> out["score"], out["counts"], out["bp"]
    (100.00000000000004, [6, 5, 4, 3], 1.0)
"""
from __future__ import annotations

import logging
import math
from typing import Any, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register
from .bleu_stats import bleu_statistics
from .mt_inputs import predictions_and_references, tokenize_references
from .tokenizers_mt import get_tokenizer, tokenizer_names

logger = logging.getLogger(__name__)

__all__ = ["SacreBLEU", "sacrebleu_score", "SMOOTH_DEFAULTS", "sacrebleu_tokens"]

#: smoothing method -> default smoothing value (Chen & Cherry 2014: floor = method 1,
#: add-k = method 2, exp = method 3, the NIST/mteval default)
SMOOTH_DEFAULTS: dict[str, float | None] = {"none": None, "floor": 0.1, "add-k": 1, "exp": None}

#: what sacreBLEU takes for log(0): a very negative number instead of -inf, so a zero precision
#: drives the geometric mean to 0.0 without a math error
_LOG_ZERO = -9999999999


def _log(x: float) -> float:
    return math.log(x) if x != 0.0 else _LOG_ZERO


def sacrebleu_tokens(lines: Sequence[str], tokenize: str, lowercase: bool) -> list[list[str]]:
    """Tokens as sacreBLEU sees them: optionally lowercased, right-stripped, then tokenized."""
    if lowercase:
        lines = [line.lower() for line in lines]
    return get_tokenizer(tokenize).tokenize_batch([line.rstrip() for line in lines])


def sacrebleu_score(counts: Sequence[int], totals: Sequence[int], sys_len: int, ref_len: int, *,
                    smooth_method: str = "exp", smooth_value: float | None = None,
                    use_effective_order: bool = False) -> dict[str, Any]:
    """sacreBLEU's corpus score from summed statistics.

    Smoothing (Chen & Cherry, 2014): ``exp`` halves the pseudo-count of each successive
    zero-match order, ``floor`` gives zero-match orders ``smooth_value`` matches, ``add-k``
    adds ``smooth_value`` to matches and totals of orders >= 2, ``none`` leaves zeros. With
    ``use_effective_order`` only orders up to the last one with hypothesis n-grams count.

    Example:
        >>> r = sacrebleu_score([3, 1, 0, 0], [3, 2, 1, 0], 3, 4)   # no 4-grams: score 0
        >>> r["score"], r["precisions"]
        (0.0, [100.0, 50.0, 50.0, 0.0])
        >>> round(sacrebleu_score([3, 1, 0, 0], [3, 2, 1, 0], 3, 4, use_effective_order=True)["score"], 6)
        45.138644
    """
    v.choice("smooth_method", smooth_method, list(SMOOTH_DEFAULTS))
    k = SMOOTH_DEFAULTS[smooth_method] if smooth_value is None else smooth_value
    order = len(counts)
    counts, totals = [int(c) for c in counts], [int(t) for t in totals]
    if sys_len < ref_len:
        bp = math.exp(1 - ref_len / sys_len) if sys_len > 0 else 0.0
    else:
        bp = 1.0
    precisions = [0.0] * order
    result = {"score": 0.0, "counts": counts, "totals": totals, "precisions": precisions, "bp": bp,
              "sys_len": int(sys_len), "ref_len": int(ref_len)}
    if not any(counts):
        return result
    halvings, used = 1.0, order
    for n in range(order):
        if smooth_method == "add-k" and n > 0:
            # sacreBLEU reports the smoothed counts and totals, so we do too
            counts[n] += k
            totals[n] += k
        if totals[n] == 0:
            break
        if use_effective_order:
            used = n + 1
        if counts[n]:
            precisions[n] = 100.0 * counts[n] / totals[n]
        elif smooth_method == "exp":
            halvings *= 2
            precisions[n] = 100.0 / (halvings * totals[n])
        elif smooth_method == "floor":
            precisions[n] = 100.0 * k / totals[n]
    result["score"] = bp * math.exp(sum([_log(p) for p in precisions[:used]]) / used)
    return result


@register("sacrebleu", description="Corpus BLEU (0-100) exactly as sacreBLEU: 13a/intl/char/zh/none "
                                   "tokenizers, exp/floor/add-k/none smoothing, closest reference length.")
class SacreBLEU(Metric):
    """sacreBLEU's BLEU; ``score`` is on a 0-100 scale.

    Options (defaults as sacreBLEU and ``evaluate``): ``tokenize="13a"`` (``intl``, ``char``,
    ``zh``, ``none``), ``lowercase=False``, ``smooth_method="exp"``, ``smooth_value=None``
    (0.1 for floor, 1 for add-k), ``use_effective_order=False``, ``max_ngram_order=4``,
    ``force=False`` (silences the warning about already-tokenized input).

    Example:
        >>> m = SacreBLEU(tokenize="char")
        >>> m.add_batch(predictions=["abc"], references=[["abd"]])
        >>> m.compute(smooth_method="none")["counts"]
        [2, 1, 0, 0]
    """

    default_options = {"tokenize": "13a", "lowercase": False, "smooth_method": "exp", "smooth_value": None,
                       "use_effective_order": False, "max_ngram_order": 4, "force": False}
    state_options = ("tokenize", "lowercase", "max_ngram_order")

    def _init_states(self) -> None:
        v.choice("tokenize", self.options["tokenize"], tokenizer_names())
        order = v.positive_int("max_ngram_order", self.options["max_ngram_order"])
        self.add_state("counts", np.zeros(order, dtype=np.int64), reduce="sum")
        self.add_state("totals", np.zeros(order, dtype=np.int64), reduce="sum")
        self.add_state("sys_len", 0, reduce="sum")
        self.add_state("ref_len", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references(self.name, predictions, references)
        if not self.options["force"] and sum(p.endswith(" .") for p in preds) >= 100:
            logger.warning("sacrebleu: 100 or more predictions end in a tokenized period (' .'); BLEU expects "
                           "detokenized text. Pass force=True if this is intended.")
        tok, lower = self.options["tokenize"], self.options["lowercase"]
        hyp_tokens = sacrebleu_tokens(preds, tok, lower)
        ref_tokens = tokenize_references(refs, lambda lines: sacrebleu_tokens(lines, tok, lower))
        stats = bleu_statistics(hyp_tokens, ref_tokens, self.options["max_ngram_order"])
        self.counts = self.counts + stats.matches
        self.totals = self.totals + stats.totals
        self.sys_len += stats.hyp_len
        self.ref_len += stats.ref_len_closest

    def _compute(self, *, smooth_method: str, smooth_value: float | None, use_effective_order: bool,
                 **_: Any) -> dict[str, Any]:
        return sacrebleu_score(self.counts, self.totals, int(self.sys_len), int(self.ref_len),
                               smooth_method=smooth_method, smooth_value=smooth_value,
                               use_effective_order=bool(use_effective_order))
