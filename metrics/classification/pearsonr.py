"""``pearsonr``: Pearson correlation of predictions and references (-1 to 1; scipy.stats.pearsonr).

Example:
    >>> import metrics
    >>> metrics.load("pearsonr").compute(predictions=[1, 2, 3], references=[2, 4, 5])
    {'pearsonr': 0.9819805060619655}
"""
from __future__ import annotations

from ..registry import register
from .correlation import PairsMetric, pearson, pearson_pvalue


@register("pearsonr", description="Pearson correlation coefficient (-1 to 1; scipy.stats.pearsonr).")
class PearsonR(PairsMetric):
    """Pearson's r; ``return_pvalue=True`` adds ``p-value`` (two-sided). NaN for constant input."""

    default_options = {"return_pvalue": False}

    def _compute(self, *, return_pvalue: bool, **_) -> dict:
        x, y = self.pairs()
        r = pearson(x, y)
        out = {"pearsonr": r}
        if return_pvalue:
            out["p-value"] = pearson_pvalue(r, len(x))
        return out
