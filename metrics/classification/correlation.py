"""Pearson and Spearman correlation over every (prediction, reference) pair, as scipy.stats.

Correlations are not additive in a numerically exact way, so the state keeps every
value, in Arrow (:class:`metrics.state.CatState`), and merges by concatenation.

Example:
    >>> import numpy as np
    >>> round(pearson(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 2.5])), 6)
    0.981981
    >>> spearman(np.array([1.0, 2.0, 2.0]), np.array([3.0, 1.0, 1.0]))
    -1.0
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..base import Metric
from .. import validation as v
from ..validation import MetricInputError


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r, computed as scipy does (scaled norms, clipped to [-1, 1]); NaN for constant input."""
    if len(x) < 2:
        raise MetricInputError(f"correlation needs at least 2 pairs, got {len(x)}")
    if np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan
    xm, ym = x - x.mean(), y - y.mean()
    xmax, ymax = np.max(np.abs(xm)), np.max(np.abs(ym))
    normx = xmax * np.linalg.norm(xm / xmax)
    normy = ymax * np.linalg.norm(ym / ymax)
    return float(np.clip(np.dot(xm / normx, ym / normy), -1.0, 1.0))


def rank_average(a: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank (scipy's ``rankdata(method="average")``)."""
    order = np.argsort(a, kind="mergesort")
    sorted_a = a[order]
    starts = np.r_[True, sorted_a[1:] != sorted_a[:-1]]
    group = np.cumsum(starts) - 1
    bounds = np.r_[np.flatnonzero(starts), len(a)]
    # ranks first..last of a tie group average to (first + last) / 2, 1-based
    avg = (bounds[:-1] + bounds[1:] + 1) / 2.0
    ranks = np.empty(len(a), dtype=np.float64)
    ranks[order] = avg[group]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: the correlation of the tie-averaged ranks (``np.corrcoef``, as scipy does)."""
    if len(x) < 2:
        raise MetricInputError(f"correlation needs at least 2 pairs, got {len(x)}")
    if np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan
    return float(np.corrcoef(rank_average(x), rank_average(y))[0, 1])


def pearson_pvalue(r: float, n: int) -> float:
    """Two-sided p-value of Pearson's r under independence (scipy's exact beta distribution)."""
    from scipy.special import betainc

    if math.isnan(r):
        return math.nan
    if n == 2:
        return 1.0
    a = n / 2 - 1
    return float(min(1.0, 2 * betainc(a, a, (1 - abs(r)) / 2)))


def spearman_pvalue(r: float, n: int) -> float:
    """Two-sided p-value of Spearman's rho (Student's t with n - 2 degrees of freedom, as scipy)."""
    from scipy.special import stdtr

    if math.isnan(r):
        return math.nan
    dof = n - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(max(dof / ((r + 1.0) * (1.0 - r)), 0.0)) if abs(r) < 1 else math.copysign(math.inf, r)
    return float(2 * stdtr(dof, -abs(t))) if dof > 0 else math.nan


class PairsMetric(Metric):
    """Keeps every (prediction, reference) pair of real numbers; NaN and inf are refused."""

    def _init_states(self) -> None:
        import pyarrow as pa

        self.add_state("preds", pa.float64(), reduce="cat")
        self.add_state("refs", pa.float64(), reduce="cat")

    def _update(self, predictions: Any, references: Any) -> None:
        preds = v.floats("predictions", predictions)
        refs = v.floats("references", references)
        v.check_lengths(preds, refs)
        self.preds.append(preds)
        self.refs.append(refs)

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.refs.to_numpy().astype(np.float64), self.preds.to_numpy().astype(np.float64)
