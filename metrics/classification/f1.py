"""``f1``: harmonic mean of precision and recall, scikit-learn's ``f1_score``.

``average``: ``"binary"`` (default; the class ``pos_label``), ``"micro"``, ``"macro"``,
``"weighted"``, or ``None`` (one value per label). ``zero_division``: "warn" (0), 0, 1 or nan.

Example:
    >>> import metrics
    >>> metrics.load("f1").compute(predictions=[1, 1, 0, 1], references=[1, 0, 0, 1])
    {'f1': 0.8}
    >>> metrics.load("f1", average=None).compute(predictions=[0, 2, 1], references=[0, 1, 1])
    {'f1': [1.0, 0.6666666666666666, 0.0]}
"""
from __future__ import annotations

from ..registry import register
from .confusion import ConfusionMetric, as_result, precision_recall_f
from .precision import PRF_OPTIONS


@register("f1", description="F1 score with scikit-learn's averaging, pos_label and zero_division (0-1).")
class F1(ConfusionMetric):
    """F1 score."""

    accepts_multilabel = True  # config_name="multilabel": rows of 0/1 flags (multilabel.py)

    default_options = PRF_OPTIONS

    def _compute(self, **opts) -> dict:
        return {"f1": as_result(precision_recall_f(self, **opts)[2])}
