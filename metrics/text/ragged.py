"""Ragged int arrays (``values`` + ``offsets``) for vectorised text metrics.

A corpus of token-id sequences is kept as one flat ``int64`` array plus ``offsets``
(sequence ``k`` is ``values[offsets[k]:offsets[k + 1]]``), so per-sequence work
becomes a handful of numpy calls instead of a Python loop per sentence.

Example:
    >>> import numpy as np
    >>> values, offsets = np.array([5, 6, 7, 8]), np.array([0, 3, 4])
    >>> v, o = take_segments(values, offsets, np.array([1, 0, 1]))
    >>> v.tolist(), o.tolist()
    ([8, 5, 6, 7, 8], [0, 1, 4, 5])
    >>> as_strings(values, offsets) == [chr(5) + chr(6) + chr(7), chr(8)]
    True
"""
from __future__ import annotations

import numpy as np

#: code points above this cannot be made into a str; larger vocabularies fall back to lists
_MAX_ID = 0x10FFFF - 0x800


def lengths(offsets: np.ndarray) -> np.ndarray:
    """Length of every segment."""
    return np.diff(offsets)


def offsets_from_lengths(lens: np.ndarray) -> np.ndarray:
    """``[0, l0, l0 + l1, ...]`` as int64."""
    out = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=out[1:])
    return out


def segment_ids(offsets: np.ndarray) -> np.ndarray:
    """For every value, the index of the segment holding it."""
    return np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), lengths(offsets))


def take_segments(values: np.ndarray, offsets: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The segments ``index`` (repeats allowed), concatenated: ``(values, offsets)``."""
    index = np.asarray(index, dtype=np.int64)
    lens = offsets[index + 1] - offsets[index]
    new_offsets = offsets_from_lengths(lens)
    # position of each output value in the input: its segment's start plus its rank inside it
    pos = np.arange(new_offsets[-1], dtype=np.int64) - np.repeat(new_offsets[:-1] - offsets[index], lens)
    return values[pos], new_offsets


def as_strings(values: np.ndarray, offsets: np.ndarray) -> list:
    """Each segment as a ``str`` whose characters stand for the ids (one per id).

    rapidfuzz compares ``str`` inputs fastest, and only equality of elements matters to
    edit distance and LCS, so an injective id -> character map changes nothing. Ids
    skip the surrogate block, which ``str`` cannot hold. Vocabularies too large for
    Unicode fall back to lists of ints.
    """
    if len(values) and int(values.max()) > _MAX_ID:
        flat = values.tolist()
        return [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    cps = values.astype(np.uint32)
    cps += (cps >= 0xD800).astype(np.uint32) * 0x800
    text = cps.tobytes().decode("utf-32-le")
    return [text[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


def dense_ids(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes renumbered ``0..k-1`` (same equality), and ``k``."""
    if not len(codes):
        return codes.astype(np.int64), 0
    uniq, inverse = np.unique(codes, return_inverse=True)
    return inverse.astype(np.int64).ravel(), len(uniq)


def clipped_overlap(a_keys: np.ndarray, a_seg: np.ndarray, b_keys: np.ndarray, b_seg: np.ndarray,
                    n_segments: int) -> np.ndarray:
    """Per segment, ``sum over keys k of min(count_a(k), count_b(k))`` (a multiset intersection size).

    ``a_keys``/``b_keys`` are non-negative int ids, ``a_seg``/``b_seg`` the segment each belongs
    to. Exact integer arithmetic; one sort of both sides together.

    Example:
        >>> clipped_overlap(np.array([1, 1, 2]), np.array([0, 0, 0]), np.array([1, 1, 1, 3]), np.zeros(4, int), 1)
        array([2])
    """
    if not len(a_keys) or not len(b_keys):
        return np.zeros(n_segments, dtype=np.int64)
    width = int(max(a_keys.max(), b_keys.max())) + 1
    if n_segments * width >= 1 << 61:  # keys too sparse to pack with the segment: renumber them
        dense, width = dense_ids(np.concatenate([a_keys, b_keys]))
        a_keys, b_keys = dense[:len(a_keys)], dense[len(a_keys):]
    # (segment, key, side) packed in one int64 whose lowest bit is the side
    packed = np.concatenate([(a_seg * width + a_keys) * 2, (b_seg * width + b_keys) * 2 + 1])
    packed.sort()
    starts = np.flatnonzero(np.concatenate([[True], packed[1:] != packed[:-1]]))
    counts = np.diff(np.append(starts, len(packed)))
    uniq = packed[starts]
    # a key present on both sides shows up as neighbours 2k (side a) and 2k + 1 (side b)
    both = np.flatnonzero((uniq[1:] == uniq[:-1] + 1) & (uniq[:-1] % 2 == 0))
    hits = np.minimum(counts[both], counts[both + 1])
    return np.bincount(uniq[both] // 2 // width, weights=hits, minlength=n_segments).astype(np.int64)
