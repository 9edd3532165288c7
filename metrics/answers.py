"""Answer-string scoring shared by SQuAD, SQuAD v2 and ReCoRD: the official normalisation,
exact match and bag-of-tokens F1.

Normalisation (the SQuAD evaluation scripts' ``normalize_answer``): lowercase, drop ASCII
punctuation, drop the articles *a*, *an*, *the* as whole words, collapse whitespace.

Example:
    >>> normalize_answer("The  Eiffel-Tower!")
    'eiffeltower'
    >>> token_f1("the cat sat", "a cat sat down")
    0.8
"""
from __future__ import annotations

import re
import string
from collections import Counter

_PUNCT = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)


def normalize_answer(text: str) -> str:
    """Lowercase, strip punctuation and articles, and collapse whitespace (official SQuAD rules)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact(gold: str, pred: str) -> int:
    """1 when both normalise to the same string, else 0."""
    return int(normalize_answer(gold) == normalize_answer(pred))


def token_f1(gold: str, pred: str, *, empty_matches_empty: bool = False) -> float:
    """F1 of the normalised token bags.

    ``empty_matches_empty=True`` is SQuAD v2's rule (an empty gold and an empty prediction
    score 1, either one empty scores 0); v1.1 and ReCoRD score any empty side 0.
    """
    gold_toks = normalize_answer(gold).split() if gold else []
    pred_toks = normalize_answer(pred).split() if pred else []
    if empty_matches_empty and (not gold_toks or not pred_toks):
        return float(gold_toks == pred_toks)
    same = sum((Counter(gold_toks) & Counter(pred_toks)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_toks), same / len(gold_toks)
    return 2 * precision * recall / (precision + recall)


def best_over(golds: list[str], pred: str, score) -> float:
    """The best score of ``pred`` against any gold answer (``score(gold, pred)``)."""
    return max(score(g, pred) for g in golds)
