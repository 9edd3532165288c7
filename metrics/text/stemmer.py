"""The Porter stemmer that rouge-score and nltk's METEOR use, memoised per word.

Both reference implementations call ``nltk.stem.porter.PorterStemmer()`` in its
default ``NLTK_EXTENSIONS`` mode (not ``ORIGINAL_ALGORITHM``, not ``MARTIN_EXTENSIONS``),
so matching them exactly means using that stemmer. It is pure Python and slow
(~10 µs a word) but a corpus has few distinct words, so every word is stemmed once
and remembered.

Example:
    >>> from metrics.text.stemmer import porter_stem
    >>> porter_stem("running"), porter_stem("generously")
    ('run', 'gener')
"""
from __future__ import annotations

import functools
from typing import Callable, Iterable

from ..validation import MetricInputError


@functools.lru_cache(maxsize=1)
def _nltk_porter() -> Callable[[str], str]:
    try:
        from nltk.stem.porter import PorterStemmer
    except ImportError:  # only stemming needs nltk; say how to get it
        raise MetricInputError("use_stemmer / METEOR's stem stage needs nltk's Porter stemmer: "
                               "pip install nltk") from None
    return PorterStemmer(mode=PorterStemmer.NLTK_EXTENSIONS).stem


@functools.lru_cache(maxsize=1 << 18)
def porter_stem(word: str) -> str:
    """``word`` stemmed by nltk's Porter stemmer (NLTK_EXTENSIONS mode; lowercases)."""
    return _nltk_porter()(word)


def stem_all(words: Iterable[str], min_length: int = 0) -> list[str]:
    """Stem each word longer than ``min_length`` characters; shorter ones pass unchanged.

    Example:
        >>> stem_all(["cats", "are", "running"], min_length=3)
        ['cat', 'are', 'run']
    """
    return [porter_stem(w) if len(w) > min_length else w for w in words]
