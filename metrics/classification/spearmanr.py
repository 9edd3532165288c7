"""``spearmanr``: Spearman rank correlation, ties averaged (-1 to 1; scipy.stats.spearmanr).

Example:
    >>> import metrics
    >>> metrics.load("spearmanr").compute(predictions=[10, 20, 20, 40], references=[1, 2, 3, 4])
    {'spearmanr': 0.9486832980505139}
"""
from __future__ import annotations

from ..registry import register
from .correlation import PairsMetric, spearman, spearman_pvalue


@register("spearmanr", description="Spearman rank correlation with tied ranks averaged (-1 to 1; scipy).")
class SpearmanR(PairsMetric):
    """Spearman's rho; ``return_pvalue=True`` adds ``spearmanr_pvalue``. NaN for constant input."""

    default_options = {"return_pvalue": False}

    def _compute(self, *, return_pvalue: bool, **_) -> dict:
        x, y = self.pairs()
        r = spearman(x, y)
        out = {"spearmanr": r}
        if return_pvalue:
            out["spearmanr_pvalue"] = spearman_pvalue(r, len(x))
        return out
