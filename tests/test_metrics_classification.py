"""Classification and correlation metrics against scikit-learn and scipy (exact or 1e-9)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from scipy import stats
from sklearn import metrics as skm

import metrics
from metrics.classification.correlation import rank_average
from metrics.validation import MetricInputError

TOL = 1e-9

labels_strategy = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=60)
weights_strategy = st.one_of(st.none(), st.just("random"))


def _close(a, b):
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= TOL


def _sk(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args, **kwargs)
    return out.tolist() if isinstance(out, np.ndarray) else float(out)


def _batches(m, preds, refs, weights=None, size=7):
    for i in range(0, len(preds), size):
        extra = {} if weights is None else {"sample_weight": weights[i:i + size]}
        m.add_batch(predictions=preds[i:i + size], references=refs[i:i + size], **extra)
    return m.compute()


@settings(max_examples=60, deadline=None)
@given(labels_strategy, weights_strategy, st.booleans())
def test_accuracy_matches_sklearn(pairs, weights, normalize):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    w = None if weights is None else np.random.default_rng(len(pairs)).uniform(0, 2, len(pairs))
    got = _batches(metrics.load("accuracy", normalize=normalize), preds, refs, w)["accuracy"]
    assert _close(got, _sk(skm.accuracy_score, refs, preds, normalize=normalize, sample_weight=w))


@settings(max_examples=120, deadline=None)
@given(labels_strategy, st.sampled_from(["micro", "macro", "weighted", None]),
       st.sampled_from(["warn", 0, 1, np.nan]), st.sampled_from(["precision", "recall", "f1"]),
       weights_strategy, st.one_of(st.none(), st.lists(st.integers(0, 6), min_size=1, max_size=4, unique=True)))
def test_multiclass_prf_matches_sklearn(pairs, average, zero_division, name, weights, labels):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    w = None if weights is None else np.random.default_rng(len(pairs)).uniform(0, 2, len(pairs))
    fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    try:
        expected = _sk(fn, refs, preds, average=average, zero_division=zero_division, sample_weight=w, labels=labels)
    except ValueError:
        assume(False)
    m = metrics.load(name, average=average, zero_division=zero_division, labels=labels)
    assert _close(_batches(m, preds, refs, w)[name], expected)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["pos", "neg"]), st.sampled_from(["pos", "neg"])), min_size=1, max_size=40),
       st.sampled_from(["pos", "neg"]), st.sampled_from(["warn", 0, 1]), st.sampled_from(["precision", "recall", "f1"]))
def test_binary_prf_string_labels_pos_label(pairs, pos_label, zero_division, name):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}[name]
    expected = _sk(fn, refs, preds, pos_label=pos_label, zero_division=zero_division)
    got = metrics.load(name, pos_label=pos_label, zero_division=zero_division).compute(
        predictions=preds, references=refs)[name]
    assert _close(got, expected)


def test_binary_edge_cases_match_sklearn():
    cases = [([0, 0, 0], [0, 0, 0]), ([1, 1], [0, 0]), ([0, 1], [0, 1]), ([True, False], [True, True]),
             ([1], [1]), ([0], [1])]
    for preds, refs in cases:
        for zd in ("warn", 0, 1, np.nan):
            for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
                got = metrics.load(name, zero_division=zd).compute(predictions=preds, references=refs)[name]
                assert _close(got, _sk(fn, refs, preds, zero_division=zd)), (name, preds, refs, zd)


def test_binary_errors_like_sklearn():
    with pytest.raises(MetricInputError, match="average='binary'"):
        metrics.load("f1").compute(predictions=[0, 1, 2], references=[0, 1, 1])
    with pytest.raises(MetricInputError, match="pos_label='x'"):
        metrics.load("f1", pos_label="x").compute(predictions=["a", "b"], references=["a", "a"])
    with pytest.raises(MetricInputError, match="average"):
        metrics.load("f1", average="samples").compute(predictions=[0], references=[0])
    with pytest.raises(MetricInputError, match="zero_division"):
        metrics.load("f1", zero_division=2).compute(predictions=[0], references=[0])


@settings(max_examples=80, deadline=None)
@given(labels_strategy, weights_strategy)
def test_matthews_multiclass_matches_sklearn(pairs, weights):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    w = None if weights is None else np.random.default_rng(len(pairs)).uniform(0, 2, len(pairs))
    got = _batches(metrics.load("matthews_correlation"), preds, refs, w)["matthews_correlation"]
    assert _close(got, _sk(skm.matthews_corrcoef, refs, preds, sample_weight=w))


def test_matthews_string_and_single_class():
    for preds, refs in [(["a", "b", "c", "a"], ["a", "c", "c", "b"]), ([1, 1, 1], [1, 1, 1]), ([0, 1], [1, 1])]:
        got = metrics.load("matthews_correlation").compute(predictions=preds, references=refs)
        assert _close(got["matthews_correlation"], _sk(skm.matthews_corrcoef, refs, preds))


floats_strategy = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(floats_strategy, floats_strategy), min_size=2, max_size=50), st.booleans())
def test_pearsonr_matches_scipy(pairs, rounded):
    x = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    if rounded:  # many ties and exact duplicates
        x, y = np.round(x / 300), np.round(y / 300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.pearsonr(x, y)
    got = metrics.load("pearsonr", return_pvalue=True).compute(predictions=y, references=x)
    assert _close(got["pearsonr"], float(res.statistic))
    if not math.isnan(res.statistic) and abs(res.statistic) < 1 - 1e-6:
        assert abs(got["p-value"] - float(res.pvalue)) <= 1e-7


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-5, 5), floats_strategy), min_size=2, max_size=50))
def test_spearmanr_with_ties_matches_scipy(pairs):
    x = np.array([float(a) for a, _ in pairs])
    y = np.round(np.array([b for _, b in pairs]) / 200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.spearmanr(x, y)
    m = metrics.load("spearmanr", return_pvalue=True)
    got = _batches(m, y.tolist(), x.tolist(), size=5)
    assert _close(got["spearmanr"], float(res.statistic))
    if not math.isnan(res.statistic) and abs(res.statistic) < 1 - 1e-6 and len(x) > 2:
        assert abs(got["spearmanr_pvalue"] - float(res.pvalue)) <= 1e-7


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=30))
def test_rank_average_matches_scipy(values):
    a = np.array(values, dtype=float)
    np.testing.assert_array_equal(rank_average(a), stats.rankdata(a, method="average"))


def test_correlation_edge_cases():
    assert math.isnan(metrics.load("pearsonr").compute(predictions=[1, 1, 1], references=[1, 2, 3])["pearsonr"])
    assert math.isnan(metrics.load("spearmanr").compute(predictions=[1, 2, 3], references=[2, 2, 2])["spearmanr"])
    with pytest.raises(MetricInputError, match="at least 2"):
        metrics.load("pearsonr").compute(predictions=[1.0], references=[2.0])
