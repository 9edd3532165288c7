"""ROUGE parity with rouge-score 0.1.2: every type, with and without the stemmer, exactly."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import metrics
from metrics.text.rouge import bootstrap_interval, rouge, rouge_scores
from metrics.validation import MetricInputError

rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
scoring = pytest.importorskip("rouge_score.scoring")

TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
# words that stem together (running/runs), short words the stemmer must leave alone, caps,
# digits, unicode (lowercases to non-ASCII, so dropped), punctuation glued to words
WORDS = ["the", "The", "cat", "cats", "running", "runs", "run", "ran", "on", "mat", "a", "is", "dogs",
         "dog's", "42", "x9", "café", "naïve", "日本", "Δelta", "—", "...", "e.g.", "it's", "UPPER",
         "generously", "generous", "happiness", "happy", "K"]  # K: the Kelvin sign lowercases to ASCII k
SEPARATORS = [" ", " ", " ", "  ", "\n", "\t", ", ", ". ", "\n\n", " - "]

text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=30).map(
    lambda parts: "".join(w + s for w, s in parts))


def reference_scores(preds, refs, types, use_stemmer):
    """rouge-score's per-example (precision, recall, F) arrays, per type."""
    scorer = rouge_scorer.RougeScorer(types, use_stemmer=use_stemmer)
    out = {t: [] for t in types}
    for p, r in zip(preds, refs):
        s = scorer.score_multi(r, p) if isinstance(r, list) else scorer.score(r, p)
        for t in types:
            out[t].append(tuple(s[t]))
    return {t: np.array(v, dtype=np.float64).reshape(-1, 3) for t, v in out.items()}


def assert_same(ours, theirs):
    for t in theirs:
        np.testing.assert_array_equal(ours[t], theirs[t], err_msg=t)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(text, text), min_size=1, max_size=12), use_stemmer=st.booleans())
def test_parity_single_reference(pairs, use_stemmer):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    assert_same(rouge_scores(preds, refs, TYPES + ["rouge3"], use_stemmer),
                reference_scores(preds, refs, TYPES + ["rouge3"], use_stemmer))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.tuples(text, st.lists(text, min_size=1, max_size=4)), min_size=1, max_size=8),
       use_stemmer=st.booleans())
def test_parity_several_references(items, use_stemmer):
    preds, refs = [p for p, _ in items], [r for _, r in items]
    assert_same(rouge_scores(preds, refs, TYPES, use_stemmer), reference_scores(preds, refs, TYPES, use_stemmer))


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_parity_generated_corpus_edge_cases(use_stemmer):
    rng = random.Random(7)

    def doc(k):
        return "".join(rng.choice(WORDS) + rng.choice(SEPARATORS) for _ in range(k))

    preds = ["", "   ", "\n\n", "!!!", "Ünïcödé only", doc(1), doc(2), doc(600), doc(40), doc(3)]
    refs = [doc(5), "", "a", doc(1), "", doc(600), doc(2), doc(500), doc(40), "\n".join([doc(3)] * 4)]
    preds += [doc(rng.randint(0, 60)) for _ in range(150)]
    refs += [doc(rng.randint(0, 60)) for _ in range(150)]
    assert_same(rouge_scores(preds, refs, TYPES, use_stemmer), reference_scores(preds, refs, TYPES, use_stemmer))


def test_summary_level_lcs_union_and_clipping():
    # ref sentence "a b a" against candidates "a" and "b a": the walk back takes the last "a"
    # (position 2) for "a" and positions {1, 2} for "b a"; the union {1, 2} gives 2 hits of 3
    preds = ["a\nb a", "b a\na", "x y\nz", "a a a\na"]
    refs = ["a b a", "a b a\nb", "x\ny z x", "a\na\na\na\na"]
    assert_same(rouge_scores(preds, refs, ["rougeLsum"]), reference_scores(preds, refs, ["rougeLsum"], False))
    assert rouge_scores(["a\nb a"], ["a b a"], ["rougeLsum"])["rougeLsum"][0].tolist() == [2 / 3, 2 / 3, 2 / 3]


@pytest.mark.parametrize("longest", [15, 64, 90])  # up to 64 candidate tokens: bit-parallel rows; beyond: full table
def test_lcs_positions_match_rouge_score_backtrack(longest):
    from metrics.text.rouge_lcs import lcs_positions

    rng = random.Random(longest)
    refs = [[rng.randrange(4) for _ in range(rng.randint(1, longest))] for _ in range(300)]
    cands = [[rng.randrange(4) for _ in range(rng.randint(1, longest))] for _ in range(300)]
    ref_off = np.cumsum([0] + [len(r) for r in refs])
    cand_off = np.cumsum([0] + [len(c) for c in cands])
    mark = lcs_positions(np.concatenate(refs), ref_off, np.concatenate(cands), cand_off,
                         np.arange(300), np.arange(300))
    for k, (r, c) in enumerate(zip(refs, cands)):
        expected = set(rouge_scorer.lcs_ind(r, c))
        assert set(np.flatnonzero(mark[ref_off[k]:ref_off[k + 1]]).tolist()) == expected, k


def test_aggregate_is_deterministic_mean_and_lists_per_example():
    preds = ["the cat sat on the mat", "a dog", "", "hello\nworld again"]
    refs = ["the cat was on the mat", "the dog barked", "nothing", "hello world\nagain"]
    theirs = reference_scores(preds, refs, TYPES, False)
    out = rouge(preds, refs)
    assert set(out) == set(TYPES)
    for t in TYPES:
        assert out[t] == pytest.approx(float(np.mean(theirs[t][:, 2])), abs=1e-12)
    lists = metrics.load("rouge").compute(predictions=preds, references=refs, use_aggregator=False)
    for t in TYPES:
        assert lists[t] == theirs[t][:, 2].tolist()
    recall = rouge(preds, refs, measure="recall", rouge_types=["rouge1"])
    assert recall["rouge1"] == pytest.approx(float(np.mean(theirs["rouge1"][:, 1])), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 17])
def test_bootstrap_matches_rouge_score_aggregator(seed):
    rng = random.Random(seed)
    preds = [" ".join(rng.choices(WORDS, k=rng.randint(0, 12))) for _ in range(40)]
    refs = [" ".join(rng.choices(WORDS, k=rng.randint(1, 12))) for _ in range(40)]
    scorer = rouge_scorer.RougeScorer(["rouge1", "rougeL"])
    agg = scoring.BootstrapAggregator(n_samples=300, confidence_interval=0.9)
    for p, r in zip(preds, refs):
        agg.add_scores(scorer.score(r, p))
    np.random.seed(seed)
    theirs = agg.aggregate()
    ours = metrics.load("rouge", rouge_types=["rouge1", "rougeL"]).compute(
        predictions=preds, references=refs, bootstrap=True, n_samples=300, confidence_interval=0.9, seed=seed)
    for t in ["rouge1", "rougeL"]:
        for bound in ("low", "mid", "high"):
            assert ours[f"{t}_{bound}"] == pytest.approx(getattr(theirs[t], bound).fmeasure, abs=1e-9)
    again = metrics.load("rouge", rouge_types=["rouge1", "rougeL"]).compute(
        predictions=preds, references=refs, bootstrap=True, n_samples=300, confidence_interval=0.9, seed=seed)
    assert again == ours


def test_bootstrap_interval_brackets_the_mean():
    values = np.random.default_rng(0).random((200, 1))
    low, mid, high = bootstrap_interval(values, n_samples=500, seed=1)[:, 0]
    assert low < values.mean() < high and low < mid < high


def test_merge_state_dict_and_bytes_round_trip():
    rng = random.Random(5)
    preds = ["".join(rng.choice(WORDS) + rng.choice(SEPARATORS) for _ in range(rng.randint(0, 20)))
             for _ in range(30)]
    refs = [["".join(rng.choice(WORDS) + " " for _ in range(rng.randint(0, 20)))
             for _ in range(rng.randint(1, 3))] for _ in range(30)]
    whole = metrics.load("rouge", use_stemmer=True).compute(predictions=preds, references=refs)
    a, b = metrics.load("rouge", use_stemmer=True), metrics.load("rouge", use_stemmer=True)
    a.add_batch(predictions=preds[:10], references=refs[:10])
    for p, r in zip(preds[10:], refs[10:]):
        b.add(prediction=p, reference=r)
    c = metrics.load("rouge", use_stemmer=True)
    c.load_state_dict(b.state_dict())
    a.merge(metrics.load("rouge", use_stemmer=True).from_bytes(c.to_bytes()))
    assert a.compute() == whole


def test_merge_refuses_different_stemming():
    from metrics.state import MetricStateError

    with pytest.raises(MetricStateError, match="use_stemmer"):
        metrics.load("rouge").merge(metrics.load("rouge", use_stemmer=True))


@pytest.mark.parametrize("kwargs, match", [
    ({"rouge_types": ["rougeX"]}, "rougeX"),
    ({"rouge_types": []}, "rouge_types"),
    ({"measure": "accuracy"}, "measure"),
    ({"n_samples": 0}, "n_samples"),
])
def test_bad_options_name_the_option(kwargs, match):
    with pytest.raises(MetricInputError, match=match):
        metrics.load("rouge", **kwargs)


def test_bad_inputs_are_clear_errors():
    r = metrics.load("rouge")
    with pytest.raises(MetricInputError, match="1 predictions vs 2 references"):
        r.compute(predictions=["a"], references=["a", "b"])
    with pytest.raises(MetricInputError, match=r"references\[0\]"):
        r.compute(predictions=["a"], references=[[]])
    with pytest.raises(MetricInputError, match=r"predictions\[1\]"):
        r.compute(predictions=["a", 3], references=["a", "b"])
    with pytest.raises(MetricInputError, match="use_aggregator"):
        r.compute(predictions=["a"], references=["a"], use_aggregator=False, bootstrap=True)


def test_empty_corpus_gives_zero():
    assert rouge([], []) == {t: 0.0 for t in TYPES}


class WhitespaceTokenizer:
    """A rouge-score ``Tokenizer``: keeps case, punctuation and unicode, splits on spaces only."""

    def tokenize(self, text):
        return text.split(" ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(st.tuples(text, st.lists(text, min_size=1, max_size=3)), min_size=1, max_size=8))
def test_parity_custom_tokenizer(items):
    preds, refs = [p for p, _ in items], [r for _, r in items]
    tok = WhitespaceTokenizer()
    scorer = rouge_scorer.RougeScorer(TYPES, tokenizer=tok)
    theirs = {t: np.array([tuple(scorer.score_multi(r, p)[t]) for p, r in zip(preds, refs)]).reshape(-1, 3)
              for t in TYPES}
    assert_same(rouge_scores(preds, refs, TYPES, tokenizer=tok), theirs)
    # a plain callable works the same
    assert_same(rouge_scores(preds, refs, TYPES, tokenizer=tok.tokenize), theirs)


def test_custom_tokenizer_option_and_errors():
    preds, refs = ["Ünï cödé, ok"], ["ünï cödé, ok"]
    out = metrics.load("rouge", tokenizer=str.split, rouge_types=["rouge1"]).compute(predictions=preds,
                                                                                      references=refs)
    assert out == {"rouge1": 2 / 3}  # "Ünï" != "ünï": no lowercasing with a custom tokenizer
    with pytest.raises(MetricInputError, match="use_stemmer"):
        metrics.load("rouge", tokenizer=str.split, use_stemmer=True)
    with pytest.raises(MetricInputError, match="tokenizer"):
        metrics.load("rouge", tokenizer=42).compute(predictions=["a"], references=["a"])


def test_ids_as_strings_keep_equality_across_surrogates_and_huge_vocabularies():
    from rapidfuzz.distance import LCSseq

    from metrics.text import ragged

    ids = np.array([0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xD800, 5], dtype=np.int64)
    strings = ragged.as_strings(ids, np.array([0, 4, 6]))
    assert len(set(strings[0])) == 4 and strings[1][0] == strings[0][1]
    huge = np.array([2_000_000, 7, 2_000_000], dtype=np.int64)
    lists = ragged.as_strings(huge, np.array([0, 2, 3]))
    assert lists == [[2_000_000, 7], [2_000_000]]
    assert LCSseq.similarity(lists[0], lists[1]) == 1
