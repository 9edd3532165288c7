"""Mean errors over (n,) or (n, outputs) targets: mse, mae, mape, smape, as scikit-learn computes them.

Each is ``np.average(error(pred, ref), weights=sample_weight, axis=0)`` per output, then averaged
over outputs per ``multioutput``. The state is additive: per output the weighted sum of errors,
and the sum of weights, so batches and processes merge by addition.

Example:
    >>> import metrics
    >>> metrics.load("mse").compute(predictions=[2.5, 0.0, 2, 8], references=[3, -0.5, 2, 7])
    {'mse': 0.375}
    >>> metrics.load("mse").compute(predictions=[2.5, 0.0, 2, 8], references=[3, -0.5, 2, 7], squared=False)
    {'mse': 0.6123724356957945}
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError

_EPS = np.finfo(np.float64).eps
MULTIOUTPUT = ("uniform_average", "raw_values")


def weights_of(sample_weight: Any, n: int) -> np.ndarray:
    """Per-example weights (ones when ``None``), finite, one per example."""
    if sample_weight is None:
        return np.ones(n)
    w = v.floats("sample_weight", sample_weight)
    if len(w) != n:
        raise MetricInputError(f"sample_weight has {len(w)} values for {n} predictions")
    return w


def weighted_sum(w: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    """Column sums of ``values`` weighted by ``w`` (``None``: unweighted); numpy reductions, not BLAS
    (whose thread start-up dominates at this size)."""
    return values.sum(axis=0) if w is None else (values * w[:, None]).sum(axis=0)


def average_outputs(per_output: np.ndarray, multioutput: Any, weights_if_default: np.ndarray | None = None) -> Any:
    """Combine per-output values as scikit-learn's ``multioutput``: a name or one weight per output."""
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return per_output
        if multioutput == "uniform_average":
            return float(np.average(per_output))
        if multioutput == "variance_weighted" and weights_if_default is not None:
            return multioutput  # the caller handles it (r_squared only)
        raise MetricInputError(f"multioutput: {multioutput!r} is not one of {', '.join(MULTIOUTPUT)} "
                               f"or an array of output weights")
    w = v.floats("multioutput", multioutput)
    if len(per_output) == 1:
        raise MetricInputError("multioutput: output weights are only useful with several outputs (as scikit-learn)")
    if len(w) != len(per_output):
        raise MetricInputError(f"multioutput: {len(w)} weights for {len(per_output)} outputs")
    return float(np.average(per_output, weights=w))


class MeanErrorMetric(Metric):
    """Base: weighted mean of a per-element error, per output; subclasses define :meth:`error`."""

    configs = ("default", "multilist")
    extra_inputs = ("sample_weight",)
    default_options: ClassVar[dict[str, Any]] = {"multioutput": "uniform_average"}
    key: ClassVar[str] = ""

    def _init_states(self) -> None:
        self.add_state("error_sum", 0.0, reduce="sum")   # per output: sum of weight * error
        self.add_state("weight_sum", 0.0, reduce="sum")  # sum of weights (the count when unweighted)

    @staticmethod
    def error(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _update(self, predictions: Any, references: Any, sample_weight: Any = None) -> None:
        preds = v.real_matrix("predictions", predictions)
        refs = v.real_matrix("references", references)
        if preds.shape != refs.shape:
            raise MetricInputError(f"predictions and references differ in shape: {preds.shape} vs {refs.shape}")
        if isinstance(self.error_sum, np.ndarray) and self.error_sum.shape != (preds.shape[1],):
            raise MetricInputError(f"predictions: {preds.shape[1]} outputs, earlier batches had "
                                   f"{self.error_sum.shape[0]}")
        w = None if sample_weight is None else weights_of(sample_weight, len(preds))
        self.error_sum = self.error_sum + weighted_sum(w, self.error(preds, refs))
        self.weight_sum += float(len(preds) if w is None else w.sum())

    def per_output(self) -> np.ndarray:
        if not isinstance(self.error_sum, np.ndarray) or self.weight_sum == 0:
            raise MetricInputError(f"{self.name}: no examples (or only zero sample_weight) were added")
        return self.error_sum / self.weight_sum

    def _compute(self, *, multioutput: Any = "uniform_average", **_: Any) -> dict[str, Any]:
        return {self.key: average_outputs(self.per_output(), multioutput)}


@register("mse", configs=["default", "multilist"],
          description="Mean squared error (squared=False: root mean squared error), as scikit-learn.")
class MeanSquaredError(MeanErrorMetric):
    """Mean squared error; ``squared=False`` gives scikit-learn's ``root_mean_squared_error``.

    Inputs: ``predictions``, ``references`` (numbers, or lists of numbers per example with the
    ``multilist`` config), optional ``sample_weight``. Options: ``multioutput``
    (``"uniform_average"``, ``"raw_values"`` or output weights), ``squared``. Returns ``{"mse": ...}``.
    """

    key = "mse"
    default_options = {"multioutput": "uniform_average", "squared": True}

    @staticmethod
    def error(pred, ref):
        return (ref - pred) ** 2

    def _compute(self, *, multioutput: Any = "uniform_average", squared: bool = True, **_: Any) -> dict[str, Any]:
        per = self.per_output()
        return {"mse": average_outputs(per if squared else np.sqrt(per), multioutput)}


@register("mae", configs=["default", "multilist"], description="Mean absolute error, as scikit-learn.")
class MeanAbsoluteError(MeanErrorMetric):
    """Mean absolute error. Inputs and options as ``mse`` (without ``squared``); returns ``{"mae": ...}``."""

    key = "mae"

    @staticmethod
    def error(pred, ref):
        return np.abs(pred - ref)


@register("mape", configs=["default", "multilist"],
          description="Mean absolute percentage error (|pred - ref| / max(|ref|, eps)), as scikit-learn.")
class MeanAbsolutePercentageError(MeanErrorMetric):
    """Mean absolute percentage error, as a fraction. Inputs and options as ``mae``; returns ``{"mape": ...}``."""

    key = "mape"

    @staticmethod
    def error(pred, ref):
        return np.abs(pred - ref) / np.maximum(np.abs(ref), _EPS)


@register("smape", configs=["default", "multilist"],
          description="Symmetric mean absolute percentage error (Chen & Yang), evaluate's formula.")
class SymmetricMeanAbsolutePercentageError(MeanErrorMetric):
    """sMAPE: mean of ``2 |pred - ref| / (max(|ref|, eps) + max(|pred|, eps))``, in [0, 2].

    Inputs and options as ``mae``; returns ``{"smape": ...}``.
    """

    key = "smape"

    @staticmethod
    def error(pred, ref):
        return 2 * np.abs(pred - ref) / (np.maximum(np.abs(ref), _EPS) + np.maximum(np.abs(pred), _EPS))
