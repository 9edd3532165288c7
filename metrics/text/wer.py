"""Word error rate at corpus level, equal to jiwer 4 (``jiwer.wer`` / ``jiwer.process_words``).

Texts pass jiwer's default ``wer_default`` transform: every run of two or more whitespace
characters becomes one space, the ends are stripped, and words are what lies between
single spaces. Each (reference, prediction) pair is aligned with rapidfuzz's Levenshtein
edit operations — the alignment jiwer itself takes — giving substitutions ``S``, deletions
``D``, insertions ``I`` and hits ``H``. These counts are the state: they add across batches
and processes. Then::

    WER = (S + D + I) / (H + S + D)        # edits over reference words, summed over the corpus

If the whole corpus has no reference word, WER is ``I`` (jiwer's convention).

Example:
    >>> import metrics
    >>> metrics.load("wer").compute(predictions=["this is the prediction", "there is an other sample"],
    ...                             references=["this is the reference", "there is another one"])
    {'wer': 0.5}
"""
from __future__ import annotations

import re
from typing import Any, Callable, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register

_MULTIPLE_SPACES = re.compile(r"\s\s+")

#: the order of the four counts in every array this module returns
COUNTS = ("substitutions", "deletions", "insertions", "hits")


def words(text: str) -> list[str]:
    """jiwer's ``wer_default`` on one text.

    Example:
        >>> words("  a  b\\tc ")
        ['a', 'b\\tc']
    """
    text = _MULTIPLE_SPACES.sub(" ", text).strip()
    # after the collapse and strip no two spaces touch, so only "" yields an empty word
    return text.split(" ") if text else []


def words_all(texts: Sequence[str]) -> list[list[str]]:
    """:func:`words` of every text, collapsing whitespace in one regex pass over the corpus."""
    joined = "\x00".join(texts)
    # NUL is not whitespace, so no run crosses it; a text containing NUL itself takes the slow path
    if len(texts) > 1 and joined.count("\x00") == len(texts) - 1:
        return [(t.strip().split(" ") if t.strip() else []) for t in _MULTIPLE_SPACES.sub(" ", joined).split("\x00")]
    return [words(t) for t in texts]


def chars(text: str) -> str:
    """jiwer's ``cer_default`` on one text: the stripped characters (spaces inside count)."""
    return text.strip()


def _encode_words(refs: list[list[str]], hyps: list[list[str]]) -> tuple[list, list]:
    """Words as small ints (one per distinct word), so rapidfuzz compares exact ids, not string hashes."""
    vocab: dict[str, int] = {}
    ids = vocab.setdefault
    encoded = [[ids(w, len(vocab)) for w in seq] for seq in refs + hyps]
    return encoded[:len(refs)], encoded[len(refs):]


def edit_counts(references: Sequence[Sequence], hypotheses: Sequence[Sequence]) -> np.ndarray:
    """Per pair ``[S, D, I, H]`` (int64, shape (n, 4)) from rapidfuzz's Levenshtein edit operations.

    Elements may be characters of strings or items of lists; only their equality matters.

    Example:
        >>> edit_counts(["abcd"], ["abxde"]).tolist()
        [[1, 0, 1, 3]]
    """
    from rapidfuzz.distance import Levenshtein

    out = np.zeros((len(references), 4), dtype=np.int64)
    editops = Levenshtein.editops
    for k, (ref, hyp) in enumerate(zip(references, hypotheses)):
        if ref == hyp:
            out[k, 3] = len(ref)
            continue
        subs = dels = ins = 0
        for tag, _, _ in editops(ref, hyp).as_list():
            if tag == "replace":
                subs += 1
            elif tag == "delete":
                dels += 1
            else:
                ins += 1
        out[k] = (subs, dels, ins, len(ref) - subs - dels)
    return out


def word_edit_counts(predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """``[S, D, I, H]`` per pair at word level after jiwer's default transform."""
    refs, hyps = _encode_words(words_all(references), words_all(predictions))
    return edit_counts(refs, hyps)


def char_edit_counts(predictions: Sequence[str], references: Sequence[str]) -> np.ndarray:
    """``[S, D, I, H]`` per pair at character level after jiwer's default transform."""
    return edit_counts([chars(t) for t in references], [chars(t) for t in predictions])


def error_measures(subs: int, dels: int, ins: int, hits: int, hyp_len: int) -> dict[str, float]:
    """Error rate, MER, WIL and WIP from corpus counts, with jiwer's edge cases.

    Example:
        >>> error_measures(1, 0, 1, 3, 5)["error_rate"]
        0.5
    """
    ref_len = hits + subs + dels
    if ref_len == 0:
        return {"error_rate": float(ins), "mer": 0.0 if hyp_len == 0 else 1.0,
                "wil": 0.0 if hyp_len == 0 else 1.0, "wip": 1.0 if hyp_len == 0 else 0.0}
    wip = (float(hits) / ref_len) * (float(hits) / hyp_len) if hyp_len >= 1 else 0.0
    return {"error_rate": float(subs + dels + ins) / float(ref_len),
            "mer": float(subs + dels + ins) / float(ref_len + ins), "wil": 1 - wip, "wip": wip}


class EditRateMetric(Metric):
    """Shared body of WER and CER: additive edit counts, one counting function per level."""

    #: result key of the error rate
    key: str = ""
    #: (predictions, references) -> (n, 4) counts
    counter: Callable[[Sequence[str], Sequence[str]], np.ndarray]

    # concatenate_texts is evaluate's option; its result is this same corpus-level rate either way,
    # so it is accepted (and changes nothing) to keep evaluate code running unchanged
    default_options = {"return_measures": False, "concatenate_texts": False}

    def _init_states(self) -> None:
        for name in COUNTS:
            self.add_state(name, 0, reduce="sum")
        self.add_state("prediction_length", 0, reduce="sum")

    def _update(self, predictions: Any, references: Any) -> None:
        preds = v.texts("predictions", predictions)
        refs = v.texts("references", references)
        v.check_lengths(preds, refs)
        counts = type(self).counter(preds, refs).sum(axis=0)
        for name, value in zip(COUNTS, counts.tolist()):
            setattr(self, name, getattr(self, name) + int(value))
        # prediction length = hits + substitutions + insertions, the same as jiwer's count
        self.prediction_length += int(counts[3] + counts[0] + counts[2])

    def _compute(self, *, return_measures: bool = False, **_: Any) -> dict[str, Any]:
        m = error_measures(self.substitutions, self.deletions, self.insertions, self.hits, self.prediction_length)
        out: dict[str, Any] = {self.key: m["error_rate"]}
        if return_measures:
            if self.key == "wer":
                out.update(mer=m["mer"], wil=m["wil"], wip=m["wip"])
            out.update({name: int(getattr(self, name)) for name in COUNTS})
        return out


@register("wer", description="Word error rate over the corpus, as jiwer computes it (0 = perfect, may exceed 1).")
class WER(EditRateMetric):
    """Corpus WER, equal to ``jiwer.wer(references, predictions)``.

    Options: ``return_measures`` [False] adds jiwer's ``mer``, ``wil``, ``wip`` and the counts
    ``substitutions``, ``deletions``, ``insertions``, ``hits``.

    Example:
        >>> import metrics
        >>> metrics.load("wer").compute(predictions=["a b c"], references=["a x c d"], return_measures=True)["wil"]
        0.6666666666666667
    """

    key = "wer"
    counter = staticmethod(word_edit_counts)
