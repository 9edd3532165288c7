"""Vectorised n-gram counting (metrics/text/ngrams.py) against plain-Python Counters."""
from __future__ import annotations

import collections

import numpy as np
from hypothesis import given, settings, strategies as st

from metrics.text import ngrams as ng
from metrics.text.bleu_stats import bleu_statistics

token_lists = st.lists(st.lists(st.sampled_from(["a", "b", "c", "dd", "é", "我"]), max_size=9), min_size=1, max_size=6)


def _python_ngrams(seqs, max_order):
    """{order: [(sequence index, n-gram tuple), ...]} in order."""
    return {n: [(s, tuple(seq[i:i + n])) for s, seq in enumerate(seqs) for i in range(len(seq) - n + 1)]
            for n in range(1, max_order + 1)}


def _check_ids(seqs, batch, max_order):
    expected = _python_ngrams(seqs, max_order)
    for n, grams, owners, bound in ng.iter_ngrams(batch, max_order):
        exp = expected[n]
        assert owners.tolist() == [s for s, _ in exp]
        assert (grams < bound).all() and (grams >= 0).all()
        # equal ids <=> equal n-grams
        by_id: dict[int, tuple] = {}
        for g, (_, gram) in zip(grams.tolist(), exp):
            assert by_id.setdefault(g, gram) == gram
        assert len(by_id) == len({gram for _, gram in exp})


@settings(max_examples=80, deadline=None)
@given(seqs=token_lists, max_order=st.integers(1, 5))
def test_word_ngram_ids_are_exact(seqs, max_order):
    _check_ids(seqs, ng.encode_words(seqs), max_order)


@settings(max_examples=40, deadline=None)
@given(seqs=token_lists, max_order=st.integers(2, 5))
def test_densified_ids_are_exact(seqs, max_order):
    # a tiny key budget forces the re-numbering path at every order
    old = ng.KEY_LIMIT
    ng.KEY_LIMIT = 64
    try:
        _check_ids(seqs, ng.encode_words(seqs), max_order)
    finally:
        ng.KEY_LIMIT = old


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab c\u00e9\U0001F600\ud800", max_size=12), min_size=1, max_size=5),
       max_order=st.integers(1, 6))
def test_char_ngram_ids_are_exact(texts, max_order):
    _check_ids([list(t) for t in texts], ng.encode_chars(texts), max_order)


@settings(max_examples=80, deadline=None)
@given(h=st.lists(st.integers(0, 6), max_size=30), r=st.lists(st.integers(0, 6), max_size=30))
def test_paired_and_clipped_overlap_equal_counter_intersection(h, r):
    expected = collections.Counter(h) & collections.Counter(r)
    keys, counts = ng.paired_overlap(np.array(h, dtype=np.int64), np.array(r, dtype=np.int64))
    assert dict(zip(keys.tolist(), counts.tolist())) == dict(expected)
    hk, hc = ng.count_keys(np.array(h, dtype=np.int64))
    rk, rc = ng.count_keys(np.array(r, dtype=np.int64))
    keys, counts = ng.clipped_overlap(hk, hc, rk, rc)
    assert dict(zip(keys.tolist(), counts.tolist())) == dict(expected)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(st.lists(st.sampled_from("abcd"), max_size=10),
                               st.lists(st.lists(st.sampled_from("abcde"), max_size=10), min_size=1, max_size=3)),
                     min_size=1, max_size=6),
       max_order=st.integers(1, 4))
def test_bleu_statistics_equal_counter_model(data, max_order):
    hyps, refs = [h for h, _ in data], [r for _, r in data]
    s = bleu_statistics(hyps, refs, max_order)
    matches, totals = [0] * max_order, [0] * max_order
    closest = shortest = 0
    for hyp, rs in data:
        hc = collections.Counter(tuple(hyp[i:i + n]) for n in range(1, max_order + 1) for i in range(len(hyp) - n + 1))
        best = collections.Counter()
        for ref in rs:
            best |= collections.Counter(tuple(ref[i:i + n]) for n in range(1, max_order + 1)
                                        for i in range(len(ref) - n + 1))
        for g, c in (hc & best).items():
            matches[len(g) - 1] += c
        for g, c in hc.items():
            totals[len(g) - 1] += c
        closest += min((abs(len(hyp) - len(ref)), len(ref)) for ref in rs)[1]
        shortest += min(len(ref) for ref in rs)
    assert s.matches.tolist() == matches and s.totals.tolist() == totals
    assert (s.hyp_len, s.ref_len_closest, s.ref_len_shortest) == (sum(map(len, hyps)), closest, shortest)


def test_replicate_ranges():
    assert ng.replicate_ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist() == [5, 6, 9, 10, 11]
    assert ng.replicate_ranges(np.array([], dtype=np.int64), np.array([], dtype=np.int64)).tolist() == []
