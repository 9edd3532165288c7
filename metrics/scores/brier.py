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
        self.add_state("labels", ["label"], reduce="counts")

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
        w = weights_of(sample_weight, len(probs))
        outcome = (refs == self.options["pos_label"]).astype(np.float64)
        self.squared_sum += float(w @ (outcome - probs) ** 2)
        self.weight_sum += float(w.sum())
        self.labels.add({"label": refs})

    def _compute(self, **_: Any) -> dict[str, Any]:
        if self.weight_sum == 0:
            raise MetricInputError("brier_score: no examples (or only zero sample_weight) were added")
        n_labels = len(self.labels)
        if n_labels > 2:
            raise MetricInputError(f"references hold {n_labels} labels; brier_score takes binary references")
        return {"brier_score": self.squared_sum / self.weight_sum}
