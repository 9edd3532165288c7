"""``exact_match``: share of predictions identical to their reference (0-1), with evaluate's options.

Options (applied in this order): ``regexes_to_ignore`` (list of patterns removed from both
sides, each in turn), ``ignore_case``, ``ignore_punctuation`` (ASCII punctuation),
``ignore_numbers`` (ASCII digits). The state is two counts, so it merges exactly.

Example:
    >>> import metrics
    >>> metrics.load("exact_match").compute(predictions=["Cat!", "dog"], references=["cat", "dog"])
    {'exact_match': 0.5}
    >>> metrics.load("exact_match", ignore_case=True, ignore_punctuation=True).compute(
    ...     predictions=["Cat!", "dog"], references=["cat", "dog"])
    {'exact_match': 1.0}
"""
from __future__ import annotations

import re
import string
from typing import Any

from . import validation as v
from .base import Metric
from .registry import register
from .validation import MetricInputError

_NO_PUNCT = str.maketrans("", "", string.punctuation)
_NO_DIGITS = str.maketrans("", "", string.digits)


@register("exact_match", description="Share of predictions equal to their reference after optional "
                                      "normalisation (0-1; evaluate's exact_match).")
class ExactMatch(Metric):
    """Exact string match with evaluate's normalisation options."""

    default_options = {"regexes_to_ignore": None, "ignore_case": False, "ignore_punctuation": False,
                       "ignore_numbers": False}
    state_options = tuple(default_options)

    def _init_states(self) -> None:
        self.add_state("matches", 0, reduce="sum")
        self.add_state("total", 0, reduce="sum")
        regexes = self.options["regexes_to_ignore"]
        if isinstance(regexes, str):
            regexes = [regexes]
        try:
            self._regexes = [re.compile(r) for r in (regexes or [])]
        except re.error as e:
            raise MetricInputError(f"regexes_to_ignore: invalid pattern: {e}") from None

    def _normalise(self, text: str) -> str:
        for rx in self._regexes:
            text = rx.sub("", text)
        if self.options["ignore_case"]:
            text = text.lower()
        if self.options["ignore_punctuation"]:
            text = text.translate(_NO_PUNCT)
        if self.options["ignore_numbers"]:
            text = text.translate(_NO_DIGITS)
        return text

    def _update(self, predictions: Any, references: Any) -> None:
        preds = v.texts("predictions", predictions)
        refs = v.texts("references", references)
        v.check_lengths(preds, refs)
        self.matches += sum(self._normalise(p) == self._normalise(r) for p, r in zip(preds, refs))
        self.total += len(preds)

    def _compute(self, **_) -> dict:
        if not self.total:
            raise MetricInputError("exact_match: no examples to score")
        return {"exact_match": self.matches / self.total}
