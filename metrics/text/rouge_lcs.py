"""Longest common subsequences for ROUGE-L, batched over many sentence pairs with numpy.

rougeL needs only LCS *lengths* (rapidfuzz computes those in C++). rougeLsum's
summary-level LCS (Lin 2004, section 3.2) needs the LCS *alignment*: for each reference
sentence, the union of the reference positions that an LCS with each candidate
sentence uses. Which LCS is picked matters when several exist, so this module follows
rouge-score's choice exactly: fill the DP table, then walk back from the end, taking a
match whenever the two current tokens are equal, otherwise stepping left only when the
left cell is strictly greater, else up.

The table is filled for a whole bucket of similar-sized pairs at once: row ``i`` of
every pair is ``cummax(max(T[i-1][1:], T[i-1][:-1] + eq))``, one vectorised step per
row; the walk back is vectorised over pairs too.

Example:
    >>> import numpy as np
    >>> ref, cand = np.array([1, 2, 1]), np.array([2, 1])
    >>> mark = lcs_positions(ref, np.array([0, 3]), cand, np.array([0, 2]), np.array([0]), np.array([0]))
    >>> mark.tolist()   # LCS "2 1" uses reference positions 1 and 2
    [False, True, True]
"""
from __future__ import annotations

import numpy as np

from . import ragged

#: DP cells filled per vectorised batch; bounds memory to ~32-64 MB
_CELLS_PER_BATCH = 1 << 24


def lcs_positions(ref_values: np.ndarray, ref_offsets: np.ndarray, cand_values: np.ndarray,
                  cand_offsets: np.ndarray, pair_ref: np.ndarray, pair_cand: np.ndarray) -> np.ndarray:
    """Mark every reference position used by rouge-score's LCS of any pair.

    Args:
        ref_values, ref_offsets: reference sentences (ragged token ids).
        cand_values, cand_offsets: candidate sentences.
        pair_ref, pair_cand: the sentence pairs to align (indices into the two).

    Returns:
        bool array over ``ref_values``: the union, per reference sentence, of its LCS positions.
    """
    mark = np.zeros(len(ref_values), dtype=bool)
    if not len(pair_ref):
        return mark
    m = ref_offsets[pair_ref + 1] - ref_offsets[pair_ref]
    n = cand_offsets[pair_cand + 1] - cand_offsets[pair_cand]
    order = np.lexsort((n, m))
    sorted_m, sorted_n = m[order], n[order]
    start = 0
    while start < len(order):
        # largest batch whose padded table fits the budget; the cost only grows with the batch
        window = slice(start, min(len(order), start + 65536))
        cost = (np.arange(1, window.stop - start + 1) * (sorted_m[window] + 1)
                * (np.maximum.accumulate(sorted_n[window]) + 1))
        stop = start + max(1, int(np.searchsorted(cost, _CELLS_PER_BATCH, side="right")))
        idx = order[start:stop]
        _mark_batch(ref_values, ref_offsets, cand_values, cand_offsets, pair_ref[idx], pair_cand[idx], mark)
        start = stop
    return mark


def _padded(values: np.ndarray, offsets: np.ndarray, rows: np.ndarray, width: int, pad: int) -> np.ndarray:
    """Segments ``rows`` as the columns of a (width, len(rows)) array, padded with ``pad``."""
    out = np.full((width, len(rows)), pad, dtype=np.int64)
    seg_values, seg_offsets = ragged.take_segments(values, offsets, rows)
    lens = np.diff(seg_offsets)
    col = np.repeat(np.arange(len(rows)), lens)
    row = np.arange(len(seg_values)) - np.repeat(seg_offsets[:-1], lens)
    out[row, col] = seg_values
    return out


def _mark_batch(ref_values, ref_offsets, cand_values, cand_offsets, pref, pcand, mark) -> None:
    m = ref_offsets[pref + 1] - ref_offsets[pref]
    n = cand_offsets[pcand + 1] - cand_offsets[pcand]
    big_m, big_n = int(m.max()), int(n.max())
    # different pads on each side: padding never matches anything
    ref = _padded(ref_values, ref_offsets, pref, big_m, -1)
    cand = _padded(cand_values, cand_offsets, pcand, big_n, -2)
    if big_n <= 64 and hasattr(np, "bitwise_count"):
        _walk_back(ref, cand, m, n, ref_offsets[pref], mark, _bit_rows(ref, cand))
    else:
        _walk_back(ref, cand, m, n, ref_offsets[pref], mark, _table(ref, cand))


class _BitRows:
    """The DP table of a batch in bit-parallel form (candidates of at most 64 tokens).

    Row ``i`` of every pair is one uint64 ``S_i`` (Allison-Dix / Hyyrö): ``T[i][j]`` is the number
    of zero bits of ``S_i`` below bit ``j``. A row costs a few word operations per pair instead
    of a pass over the row's cells.
    """

    _MASKS = np.array([(1 << j) - 1 for j in range(65)], dtype=np.uint64)

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = rows  # (m + 1, pairs) uint64

    def __getitem__(self, index: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        i, j, pair = index
        return np.bitwise_count(~self.rows[i, pair] & self._MASKS[j])


def _bit_rows(ref: np.ndarray, cand: np.ndarray) -> _BitRows:
    big_m, batch = ref.shape
    # match masks: bit j of pm[i, p] says cand[j, p] == ref[i, p]
    eq = ref[:, None, :] == cand[None, :, :]                       # (m, n, pairs)
    packed = np.packbits(eq, axis=1, bitorder="little")            # (m, ceil(n / 8), pairs)
    pm_bytes = np.zeros((big_m, batch, 8), dtype=np.uint8)
    pm_bytes[:, :, :packed.shape[1]] = packed.transpose(0, 2, 1)
    pm = pm_bytes.view("<u8")[:, :, 0]                              # (m, pairs)
    rows = np.empty((big_m + 1, batch), dtype=np.uint64)
    rows[0] = np.uint64(0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):  # the carry out of bit 63 is meant to drop
        for i in range(big_m):
            s = rows[i]
            u = s & pm[i]
            rows[i + 1] = (s + u) | (s - u)
    return _BitRows(rows)


def _table(ref: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """The full DP table, (m + 1, n + 1, pairs), one vectorised cumulative max per row."""
    big_m, batch = ref.shape
    big_n = cand.shape[0]
    # pairs on the last, contiguous axis: every step below is one vector op across the batch
    table = np.zeros((big_m + 1, big_n + 1, batch), dtype=np.int16 if big_m < 32000 else np.int32)
    for i in range(1, big_m + 1):
        best = np.maximum(table[i - 1, 1:], table[i - 1, :-1] + (ref[i - 1] == cand))
        np.maximum.accumulate(best, axis=0, out=table[i, 1:])
    return table


def _walk_back(ref, cand, m, n, ref_start, mark, table) -> None:
    """rouge-score's walk from each pair's own corner (a prefix of the padded table is the real
    table); ``table[i, j, pairs]`` may be the array or its bit-parallel form."""
    i, j = m.copy(), n.copy()
    while True:
        active = np.flatnonzero((i > 0) & (j > 0))
        if not len(active):
            break
        ii, jj = i[active], j[active]
        match = ref[ii - 1, active] == cand[jj - 1, active]
        mark[ref_start[active[match]] + ii[match] - 1] = True
        left = ~match & (table[ii, jj - 1, active] > table[ii - 1, jj, active])
        up = ~match & ~left
        i[active] = ii - (match | up)
        j[active] = jj - (match | left)
