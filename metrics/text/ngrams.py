"""Vectorised n-gram counting and clipped matching for whole batches (shared by BLEU and chrF).

BLEU and chrF reduce to one question asked millions of times: for a hypothesis and a
reference, how many n-grams do they share, each counted at most as often as it occurs in
both ("clipped" counts)? Asking it one sentence at a time with Python ``Counter`` objects is
what makes the reference implementations slow. Here a whole batch is answered at once:

1. every token (or character) of every sentence gets an integer id (:func:`encode_words`,
   :func:`encode_chars`), all sentences laid end to end in one array;
2. every n-gram becomes one exact integer: ``id(n-gram) = id(prefix) * V + id(last unit)``,
   re-numbered densely (:func:`_densify`) whenever the product would no longer fit;
3. ``owner * bound + gram`` then identifies "this n-gram in this sentence", and one sort
   of the hypothesis and reference keys side by side gives every count and every clipped
   match (:func:`clipped_overlap`).

No hashing is involved, so there are no collisions: results are exact.

Example:
    >>> batch = encode_words([["a", "b", "a"], ["a", "b"]])
    >>> [(n, g.tolist(), o.tolist()) for n, g, o, _ in iter_ngrams(batch, 2)]
    [(1, [0, 1, 0, 0, 1], [0, 0, 0, 1, 1]), (2, [1, 2, 1], [0, 0, 1])]
    >>> hk, hc = count_keys(np.array([5, 5, 7]))
    >>> rk, rc = count_keys(np.array([5, 7, 7, 9]))
    >>> clipped_overlap(hk, hc, rk, rc)[1].tolist()
    [1, 1]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

__all__ = ["UnitBatch", "encode_words", "encode_chars", "iter_ngrams", "count_keys", "clipped_overlap",
           "owner_keys", "KEY_LIMIT"]

#: keys stay below this so ``key * 2 + 1`` never overflows int64
KEY_LIMIT = 1 << 61


@dataclass
class UnitBatch:
    """Many sequences of integer units laid end to end.

    Attributes:
        units: int64 ids, all sequences concatenated.
        offsets: sequence ``i`` is ``units[offsets[i]:offsets[i + 1]]``.
        bound: every id is smaller than this.
    """

    units: np.ndarray
    offsets: np.ndarray
    bound: int

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1


def _offsets(lengths: Sequence[int]) -> np.ndarray:
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(lengths, dtype=np.int64), out=out[1:])
    return out


def encode_words(sequences: Sequence[Sequence[str]]) -> UnitBatch:
    """Give every distinct token an id (first seen, first numbered) and lay the sequences end to end.

    Example:
        >>> b = encode_words([["x", "y"], [], ["y"]])
        >>> b.units.tolist(), b.offsets.tolist(), b.bound
        ([0, 1, 1], [0, 2, 2, 3], 2)
    """
    vocab: dict[str, int] = {}
    flat = [tok for seq in sequences for tok in seq]
    # setdefault with len() numbers new tokens densely in one C-level pass per token
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in flat), dtype=np.int64, count=len(flat))
    return UnitBatch(ids, _offsets([len(s) for s in sequences]), max(len(vocab), 1))


def encode_chars(strings: Sequence[str]) -> UnitBatch:
    """Every character of every string as a dense id (code points re-numbered by rank).

    Example:
        >>> b = encode_chars(["aba", "c"])
        >>> b.units.tolist(), b.bound
        ([0, 1, 0, 2], 3)
    """
    text = "".join(strings)
    # surrogatepass: a lone surrogate is still one character to Python, so it must stay one here
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    offsets = _offsets([len(s) for s in strings])
    if not len(cps):
        return UnitBatch(cps, offsets, 1)
    present = np.zeros(int(cps.max()) + 1, dtype=np.int64)
    present[cps] = 1
    rank = np.cumsum(present) - 1
    return UnitBatch(rank[cps], offsets, int(rank[-1]) + 1)


def _densify(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace values by their rank among the distinct values; returns (ranks, number distinct)."""
    if not len(values):
        return values, 1
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(len(values), dtype=np.int64)
    new[0] = 1
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    rank = np.cumsum(new) - 1
    out = np.empty_like(rank)
    out[order] = rank
    return out, int(rank[-1]) + 1


def iter_ngrams(batch: UnitBatch, max_order: int, min_order: int = 1,
                n_owners: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray, int]]:
    """Yield ``(n, grams, owners, bound)`` for ``n = min_order..max_order``.

    ``grams[k]`` is the exact id of the k-th n-gram (equal ids <=> equal n-grams),
    ``owners[k]`` the sequence it belongs to (n-grams never cross sequences), and every id is
    below ``bound``; ``n_owners * bound`` stays below :data:`KEY_LIMIT` so ``owner * bound + gram``
    is a safe key (pass ``n_owners`` when keys will use a different owner numbering).
    """
    units, lengths = batch.units, batch.lengths
    owners_all = np.repeat(np.arange(len(batch), dtype=np.int64), lengths)
    ends = np.repeat(batch.offsets[1:], lengths)  # where each position's sequence ends
    limit = KEY_LIMIT // max(n_owners if n_owners is not None else len(batch), 1)
    starts = np.arange(len(units), dtype=np.int64)
    grams, bound, owners = units, batch.bound, owners_all
    for n in range(1, max_order + 1):
        if n > 1:
            keep = starts + (n - 1) < ends
            starts, ends, owners, grams = starts[keep], ends[keep], owners[keep], grams[keep]
            if bound * batch.bound >= limit:
                grams, bound = _densify(grams)
            grams = grams * batch.bound + units[starts + (n - 1)]
            bound = bound * batch.bound
        if bound >= limit:
            grams, bound = _densify(grams)
        if n >= min_order:
            yield n, grams, owners, bound


def owner_keys(owners: np.ndarray, grams: np.ndarray, bound: int) -> np.ndarray:
    """One int64 per (owner, n-gram): equal keys <=> same owner and same n-gram."""
    return owners * bound + grams


def count_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and how often each occurs; a sort, no hashing.

    Example:
        >>> [a.tolist() for a in count_keys(np.array([3, 1, 3]))]
        [[1, 3], [1, 2]]
    """
    if not len(keys):
        return keys.astype(np.int64), np.zeros(0, dtype=np.int64)
    s = np.sort(keys)
    first = np.empty(len(s), dtype=bool)
    first[0] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return s[starts], np.diff(np.append(starts, len(s)))


def clipped_overlap(hyp_keys: np.ndarray, hyp_counts: np.ndarray, ref_keys: np.ndarray,
                    ref_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys present on both sides (both inputs sorted and distinct) and ``min`` of their counts."""
    if not len(hyp_keys) or not len(ref_keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pos = np.searchsorted(ref_keys, hyp_keys)
    pos[pos == len(ref_keys)] = 0
    hit = ref_keys[pos] == hyp_keys
    return hyp_keys[hit], np.minimum(hyp_counts[hit], ref_counts[pos[hit]])


def paired_overlap(hyp_keys: np.ndarray, ref_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clipped matches straight from raw (unsorted, repeated) keys of both sides.

    Returns the keys seen on both sides and, for each, ``min(count in hyp, count in ref)``.
    One sort of both sides tagged by a low bit replaces two counts and a search.

    Example:
        >>> [a.tolist() for a in paired_overlap(np.array([5, 5, 7]), np.array([5, 7, 7, 9]))]
        [[5, 7], [1, 1]]
    """
    tagged = np.concatenate([hyp_keys * 2, ref_keys * 2 + 1])
    keys, counts = count_keys(tagged)
    if len(keys) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    base = keys >> 1
    # after sorting, a key present on both sides appears as (even, odd) neighbours
    both = base[:-1] == base[1:]
    return base[:-1][both], np.minimum(counts[:-1][both], counts[1:][both])


def group_max(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the largest value each carries."""
    if not len(keys):
        return keys, values
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    first = np.empty(len(k), dtype=bool)
    first[0] = True
    np.not_equal(k[1:], k[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return k[starts], np.maximum.reduceat(v, starts)


def replicate_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, vectorised.

    Example:
        >>> replicate_ranges(np.array([5, 0]), np.array([2, 3])).tolist()
        [5, 6, 0, 1, 2]
    """
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    shift = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return np.arange(total, dtype=np.int64) + shift
