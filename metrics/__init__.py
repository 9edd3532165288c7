"""arrowdata metrics: an offline, pluggable registry of exact metrics with mergeable state.

Example:
    >>> import metrics
    >>> metrics.load("accuracy").compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'accuracy': 0.6666666666666666}
    >>> glue = metrics.load("glue", "stsb")
    >>> sorted(glue.compute(predictions=[0.1, 0.5, 0.9], references=[0.0, 0.6, 1.0]))
    ['pearson', 'spearmanr']

See ``docs/metrics.md``; to write a metric, see :mod:`metrics.base`.
"""
from __future__ import annotations

from .base import Metric
from .registry import (BUILTIN_METRICS, MetricInfo, MetricLoadError, list_evaluation_modules, list_metrics,
                       load, register)
from .state import MetricStateError
from .validation import MetricInputError

# `metrics.list()` mirrors `evaluate.list_evaluation_modules()`; kept out of __all__ so a star
# import never shadows the builtin
list = list_metrics  # noqa: A001

# bound after the submodule import, so `metrics.combine` is the function, not the module
from .combine import CombinedMetric, combine  # noqa: E402


__all__ = ["Metric", "load", "list_metrics", "list_evaluation_modules", "register", "combine", "BUILTIN_METRICS",
           "MetricInfo", "CombinedMetric", "MetricLoadError", "MetricInputError", "MetricStateError"]
