"""Machine-translation tokenizers with sacreBLEU's documented behaviour: ``13a``, ``intl``, ``char``, ``none``, ``zh``.

A tokenizer turns one detokenized line into tokens. BLEU scores are only comparable
when every system uses the same one, so each follows its published definition exactly
(mteval-v13a.pl for ``13a``, mteval-v14.pl ``--international-tokenization`` for ``intl``),
including its known quirks, and the parity tests compare every one with sacreBLEU.

Tokenizers live in a registry: ``get_tokenizer(name)`` returns one, ``@register_tokenizer``
adds one.

Example:
    >>> tok = get_tokenizer("13a")
    >>> tok("Hello, world! It costs $3.50.")
    'Hello , world ! It costs $ 3.50 .'
    >>> tok.tokenize_batch(["a-b.", "x"])
    [['a-b', '.'], ['x']]
    >>> get_tokenizer("char")("ab c")
    'a b c'
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from arrowdata.errors import UnknownNameError

__all__ = ["MTTokenizer", "TOKENIZERS", "register_tokenizer", "get_tokenizer", "tokenizer_names"]

#: name -> tokenizer class
TOKENIZERS: dict[str, type["MTTokenizer"]] = {}


def register_tokenizer(name: str) -> Callable[[type["MTTokenizer"]], type["MTTokenizer"]]:
    """Class decorator: make a tokenizer available as ``get_tokenizer(name)``.

    Example:
        >>> @register_tokenizer("upper-split")
        ... class Upper(MTTokenizer):
        ...     def __call__(self, line):
        ...         return " ".join(line.upper().split())
        >>> get_tokenizer("upper-split")("a b")
        'A B'
        >>> del TOKENIZERS["upper-split"]
    """

    def deco(cls: type[MTTokenizer]) -> type[MTTokenizer]:
        cls.name = name
        TOKENIZERS[name] = cls
        return cls

    return deco


@lru_cache(maxsize=None)
def get_tokenizer(name: str) -> "MTTokenizer":
    """The (shared, stateless) tokenizer registered as ``name``; unknown names list the known ones."""
    try:
        return TOKENIZERS[name]()
    except KeyError:
        raise UnknownNameError("tokenizer", name, list(TOKENIZERS)) from None


def tokenizer_names() -> list[str]:
    """Names accepted by :func:`get_tokenizer`."""
    return sorted(TOKENIZERS)


class MTTokenizer:
    """One line in, its tokens joined by single spaces out (sacreBLEU's tokenizer contract).

    Subclasses override ``__call__``; ``tokenize_batch`` may be overridden with a faster
    whole-batch version that must give the same tokens.
    """

    name: str = ""

    def __call__(self, line: str) -> str:
        raise NotImplementedError

    def tokenize_batch(self, lines: Sequence[str]) -> list[list[str]]:
        """Tokens of every line (``self(line).split()`` for each)."""
        call = self.__call__
        return [call(line).split() for line in lines]


# --- the mteval-v13a family -------------------------------------------------------------------------

# Every ASCII punctuation or symbol except . , - ' (those need context, handled below). The
# v13a regex class also pads the space itself, which only adds spaces and changes no token.
_V13A_SYMBOLS = "{|}~[\\]^_`!\"#$%&()*+:;<=>?@/"


def _pad_symbols(text: str) -> str:
    # one C-level replace per symbol beats str.translate with multi-character targets ~20x;
    # the padding never contains another symbol, so the order of replacements is irrelevant
    for c in _V13A_SYMBOLS:
        if c in text:
            text = text.replace(c, f" {c} ")
    return text
# Then: a period/comma is split off unless it sits between digits (3.50 and 1,000 stay), and a
# dash after a digit is split off. Order matters: each rule sees the previous one's output.
_V13A_CONTEXT_RULES = (
    (re.compile(r"([^0-9])([.,])"), r"\1 \2 "),
    (re.compile(r"([.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
)


def _v13a_core(text: str) -> str:
    text = _pad_symbols(text)
    for pattern, repl in _V13A_CONTEXT_RULES:
        text = pattern.sub(repl, text)
    return text


def _v13a_unescape(line: str) -> str:
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        # mteval undoes these four XML escapes only, in this order (so "&amp;lt;" becomes "<")
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return line


@register_tokenizer("13a")
class Tokenizer13a(MTTokenizer):
    """mteval-v13a: unescape a few XML entities, split punctuation and symbols off words.

    The default of sacreBLEU and WMT.

    Example:
        >>> Tokenizer13a()("Mr. Smith's car &amp; 1,000-2,000 cars.")
        "Mr . Smith's car & 1,000 - 2,000 cars ."
    """

    @lru_cache(maxsize=2 ** 16)
    def __call__(self, line: str) -> str:
        return " ".join(_v13a_core(f" {_v13a_unescape(line)} ").split())

    def tokenize_batch(self, lines: Sequence[str]) -> list[list[str]]:
        # One regex pass over the whole batch instead of one per line: lines are padded with a
        # space on both sides and contain no newline after unescaping, so no rule can match
        # across the "\n" that separates them and the result equals the per-line one.
        if not lines:
            return []
        text = "\n".join([f" {_v13a_unescape(line)} " for line in lines])
        return [part.split() for part in _v13a_core(text).split("\n")]


# --- intl: mteval-v14 international tokenization -----------------------------------------------------

@lru_cache(maxsize=1)
def _intl_rules() -> tuple:
    import regex  # unicode property classes \p{P}, \p{S}, \p{N}

    return (
        # punctuation after a non-number, then punctuation before a non-number, then every symbol:
        # a punctuation mark between two digits (1,000 / 3.14) stays attached, as in mteval-v14
        (regex.compile(r"(\P{N})(\p{P})"), r"\1 \2 "),
        (regex.compile(r"(\p{P})(\P{N})"), r" \1 \2"),
        (regex.compile(r"(\p{S})"), r" \1 "),
    )


@register_tokenizer("intl")
class TokenizerIntl(MTTokenizer):
    """mteval-v14 international tokenization: split on Unicode punctuation and symbols.

    As in mteval-v14 (and sacreBLEU), the line is not padded, so a final period right after
    a number stays attached to it.

    Example:
        >>> TokenizerIntl()("Öl kostet 3,50€, oder?")
        'Öl kostet 3,50 € , oder ?'
    """

    @lru_cache(maxsize=2 ** 16)
    def __call__(self, line: str) -> str:
        for pattern, repl in _intl_rules():
            line = pattern.sub(repl, line)
        return " ".join(line.split())


# --- char, none ----------------------------------------------------------------------------------

@register_tokenizer("char")
class TokenizerChar(MTTokenizer):
    """Every non-space character is a token (for languages written without spaces).

    Example:
        >>> TokenizerChar()("日本 語")
        '日 本 語'
    """

    def __call__(self, line: str) -> str:
        return " ".join(c for c in line if not c.isspace())

    def tokenize_batch(self, lines: Sequence[str]) -> list[list[str]]:
        return [[c for c in line if not c.isspace()] for line in lines]


@register_tokenizer("none")
class TokenizerNone(MTTokenizer):
    """No tokenization: tokens are the whitespace-separated words as given.

    Example:
        >>> TokenizerNone()("a,b  c")
        'a,b c'
    """

    def __call__(self, line: str) -> str:
        return " ".join(line.split())

    def tokenize_batch(self, lines: Sequence[str]) -> list[list[str]]:
        return [line.split() for line in lines]


# --- zh ------------------------------------------------------------------------------------------

# Code point ranges treated as Chinese characters (each becomes its own token). These are the
# ranges sacreBLEU's zh tokenizer *effectively* tests: two of its ranges are written as
# five-hex-digit "\uXXXXX" escapes, which Python reads as a four-digit escape plus a digit, and
# its string comparison then covers U+2001..U+2A6D and U+2F81..U+2FA1 instead of the
# supplementary planes. Scores are only comparable if we test the same ranges.
_ZH_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DB5), (0x4E00, 0x9FA5), (0x9FA6, 0x9FBB), (0xF900, 0xFA2D), (0xFA30, 0xFA6A),
    (0xFA70, 0xFAD9), (0x2001, 0x2A6D), (0x2F81, 0x2FA1), (0xFF00, 0xFFEF), (0x2E80, 0x2EFF),
    (0x3000, 0x303F), (0x31C0, 0x31EF), (0x2F00, 0x2FDF), (0x2FF0, 0x2FFF), (0x3100, 0x312F),
    (0x31A0, 0x31BF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F), (0x2600, 0x26FF), (0x2700, 0x27BF),
    (0x3200, 0x32FF), (0x3300, 0x33FF),
)
_ZH_CHAR = re.compile("([" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in _ZH_RANGES) + "])")
_ZH_POST = _V13A_CONTEXT_RULES


@register_tokenizer("zh")
class TokenizerZh(MTTokenizer):
    """Chinese: every CJK character is a token; the rest is tokenized like ``13a`` (without
    its XML unescaping and without padding the line).

    Example:
        >>> TokenizerZh()("我爱北京, ok.")
        '我 爱 北 京 , ok .'
    """

    @lru_cache(maxsize=2 ** 16)
    def __call__(self, line: str) -> str:
        line = _ZH_CHAR.sub(r" \1 ", line.strip())
        line = _pad_symbols(line)
        for pattern, repl in _ZH_POST:
            line = pattern.sub(repl, line)
        return " ".join(line.split())


def tokenize_all(name: str, lines: Iterable[str]) -> list[list[str]]:
    """Tokens of every line with the tokenizer ``name`` (the batch path each metric uses).

    Example:
        >>> tokenize_all("13a", ["Hi, there."])
        [['Hi', ',', 'there', '.']]
    """
    return get_tokenizer(name).tokenize_batch(list(lines))
