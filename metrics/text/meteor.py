"""METEOR with nltk's ``meteor_score`` semantics (nltk 3.x), averaged as ``evaluate`` does.

Per sentence, words are lowercased and aligned in stages, each on the words still
unmatched: exact match, then Porter-stem match, then — only when a WordNet is supplied —
synonym match. Within a stage the hypothesis is scanned right to left and each word takes
the rightmost still-free reference word it matches (for synonyms: the rightmost over all of
its synonyms). Then, with ``m`` matches, ``P = m / len(hyp)``, ``R = m / len(ref)``::

    fmean   = P * R / (alpha * P + (1 - alpha) * R)
    penalty = gamma * (chunks / m) ** beta
    score   = (1 - penalty) * fmean

``chunks`` counts runs of matches adjacent in both sentences. With several references a
sentence takes its best score; the corpus score is the mean over sentences.

No WordNet ships with arrowdata. ``wordnet=`` takes any object with ``synsets(word)``
returning objects with ``lemma_names()`` (or ``lemmas()`` whose items have ``name()``), such
as ``nltk.corpus.wordnet`` once its data is downloaded. Note that, as in nltk, the synonym
stage looks up the *stemmed* forms the stem stage leaves behind.

Example:
    >>> hyp = "It is a guide to action which ensures that the military always obeys the commands of the party"
    >>> ref = "It is a guide to action that ensures that the military will forever heed Party commands"
    >>> round(meteor_sentence(hyp.split(), [ref.split()]), 4)
    0.6944
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Sequence

import numpy as np

from .. import validation as v
from ..base import Metric
from ..registry import register
from .stemmer import porter_stem

logger = logging.getLogger(__name__)

Match = tuple[int, int]


# --- alignment ------------------------------------------------------------------------------------

def _match_stage(hyp: list[tuple[int, str]], ref: list[tuple[int, str]]
                 ) -> tuple[list[Match], list[tuple[int, str]], list[tuple[int, str]]]:
    """Greedy right-to-left equality matching of ``(position, word)`` lists; returns
    (matches, unmatched hyp, unmatched ref)."""
    free: dict[str, list[int]] = {}
    for j, (_, word) in enumerate(ref):
        free.setdefault(word, []).append(j)
    matches, used_h, used_r = [], set(), set()
    for i in range(len(hyp) - 1, -1, -1):
        slots = free.get(hyp[i][1])
        if slots:
            j = slots.pop()
            used_h.add(i)
            used_r.add(j)
            matches.append((hyp[i][0], ref[j][0]))
    return (matches, [p for i, p in enumerate(hyp) if i not in used_h],
            [p for j, p in enumerate(ref) if j not in used_r])


def _synonyms(wordnet: Any, word: str) -> set[str]:
    """The word and its single-word WordNet lemma names."""
    names: set[str] = {word}
    for synset in wordnet.synsets(word):
        if hasattr(synset, "lemma_names"):
            lemmas = synset.lemma_names()
        else:
            lemmas = [lemma.name() for lemma in synset.lemmas()]
        names.update(n for n in lemmas if "_" not in n)
    return names


def _synonym_stage(hyp: list[tuple[int, str]], ref: list[tuple[int, str]], wordnet: Any
                   ) -> list[Match]:
    free: dict[str, list[int]] = {}
    for j, (_, word) in enumerate(ref):
        free.setdefault(word, []).append(j)
    matches = []
    for i in range(len(hyp) - 1, -1, -1):
        best_j, best_word = -1, None
        for syn in _synonyms(wordnet, hyp[i][1]):
            slots = free.get(syn)
            # distinct words own distinct slots, so the strict maximum is unique whatever the set order
            if slots and slots[-1] > best_j:
                best_j, best_word = slots[-1], syn
        if best_word is not None:
            free[best_word].pop()
            matches.append((hyp[i][0], ref[best_j][0]))
    return matches


def align(hypothesis: Sequence[str], reference: Sequence[str], stem: Callable[[str], str] = porter_stem,
          wordnet: Any = None) -> list[Match]:
    """nltk's METEOR alignment of two lowercased token lists: ``(hyp position, ref position)`` pairs,
    sorted by hypothesis position.

    Example:
        >>> align(["the", "cats", "sat"], ["a", "cat", "sat"])
        [(1, 1), (2, 2)]
    """
    hyp = list(enumerate(hypothesis))
    ref = list(enumerate(reference))
    exact, hyp, ref = _match_stage(hyp, ref)
    stemmed, hyp, ref = _match_stage([(i, stem(w)) for i, w in hyp], [(j, stem(w)) for j, w in ref])
    synonyms = _synonym_stage(hyp, ref, wordnet) if wordnet is not None and hyp and ref else []
    return sorted(exact + stemmed + synonyms, key=lambda pair: pair[0])


def count_chunks(matches: Sequence[Match]) -> int:
    """Fewest runs of matches contiguous in both sentences (1 for no matches, as nltk)."""
    chunks = 1
    for (h0, r0), (h1, r1) in zip(matches, matches[1:]):
        if not (h1 == h0 + 1 and r1 == r0 + 1):
            chunks += 1
    return chunks


# --- scores ---------------------------------------------------------------------------------------

def meteor_single(hypothesis: Sequence[str], reference: Sequence[str], *, alpha: float = 0.9,
                  beta: float = 3.0, gamma: float = 0.5, wordnet: Any = None) -> float:
    """METEOR of one tokenized hypothesis against one tokenized reference (0 when nothing matches).

    Example:
        >>> round(meteor_single(["a", "b", "c"], ["a", "b", "d"]), 6)
        0.625
    """
    hyp = [w.lower() for w in hypothesis]
    ref = [w.lower() for w in reference]
    matches = align(hyp, ref, wordnet=wordnet)
    m = len(matches)
    # same float operations, in the same order, as nltk, so results agree bit for bit
    try:
        precision = float(m) / len(hyp)
        recall = float(m) / len(ref)
        fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall)
        frag_frac = float(count_chunks(matches)) / m
    except ZeroDivisionError:
        return 0.0
    return (1 - gamma * frag_frac ** beta) * fmean


def meteor_sentence(hypothesis: Sequence[str], references: Sequence[Sequence[str]], **options: Any) -> float:
    """Best METEOR of a tokenized hypothesis over its tokenized references."""
    return max(meteor_single(hypothesis, ref, **options) for ref in references)


# --- tokenizers for string input (a registry: name -> str -> tokens) -----------------------------

@functools.lru_cache(maxsize=1)
def _treebank_tokenizer() -> Callable[[str], list[str]]:
    try:
        from nltk.tokenize import NLTKWordTokenizer
    except ImportError:
        raise v.MetricInputError("tokenizer='treebank' needs nltk (pip install nltk); "
                                 "tokenizer='whitespace' needs nothing") from None
    return NLTKWordTokenizer().tokenize


def _nltk_treebank(text: str) -> list[str]:
    return _treebank_tokenizer()(text)


def _nltk_word_tokenize(text: str) -> list[str]:
    import nltk

    try:
        return nltk.word_tokenize(text)
    except LookupError as e:
        raise v.MetricInputError("tokenizer='nltk' needs nltk's punkt_tab data (nltk.download('punkt_tab')); "
                                 "tokenizer='treebank' needs no data") from e


TOKENIZERS: dict[str, Callable[[str], list[str]]] = {
    "whitespace": str.split,
    "treebank": _nltk_treebank,      # nltk's word tokenizer without its punkt sentence split
    "nltk": _nltk_word_tokenize,     # exactly evaluate's tokenization; needs punkt data
}


def _tokenize(name: str, values: list, what: str) -> list[list[str]]:
    tokenizer = TOKENIZERS[v.choice("tokenizer", name, list(TOKENIZERS))]
    out = []
    for i, item in enumerate(values):
        if isinstance(item, str):
            out.append(tokenizer(item))
        elif isinstance(item, (list, tuple)) and all(isinstance(w, str) for w in item):
            out.append(list(item))  # already tokenized, as nltk's own API takes it
        else:
            raise v.MetricInputError(f"{what}[{i}]: expected a string or a list of token strings, "
                                     f"got {type(item).__name__}")
    return out


def _is_token_list(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(isinstance(w, str) for w in x)


def meteor_scores(predictions: Sequence[Any], references: Sequence[Any], *, tokenizer: str = "treebank",
                  alpha: float = 0.9, beta: float = 3.0, gamma: float = 0.5, wordnet: Any = None) -> np.ndarray:
    """Per-prediction METEOR (float64 array). References: one string (or token list) per prediction,
    or a list of them.

    Example:
        >>> meteor_scores(["the cat sat"], [["a cat sat", "the cat sat"]]).round(4).tolist()
        [0.9815]
    """
    preds = list(v.as_sequence("predictions", predictions))
    refs = list(v.as_sequence("references", references))
    v.check_lengths(preds, refs)
    hyp_tokens = _tokenize(tokenizer, preds, "predictions")
    ref_groups = []
    for i, (p, r) in enumerate(zip(preds, refs)):
        # string input: a string is one reference, a list of strings several; token input (a
        # prediction given as a token list): a token list is one reference, a list of them several
        single = isinstance(r, str) if isinstance(p, str) else _is_token_list(r)
        group = [r] if single else list(r) if isinstance(r, (list, tuple)) else None
        if group is None:
            raise v.MetricInputError(f"references[{i}]: expected a string or a list of strings, "
                                     f"got {type(r).__name__}")
        if not group:
            raise v.MetricInputError(f"references[{i}]: no reference for this prediction")
        ref_groups.append(_tokenize(tokenizer, group, f"references[{i}]"))
    opts = {"alpha": alpha, "beta": beta, "gamma": gamma, "wordnet": wordnet}
    return np.fromiter((meteor_sentence(h, rs, **opts) for h, rs in zip(hyp_tokens, ref_groups)),
                       dtype=np.float64, count=len(hyp_tokens))


@register("meteor", description="METEOR as nltk computes it (0-1 scale); WordNet synonyms only when supplied.")
class Meteor(Metric):
    """METEOR (nltk semantics), the mean of per-prediction scores, each the best over its references.

    Options (defaults in brackets): ``alpha`` [0.9], ``beta`` [3.0], ``gamma`` [0.5];
    ``tokenizer`` ["treebank"]: how strings become words — "treebank" (nltk's word tokenizer without
    sentence splitting; needs no data), "nltk" (``nltk.word_tokenize``, as ``evaluate``; needs punkt
    data) or "whitespace"; token lists are used as given. ``wordnet`` [None]: a WordNet-like object
    enabling the synonym stage.

    Example:
        >>> import metrics
        >>> m = metrics.load("meteor")
        >>> round(m.compute(predictions=["the cat sat on the mat"], references=["the cat sat on a mat"])["meteor"], 4)
        0.7433
    """

    default_options = {"alpha": 0.9, "beta": 3.0, "gamma": 0.5, "tokenizer": "treebank", "wordnet": None}
    state_options = ("alpha", "beta", "gamma", "tokenizer", "wordnet")

    def _check_options(self, options, base=None):
        opts = super()._check_options(options, base)
        for name in ("alpha", "beta", "gamma"):
            opts[name] = v.finite_number(name, opts[name])
        v.choice("tokenizer", opts["tokenizer"], list(TOKENIZERS))
        wn = opts["wordnet"]
        if wn is not None and not callable(getattr(wn, "synsets", None)):
            raise v.MetricInputError(f"wordnet: expected an object with a synsets(word) method, got {wn!r}")
        return opts

    def _init_states(self) -> None:
        import pyarrow as pa

        self.add_state("scores", pa.float64(), reduce="cat")

    def _update(self, predictions: Any, references: Any) -> None:
        o = self.options
        self.scores.append(meteor_scores(predictions, references, tokenizer=o["tokenizer"], alpha=o["alpha"],
                                         beta=o["beta"], gamma=o["gamma"], wordnet=o["wordnet"]))

    def _compute(self, **_: Any) -> dict[str, float]:
        scores = np.asarray(self.scores.to_numpy(), dtype=np.float64)
        return {"meteor": float(np.mean(scores)) if len(scores) else 0.0}
