"""``ter``: Translation Edit Rate (0-100, lower is better), exactly as sacreBLEU 2.x (Tercom).

TER = (word edits + block shifts) / reference length. With several references, a
segment takes its fewest edits over the references and the *average* reference length.
The state is the summed edits and summed (average) reference lengths, so batches and
processes merge by addition. The shift search is in :mod:`metrics.text.ter_align`.

Example:
    >>> import metrics
    >>> metrics.load("ter").compute(predictions=["a b c d"], references=[["c d a b"]])
    {'score': 25.0, 'num_edits': 1, 'ref_length': 4.0}
"""
from __future__ import annotations

import re
from typing import Any, Sequence

from ..base import Metric
from ..registry import register
from .mt_inputs import predictions_and_references, tokenize_references
from .ter_align import ter_edits
from .tokenizers_mt import _V13A_CONTEXT_RULES, _pad_symbols

__all__ = ["TER", "tercom_tokenize", "ter_statistics"]

# CJK ideographs, radicals, strokes, compatibility forms, enclosed/compatibility blocks and CJK
# punctuation: with asian_support each becomes a word of its own. (Tercom also lists kana runs,
# but anchored so they can only match at the very start of the line, which its normalisation has
# already padded with a space: they never apply, so they are left out.)
_ASIAN_PUNCT = "\u3001\u3002\u3008-\u3011\u3014-\u301f\uff61-\uff65\u30fb"
_FULL_WIDTH_PUNCT = "\uff0e\uff0c\uff1f\uff1a\uff1b\uff01\uff02\uff08\uff09"
_ASIAN_SPLIT = re.compile("([\u4e00-\u9fff\u3400-\u4dbf\u31c0-\u31ef\u2e80-\u2eff\u3300-\u33ff\uf900-\ufaff"
                          "\ufe30-\ufe4f\u3200-\u3f22" + _ASIAN_PUNCT + _FULL_WIDTH_PUNCT + "])")
_ASIAN_PUNCT_RE = re.compile("[" + _ASIAN_PUNCT + _FULL_WIDTH_PUNCT + "]")
_PUNCT_DELETE = str.maketrans("", "", ".,?:;!\"()")
_POSSESSIVE = re.compile(r"'s ")
_POSSESSIVE_END = re.compile(r"'s$")


def _normalize_western(sent: str) -> str:
    sent = sent.replace("\n-", "").replace("\n", " ")
    sent = sent.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    sent = _pad_symbols(f" {sent} ")
    sent = _POSSESSIVE.sub(" 's ", sent)
    sent = _POSSESSIVE_END.sub(" 's", sent)
    for pattern, repl in _V13A_CONTEXT_RULES:
        sent = pattern.sub(repl, sent)
    return sent


def tercom_tokenize(sent: str, *, normalized: bool = False, no_punct: bool = False, asian_support: bool = False,
                    case_sensitive: bool = False) -> list[str]:
    """Tercom's normalisation of one segment, as words.

    Example:
        >>> tercom_tokenize("He's here, (really)!", normalized=True)
        ['he', "'s", 'here', ',', '(', 'really', ')', '!']
        >>> tercom_tokenize("He's here, (really)!", no_punct=True, case_sensitive=True)
        ["He's", 'here', 'really']
    """
    if not sent:
        return []
    if not case_sensitive:
        sent = sent.lower()
    if normalized:
        sent = _normalize_western(sent)
        if asian_support:
            sent = _ASIAN_SPLIT.sub(r" \1 ", sent)
    if no_punct:
        sent = sent.translate(_PUNCT_DELETE)
        if asian_support:
            sent = _ASIAN_PUNCT_RE.sub("", sent)
    return sent.split()


def ter_statistics(hyp_words: Sequence[Sequence[str]],
                   ref_words: Sequence[Sequence[Sequence[str]]]) -> tuple[int, float]:
    """(total edits, total reference length) over segments; per segment the fewest edits over
    its references and their average length.

    Example:
        >>> ter_statistics([["a", "b"]], [[["a", "c"], ["a", "b", "x", "y"]]])
        (1, 3.0)
    """
    edits, length = 0, 0.0
    for hyp, refs in zip(hyp_words, ref_words):
        edits += min(ter_edits(hyp, ref) for ref in refs)
        length += sum(len(ref) for ref in refs) / len(refs)
    return edits, length


def ter_score(num_edits: float, ref_length: float) -> float:
    """TER in percent; an empty reference side scores 100 if anything had to be edited, else 0."""
    if ref_length > 0:
        return 100 * (num_edits / ref_length)
    return 100.0 if num_edits > 0 else 0.0


@register("ter", description="Translation Edit Rate (0-100, lower is better) exactly as sacreBLEU's TER "
                             "(Tercom shifts); options normalized, no_punct, asian_support, case_sensitive.")
class TER(Metric):
    """TER with Tercom's shifts.

    Options (sacreBLEU's names; ``evaluate``'s ``ignore_punct`` and ``support_zh_ja_chars`` are
    accepted as aliases of ``no_punct`` and ``asian_support``): ``normalized=False``,
    ``no_punct=False``, ``asian_support=False``, ``case_sensitive=False``.

    Example:
        >>> m = TER(case_sensitive=True)
        >>> m.add_batch(predictions=["The cat"], references=["the cat"])
        >>> m.compute()["num_edits"]
        1
    """

    default_options = {"normalized": False, "no_punct": False, "asian_support": False, "case_sensitive": False,
                       "ignore_punct": False, "support_zh_ja_chars": False}
    state_options = tuple(default_options)

    def _init_states(self) -> None:
        self.add_state("num_edits", 0, reduce="sum")
        self.add_state("ref_length", 0.0, reduce="sum")

    def _tokenize(self, lines: Sequence[str], passes: int = 1) -> list[list[str]]:
        o = self.options
        kw = dict(normalized=bool(o["normalized"]), no_punct=bool(o["no_punct"] or o["ignore_punct"]),
                  asian_support=bool(o["asian_support"] or o["support_zh_ja_chars"]),
                  case_sensitive=bool(o["case_sensitive"]))
        out = [tercom_tokenize(line.rstrip(), **kw) for line in lines]
        for _ in range(passes - 1):
            out = [tercom_tokenize(" ".join(words), **kw) for words in out]
        return out

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references(self.name, predictions, references)
        # sacreBLEU 2.x normalises references twice (once when caching them, once when splitting
        # them into words). With normalized/no_punct the second pass can split further ("it's ,"
        # -> "it 's ,"); published TER scores include that, so we do it too.
        ref_words = tokenize_references(refs, lambda lines: self._tokenize(lines, passes=2))
        edits, length = ter_statistics(self._tokenize(preds), ref_words)
        self.num_edits += edits
        self.ref_length += length

    def _compute(self, **_: Any) -> dict[str, Any]:
        edits, length = int(self.num_edits), float(self.ref_length)
        return {"score": ter_score(edits, length), "num_edits": edits, "ref_length": length}
