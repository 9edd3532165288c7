"""``accuracy``: share of predictions equal to their reference (scikit-learn's ``accuracy_score``).

Example:
    >>> import metrics
    >>> metrics.load("accuracy").compute(predictions=[0, 1, 2, 0], references=[0, 1, 1, 0])
    {'accuracy': 0.75}
    >>> metrics.load("accuracy", normalize=False).compute(predictions=[0, 1], references=[0, 0])
    {'accuracy': 1.0}
"""
from __future__ import annotations

from ..registry import register
from .confusion import ConfusionMetric


@register("accuracy", description="Fraction of predictions equal to their reference (0-1; scikit-learn).")
class Accuracy(ConfusionMetric):
    """Accuracy; with ``normalize=False`` the (weighted) number of correct predictions."""

    accepts_multilabel = True  # config_name="multilabel": rows of 0/1 flags (multilabel.py)

    default_options = {"normalize": True}

    def _compute(self, *, normalize: bool, **_) -> dict:
        correct, total = self.correct_weight(), self.total_weight()
        if not normalize:
            return {"accuracy": float(correct)}
        return {"accuracy": correct / total if total else 0.0}
