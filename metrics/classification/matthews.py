"""``matthews_correlation``: Matthews correlation coefficient, binary or multiclass (scikit-learn).

Example:
    >>> import metrics
    >>> metrics.load("matthews_correlation").compute(predictions=[0, 1, 2, 2], references=[0, 1, 2, 1])
    {'matthews_correlation': 0.7}
"""
from __future__ import annotations

from ..registry import register
from .confusion import ConfusionMetric, matthews


@register("matthews_correlation",
          description="Matthews correlation coefficient, binary or multiclass (-1 to 1; scikit-learn).")
class MatthewsCorrelation(ConfusionMetric):
    """MCC from the confusion counts; 0.0 when undefined (one class only), as scikit-learn."""

    def _compute(self, **_) -> dict:
        self.require_data()
        return {"matthews_correlation": matthews(self.confusion()[1])}
