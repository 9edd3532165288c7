"""Coefficient of determination, as scikit-learn's ``r2_score`` (``force_finite=True``).

``1 - SS_res / SS_tot`` per output, with ``SS_tot`` the (weighted) squared deviation of the
references from their mean. The state is additive in the mergeable sense: the weighted sum
of squared residuals per output, plus ``[weight, mean, M2]`` of the references merged by
Chan's formula (a ``"moments"`` state), so ``SS_tot`` = ``M2`` has no cancellation error
however the data is split across batches or processes.

Like evaluate's ``r_squared``, ``compute`` returns the number itself, not a dict.

Example:
    >>> import metrics
    >>> round(metrics.load("r_squared").compute(predictions=[1, 2, 3, 4], references=[0.9, 2.1, 3.2, 3.8]), 4)
    0.9796
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from ..state import merge_moments
from .errors import average_outputs, weighted_sum, weights_of


@register("r_squared", configs=["default", "multilist"],
          description="Coefficient of determination R^2, as scikit-learn's r2_score; returns a number.")
class RSquared(Metric):
    """R^2 of ``predictions`` against ``references`` (numbers, or lists per example).

    Optional input ``sample_weight``; option ``multioutput`` (``"uniform_average"``, ``"raw_values"``,
    ``"variance_weighted"`` or output weights). Returns a float (a list for ``"raw_values"``), as
    evaluate does; NaN for fewer than two examples, as scikit-learn.
    """

    extra_inputs = ("sample_weight",)
    default_options = {"multioutput": "uniform_average"}

    def _init_states(self) -> None:
        self.add_state("residual_sum", 0.0, reduce="sum")  # per output: sum of w * (ref - pred)^2
        self.add_state("ref_moments", 0.0, reduce="moments")  # [weight, mean, M2] of the references
        self.add_state("count", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any, sample_weight: Any = None) -> None:
        preds = v.real_matrix("predictions", predictions)
        refs = v.real_matrix("references", references)
        if preds.shape != refs.shape:
            raise MetricInputError(f"predictions and references differ in shape: {preds.shape} vs {refs.shape}")
        if not len(refs):
            return
        w = None if sample_weight is None else weights_of(sample_weight, len(preds))
        wsum = float(len(refs) if w is None else w.sum())
        mean = weighted_sum(w, refs) / wsum if wsum else np.zeros(refs.shape[1])
        m2 = weighted_sum(w, (refs - mean) ** 2)
        self.ref_moments = merge_moments(self.ref_moments, np.stack([np.full(refs.shape[1], wsum), mean, m2]))
        self.residual_sum = self.residual_sum + weighted_sum(w, (refs - preds) ** 2)
        self.count += len(refs)

    def _compute(self, *, multioutput: Any = "uniform_average", **_: Any) -> Any:
        if self.count == 0:
            raise MetricInputError("r_squared: no examples were added")
        if self.count < 2:
            return math.nan  # scikit-learn: not well-defined with less than two samples
        num, den = np.asarray(self.residual_sum, dtype=np.float64), self.ref_moments[2]
        nonzero_den, nonzero_num = den != 0, num != 0
        valid = nonzero_den & nonzero_num
        scores = np.ones(len(num))
        scores[valid] = 1 - num[valid] / den[valid]
        scores[nonzero_num & ~nonzero_den] = 0.0
        if isinstance(multioutput, str) and multioutput == "variance_weighted":
            if not np.any(nonzero_den):
                return 1.0 if not np.any(nonzero_num) else 0.0
            return float(np.average(scores, weights=den))
        return average_outputs(scores, multioutput)
