"""BLEU's sufficient statistics for a batch: clipped n-gram matches, n-gram totals and lengths.

Both BLEU flavours (tensorflow/nmt ``compute_bleu`` and sacreBLEU) are functions of the
same additive numbers, summed over the corpus:

* ``matches[n-1]``: hypothesis n-grams also found in the references, each counted at most
  as many times as it occurs in the reference that holds it most often;
* ``totals[n-1]``: hypothesis n-grams;
* ``hyp_len``: hypothesis tokens;
* ``ref_len_closest``: per segment, the reference length closest to the hypothesis length
  (ties to the shorter), sacreBLEU's choice;
* ``ref_len_shortest``: per segment, the shortest reference length, tensorflow/nmt's choice.

Because they are sums, batches and processes combine by addition.

Example:
    >>> s = bleu_statistics([["the", "cat"]], [[["the", "cat", "sat"], ["a", "cat"]]], max_order=2)
    >>> s.matches.tolist(), s.totals.tolist(), s.hyp_len, s.ref_len_closest, s.ref_len_shortest
    ([2, 1], [2, 1], 2, 2, 2)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .ngrams import (clipped_overlap, count_keys, encode_words, group_max, iter_ngrams, owner_keys,
                     paired_overlap)

__all__ = ["BleuStats", "bleu_statistics", "flatten_references"]

#: segments handled per vectorised pass (bounds memory on big corpora)
CHUNK_SEGMENTS = 8192


@dataclass
class BleuStats:
    """Additive BLEU statistics (see the module docstring)."""

    max_order: int
    matches: np.ndarray = field(default=None)  # type: ignore[assignment]
    totals: np.ndarray = field(default=None)  # type: ignore[assignment]
    hyp_len: int = 0
    ref_len_closest: int = 0
    ref_len_shortest: int = 0

    def __post_init__(self) -> None:
        if self.matches is None:
            self.matches = np.zeros(self.max_order, dtype=np.int64)
        if self.totals is None:
            self.totals = np.zeros(self.max_order, dtype=np.int64)

    def __iadd__(self, other: "BleuStats") -> "BleuStats":
        self.matches = self.matches + other.matches
        self.totals = self.totals + other.totals
        self.hyp_len += other.hyp_len
        self.ref_len_closest += other.ref_len_closest
        self.ref_len_shortest += other.ref_len_shortest
        return self


def flatten_references(references: Sequence[Sequence[object]]) -> tuple[list, np.ndarray]:
    """All references in one list, and the segment each belongs to."""
    flat = [r for refs in references for r in refs]
    seg = np.repeat(np.arange(len(references), dtype=np.int64), [len(refs) for refs in references])
    return flat, seg


def _reference_lengths(hyp_lens: np.ndarray, ref_lens: np.ndarray, ref_seg: np.ndarray,
                       n_segments: int) -> tuple[int, int]:
    """(sum of closest reference lengths, sum of shortest reference lengths)."""
    if not n_segments:
        return 0, 0
    # references are grouped by segment, in order, at least one each
    starts = np.searchsorted(ref_seg, np.arange(n_segments))
    diff = np.abs(hyp_lens[ref_seg] - ref_lens)
    # closest length, ties broken towards the shorter reference: minimise (diff, length)
    scale = int(ref_lens.max()) + 1
    closest = np.minimum.reduceat(diff * scale + ref_lens, starts) % scale
    shortest = np.minimum.reduceat(ref_lens, starts)
    return int(closest.sum()), int(shortest.sum())


def _chunk_statistics(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]], ref_seg: np.ndarray,
                      max_order: int) -> BleuStats:
    n_hyp = len(hyps)
    batch = encode_words(list(hyps) + list(refs))
    lengths = batch.lengths
    hyp_lens, ref_lens = lengths[:n_hyp], lengths[n_hyp:]
    stats = BleuStats(max_order)
    stats.hyp_len = int(hyp_lens.sum())
    stats.ref_len_closest, stats.ref_len_shortest = _reference_lengths(hyp_lens, ref_lens, ref_seg, n_hyp)
    single = len(refs) == n_hyp  # exactly one reference per segment (the common case)
    owner_of = np.concatenate([np.arange(n_hyp, dtype=np.int64), ref_seg])
    for n, grams, owners, bound in iter_ngrams(batch, max_order, n_owners=len(batch)):
        is_hyp = owners < n_hyp
        stats.totals[n - 1] = int(is_hyp.sum())
        hyp_keys = owner_keys(owners[is_hyp], grams[is_hyp], bound)
        ref_owner, ref_grams = owners[~is_hyp], grams[~is_hyp]
        if single:
            _, clipped = paired_overlap(hyp_keys, owner_keys(owner_of[ref_owner], ref_grams, bound))
        else:
            # count per reference, keep the largest count per (segment, n-gram), then clip
            inst_keys, inst_counts = count_keys(owner_keys(ref_owner, ref_grams, bound))
            seg_keys = owner_keys(owner_of[inst_keys // bound], inst_keys % bound, bound)
            ref_keys, ref_max = group_max(seg_keys, inst_counts)
            hk, hc = count_keys(hyp_keys)
            _, clipped = clipped_overlap(hk, hc, ref_keys, ref_max)
        stats.matches[n - 1] = int(clipped.sum())
    return stats


def bleu_statistics(hyp_tokens: Sequence[Sequence[str]], ref_tokens: Sequence[Sequence[Sequence[str]]],
                    max_order: int = 4) -> BleuStats:
    """BLEU statistics of tokenized hypotheses against their tokenized references.

    Args:
        hyp_tokens: one token list per segment.
        ref_tokens: per segment, a list of one or more token lists (numbers may vary).
        max_order: largest n-gram order.
    """
    total = BleuStats(max_order)
    for start in range(0, len(hyp_tokens), CHUNK_SEGMENTS):
        refs = ref_tokens[start:start + CHUNK_SEGMENTS]
        flat, seg = flatten_references(refs)
        total += _chunk_statistics(hyp_tokens[start:start + CHUNK_SEGMENTS], flat, seg, max_order)
    return total
