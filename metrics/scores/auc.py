"""The area under the ROC curve, as scikit-learn's ``roc_auc_score`` computes it (functional core).

``binary_auc`` sorts the scores once, groups equal scores (ties count half, as the trapezoid
through a tied threshold does), accumulates (weighted) true and false positives and integrates
with the trapezoid rule; ``max_fpr`` gives the McClish-standardised partial AUC. ``ovr_auc``,
``ovo_auc`` and ``multilabel_auc`` average it the way scikit-learn does.

Example:
    >>> import numpy as np
    >>> binary_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
"""
from __future__ import annotations

import logging
import math
from itertools import combinations
from typing import Any

import numpy as np

from ..validation import MetricInputError

logger = logging.getLogger(__name__)

AVERAGES = ("micro", "macro", "weighted", "samples", None)


def _roc_points(y: np.ndarray, score: np.ndarray, weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(false positives, true positives) after each distinct threshold, from the highest score down."""
    order = np.argsort(score)[::-1]
    s = score[order]
    pos = y[order].astype(np.float64)
    if weight is not None:
        w = weight[order]
        tp, fp = np.cumsum(pos * w), np.cumsum((1.0 - pos) * w)
    else:
        tp = np.cumsum(pos)
        fp = np.arange(1, len(pos) + 1, dtype=np.float64) - tp
    last = np.r_[np.flatnonzero(s[1:] != s[:-1]), len(s) - 1]  # last index of each tie group
    return np.r_[0.0, fp[last]], np.r_[0.0, tp[last]]


def binary_auc(y: np.ndarray, score: np.ndarray, weight: np.ndarray | None = None,
               max_fpr: float | None = None) -> float:
    """ROC AUC of boolean/0-1 ``y`` against ``score``; NaN (logged) when ``y`` holds one class."""
    if len(np.unique(y)) != 2:
        logger.warning("roc_auc: only one class is present in the references; ROC AUC is not defined (NaN)")
        return math.nan
    fps, tps = _roc_points(y, score, weight)
    if fps[-1] <= 0 or tps[-1] <= 0:
        return math.nan
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    if max_fpr is None or max_fpr == 1:
        return float(np.trapezoid(tpr, fpr))
    stop = int(np.searchsorted(fpr, max_fpr, "right"))
    tpr_at = np.interp(max_fpr, [fpr[stop - 1], fpr[stop]], [tpr[stop - 1], tpr[stop]])
    partial = float(np.trapezoid(np.r_[tpr[:stop], tpr_at], np.r_[fpr[:stop], max_fpr]))
    min_area, max_area = 0.5 * max_fpr ** 2, max_fpr  # McClish: 0.5 for chance, 1 for perfect
    return 0.5 * (1 + (partial - min_area) / (max_area - min_area))


def check_max_fpr(max_fpr: Any) -> float | None:
    if max_fpr is None:
        return None
    if isinstance(max_fpr, bool) or not isinstance(max_fpr, (int, float)) or not 0 < max_fpr <= 1:
        raise MetricInputError(f"max_fpr: expected a number in (0, 1], got {max_fpr!r}")
    return float(max_fpr)


def multilabel_auc(y: np.ndarray, score: np.ndarray, weight: np.ndarray | None, average: Any,
                   max_fpr: float | None = None) -> Any:
    """Per-column binary AUCs of an indicator matrix, averaged as scikit-learn's ``average``."""
    if average not in AVERAGES:
        raise MetricInputError(f"average: {average!r} is not one of {', '.join(map(repr, AVERAGES))}")
    axis_weight = None
    if average == "micro":
        return binary_auc(y.ravel(), score.ravel(), None if weight is None else np.repeat(weight, y.shape[1]),
                          max_fpr)
    if average == "weighted":
        axis_weight = (y * weight[:, None]).sum(axis=0) if weight is not None else y.sum(axis=0).astype(float)
        if np.isclose(axis_weight.sum(), 0.0):
            return 0.0
    if average == "samples":
        per = np.array([binary_auc(y[i], score[i], None, max_fpr) for i in range(len(y))])
        axis_weight = weight
    else:
        per = np.array([binary_auc(y[:, c], score[:, c], weight, max_fpr) for c in range(y.shape[1])])
    if average is None:
        return per
    if axis_weight is not None:
        per[np.asarray(axis_weight) == 0] = 0  # zero-weight NaNs must not poison the average
    return float(np.average(per, weights=axis_weight))


def class_index(refs: np.ndarray, n_columns: int, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: the class of each score column and each reference's column."""
    if labels is not None:
        given = np.asarray(labels)
        classes = np.unique(given)
        if len(classes) != len(given):
            raise MetricInputError("labels: must be unique")
        if not np.array_equal(classes, given):
            raise MetricInputError("labels: must be ordered (sorted)")
        if len(classes) != n_columns:
            raise MetricInputError(f"labels: {len(classes)} labels for {n_columns} columns of prediction_scores")
        unknown = np.setdiff1d(refs, classes)
        if len(unknown):
            raise MetricInputError(f"references: label {unknown[0].item()!r} is not in labels")
    else:
        classes = np.unique(refs)
        if len(classes) != n_columns:
            raise MetricInputError(f"references hold {len(classes)} classes but prediction_scores has {n_columns} "
                                   f"columns; pass labels=[...] naming every column's class")
    return classes, np.searchsorted(classes, refs)


def ovr_auc(codes: np.ndarray, score: np.ndarray, weight: np.ndarray | None, average: Any) -> Any:
    """One-vs-rest: each class against the others, as a multilabel problem."""
    if average not in ("micro", "macro", "weighted", None):
        raise MetricInputError(f"average: {average!r} is not one of 'micro', 'macro', 'weighted', None for ovr")
    onehot = np.zeros(score.shape, dtype=np.int64)
    onehot[np.arange(len(codes)), codes] = 1
    return multilabel_auc(onehot, score, weight, average)


def ovo_auc(codes: np.ndarray, score: np.ndarray, average: Any) -> float:
    """One-vs-one (Hand & Till): the mean of both directions' AUC for every pair of present classes."""
    if average not in ("macro", "weighted"):
        raise MetricInputError(f"average: {average!r} is not one of 'macro', 'weighted' for ovo")
    present = np.unique(codes)
    pairs = list(combinations(present.tolist(), 2))
    pair_scores, prevalence = np.empty(len(pairs)), np.empty(len(pairs))
    for i, (a, b) in enumerate(pairs):
        a_mask, b_mask = codes == a, codes == b
        both = a_mask | b_mask
        prevalence[i] = np.average(both)
        pair_scores[i] = (binary_auc(a_mask[both], score[both, a]) + binary_auc(b_mask[both], score[both, b])) / 2
    return float(np.average(pair_scores, weights=prevalence if average == "weighted" else None))
