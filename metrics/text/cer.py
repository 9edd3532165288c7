"""Character error rate at corpus level, equal to jiwer 4 (``jiwer.cer`` / ``jiwer.process_characters``).

Texts pass jiwer's default ``cer_default`` transform (strip the ends; every remaining
character, spaces included, is a unit); the counting and the edge cases are those of
:mod:`metrics.text.wer`::

    CER = (S + D + I) / (H + S + D)        # character edits over reference characters

Example:
    >>> import metrics
    >>> metrics.load("cer").compute(predictions=["this is the prediction"], references=["this is the reference"])
    {'cer': 0.38095238095238093}
"""
from __future__ import annotations

from ..registry import register
from .wer import EditRateMetric, char_edit_counts


@register("cer", description="Character error rate over the corpus, as jiwer computes it (0 = perfect).")
class CER(EditRateMetric):
    """Corpus CER, equal to ``jiwer.cer(references, predictions)``.

    Options: ``return_measures`` [False] adds the counts ``substitutions``, ``deletions``,
    ``insertions``, ``hits``.

    Example:
        >>> import metrics
        >>> metrics.load("cer").compute(predictions=["abxde"], references=["abcd"])
        {'cer': 0.5}
    """

    key = "cer"
    counter = staticmethod(char_edit_counts)
