"""``recall``: tp / (tp + fn), scikit-learn's ``recall_score`` (binary, micro, macro, weighted, None).

Example:
    >>> import metrics
    >>> metrics.load("recall").compute(predictions=[1, 0, 0, 1], references=[1, 1, 0, 1])
    {'recall': 0.6666666666666666}
"""
from __future__ import annotations

from ..registry import register
from .confusion import ConfusionMetric, as_result, precision_recall_f
from .precision import PRF_OPTIONS


@register("recall", description="tp / (tp + fn) with scikit-learn's averaging and zero_division (0-1).")
class Recall(ConfusionMetric):
    """Recall; ``average=None`` gives one value per label."""

    accepts_multilabel = True  # config_name="multilabel": rows of 0/1 flags (multilabel.py)

    default_options = PRF_OPTIONS

    def _compute(self, **opts) -> dict:
        return {"recall": as_result(precision_recall_f(self, **opts)[1])}
