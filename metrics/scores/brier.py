"""``brier_score``: mean squared difference between the probability of the positive class and the
outcome, as scikit-learn's ``brier_score_loss`` for binary references.

The state is additive: the weighted sum of squared differences, the sum of weights, and the
distinct reference labels seen (to refuse more than two classes, as scikit-learn does).

Example:
    >>> import metrics
    >>> round(metrics.load("brier_score").compute(references=[0, 0, 1, 1], predictions=[0.1, 0.9, 0.8, 0.3])["brier_score"], 4)
    0.3375
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from ..regression.errors import weights_of


def _distinct(refs: np.ndarray, limit: int = 3) -> np.ndarray:
    """Up to ``limit`` distinct values of ``refs`` in O(n) passes (no sort): enough to refuse >2 labels."""
    found, rest = [], refs
    while len(rest) and len(found) < limit:
        found.append(rest[0])
        rest = rest[rest != rest[0]]
    return np.asarray(found, dtype=refs.dtype)


@register("brier_score", description="Brier score of binary probabilities, as scikit-learn's brier_score_loss.")
class BrierScore(Metric):
    """Brier score. Inputs: ``references`` (two labels), ``predictions`` (probability of ``pos_label``),
    optional ``sample_weight``. Option ``pos_label`` (default 1, as evaluate). Returns ``{"brier_score": float}``.
    """

    extra_inputs = ("sample_weight",)
    default_options = {"pos_label": 1}
    state_options = ("pos_label",)

    def _init_states(self) -> None:
        self.add_state("squared_sum", 0.0, reduce="sum")
        self.add_state("weight_sum", 0.0, reduce="sum")
        self.add_state("labels", ["label"], reduce="counts")  # distinct reference labels seen

    def _update(self, predictions: Any, references: Any, sample_weight: Any = None) -> None:
        probs = v.floats("predictions", predictions)
        refs = v.labels("references", references)
        v.check_lengths(probs, refs)
        if len(probs) and probs.max() > 1:
            raise MetricInputError(f"predictions: probabilities must be <= 1, got {probs.max()!r} at index "
                                   f"{int(probs.argmax())}")
        if len(probs) and probs.min() < 0:
            raise MetricInputError(f"predictions: probabilities must be >= 0, got {probs.min()!r} at index "
                                   f"{int(probs.argmin())}")
        squared = ((refs == self.options["pos_label"]) - probs) ** 2
        if sample_weight is None:  # plain reductions: BLAS thread start-up costs more than the sum
            self.squared_sum += float(squared.sum())
            self.weight_sum += float(len(probs))
        else:
            w = weights_of(sample_weight, len(probs))
            self.squared_sum += float((w * squared).sum())
            self.weight_sum += float(w.sum())
        self.labels.add({"label": _distinct(refs)})  # only the distinct labels matter (at most 2 allowed)

    def _compute(self, **_: Any) -> dict[str, Any]:
        if self.weight_sum == 0:
            raise MetricInputError("brier_score: no examples (or only zero sample_weight) were added")
        n_labels = len(self.labels)
        if n_labels > 2:
            raise MetricInputError("references hold more than 2 labels; brier_score takes binary references")
        return {"brier_score": self.squared_sum / self.weight_sum}
