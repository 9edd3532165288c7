"""Confusion counts: the additive state behind accuracy, precision, recall, F1 and MCC.

The state is a :class:`metrics.state.CountState` of ``(pred, ref) -> count`` (or summed
``sample_weight``), so it stays as small as the number of distinct label pairs and
merges across batches and processes by addition. The functions below turn it into
scikit-learn's numbers: same label order (sorted union), same averaging, same
``zero_division`` rules.

Example:
    >>> m = ConfusionMetric()
    >>> m.add_batch(predictions=[0, 1, 1], references=[0, 1, 0])
    >>> labels, matrix = m.confusion()
    >>> labels.tolist(), matrix.tolist()
    ([0, 1], [[1.0, 1.0], [0.0, 1.0]])
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..base import Metric
from .. import validation as v
from . import multilabel
from ..validation import MetricInputError

AVERAGES = ("binary", "micro", "macro", "weighted", None)


def check_label_kinds(preds: np.ndarray, refs: np.ndarray) -> None:
    """Refuse mixing string labels with numeric ones, as scikit-learn does."""
    if (preds.dtype.kind in "US") != (refs.dtype.kind in "US") and len(preds) and len(refs):
        raise MetricInputError(f"predictions and references mix label types: {preds.dtype} vs {refs.dtype}")


class ConfusionMetric(Metric):
    """A metric whose state is the confusion counts; subclasses only write ``_compute``.

    Accepts an optional per-example ``sample_weight`` input, like scikit-learn.
    """

    extra_inputs = ("sample_weight",)
    #: whether ``config_name="multilabel"`` (evaluate's config for 0/1 indicator rows) is accepted
    accepts_multilabel: bool = False

    def _check_config(self, config_name: str | None) -> str | None:
        if self.accepts_multilabel and config_name == multilabel.CONFIG:
            return config_name
        return super()._check_config(config_name)

    def _init_states(self) -> None:
        self.add_state("pairs", ["pred", "ref"], reduce="counts")

    def _update(self, predictions: Any, references: Any, sample_weight: Any = None) -> None:
        # config "multilabel": rows of 0/1 flags, each kept as one key (see multilabel.py)
        read = multilabel.indicator_keys if self.config_name == multilabel.CONFIG else v.labels
        preds = read("predictions", predictions)
        refs = read("references", references)
        v.check_lengths(preds, refs)
        check_label_kinds(preds, refs)
        weights = None
        if sample_weight is not None:
            weights = v.floats("sample_weight", sample_weight)
            v.check_lengths(weights, preds, "sample_weight", "predictions")
        self.pairs.add({"pred": preds, "ref": refs}, weights)

    def confusion(self, labels: Sequence[Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(labels, C)`` with ``C[i, j]`` = weight of examples with reference ``labels[i]`` and
        prediction ``labels[j]``. Labels default to the sorted union of all seen labels; when given,
        the seen labels missing from them follow, so row and column sums still count every example
        (scikit-learn's per-label false positives include predictions of unlisted labels)."""
        table = self.pairs.to_table()
        preds = table.column("pred").to_numpy(zero_copy_only=False)
        refs = table.column("ref").to_numpy(zero_copy_only=False)
        counts = table.column("count").to_numpy(zero_copy_only=False).astype(np.float64)
        present = np.unique(np.concatenate([preds, refs])) if len(counts) else np.array([], dtype=np.int64)
        if labels is None:
            ordered = present.tolist()
        else:
            wanted = list(labels.tolist() if isinstance(labels, np.ndarray) else labels)
            if not wanted:
                raise MetricInputError("labels: expected a non-empty list of labels")
            seen = {_key(l) for l in wanted}
            ordered = wanted + [l for l in present.tolist() if _key(l) not in seen]
        index = {_key(l): i for i, l in enumerate(ordered)}
        matrix = np.zeros((len(ordered), len(ordered)), dtype=np.float64)
        for p, r, c in zip(preds.tolist(), refs.tolist(), counts.tolist()):
            matrix[index[_key(r)], index[_key(p)]] += c
        return np.asarray(ordered), matrix

    def require_data(self) -> None:
        """Raise when nothing was added: scikit-learn refuses empty input too, and 0 would mislead."""
        if not self.pairs.to_table().num_rows:
            raise MetricInputError(f"{self.name}: no examples to score; add_batch() was never called "
                                   f"or only got empty lists")

    def present_labels(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(all labels, labels among predictions, labels among references)``, each sorted."""
        table = self.pairs.to_table()
        preds = np.unique(table.column("pred").to_numpy(zero_copy_only=False))
        refs = np.unique(table.column("ref").to_numpy(zero_copy_only=False))
        return np.unique(np.concatenate([preds, refs])), preds, refs

    def total_weight(self) -> float:
        table = self.pairs.to_table()
        return float(np.sum(table.column("count").to_numpy(zero_copy_only=False))) if table.num_rows else 0.0

    def correct_weight(self) -> float:
        self.require_data()
        table = self.pairs.to_table()
        if not table.num_rows:
            return 0.0
        preds = table.column("pred").to_numpy(zero_copy_only=False)
        refs = table.column("ref").to_numpy(zero_copy_only=False)
        return float(np.sum(table.column("count").to_numpy(zero_copy_only=False)[preds == refs]))


def _key(label: Any) -> Any:
    # numpy scalars and Python values must meet in one dict; bools count as ints like numpy does
    return label.item() if isinstance(label, np.generic) else label


def zero_division_value(zero_division: Any) -> float:
    """scikit-learn's ``zero_division``: "warn" (acts as 0), 0, 1 or NaN."""
    if isinstance(zero_division, str):
        if zero_division in ("warn", "nan"):
            return 0.0 if zero_division == "warn" else math.nan
    elif isinstance(zero_division, (int, float)) and not isinstance(zero_division, bool):
        if zero_division in (0, 1) or math.isnan(zero_division):
            return float(zero_division)
    raise MetricInputError(f"zero_division: expected 'warn', 0, 1 or nan, got {zero_division!r}")


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    mask = den == 0
    out = num / np.where(mask, 1.0, den)
    out[mask] = zero_division
    return out


def _nanaverage(values: np.ndarray, weights: np.ndarray | None) -> float:
    if values.shape[0] == 0:
        return math.nan
    mask = np.isnan(values)
    if mask.all():
        return math.nan
    if weights is None:
        return float(np.mean(values[~mask]))
    values, weights = values[~mask], np.asarray(weights, dtype=np.float64)[~mask]
    if weights.sum() == 0:  # every class absent from the references: plain mean, as scikit-learn
        return float(np.mean(values))
    return float(np.average(values, weights=weights))


def set_wise_labels(metric: ConfusionMetric, average: Any, labels: Any, pos_label: Any) -> Sequence[Any] | None:
    """The labels to score, with scikit-learn's checks for ``average="binary"``."""
    v.choice("average", average, AVERAGES)
    if average != "binary":
        return labels
    present, preds, refs = metric.present_labels()
    if len(present) > 2:
        raise MetricInputError(f"average='binary' needs two classes but the data has {len(present)} "
                               f"({present.tolist()[:10]}); choose average='micro', 'macro', 'weighted' or None")
    if pos_label not in present.tolist() and len(present) >= 2:
        raise MetricInputError(f"pos_label={pos_label!r} is not a valid label; it should be one of {present.tolist()}")
    return [pos_label]


def precision_recall_f(metric: ConfusionMetric, *, average: Any = "binary", labels: Any = None,
                       pos_label: Any = 1, beta: float = 1.0,
                       zero_division: Any = "warn") -> tuple[Any, Any, Any]:
    """Precision, recall and F-beta from the confusion counts, as
    ``sklearn.metrics.precision_recall_fscore_support`` (scalars, or arrays when ``average=None``)."""
    zd = zero_division_value(zero_division)
    if metric.config_name == multilabel.CONFIG:
        v.choice("average", average, (*AVERAGES, "samples"))
        return multilabel.precision_recall_f(metric, average=average, labels=labels, beta2=float(beta) ** 2,
                                             divide=lambda a, b: _divide(a, b, zd), nanaverage=_nanaverage)
    metric.require_data()
    chosen = set_wise_labels(metric, average, labels, pos_label)
    ordered, matrix = metric.confusion(chosen)
    k = len(ordered) if chosen is None else len(chosen)
    tp = np.diag(matrix)[:k]
    pred_sum = matrix.sum(axis=0)[:k]
    true_sum = matrix.sum(axis=1)[:k]
    if average == "micro":
        tp, pred_sum, true_sum = tp.sum(keepdims=True), pred_sum.sum(keepdims=True), true_sum.sum(keepdims=True)
    precision = _divide(tp, pred_sum, zd)
    recall = _divide(tp, true_sum, zd)
    beta2 = float(beta) ** 2
    if math.isinf(beta2):
        f = recall
    elif beta2 == 0:
        f = precision
    else:
        f = _divide((1 + beta2) * tp, beta2 * true_sum + pred_sum, zd)
    if average is None:
        return precision, recall, f
    weights = true_sum if average == "weighted" else None
    return _nanaverage(precision, weights), _nanaverage(recall, weights), _nanaverage(f, weights)


def as_result(value: Any) -> Any:
    """A scalar as float, an array (``average=None``) as a list of floats."""
    if isinstance(value, np.ndarray):
        return [float(x) for x in value]
    return float(value)


def matthews(matrix: np.ndarray) -> float:
    """Matthews correlation of a (multiclass) confusion matrix, scikit-learn's formula; 0 when undefined."""
    t_sum = matrix.sum(axis=1, dtype=np.float64)
    p_sum = matrix.sum(axis=0, dtype=np.float64)
    n_correct = np.trace(matrix, dtype=np.float64)
    n = p_sum.sum()
    cov_ytyp = n_correct * n - np.dot(t_sum, p_sum)
    cov_ypyp = n ** 2 - np.dot(p_sum, p_sum)
    cov_ytyt = n ** 2 - np.dot(t_sum, t_sum)
    denom = cov_ypyp * cov_ytyt
    return 0.0 if denom == 0 else float(cov_ytyp / np.sqrt(denom))
