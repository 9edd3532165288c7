"""``squad`` and ``squad_v2``: the official SQuAD v1.1 and v2.0 evaluation, on a 0-100 scale.

Inputs follow ``evaluate``: predictions ``{"id": str, "prediction_text": str}`` (v2 adds
``"no_answer_probability": float``), references
``{"id": str, "answers": {"text": [str, ...], "answer_start": [int, ...]}}``. Predictions are
matched to references by id. Answers are compared after the official normalisation
(:func:`metrics.answers.normalize_answer`); each score is the best over the gold answers.

``squad`` returns ``exact_match`` and ``f1``. ``squad_v2`` returns ``exact``, ``f1``, ``total``,
the ``HasAns_*`` / ``NoAns_*`` breakdown (when the data has such questions) and
``best_exact``, ``best_exact_thresh``, ``best_f1``, ``best_f1_thresh``; a question is predicted
unanswerable when its ``no_answer_probability`` exceeds ``no_answer_threshold`` (default 1.0).

A reference without a prediction scores 0 and is counted (the official scripts print a
warning; v2's would crash in its breakdown); it is logged here.

Example:
    >>> import metrics
    >>> preds = [{"id": "q1", "prediction_text": "Denver Broncos"}]
    >>> refs = [{"id": "q1", "answers": {"text": ["Denver Broncos", "the Broncos"], "answer_start": [0, 4]}}]
    >>> metrics.load("squad").compute(predictions=preds, references=refs)
    {'exact_match': 100.0, 'f1': 100.0}
"""
from __future__ import annotations

import logging
from typing import Any

from . import validation as v
from .answers import best_over, exact, token_f1
from .base import Metric
from .registry import register
from .validation import MetricInputError

logger = logging.getLogger(__name__)


def _get(name: str, i: int, item: Any, key: str) -> Any:
    if not isinstance(item, dict) or key not in item:
        raise MetricInputError(f"{name}[{i}]: expected a dict with key {key!r}, got {item!r:.120}")
    return item[key]


def _answer_texts(i: int, ref: Any) -> list[str]:
    answers = _get("references", i, ref, "answers")
    if isinstance(answers, dict):
        texts = answers.get("text")
        if texts is None:
            raise MetricInputError(f"references[{i}]['answers']: missing key 'text'")
    elif isinstance(answers, list):  # the official JSON layout: [{"text": ..., "answer_start": ...}]
        texts = [a["text"] if isinstance(a, dict) else a for a in answers]
    else:
        raise MetricInputError(f"references[{i}]['answers']: expected a dict with 'text', got {type(answers).__name__}")
    return v.texts(f"references[{i}]['answers']['text']", texts)


class _SquadBase(Metric):
    with_no_answer: bool = False

    def _init_states(self) -> None:
        import pyarrow as pa

        self.add_state("pred_ids", pa.string(), reduce="cat")
        self.add_state("pred_texts", pa.string(), reduce="cat")
        self.add_state("ref_ids", pa.string(), reduce="cat")
        self.add_state("ref_answers", pa.list_(pa.string()), reduce="cat")
        if self.with_no_answer:
            self.add_state("na_probs", pa.float64(), reduce="cat")

    def _update(self, predictions: Any, references: Any) -> None:
        preds = v.as_sequence("predictions", predictions)
        refs = v.as_sequence("references", references)
        v.check_lengths(preds, refs)
        self.pred_ids.append([str(_get("predictions", i, p, "id")) for i, p in enumerate(preds)])
        self.pred_texts.append(v.texts("predictions[*]['prediction_text']",
                                       [_get("predictions", i, p, "prediction_text") for i, p in enumerate(preds)]))
        if self.with_no_answer:
            self.na_probs.append(v.floats("predictions[*]['no_answer_probability']",
                                          [_get("predictions", i, p, "no_answer_probability")
                                           for i, p in enumerate(preds)]))
        self.ref_ids.append([str(_get("references", i, r, "id")) for i, r in enumerate(refs)])
        self.ref_answers.append([_answer_texts(i, r) for i, r in enumerate(refs)])

    def _references(self) -> tuple[list[str], list[list[str]], dict[str, str]]:
        ref_ids = self.ref_ids.to_pylist()
        if not ref_ids:
            raise MetricInputError(f"{self.name}: no examples to score")
        preds = dict(zip(self.pred_ids.to_pylist(), self.pred_texts.to_pylist()))
        missing = sum(1 for q in ref_ids if q not in preds)
        if missing:
            logger.warning("%s: %d of %d questions have no prediction; they score 0", self.name, missing, len(ref_ids))
        return ref_ids, self.ref_answers.to_pylist(), preds


@register("squad", description="SQuAD v1.1 exact match and F1 (0-100; official script).")
class Squad(_SquadBase):
    """SQuAD v1.1: mean best exact match and token F1 over the references, times 100."""

    def _compute(self, **_) -> dict:
        ref_ids, answers, preds = self._references()
        em = f1 = 0.0
        for qid, golds in zip(ref_ids, answers):
            if qid in preds:
                if not golds:
                    raise MetricInputError(f"squad: question {qid!r} has no gold answer; use squad_v2 for "
                                           f"unanswerable questions")
                em += best_over(golds, preds[qid], exact)
                f1 += best_over(golds, preds[qid], token_f1)
        n = len(ref_ids)
        return {"exact_match": 100.0 * em / n, "f1": 100.0 * f1 / n}


def _v2_f1(gold: str, pred: str) -> float:
    return token_f1(gold, pred, empty_matches_empty=True)


def _best_threshold(order: list[str], scores: dict[str, float], na_probs: dict[str, float],
                    preds: dict[str, str], has_ans: dict[str, bool]) -> tuple[float, float]:
    """The official search: abstain on every question up to some no-answer probability, keep the best."""
    score = best = float(sum(1 for q in has_ans if not has_ans[q]))
    thresh = 0.0
    for qid in order:
        if qid not in scores:
            continue
        if has_ans[qid]:
            score += scores[qid]
        elif preds[qid]:
            score -= 1
        if score > best:
            best, thresh = score, na_probs[qid]
    return 100.0 * best / len(scores), thresh


@register("squad_v2", description="SQuAD v2.0 exact/F1 with HasAns/NoAns breakdown and best thresholds (0-100).")
class SquadV2(_SquadBase):
    """SQuAD v2.0 with unanswerable questions; option ``no_answer_threshold`` (default 1.0)."""

    with_no_answer = True
    default_options = {"no_answer_threshold": 1.0}

    def _compute(self, *, no_answer_threshold: float, **_) -> dict:
        thresh = v.finite_number("no_answer_threshold", no_answer_threshold)
        ref_ids, answers, preds = self._references()
        na_probs: dict[str, float] = {}
        for qid, p in zip(self.pred_ids.to_pylist(), self.na_probs.to_pylist()):
            na_probs[qid] = p
        has_ans, exact_raw, f1_raw = {}, {}, {}
        for qid, golds in zip(ref_ids, answers):
            has_ans[qid] = bool(golds)
            # golds that normalise to nothing do not count; none left means "no answer"
            golds = [g for g in golds if exact(g, "") == 0] or [""]
            pred = preds.get(qid)
            if pred is None:
                exact_raw[qid], f1_raw[qid] = 0.0, 0.0
                na_probs.setdefault(qid, 0.0)
                preds[qid] = ""
                continue
            exact_raw[qid] = float(best_over(golds, pred, exact))
            f1_raw[qid] = best_over(golds, pred, _v2_f1)

        def thresholded(raw: dict[str, float]) -> dict[str, float]:
            return {q: float(not has_ans[q]) if na_probs[q] > thresh else s for q, s in raw.items()}

        exact_t, f1_t = thresholded(exact_raw), thresholded(f1_raw)

        def summary(qids: list[str]) -> dict:
            n = len(qids)
            return {"exact": 100.0 * sum(exact_t[q] for q in qids) / n,
                    "f1": 100.0 * sum(f1_t[q] for q in qids) / n, "total": n}

        out = summary(list(exact_t))
        for prefix, wanted in (("HasAns", True), ("NoAns", False)):
            qids = [q for q in exact_t if has_ans[q] is wanted]
            if qids:
                out.update({f"{prefix}_{k}": val for k, val in summary(qids).items()})
        # the official script sorts the question ids by no-answer probability, ties in prediction order
        order = sorted(na_probs, key=lambda q: na_probs[q])
        out["best_exact"], out["best_exact_thresh"] = _best_threshold(order, exact_raw, na_probs, preds, has_ans)
        out["best_f1"], out["best_f1_thresh"] = _best_threshold(order, f1_raw, na_probs, preds, has_ans)
        return out
