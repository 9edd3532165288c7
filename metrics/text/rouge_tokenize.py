"""rouge-score's default tokenizer, run over a whole corpus at once, giving token ids.

Semantics (rouge-score 0.1.2 ``tokenize.tokenize``): lowercase the text, replace every
run of characters outside ``[a-z0-9]`` by a space, split; with the stemmer, words of more
than 3 characters are Porter-stemmed; empty or non-``[a-z0-9]`` results are dropped.
So the tokens are exactly the maximal ``[a-z0-9]+`` runs of ``text.lower()``.

For rougeLsum a text is split into sentences on ``"\\n"``; since a newline is itself a
separator, the tokens of a text are the concatenation of its sentences' tokens, and one
pass serves every ROUGE type.

Example:
    >>> corpus = tokenize_corpus(["The cats sat.\\nOn mats!", "cats"], use_stemmer=True)
    >>> [corpus.words[i] for i in corpus.ids.tolist()]
    ['the', 'cat', 'sat', 'on', 'mat', 'cat']
    >>> corpus.doc_offsets.tolist(), corpus.sent_offsets.tolist(), corpus.doc_sent_offsets.tolist()
    ([0, 5, 6], [0, 3, 5, 6], [0, 2, 3])
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Hashable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import ragged
from ..validation import MetricInputError
from .stemmer import stem_all

_VALID = re.compile(r"^[a-z0-9]+$")
# After lowercasing and UTF-8 encoding, every byte outside [a-z0-9] separates tokens (non-ASCII
# characters encode to bytes >= 0x80, so they separate too, as in rouge-score). Newlines become a
# marker token (0x01) that keeps sentence and text boundaries.
_NEWLINE_MARK = "\x01"
_BYTE_TABLE = bytes(b if (0x61 <= b <= 0x7A or 0x30 <= b <= 0x39) else (1 if b == 0x0A else 0x20)
                    for b in range(256))


@dataclass
class TokenizedCorpus:
    """Token ids of many texts. ``words[id]`` is the token; equal tokens share an id.

    Two views: whole texts (rougeN, rougeL) and newline-split sentences (rougeLsum). With the
    default tokenizer the sentence view is the same tokens (``sent_ids is ids``); a custom
    tokenizer may tokenize a sentence differently from the whole text, so it gets its own.
    """

    ids: np.ndarray               # int64, every token of every text, in order
    doc_offsets: np.ndarray       # text k's tokens: ids[doc_offsets[k]:doc_offsets[k + 1]]
    sent_offsets: np.ndarray      # sentence s's tokens in sent_ids (sentences with no token are dropped)
    doc_sent_offsets: np.ndarray  # text k's sentences: doc_sent_offsets[k]:doc_sent_offsets[k + 1]
    words: list[str]
    sent_ids: np.ndarray | None = None  # None: the same array as ids

    def __post_init__(self) -> None:
        if self.sent_ids is None:
            self.sent_ids = self.ids

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    @property
    def same_views(self) -> bool:
        return self.sent_ids is self.ids

    @property
    def sent_doc_offsets(self) -> np.ndarray:
        """Text k's sentence-view tokens: sent_ids[sent_doc_offsets[k]:sent_doc_offsets[k + 1]]."""
        return self.sent_offsets[self.doc_sent_offsets]


def tokenize_corpus(texts: list[str], use_stemmer: bool = False) -> TokenizedCorpus:
    """Tokenize ``texts`` as rouge-score does, in one byte-translation pass and one Arrow hash pass."""
    n_docs = len(texts)
    if not n_docs:
        z = np.zeros(1, dtype=np.int64)
        return TokenizedCorpus(np.zeros(0, dtype=np.int64), z, z, z, [])
    # lower() acts per character (its one context rule, final sigma, never yields ASCII),
    # so lowering the joined corpus equals lowering each text
    data = "\n".join(texts).lower().encode("utf-8").translate(_BYTE_TABLE).replace(b"\x01", b" \x01 ")
    # the whole corpus as one Arrow string, split and hashed in C++: no Python object per token
    corpus = pa.LargeStringArray.from_buffers(1, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)),
                                              pa.py_buffer(data))
    encoded = pc.ascii_split_whitespace(corpus).flatten().dictionary_encode()
    codes = encoded.indices.to_numpy().astype(np.int64)
    words: list[str] = encoded.dictionary.to_pylist()
    newline = words.index(_NEWLINE_MARK) if _NEWLINE_MARK in words else -1
    keep = np.ones(len(words), dtype=bool)
    for marker in (_NEWLINE_MARK, ""):  # Arrow's split leaves "" where the corpus starts or ends with a space
        if marker in words:
            keep[words.index(marker)] = False
    if use_stemmer:
        stemmed = stem_all(words, min_length=3)
        keep &= np.fromiter((bool(_VALID.match(w)) for w in stemmed), dtype=bool, count=len(stemmed))
        # stemming merges words: renumber so equal stems share one id
        remap = pa.array(stemmed, type=pa.string()).dictionary_encode()
        codes_map = remap.indices.to_numpy().astype(np.int64)
        codes_map[~keep] = -1
        words = remap.dictionary.to_pylist()
    else:
        codes_map = np.arange(len(words), dtype=np.int64)
        codes_map[~keep] = -1

    is_newline = codes == newline
    # each text contributes count("\n") + 1 pieces; the joins add exactly the separators between texts
    pieces_per_doc = np.fromiter((t.count("\n") + 1 for t in texts), dtype=np.int64, count=n_docs)
    piece_of_token = np.cumsum(is_newline)
    mapped = codes_map[codes]
    token_mask = mapped >= 0
    ids = mapped[token_mask]
    piece = piece_of_token[token_mask]
    doc_of_piece = np.repeat(np.arange(n_docs, dtype=np.int64), pieces_per_doc)
    doc = doc_of_piece[piece]
    doc_offsets = ragged.offsets_from_lengths(np.bincount(doc, minlength=n_docs))
    # sentences = pieces holding at least one token; the others add nothing to any ROUGE score
    n_pieces = int(pieces_per_doc.sum())
    piece_len = np.bincount(piece, minlength=n_pieces)
    nonempty = piece_len > 0
    sent_offsets = ragged.offsets_from_lengths(piece_len[nonempty])
    doc_sent_offsets = ragged.offsets_from_lengths(np.bincount(doc_of_piece[nonempty], minlength=n_docs))
    return TokenizedCorpus(ids, doc_offsets, sent_offsets, doc_sent_offsets, words)


def tokenize_corpus_with(texts: list[str], tokenize: Callable[[str], Sequence[Hashable]]) -> TokenizedCorpus:
    """Tokenize with a user tokenizer, as rouge-score does with ``tokenizer=``: whole texts for
    rougeN/rougeL, and each non-empty newline-split sentence separately for rougeLsum.

    Example:
        >>> c = tokenize_corpus_with(["A b\\nc"], str.split)
        >>> [c.words[i] for i in c.ids.tolist()], [c.words[i] for i in c.sent_ids.tolist()]
        (['A', 'b', 'c'], ['A', 'b', 'c'])
    """
    vocab: dict[Hashable, int] = {}
    ids = vocab.setdefault

    def encode(text: str, what: str) -> list[int]:
        tokens = tokenize(text)
        if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
            raise MetricInputError(f"tokenizer: must return a list of tokens for {what}, got {type(tokens).__name__}")
        return [ids(t, len(vocab)) for t in tokens]

    docs = [encode(t, f"text {k}") for k, t in enumerate(texts)]
    sentences = [[encode(s, f"a sentence of text {k}") for s in t.split("\n") if s] for k, t in enumerate(texts)]
    sents = [s for doc in sentences for s in doc if s]
    sent_counts = np.fromiter((sum(1 for s in doc if s) for doc in sentences), dtype=np.int64, count=len(texts))
    flat = lambda seqs: np.fromiter((i for s in seqs for i in s), dtype=np.int64)  # noqa: E731
    lens = lambda seqs: np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))  # noqa: E731
    words = [None] * len(vocab)
    for token, i in vocab.items():
        words[i] = token
    return TokenizedCorpus(flat(docs), ragged.offsets_from_lengths(lens(docs)),
                           ragged.offsets_from_lengths(lens(sents)), ragged.offsets_from_lengths(sent_counts),
                           words, sent_ids=flat(sents))
