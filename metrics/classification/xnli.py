"""``xnli``: accuracy of predicted labels, as evaluate's xnli module (``(preds == refs).mean()``).

Example:
    >>> import metrics
    >>> metrics.load("xnli").compute(predictions=[0, 1, 2], references=[0, 1, 1])
    {'accuracy': 0.6666666666666666}
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from .confusion import check_label_kinds


@register("xnli", description="XNLI accuracy: share of predicted labels equal to the reference.")
class Xnli(Metric):
    """XNLI accuracy. Inputs: ``predictions``, ``references`` (labels). Returns ``{"accuracy": float}``."""

    def _init_states(self) -> None:
        self.add_state("correct", 0, reduce="sum")
        self.add_state("total", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = v.labels("predictions", predictions), v.labels("references", references)
        v.check_lengths(preds, refs)
        check_label_kinds(preds, refs)
        self.correct += int(np.count_nonzero(preds == refs))
        self.total += len(preds)

    def _compute(self, **_: Any) -> dict[str, Any]:
        if not self.total:
            raise MetricInputError("xnli: no examples were added")
        return {"accuracy": self.correct / self.total}
