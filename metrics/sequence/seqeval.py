"""``seqeval``: entity-level precision, recall and F1 for sequence labelling (NER, chunking), per
entity type and overall, plus token accuracy, equal to the ``seqeval`` package (as evaluate reports it).

Reimplemented on numpy (see :mod:`metrics.sequence.tags`), so it never loops over tokens in
Python. The state is additive: per entity type, the counts of true, predicted and correctly
predicted entities, plus the counts of correct and all tokens.

Example:
    >>> import metrics
    >>> preds = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> refs = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> r = metrics.load("seqeval").compute(predictions=preds, references=refs)
    >>> list(r)
    ['MISC', 'PER', 'overall_precision', 'overall_recall', 'overall_f1', 'overall_accuracy']
    >>> r["overall_f1"], r["PER"]
    (0.5, {'precision': 1.0, 'recall': 1.0, 'f1': 1.0, 'number': 1})
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..base import Metric
from ..registry import register
from ..validation import MetricInputError
from . import tags

logger = logging.getLogger(__name__)

SCHEMES = tuple(tags.SCHEMES)


def _divide(num: np.ndarray, den: np.ndarray, zero_division: Any) -> np.ndarray:
    out = num / np.where(den == 0, 1, den)
    out[den == 0] = 0.0 if zero_division in ("warn", 0) else 1.0
    return out


def _f1(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    den = p + r
    den[den == 0] = 1
    return 2.0 * p * r / den


@register("seqeval", description="Entity-level precision/recall/F1 per type and overall, as the seqeval package.")
class Seqeval(Metric):
    """seqeval. Inputs: ``predictions`` and ``references``, a list of tag strings per sentence.

    Options (seqeval's): ``mode`` (``None``: lenient conlleval chunks; ``"strict"``: the scheme's
    grammar), ``scheme`` (``"IOB1"``, ``"IOE1"``, ``"IOB2"``, ``"IOE2"``, ``"IOBES"``, ``"BILOU"``;
    with ``mode="strict"``, detected from the references when ``None``), ``suffix`` (tags like
    ``PER-B``), ``zero_division`` (``"warn"``/0 or 1), ``sample_weight`` (accepted and, as in
    seqeval's report, without effect).

    Returns ``{TYPE: {"precision", "recall", "f1", "number"}, ..., "overall_precision",
    "overall_recall", "overall_f1", "overall_accuracy"}`` with types sorted.
    """

    citation = """\
@inproceedings{ramshaw-marcus-1995-text, title = "Text Chunking using Transformation-Based Learning",
    author = "Ramshaw, Lance and Marcus, Mitch", booktitle = "Third Workshop on Very Large Corpora", year = "1995"}
@misc{seqeval, title = {seqeval: A Python framework for sequence labeling evaluation},
    author = {Hiroki Nakayama}, year = {2018}, url = {https://github.com/chakki-works/seqeval}}
"""

    default_options = {"suffix": False, "scheme": None, "mode": None, "sample_weight": None,
                       "zero_division": "warn"}
    state_options = ("suffix", "scheme", "mode")

    def _init_states(self) -> None:
        self.add_state("entities", ["type", "kind"], reduce="counts")  # kind: 0 true, 1 predicted, 2 correct
        self.add_state("correct_tokens", 0, reduce="sum")
        self.add_state("tokens", 0, reduce="sum")
        scheme, mode = self.options["scheme"], self.options["mode"]
        if mode not in (None, "strict"):
            raise MetricInputError(f"mode: {mode!r} is not None or 'strict'")
        if scheme is not None and not isinstance(scheme, str):
            scheme = getattr(scheme, "__name__", scheme)  # a seqeval.scheme class
        if scheme is not None and scheme not in SCHEMES:
            raise MetricInputError(f"scheme: {scheme!r} is not one of {', '.join(SCHEMES)}")
        self._scheme = scheme

    def _scheme_for(self, batch: tags.TagBatch) -> str:
        if self._scheme is not None:
            return self._scheme
        detected = tags.detect_scheme(set(batch.ref_token_prefixes.tolist()))
        if detected is None:
            raise MetricInputError("scheme: mode='strict' could not detect the tagging scheme from these references "
                                   "(all 'O', or mixed prefixes); pass scheme='IOB2' (or IOB1, IOE1, IOE2, IOBES, "
                                   "BILOU)")
        return detected

    def _update(self, predictions: Any, references: Any) -> None:
        strict = self.options["mode"] == "strict"
        batch = tags.encode_batch(predictions, references, suffix=bool(self.options["suffix"]), strict=strict)
        if not len(batch.ref_labels):
            return  # no sentences, or only empty ones: nothing to count
        if strict:
            scheme = self._scheme_for(batch)
            for name, prefix in (("predictions", batch.pred_prefix), ("references", batch.ref_prefix)):
                bad = tags.invalid_prefix(prefix, scheme)
                if len(bad):
                    sent = int(batch.sentence_of[bad[0]])
                    tok = int(bad[0] - batch.start_of_sentence[sent])
                    raise MetricInputError(f"{name}[{sent}][{tok}]: not a valid {scheme} tag (allowed prefixes: "
                                           f"{', '.join(tags.SCHEMES[scheme]['allowed'] + 'O')})")
            truth = tags.strict_chunks(batch.ref_prefix, batch.ref_type, scheme)
            guess = tags.strict_chunks(batch.pred_prefix, batch.pred_type, scheme)
        else:
            truth = tags.conll_chunks(batch.ref_prefix, batch.ref_type)
            guess = tags.conll_chunks(batch.pred_prefix, batch.pred_type)
        n_types = len(batch.type_names)
        # a chunk is identified by where it ends (one chunk at most ends at each position)
        true_at = np.full(len(batch.ref_prefix), -1, dtype=np.int64)
        true_begin = np.full(len(batch.ref_prefix), -1, dtype=np.int64)
        true_at[truth.ends], true_begin[truth.ends] = truth.types, truth.begins
        hit = (true_at[guess.ends] == guess.types) & (true_begin[guess.ends] == guess.begins)
        counts = np.stack([np.bincount(truth.types, minlength=n_types), np.bincount(guess.types, minlength=n_types),
                           np.bincount(guess.types[hit], minlength=n_types)])
        kinds, type_ids = np.nonzero(counts)
        if len(kinds):
            self.entities.add({"type": [batch.type_names[t] for t in type_ids], "kind": kinds.astype(np.int8)},
                              weights=counts[kinds, type_ids].astype(np.int64))
        self.correct_tokens += int(np.count_nonzero(batch.pred_labels == batch.ref_labels))
        self.tokens += len(batch.ref_labels)

    def _compute(self, *, zero_division: Any = "warn", **_: Any) -> dict[str, Any]:
        if self.tokens == 0:
            raise MetricInputError("seqeval: no tags were added (empty predictions and references)")
        table = self.entities.to_table()
        names = sorted(set(table.column("type").to_pylist())) if table.num_rows else []
        index = {n: i for i, n in enumerate(names)}
        counts = np.zeros((3, len(names)), dtype=np.int64)
        for t, k, c in zip(table.column("type").to_pylist(), table.column("kind").to_pylist(),
                           table.column("count").to_pylist()):
            counts[k, index[t]] += int(c)
        true, pred, correct = counts.astype(np.float64)
        if zero_division == "warn" and (np.any(pred == 0) or np.any(true == 0)):
            logger.info("seqeval: precision or recall ill-defined for some types; set to 0 (zero_division)")
        p, r = _divide(correct, pred, zero_division), _divide(correct, true, zero_division)
        f = _f1(p, r)
        out: dict[str, Any] = {name: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                                      "number": int(counts[0, i])} for i, name in enumerate(names)}
        tp, tpred, ttrue = (np.array([counts[k].sum()], dtype=np.float64) for k in (2, 1, 0))
        op, orr = _divide(tp, tpred, zero_division), _divide(tp, ttrue, zero_division)
        out.update(overall_precision=float(op[0]), overall_recall=float(orr[0]), overall_f1=float(_f1(op, orr)[0]),
                   overall_accuracy=self.correct_tokens / self.tokens)
        return out
