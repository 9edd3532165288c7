"""``roc_auc``: ROC AUC for binary, multiclass (ovr/ovo) and multilabel scores, as scikit-learn.

Configs as evaluate's: ``default`` (binary: one score per example), ``multiclass`` (a row of
class probabilities per example, ``multi_class="ovr"`` or ``"ovo"``), ``multilabel`` (a row of
0/1 references and a row of scores). Inputs use evaluate's names: ``references`` and
``prediction_scores`` (``predictions`` is accepted too), plus ``sample_weight``.

AUC depends on the order of all scores, so the state keeps every score, label and weight in
Arrow (``"cat"`` states, merged by concatenation).

Example:
    >>> import metrics
    >>> metrics.load("roc_auc").compute(references=[0, 0, 1, 1], prediction_scores=[0.1, 0.4, 0.35, 0.8])
    {'roc_auc': 0.75}
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from . import auc


@register("roc_auc", configs=["default", "multiclass", "multilabel"],
          description="Area under the ROC curve (binary, multiclass ovr/ovo, multilabel), as scikit-learn.")
class RocAuc(Metric):
    """ROC AUC. Inputs: ``references``, ``prediction_scores``, optional ``sample_weight``.

    Options (scikit-learn's): ``average`` (``"macro"``; ``"micro"``, ``"weighted"``, ``"samples"``,
    ``None``), ``max_fpr`` (binary partial AUC, McClish-standardised), ``multi_class`` (``"ovr"`` or
    ``"ovo"``, required by the ``multiclass`` config), ``labels`` (the class of each score column).
    Returns ``{"roc_auc": float}`` (a list per class/label with ``average=None``); NaN when the
    references hold a single class.
    """

    prediction_input = "prediction_scores"
    extra_inputs = ("sample_weight",)
    default_options = {"average": "macro", "max_fpr": None, "multi_class": "raise", "labels": None}

    def _init_states(self) -> None:
        self.add_state("refs", None, reduce="cat")
        self.add_state("scores", None, reduce="cat")
        self.add_state("weights", None, reduce="cat")

    def _update(self, predictions: Any, references: Any, sample_weight: Any = None) -> None:
        if self.config_name == "default":
            scores = v.floats("prediction_scores", predictions)
            refs = v.labels("references", references)
        else:
            scores = v.real_matrix("prediction_scores", predictions)
            if self.config_name == "multilabel":
                refs = v.real_matrix("references", references)
                if refs.shape != scores.shape:
                    raise MetricInputError(f"references and prediction_scores differ in shape: {refs.shape} vs "
                                           f"{scores.shape}")
                if not np.all((refs == 0) | (refs == 1)):
                    raise MetricInputError("references: multilabel references must be 0 or 1")
                refs = refs.astype(np.int8)
            else:
                refs = v.labels("references", references)
        v.check_lengths(scores, refs, "prediction_scores", "references")
        if len(self.weights) and sample_weight is None or len(self.refs) and not len(self.weights) and \
                sample_weight is not None:
            raise MetricInputError("sample_weight: give it for every batch or for none")
        if sample_weight is not None:
            w = v.floats("sample_weight", sample_weight)
            v.check_lengths(w, refs, "sample_weight", "references")
            self.weights.append(w)
        self.refs.append(refs)
        self.scores.append(scores)

    def _compute(self, *, average: Any = "macro", max_fpr: Any = None, multi_class: str = "raise",
                 labels: Any = None, **_: Any) -> dict[str, Any]:
        if not len(self.refs):
            raise MetricInputError("roc_auc: no examples were added")
        refs, scores = self.refs.to_numpy(), self.scores.to_numpy().astype(np.float64)
        weight = self.weights.to_numpy().astype(np.float64) if len(self.weights) else None
        max_fpr = auc.check_max_fpr(max_fpr)
        if self.config_name == "default":
            if scores.ndim != 1:
                raise MetricInputError("prediction_scores: one score per example in the default (binary) config")
            classes = np.unique(refs)
            if len(classes) > 2:
                raise MetricInputError(f"references hold {len(classes)} classes; load('roc_auc', 'multiclass') "
                                       f"with one probability per class")
            return {"roc_auc": auc.binary_auc(refs == classes[-1], scores, weight, max_fpr)}
        if self.config_name == "multilabel":
            return {"roc_auc": auc.multilabel_auc(refs.reshape(scores.shape), scores, weight, average, max_fpr)}
        if max_fpr is not None and max_fpr != 1.0:
            raise MetricInputError("max_fpr: partial AUC is not available for multiclass scores")
        if multi_class not in ("ovr", "ovo"):
            raise MetricInputError(f"multi_class: {multi_class!r}; the multiclass config needs 'ovr' or 'ovo'")
        if not np.allclose(1, scores.sum(axis=1)):
            raise MetricInputError("prediction_scores: multiclass scores must be probabilities summing to 1 "
                                   "over classes")
        classes, codes = auc.class_index(refs, scores.shape[1], labels)
        if multi_class == "ovo":
            if weight is not None:
                raise MetricInputError("sample_weight: not supported for multiclass one-vs-one ROC AUC")
            return {"roc_auc": auc.ovo_auc(codes, scores, average)}
        return {"roc_auc": auc.ovr_auc(codes, scores, weight, average)}
