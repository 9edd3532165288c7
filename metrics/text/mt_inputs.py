"""Input checks shared by the machine-translation metrics (bleu, sacrebleu, chrf, ter).

References come as one list per prediction, in varying numbers; a plain list of strings
means one reference each (as in ``evaluate``). Every prediction needs at least one.

Example:
    >>> predictions_and_references("ter", ["a b"], ["a c"])
    (['a b'], [['a c']])
    >>> predictions_and_references("ter", ["a"], [[]])
    Traceback (most recent call last):
    ...
    metrics.validation.MetricInputError: ter: references[0] is empty; every prediction needs at least one reference
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

from .. import validation as v

__all__ = ["predictions_and_references", "tokenize_references"]

T = TypeVar("T")


def predictions_and_references(metric: str, predictions: Any, references: Any) -> tuple[list[str], list[list[str]]]:
    """Validated ``(predictions, references)``: a list of strings and one list of strings per prediction."""
    preds = v.texts("predictions", predictions)
    refs = v.reference_lists("references", references)
    v.check_lengths(preds, refs)
    for i, r in enumerate(refs):
        if not r:
            raise v.MetricInputError(f"{metric}: references[{i}] is empty; every prediction needs at least "
                                     f"one reference")
    return preds, refs


def tokenize_references(references: Sequence[Sequence[str]],
                        tokenize: Callable[[list[str]], Sequence[T]]) -> list[list[T]]:
    """Every reference tokenized in ONE batch call (tokenizers are batch-vectorized), then
    regrouped per prediction, keeping each prediction's reference count.

    Example:
        >>> tokenize_references([["a b"], ["c", "d e"]], lambda lines: [l.split() for l in lines])
        [[['a', 'b']], [['c'], ['d', 'e']]]
    """
    flat = list(tokenize([r for rs in references for r in rs]))
    grouped, pos = [], 0
    for rs in references:
        grouped.append(flat[pos:pos + len(rs)])
        pos += len(rs)
    return grouped
