"""TER's edit count with block shifts, equal to sacreBLEU's (Tercom's) greedy shift search.

TER counts the fewest edits (insertions, deletions, substitutions of one word, and shifts
of a block of words) turning a hypothesis into a reference, divided by the reference
length. Finding the true minimum is NP-hard, so Tercom (and sacreBLEU after it) searches
greedily and the *exact* heuristics define the metric:

* the word-level edit distance is a dynamic programme restricted to a beam of 25 cells
  around the (length-ratio scaled) diagonal, with ties broken substitution, then deletion,
  then insertion; its alignment decides which blocks may move;
* candidate blocks are matching runs of 1..10 words, at most 50 positions apart, that are
  misaligned on both sides; each is tried at every target position next to the alignment
  of its reference words; the best candidate (largest gain, then longer block, earlier
  start, earlier target) is applied while it gains, after at most 1000 tries in total.

We follow those rules exactly but compute them faster: words become integers, the gain of
each candidate needs only a distance (no alignment), and that distance comes from
rapidfuzz's C++ Levenshtein whenever it provably equals the beam-restricted one (the
optimum is below the cost of any path leaving the beam, see :func:`_band`); otherwise a
Python beam DP computes it. The one alignment needed per shift step fills only the diagonal
band an optimal path can use (:func:`_beam_rows`), and start positions whose reachable block
holds no misaligned word are skipped before any candidate is built. The randomised parity
tests compare every step's outcome with sacreBLEU on adversarial inputs (tiny vocabularies,
very unequal lengths).

Example:
    >>> ter_edits("a b c d".split(), "c d a b".split())   # one shift of "a b"
    1
    >>> ter_edits([], ["x", "y"]), ter_edits(["x"], [])
    (2, 1)
"""
from __future__ import annotations

import logging
import math
from functools import lru_cache
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["ter_edits", "MAX_SHIFT_SIZE", "MAX_SHIFT_DIST", "BEAM_WIDTH", "MAX_SHIFT_CANDIDATES"]

MAX_SHIFT_SIZE = 10
MAX_SHIFT_DIST = 50
BEAM_WIDTH = 25
MAX_SHIFT_CANDIDATES = 1000
_INF = 10 ** 16  # an unreachable cell, as large as Tercom's


@lru_cache(maxsize=4096)
def _band(n_h: int, n_r: int) -> tuple[tuple[tuple[int, int], ...], float]:
    """Beam limits ``[lo, hi)`` of every DP row (index = hypothesis position), and the
    smallest possible cost of a path through any cell outside the beam.

    A path through cell ``(i, j)`` costs at least ``|i - j| + |(n_h - i) - (n_r - j)|`` (each
    length difference needs that many insertions or deletions). If the unrestricted optimum
    is below that bound for every excluded cell, some optimal path stays in the beam and the
    beam DP returns the unrestricted distance.
    """
    ratio = n_r / n_h if n_h else 1
    width = math.ceil(ratio / 2 + BEAM_WIDTH) if BEAM_WIDTH < ratio / 2 else BEAM_WIDTH
    rows = [(0, n_r + 1)]
    for i in range(1, n_h + 1):
        diag = math.floor(i * ratio)
        lo, hi = max(0, diag - width), min(n_r + 1, diag + width)
        if i == n_h:
            hi = n_r + 1
        rows.append((lo, hi))
    i = np.arange(n_h + 1)[:, None]
    j = np.arange(n_r + 1)[None, :]
    lo = np.array([r[0] for r in rows])[:, None]
    hi = np.array([r[1] for r in rows])[:, None]
    outside = (j < lo) | (j >= hi)
    if outside.any():
        bound = np.abs(i - j) + np.abs((n_h - i) - (n_r - j))
        excluded_min = float(bound[outside].min())
    else:
        excluded_min = math.inf
    return tuple(rows), excluded_min


def _beam_rows(h: Sequence[int], r: Sequence[int], rows: Sequence[tuple[int, int]],
               optimum: int | None = None) -> list[list[int]]:
    """The beam-restricted DP matrix (cells outside the beam hold ``_INF``).

    Given the beam ``optimum`` (the final distance, known from a faster exact computation),
    only cells that can lie on an optimal path are computed: a path through ``(i, j)`` costs at
    least ``|i - j| + |(n_h - i) - (n_r - j)|``, so with ``k = i - j`` only a diagonal band of
    ``k`` around ``[min(0, n_h - n_r), max(0, n_h - n_r)]`` widened by half the slack can. Cells
    on optimal paths keep their exact values, and any other cell is left at or above its true
    value, so it can never win a comparison on the way back: the alignment is unchanged while
    the work shrinks from the beam (~50 cells a row) to the band (a few cells a row).
    """
    n_h, n_r = len(h), len(r)
    prev = list(range(n_r + 1))
    out = [prev]
    if optimum is None:
        k_lo, k_hi = -n_r - 1, n_h + 1
    else:
        skew = n_h - n_r
        slack = (optimum - abs(skew)) // 2
        k_lo, k_hi = min(0, skew) - slack, max(0, skew) + slack
    for i in range(1, n_h + 1):
        lo, hi = rows[i]
        # j = i - k for k in [k_lo, k_hi]
        if i - k_hi > lo:
            lo = i - k_hi
        if i - k_lo + 1 < hi:
            hi = i - k_lo + 1
        cur = [_INF] * (n_r + 1)
        if lo >= hi:
            out.append(cur)
            prev = cur
            continue
        w = h[i - 1]
        if lo == 0:
            cur[0] = prev[0] + 1
            lo = 1
        left = cur[lo - 1]
        for j in range(lo, hi):
            c = prev[j - 1] if w == r[j - 1] else prev[j - 1] + 1
            d = prev[j] + 1
            if d < c:
                c = d
            if left + 1 < c:
                c = left + 1
            cur[j] = left = c
        out.append(cur)
        prev = cur
    return out


def _alignment(h: Sequence[int], r: Sequence[int], dist: list[list[int]]) -> tuple[list[int], list[int], list[int]]:
    """Walk Tercom's tie-broken path back and return (align, hyp_err prefix sums, ref_err prefix sums).

    ``align[j]`` is the hypothesis position reference word ``j`` is aligned to (or follows).
    """
    i, j = len(h), len(r)
    ops = []
    while i > 0 or j > 0:
        if i == 0:
            op = "r"  # only reference words left: they are missing from the hypothesis
        elif j == 0:
            op = "h"  # only hypothesis words left: extra words
        else:
            # the order of these tests reproduces Tercom's tie-break: diagonal, then extra, then missing
            best = dist[i - 1][j - 1] + (h[i - 1] != r[j - 1])
            op = "d"
            if dist[i - 1][j] + 1 < best:
                best, op = dist[i - 1][j] + 1, "h"
            if dist[i][j - 1] + 1 < best:
                op = "r"
        ops.append(op)
        if op == "d":
            i -= 1
            j -= 1
        elif op == "h":
            i -= 1
        else:
            j -= 1
    align: list[int] = []
    hyp_err, ref_err = [0], [0]
    pos_h = -1
    for op in reversed(ops):
        if op == "d":
            pos_h += 1
            err = int(h[pos_h] != r[len(align)])
            align.append(pos_h)
            hyp_err.append(hyp_err[-1] + err)
            ref_err.append(ref_err[-1] + err)
        elif op == "h":
            pos_h += 1
            hyp_err.append(hyp_err[-1] + 1)
        else:
            align.append(pos_h)
            ref_err.append(ref_err[-1] + 1)
    return align, hyp_err, ref_err


def _shifted(words: list[int], start: int, length: int, target: int) -> list[int]:
    """``words`` with the block ``[start, start + length)`` moved to ``target`` (Tercom's convention)."""
    block = words[start:start + length]
    if target < start:
        return words[:target] + block + words[target:start] + words[start + length:]
    if target > start + length:
        return words[:start] + words[start + length:target] + block + words[target:]
    return words[:start] + words[start + length:length + target] + block + words[length + target:]


class _Distance:
    """Beam-restricted edit distance to one reference, fast where provably exact."""

    def __init__(self, r: list[int], n_h: int) -> None:
        self.r = r
        self.rows, self.excluded_min = _band(n_h, len(r))
        self._lev = _levenshtein()
        if self._lev is None:  # without rapidfuzz: same numbers, slower
            self.excluded_min = -1

    def __call__(self, h: list[int]) -> int:
        if self.excluded_min > 0:
            d = self._lev(h, self.r)
            if d < self.excluded_min:
                return d
        return _beam_rows(h, self.r, self.rows)[-1][-1]

    def matrix(self, h: list[int]) -> list[list[int]]:
        """The DP matrix, restricted to the cells an optimal path can use when the optimum is known."""
        if self.excluded_min > 0:
            d = self._lev(h, self.r)
            if d < self.excluded_min:
                return _beam_rows(h, self.r, self.rows, d)
        return _beam_rows(h, self.r, self.rows)


@lru_cache(maxsize=1)
def _levenshtein():
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        logger.warning("rapidfuzz is not installed: TER falls back to a slower pure-Python edit distance "
                       "(pip install rapidfuzz)")
        return None
    return Levenshtein.distance


def _best_shift(h: list[int], r: list[int], positions: dict[int, list[int]], distance: _Distance,
                score: int, align: list[int], hyp_err: list[int], ref_err: list[int],
                checked: int) -> tuple[int, list[int], int]:
    """Tercom's best shift of ``h``: (gain, shifted words, candidates tried so far)."""
    n_h, n_r = len(h), len(r)
    best: tuple[int, int, int, int] | None = None
    best_words = h
    for start_h in range(n_h):
        if hyp_err[min(start_h + MAX_SHIFT_SIZE, n_h)] == hyp_err[start_h]:
            continue  # no block starting here can contain a hypothesis error: all would be skipped
        for start_r in positions.get(h[start_h], ()):
            if start_r - start_h > MAX_SHIFT_DIST:
                break  # positions ascend: every later one is farther still
            if start_h - start_r > MAX_SHIFT_DIST:
                continue
            if ref_err[min(start_r + MAX_SHIFT_SIZE, n_r)] == ref_err[start_r]:
                continue
            length = 0
            while length < MAX_SHIFT_SIZE and h[start_h + length] == r[start_r + length]:
                length += 1
                end_h, end_r = start_h + length, start_r + length
                # only blocks misaligned on both sides, not already sitting where they belong
                if (hyp_err[end_h] != hyp_err[start_h] and ref_err[end_r] != ref_err[start_r]
                        and not start_h <= align[start_r] < end_h):
                    prev_target = -1
                    for offset in range(-1, length):
                        target = 0 if start_r + offset == -1 else align[start_r + offset] + 1
                        if target == prev_target:
                            continue
                        prev_target = target
                        words = _shifted(h, start_h, length, target)
                        candidate = (score - distance(words), length, -start_h, -target)
                        checked += 1
                        if best is None or candidate > best:
                            best, best_words = candidate, words
                    if checked >= MAX_SHIFT_CANDIDATES:
                        return (best[0] if best else 0), best_words, checked
                if end_h == n_h or end_r == n_r:
                    break
    return (best[0] if best else 0), best_words, checked


def ter_edits(hyp: Sequence[str], ref: Sequence[str]) -> int:
    """Number of TER edits (word edits plus shifts) from ``hyp`` to ``ref``, both token lists.

    Example:
        >>> ter_edits("the cat sat".split(), "the cat sat down".split())
        1
    """
    n_h, n_r = len(hyp), len(ref)
    if n_r == 0:
        return n_h
    if n_h == 0:
        return n_r
    if list(hyp) == list(ref):
        return 0
    ids: dict[str, int] = {}
    r = [ids.setdefault(w, len(ids)) for w in ref]
    h = [ids.setdefault(w, len(ids)) for w in hyp]
    positions: dict[int, list[int]] = {}
    for j, w in enumerate(r):
        positions.setdefault(w, []).append(j)
    distance = _Distance(r, n_h)
    shifts = checked = 0
    while True:
        dist = distance.matrix(h)
        score = dist[-1][-1]
        align, hyp_err, ref_err = _alignment(h, r, dist)
        gain, shifted, checked = _best_shift(h, r, positions, distance, score, align, hyp_err, ref_err, checked)
        if checked >= MAX_SHIFT_CANDIDATES or gain <= 0:
            return shifts + score
        shifts += 1
        h = shifted
