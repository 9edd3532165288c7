"""``character``: CharacTER (Wang et al., 2016), a character-level TER, equal to the ``cer`` package
that evaluate's ``character`` module calls.

Per pair: words of the prediction are shifted greedily (each step takes the shift of a matching
word run that lowers the word-level edit rate the most) until no shift helps; the score is then
``(character edit distance of the shifted prediction to the reference + shift cost) / characters
of the prediction``, capped at 1. The shift cost charges, for each word whose position changed,
the average word length of the run it moved with. Per-pair scores are kept (a ``"cat"`` state:
the median needs them all) and aggregated by ``mean``, ``sum`` or ``median``.

Example:
    >>> import metrics
    >>> metrics.load("character").compute(predictions=["this is in fact an estimate"],
    ...                                   references=["this is actually an estimate"])
    {'cer_score': 0.25925925925925924}
"""
from __future__ import annotations

import statistics
from typing import Any, Iterator, Sequence

import pyarrow as pa
from rapidfuzz.distance import Levenshtein

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError


def _runs(hyp: Sequence[str], ref: Sequence[str]) -> Iterator[tuple[int, int, int]]:
    """Every (hyp start, ref start, length) where a run of equal words starts at different positions."""
    for i, word in enumerate(hyp):
        for j, other in enumerate(ref):
            if i == j or word != other:
                continue
            n = 1
            while i + n < len(hyp) and j + n < len(ref) and hyp[i + n] == ref[j + n]:
                n += 1
            yield i, j, n


def _best_shift(hyp: list[str], ref: list[str], rate: float) -> tuple[float, list[str]]:
    """The shift with the largest drop in word edit rate (ties: the greatest word list, as ``cer``)."""
    best: tuple[float, list[str]] | None = None
    for i, j, n in _runs(hyp, ref):
        moved = hyp[:i] + hyp[i + n:]
        moved[j:j] = hyp[i:i + n]
        gain = rate - Levenshtein.distance(moved, ref) / len(ref)
        if best is None or (gain, moved) > best:
            best = (gain, moved)
    return best if best is not None else (0.0, hyp)


def _shift_cost(shifted: list[str], original: list[str]) -> float:
    """For each position where the words differ, the mean length of the run of original words found
    again later in the shifted sentence (the ``cer`` package's accounting, skips included)."""
    cost, pos = 0.0, 0
    while pos < len(shifted):
        if original[pos] == shifted[pos]:
            pos += 1
            continue
        anchor, mean_len = pos, 0.0
        for k in range(pos + 1, len(shifted)):
            if original[anchor] != shifted[k]:
                continue
            n = 1
            while anchor + n < len(original) and k + n < len(shifted) and original[anchor + n] == shifted[k + n]:
                n += 1
                if pos + 1 < len(original):
                    pos += 1
            mean_len = sum(len(w) for w in original[anchor:anchor + n]) / n
            break
        cost += mean_len
        pos += 1
    return cost


def character_score(hyp: list[str], ref: list[str]) -> float:
    """CharacTER of one tokenized prediction against one tokenized (non-empty) reference."""
    rate = Levenshtein.distance(hyp, ref) / len(ref)
    if rate == 0:
        return 0.0
    current = list(hyp)
    while True:
        gain, moved = _best_shift(current, ref, rate)
        if gain <= 0:
            break
        current, rate = moved, rate - gain
    text = " ".join(current)
    if not text:
        return 1.0
    edits = Levenshtein.distance(text, " ".join(ref)) + _shift_cost(current, list(hyp))
    return min(1.0, edits / len(text))


AGGREGATES = {"mean": statistics.mean, "sum": sum, "median": statistics.median}


@register("character", description="CharacTER: character-level TER with word shifts, as the cer package.")
class Character(Metric):
    """CharacTER. Inputs: ``predictions``, ``references`` (one string each; words split on whitespace).

    Options: ``aggregate`` (``"mean"``, ``"sum"``, ``"median"``), ``return_all_scores``. Returns
    ``{"cer_score": float}`` plus ``"cer_scores"`` (one per pair) with ``return_all_scores=True``.
    """

    citation = """\
@inproceedings{wang-etal-2016-character, title = "{C}harac{T}er: Translation Edit Rate on Character Level",
    author = "Wang, Weiyue and Peter, Jan-Thorsten and Rosendahl, Hendrik and Ney, Hermann",
    booktitle = "Proceedings of the First Conference on Machine Translation", year = "2016", pages = "505--510"}
"""

    default_options = {"aggregate": "mean", "return_all_scores": False}

    def _init_states(self) -> None:
        self.add_state("scores", pa.float64(), reduce="cat")

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = v.texts("predictions", predictions), v.texts("references", references)
        v.check_lengths(preds, refs)
        out = []
        for i, (p, r) in enumerate(zip(preds, refs)):
            ref = r.split()
            if not ref:
                raise MetricInputError(f"references[{i}]: empty; CharacTER divides by the reference length")
            out.append(character_score(p.split(), ref))
        self.scores.append(pa.array(out, pa.float64()))

    def _compute(self, *, aggregate: str = "mean", return_all_scores: bool = False, **_: Any) -> dict[str, Any]:
        v.choice("aggregate", aggregate, list(AGGREGATES))
        scores = self.scores.to_pylist()
        if not scores:
            raise MetricInputError("character: no predictions were added")
        out: dict[str, Any] = {"cer_score": AGGREGATES[aggregate](scores)}
        if return_all_scores:
            out["cer_scores"] = scores
        return out
