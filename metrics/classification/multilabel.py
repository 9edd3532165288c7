"""``config_name="multilabel"`` for accuracy, precision, recall and F1: indicator matrices.

evaluate loads these metrics with ``config_name="multilabel"`` when each prediction and reference
is a row of 0/1 flags (transformers' ``run_classification.py`` does for multi-label tasks). Each
row is kept as a string key (``"101"``) in the metric's usual ``(pred, ref) -> count`` state, so
the state still merges by addition and stays as small as the number of distinct row pairs; from
those counts come scikit-learn's numbers: subset accuracy, and per-label true positives,
predicted and true counts for the ``micro``/``macro``/``weighted``/``samples``/``None`` averages.

Example:
    >>> import metrics
    >>> f1 = metrics.load("f1", config_name="multilabel")
    >>> f1.compute(predictions=[[1, 0, 1], [0, 1, 1]], references=[[1, 0, 0], [0, 1, 1]], average="micro")
    {'f1': 0.8571428571428571}
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import validation as v
from ..validation import MetricInputError

CONFIG = "multilabel"


def indicator_keys(name: str, values: Any) -> np.ndarray:
    """Rows of a 0/1 indicator matrix as strings of ``"0"``/``"1"``, one per example."""
    seq = v.as_sequence(name, values)
    try:
        arr = np.asarray(seq) if not isinstance(seq, np.ndarray) else seq
    except ValueError:
        raise MetricInputError(f"{name}: multilabel rows must all have the same number of labels") from None
    if arr.size == 0:
        return np.asarray([], dtype=str)
    if arr.ndim != 2 or arr.dtype == object:
        raise MetricInputError(f"{name}: config 'multilabel' expects one row of 0/1 flags per example "
                               f"(a 2-D array), got shape {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
        raise MetricInputError(f"{name}: multilabel flags must be 0 or 1")
    flags = arr.astype(np.uint8) + ord("0")
    return np.asarray([row.tobytes().decode() for row in flags])


def _rows(keys: np.ndarray) -> np.ndarray:
    return np.stack([np.frombuffer(k.encode(), dtype=np.uint8) - ord("0") for k in keys.tolist()]).astype(np.float64)


def row_pairs(metric: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(P, R, counts)``: the distinct prediction/reference rows as float matrices and their weights."""
    metric.require_data()
    table = metric.pairs.to_table()
    preds = table.column("pred").to_numpy(zero_copy_only=False)
    refs = table.column("ref").to_numpy(zero_copy_only=False)
    if len({len(k) for k in preds.tolist() + refs.tolist()}) != 1:
        raise MetricInputError(f"{metric.name}: multilabel rows must all have the same number of labels")
    counts = table.column("count").to_numpy(zero_copy_only=False).astype(np.float64)
    return _rows(preds), _rows(refs), counts


def precision_recall_f(metric: Any, *, average: Any, labels: Any, beta2: float, divide: Any,
                       nanaverage: Any) -> tuple[Any, Any, Any]:
    """scikit-learn's ``precision_recall_fscore_support`` for indicator matrices."""
    if average == "binary":
        raise MetricInputError("average='binary' does not apply to multilabel rows; choose 'micro', 'macro', "
                               "'weighted', 'samples' or None")
    P, R, c = row_pairs(metric)
    if labels is not None:
        cols = [int(i) for i in labels]
        if any(i < 0 or i >= P.shape[1] for i in cols):
            raise MetricInputError(f"labels: multilabel label indices must be in [0, {P.shape[1]}), got {cols}")
        P, R = P[:, cols], R[:, cols]
    if average == "samples":
        tp, pred_sum, true_sum = (P * R).sum(axis=1), P.sum(axis=1), R.sum(axis=1)
    else:
        tp, pred_sum, true_sum = c @ (P * R), c @ P, c @ R
        if average == "micro":
            tp, pred_sum, true_sum = tp.sum(keepdims=True), pred_sum.sum(keepdims=True), true_sum.sum(keepdims=True)
    precision, recall = divide(tp, pred_sum), divide(tp, true_sum)
    if np.isinf(beta2):
        f = recall
    elif beta2 == 0:
        f = precision
    else:
        f = divide((1 + beta2) * tp, beta2 * true_sum + pred_sum)
    if average is None:
        return precision, recall, f
    weights = c if average == "samples" else (true_sum if average == "weighted" else None)
    return nanaverage(precision, weights), nanaverage(recall, weights), nanaverage(f, weights)
