"""``super_glue``: the SuperGLUE metric for each task, with the inputs and keys of ``evaluate``'s super_glue.

=======================================================  =====================================================
config                                                   result (0-1 scale)
=======================================================  =====================================================
boolq, copa, rte, wic, wsc, wsc.fixed, axg               ``accuracy``
cb                                                       ``accuracy``, ``f1`` (macro)
axb                                                      ``matthews_correlation``
multirc                                                  ``exact_match`` (per question), ``f1_m`` (macro F1 per
                                                         question, averaged), ``f1_a`` (binary F1 over answers)
record                                                   ``exact_match``, ``f1`` (official ReCoRD script)
=======================================================  =====================================================

Inputs: labels for most tasks. multirc predictions are
``{"idx": {"paragraph": p, "question": q, "answer": a}, "prediction": 0|1}`` with integer
references; record predictions are ``{"idx": {"passage": p, "query": q}, "prediction_text": str}``
and references ``{"idx": {...}, "answers": [str, ...]}``; record predictions are matched to
references by query id, as in the official script.

Example:
    >>> import metrics
    >>> metrics.load("super_glue", "cb").compute(predictions=[0, 1, 2, 2], references=[0, 1, 1, 2])
    {'accuracy': 0.75, 'f1': 0.7777777777777777}
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import numpy as np

from . import validation as v
from .answers import best_over, exact, token_f1
from .classification.confusion import ConfusionMetric, matthews, precision_recall_f
from .registry import register
from .validation import MetricInputError

logger = logging.getLogger(__name__)


def _accuracy(m: ConfusionMetric) -> dict:
    return {"accuracy": m.correct_weight() / m.total_weight()}


def _accuracy_f1_macro(m: ConfusionMetric) -> dict:
    return {**_accuracy(m), "f1": float(precision_recall_f(m, average="macro")[2])}


def _matthews(m: ConfusionMetric) -> dict:
    m.require_data()
    return {"matthews_correlation": matthews(m.confusion()[1])}


LABEL_TASKS: dict[str, Callable[[ConfusionMetric], dict]] = {
    "boolq": _accuracy, "cb": _accuracy_f1_macro, "copa": _accuracy, "rte": _accuracy, "wic": _accuracy,
    "wsc": _accuracy, "wsc.fixed": _accuracy, "axb": _matthews, "axg": _accuracy,
}
CONFIGS = ["boolq", "cb", "copa", "multirc", "record", "rte", "wic", "wsc", "wsc.fixed", "axb", "axg"]


def _field(name: str, i: int, item: Any, *path: str) -> Any:
    """``item[path[0]][path[1]]...`` or an error naming the argument, index and missing key."""
    cur = item
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            raise MetricInputError(f"{name}[{i}]: missing key {'.'.join(path)!r} (got {item!r:.120})")
        cur = cur[key]
    return cur


def _macro_f1(preds: np.ndarray, refs: np.ndarray, counts: np.ndarray) -> float:
    """scikit-learn's macro F1 over the labels present, from (pred, ref, count) rows."""
    labels = np.unique(np.concatenate([preds, refs]))
    scores = []
    for label in labels:
        tp = counts[(preds == label) & (refs == label)].sum()
        denom = counts[preds == label].sum() + counts[refs == label].sum()
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


@register("super_glue", configs=CONFIGS, description="SuperGLUE metric per task (evaluate's super_glue keys).")
class SuperGlue(ConfusionMetric):
    """SuperGLUE: name the task with ``config_name`` (required)."""

    extra_inputs = ()
    config_required = True

    def _init_states(self) -> None:
        import pyarrow as pa

        if self.config_name == "multirc":
            # (question, prediction, label) counts: enough for per-question EM and F1 and the global F1
            self.add_state("answers", ["question", "pred", "ref"], reduce="counts")
        elif self.config_name == "record":
            self.add_state("pred_ids", pa.string(), reduce="cat")
            self.add_state("pred_texts", pa.string(), reduce="cat")
            self.add_state("ref_ids", pa.string(), reduce="cat")
            self.add_state("ref_answers", pa.list_(pa.string()), reduce="cat")
        else:
            super()._init_states()

    def _update(self, predictions: Any, references: Any) -> None:
        if self.config_name == "multirc":
            self._update_multirc(predictions, references)
        elif self.config_name == "record":
            self._update_record(predictions, references)
        else:
            super()._update(predictions, references)

    def _update_multirc(self, predictions: Any, references: Any) -> None:
        preds_in = v.as_sequence("predictions", predictions)
        refs = v.labels("references", references)
        v.check_lengths(preds_in, refs)
        questions, preds = [], []
        for i, p in enumerate(preds_in):
            para = _field("predictions", i, p, "idx", "paragraph")
            question = _field("predictions", i, p, "idx", "question")
            questions.append(f"{para}-{question}")
            preds.append(_field("predictions", i, p, "prediction"))
        preds_arr = v.labels("predictions[*]['prediction']", preds)
        self.answers.add({"question": questions, "pred": preds_arr, "ref": refs})

    def _update_record(self, predictions: Any, references: Any) -> None:
        preds_in = v.as_sequence("predictions", predictions)
        refs_in = v.as_sequence("references", references)
        v.check_lengths(preds_in, refs_in)
        self.pred_ids.append([str(_field("predictions", i, p, "idx", "query")) for i, p in enumerate(preds_in)])
        texts = [_field("predictions", i, p, "prediction_text") for i, p in enumerate(preds_in)]
        self.pred_texts.append(v.texts("predictions[*]['prediction_text']", texts))
        self.ref_ids.append([str(_field("references", i, r, "idx", "query")) for i, r in enumerate(refs_in)])
        answers = []
        for i, r in enumerate(refs_in):
            golds = _field("references", i, r, "answers")
            golds = v.texts(f"references[{i}]['answers']", golds)
            if not golds:
                raise MetricInputError(f"references[{i}]['answers']: ReCoRD needs at least one answer")
            answers.append(golds)
        self.ref_answers.append(answers)

    def _compute(self, **_) -> dict:
        if self.config_name == "multirc":
            return self._compute_multirc()
        if self.config_name == "record":
            return self._compute_record()
        return LABEL_TASKS[self.config_name](self)

    def _compute_multirc(self) -> dict:
        table = self.answers.to_table()
        if not table.num_rows:
            raise MetricInputError("super_glue/multirc: no examples to score")
        q = table.column("question").to_numpy(zero_copy_only=False)
        p = table.column("pred").to_numpy(zero_copy_only=False)
        r = table.column("ref").to_numpy(zero_copy_only=False)
        c = table.column("count").to_numpy(zero_copy_only=False).astype(np.float64)
        ems, f1s = [], []
        for question in np.unique(q):
            sel = q == question
            ems.append(float(np.all(p[sel] == r[sel])))
            f1s.append(_macro_f1(p[sel], r[sel], c[sel]))
        tp = c[(p == 1) & (r == 1)].sum()
        denom = c[p == 1].sum() + c[r == 1].sum()
        return {"exact_match": float(np.mean(ems)), "f1_m": float(np.mean(f1s)),
                "f1_a": float(2 * tp / denom) if denom else 0.0}

    def _compute_record(self) -> dict:
        preds = dict(zip(self.pred_ids.to_pylist(), self.pred_texts.to_pylist()))
        ref_ids, ref_answers = self.ref_ids.to_pylist(), self.ref_answers.to_pylist()
        if not ref_ids:
            raise MetricInputError("super_glue/record: no examples to score")
        em = f1 = 0.0
        missing = 0
        for qid, golds in zip(ref_ids, ref_answers):
            if qid not in preds:  # the official script counts it, scoring 0
                missing += 1
                continue
            em += best_over(golds, preds[qid], exact)
            f1 += best_over(golds, preds[qid], token_f1)
        if missing:
            logger.warning("super_glue/record: %d of %d queries have no prediction; they score 0", missing, len(ref_ids))
        return {"exact_match": em / len(ref_ids), "f1": f1 / len(ref_ids)}

