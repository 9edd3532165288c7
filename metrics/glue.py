"""``glue``: the GLUE benchmark's metric for each task, with the result keys of ``evaluate``'s glue.

==============================================================  ==========================================
config                                                          result (0-1 scale; correlations -1 to 1)
==============================================================  ==========================================
cola, ax                                                        ``matthews_correlation`` (multiclass for ax)
stsb                                                            ``pearson``, ``spearmanr``
mrpc, qqp                                                       ``accuracy``, ``f1`` (binary, positive = 1)
sst2, mnli, mnli_matched, mnli_mismatched, qnli, rte, wnli,     ``accuracy``
hans
==============================================================  ==========================================

Example:
    >>> import metrics
    >>> metrics.load("glue", "mrpc").compute(predictions=[1, 1, 0, 1], references=[1, 0, 0, 1])
    {'accuracy': 0.75, 'f1': 0.8}
    >>> metrics.load("glue", "cola").compute(predictions=[1, 0, 1, 1], references=[1, 0, 0, 1])
    {'matthews_correlation': 0.5773502691896258}
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import validation as v
from .classification.confusion import ConfusionMetric, matthews, precision_recall_f
from .classification.correlation import pearson, spearman
from .registry import register


def _accuracy(m: ConfusionMetric) -> dict:
    return {"accuracy": m.correct_weight() / m.total_weight()}


def _accuracy_f1(m: ConfusionMetric) -> dict:
    return {**_accuracy(m), "f1": float(precision_recall_f(m, average="binary", pos_label=1)[2])}


def _matthews(m: ConfusionMetric) -> dict:
    m.require_data()
    return {"matthews_correlation": matthews(m.confusion()[1])}


def _pearson_spearman(m: "Glue") -> dict:
    x, y = m.preds.to_numpy().astype(np.float64), m.refs.to_numpy().astype(np.float64)
    return {"pearson": pearson(x, y), "spearmanr": spearman(x, y)}


#: config -> how its result is computed; regression configs keep every score, others confusion counts
TASKS: dict[str, Callable[[Any], dict]] = {
    "cola": _matthews, "sst2": _accuracy, "mrpc": _accuracy_f1, "qqp": _accuracy_f1,
    "stsb": _pearson_spearman, "mnli": _accuracy, "mnli_matched": _accuracy,
    "mnli_mismatched": _accuracy, "qnli": _accuracy, "rte": _accuracy, "wnli": _accuracy,
    "hans": _accuracy, "ax": _matthews,
}
REGRESSION = {"stsb"}


@register("glue", configs=list(TASKS), description="GLUE benchmark metric per task (evaluate's glue keys).")
class Glue(ConfusionMetric):
    """GLUE: name the task with ``config_name`` (required)."""

    extra_inputs = ()
    config_required = True

    def _init_states(self) -> None:
        if self.config_name in REGRESSION:
            import pyarrow as pa

            self.add_state("preds", pa.float64(), reduce="cat")
            self.add_state("refs", pa.float64(), reduce="cat")
        else:
            super()._init_states()

    def _update(self, predictions: Any, references: Any) -> None:
        if self.config_name in REGRESSION:
            preds = v.floats("predictions", predictions)
            refs = v.floats("references", references)
            v.check_lengths(preds, refs)
            self.preds.append(preds)
            self.refs.append(refs)
        else:
            super()._update(predictions, references)

    def _compute(self, **_) -> dict:
        return TASKS[self.config_name](self)
