"""``nist_mt``: the NIST score, as nltk's ``corpus_nist`` on nltk's NIST tokenization (evaluate's module).

Each matched n-gram is worth its information weight ``log2(count(w1..wn-1) / count(w1..wn))``,
counted over ALL references of the corpus; per order, each prediction keeps its best reference;
the arithmetic mean over orders is scaled by NIST's brevity penalty. Because the weights (and
so the choice of best reference) depend on the whole corpus, the state keeps the tokenized
texts (Arrow ``"cat"`` states) and the score is computed once, at ``compute()``.

Example:
    >>> import metrics
    >>> hyp = "It is a guide to action which ensures that the military always obeys the commands of the party"
    >>> ref = "It is a guide to action that ensures that the military will forever heed Party commands"
    >>> round(metrics.load("nist_mt").compute(predictions=[hyp], references=[ref])["nist_mt"], 10)
    2.4477124183
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pyarrow as pa

from ..base import Metric
from ..registry import register
from .. import validation as v
from ..validation import MetricInputError
from .mt_inputs import predictions_and_references


def ngram_counts(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def length_penalty(ref_len: int, hyp_len: int) -> float:
    """NIST's brevity penalty: 0.5 at a length ratio of 1.5 (shorter), 1 from a ratio of 1."""
    ratio = hyp_len / ref_len
    if 0 < ratio < 1:
        beta = math.log(0.5) / math.log(1.5) ** 2
        return math.exp(beta * math.log(ratio) ** 2)
    return max(min(ratio, 1.0), 0.0)


def corpus_nist_score(hyps: list[list[str]], refs: list[list[list[str]]], n: int) -> float:
    """The NIST score of tokenized hypotheses against their tokenized references."""
    freq: Counter = Counter()
    ref_words = 0
    for rs in refs:
        for r in rs:
            for k in range(1, n + 1):
                freq.update(ngram_counts(r, k))
            ref_words += len(r)
    info = {g: math.log((freq[g[:-1]] if len(g) > 1 and g[:-1] in freq else ref_words) / c, 2)
            for g, c in freq.items()}
    numer, denom = Counter(), Counter()
    l_ref = l_sys = 0
    for k in range(1, n + 1):
        for hyp, rs in zip(hyps, refs):
            hyp_grams = ngram_counts(hyp, k)
            hyp_total = sum(hyp_grams.values())
            best = max((0 if hyp_total == 0 else num / hyp_total, num, hyp_total, len(r))
                       for r in rs
                       for num in [sum(info[g] * c for g, c in (hyp_grams & ngram_counts(r, k)).items())])
            numer[k] += best[1]
            denom[k] += best[2]
            l_ref += best[3]
            l_sys += len(hyp)
    if any(denom[k] == 0 for k in numer):
        short = min(k for k in numer if denom[k] == 0)
        raise MetricInputError(f"nist_mt: no prediction has {short} tokens or more; lower n (now {n})")
    precision = sum(numer[k] / denom[k] for k in numer)
    if l_ref == 0:
        raise MetricInputError("nist_mt: every reference is empty")
    return precision * length_penalty(l_ref, l_sys)


_TEXTS = pa.list_(pa.string())

# mteval's (and nltk's NISTTokenizer's) western-language rules; nltk's own class cannot even be
# imported offline (it loads the perluniprops corpus at class creation), so the rules live here
_UNESCAPE = (("&lt;", "<"), ("&gt;", ">"), ("&apos;", "'"), ("&quot;", '"'), ("&#124;", "|"), ("&#91;", "["),
             ("&#93;", "]"), ("&amp;", "&"))
_WESTERN = [
    (re.compile(r"([{-~\[-` -&(-+:-@/])"), r" \1 "),  # ASCII punctuation and symbols except . , - '
    (re.compile(r"([^0-9])([.,])"), r"\1 \2 "),       # period/comma not preceded by a digit
    (re.compile(r"([.,])([^0-9])"), r" \1 \2"),       # ... or not followed by one
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),            # a dash after a digit
]


def nist_tokenize(text: str, lowercase: bool = False, western_lang: bool = True) -> list[str]:
    """Tokens by NIST's mteval rules, as nltk's ``NISTTokenizer().tokenize``.

    Example:
        >>> nist_tokenize("It costs $3.50, isn't it?")
        ['It', 'costs', '$', '3.50', ',', "isn't", 'it', '?']
    """
    text = text.replace("<skipped>", "")
    for entity, char in _UNESCAPE:
        text = text.replace(entity, char)
    text = text.replace("\u2028", " ")
    if western_lang:
        text = f" {text} "
        if lowercase:
            text = text.lower()
        for pattern, repl in _WESTERN:
            text = pattern.sub(repl, text)
    return text.split()


@register("nist_mt", description="NIST MT score, as nltk's corpus_nist on nltk's NIST tokenization.")
class NistMt(Metric):
    """NIST. Inputs: ``predictions`` (strings), ``references`` (a string or a list of strings each).

    Options (evaluate's): ``n`` (highest order, 5), ``lowercase`` (False), ``western_lang`` (True).
    Returns ``{"nist_mt": float}``.
    """

    citation = """\
@inproceedings{10.5555/1289189.1289273, author = {Doddington, George}, title = {Automatic Evaluation of
    Machine Translation Quality Using N-Gram Co-Occurrence Statistics}, year = {2002}, series = {HLT '02}}
"""

    default_options = {"n": 5, "lowercase": False, "western_lang": True}
    state_options = ("lowercase", "western_lang")

    def _init_states(self) -> None:
        self.add_state("hyps", _TEXTS, reduce="cat")
        self.add_state("refs", pa.list_(_TEXTS), reduce="cat")

    def _tok(self, text: str) -> list[str]:
        return nist_tokenize(text, bool(self.options["lowercase"]), bool(self.options["western_lang"]))

    def _update(self, predictions: Any, references: Any) -> None:
        preds, refs = predictions_and_references("nist_mt", predictions, references)
        self.hyps.append(pa.array([self._tok(p) for p in preds], type=_TEXTS))
        self.refs.append(pa.array([[self._tok(r) for r in rs] for rs in refs], type=pa.list_(_TEXTS)))

    def _compute(self, *, n: int = 5, **_: Any) -> dict[str, Any]:
        n = v.positive_int("n", n)
        if not len(self.hyps):
            raise MetricInputError("nist_mt: no predictions were added")
        return {"nist_mt": corpus_nist_score(self.hyps.to_pylist(), self.refs.to_pylist(), n)}
