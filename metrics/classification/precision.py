"""``precision``: tp / (tp + fp), scikit-learn's ``precision_score`` (binary, micro, macro, weighted, None).

Example:
    >>> import metrics
    >>> metrics.load("precision").compute(predictions=[1, 1, 0, 1], references=[1, 0, 0, 1])
    {'precision': 0.6666666666666666}
"""
from __future__ import annotations

from ..registry import register
from .confusion import ConfusionMetric, as_result, precision_recall_f

PRF_OPTIONS = {"average": "binary", "labels": None, "pos_label": 1, "zero_division": "warn"}


@register("precision", description="tp / (tp + fp) with scikit-learn's averaging and zero_division (0-1).")
class Precision(ConfusionMetric):
    """Precision; ``average=None`` gives one value per label."""

    accepts_multilabel = True  # config_name="multilabel": rows of 0/1 flags (multilabel.py)

    default_options = PRF_OPTIONS

    def _compute(self, **opts) -> dict:
        return {"precision": as_result(precision_recall_f(self, **opts)[0])}
