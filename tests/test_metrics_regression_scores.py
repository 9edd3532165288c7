"""Regression (mse, mae, mape, smape, r_squared) and score metrics (roc_auc, brier_score) against
scikit-learn and evaluate's sMAPE formula: random and edge inputs, batches, file-based gathering."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

import metrics
from metrics.validation import MetricInputError

from _metrics_threads import gather_in_threads

TOL = dict(rel=1e-9, abs=1e-12, nan_ok=True)
_EPS = np.finfo(np.float64).eps


def smape_reference(y_true, y_pred, sample_weight=None, multioutput="uniform_average"):
    """evaluate's sMAPE formula, written out with numpy."""
    y_true, y_pred = np.asarray(y_true, float), np.asarray(y_pred, float)
    if y_true.ndim == 1:
        y_true, y_pred = y_true[:, None], y_pred[:, None]
    err = 2 * np.abs(y_pred - y_true) / (np.maximum(np.abs(y_true), _EPS) + np.maximum(np.abs(y_pred), _EPS))
    per = np.average(err, weights=sample_weight, axis=0)
    if isinstance(multioutput, str):
        return per if multioutput == "raw_values" else np.average(per)
    return np.average(per, weights=multioutput)


def rmse(y_true, y_pred, **kw):
    return skm.root_mean_squared_error(y_true, y_pred, **kw)


REFERENCES = {
    ("mse", ()): skm.mean_squared_error,
    ("mse", (("squared", False),)): rmse,
    ("mae", ()): skm.mean_absolute_error,
    ("mape", ()): skm.mean_absolute_percentage_error,
    ("smape", ()): smape_reference,
}


def _approx(got, want):
    if isinstance(got, list):
        assert got == pytest.approx(np.asarray(want).tolist(), **TOL)
    else:
        assert got == pytest.approx(float(want), **TOL)


@pytest.mark.parametrize("key", list(REFERENCES), ids=lambda k: k[0] + "".join(f"-{a}" for a, _ in k[1]))
@pytest.mark.parametrize("outputs", [1, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_mean_errors_match_scikit_learn(key, outputs, weighted):
    name, extra = key
    reference = REFERENCES[key]
    rng = np.random.default_rng(outputs * 7 + weighted)
    n = 257
    shape = (n,) if outputs == 1 else (n, outputs)
    refs = rng.normal(size=shape) * 10
    refs.flat[:5] = 0.0  # mape's epsilon guard
    preds = refs + rng.normal(size=shape)
    w = rng.random(n) if weighted else None
    cfg = "multilist" if outputs > 1 else None
    for multioutput in ("uniform_average", "raw_values", list(rng.random(outputs))):
        if outputs == 1 and isinstance(multioutput, list):
            with pytest.raises(MetricInputError, match="several outputs"):
                metrics.load(name, **dict(extra)).compute(predictions=preds, references=refs, multioutput=multioutput)
            continue
        want = reference(refs, preds, sample_weight=w, multioutput=multioutput)
        m = metrics.load(name, cfg, **dict(extra))
        # three batches, one of them a single example added with add()
        m.add_batch(predictions=preds[:100], references=refs[:100], **({"sample_weight": w[:100]} if weighted else {}))
        m.add(prediction=preds[100], reference=refs[100], **({"sample_weight": w[100]} if weighted else {}))
        got = m.compute(predictions=preds[101:], references=refs[101:], multioutput=multioutput,
                        **({"sample_weight": w[101:]} if weighted else {}))[name]
        _approx(got, want)


@pytest.mark.parametrize("outputs", [1, 2])
def test_r_squared_matches_r2_score(outputs):
    rng = np.random.default_rng(outputs)
    shape = (300,) if outputs == 1 else (300, outputs)
    # a large offset: sums of squares would cancel, Chan's merge of moments must not
    refs = 1e6 + rng.normal(size=shape)
    preds = refs + 0.3 * rng.normal(size=shape)
    w = rng.random(300)
    for multioutput in ("uniform_average", "raw_values", "variance_weighted"):
        for sw in (None, w):
            want = skm.r2_score(refs, preds, sample_weight=sw, multioutput=multioutput)
            m = metrics.load("r_squared", multioutput=multioutput)
            for lo, hi in ((0, 10), (10, 11), (11, 300)):
                m.add_batch(predictions=preds[lo:hi], references=refs[lo:hi],
                            **({} if sw is None else {"sample_weight": sw[lo:hi]}))
            _approx(m.compute(), want)
    # constant references: scikit-learn's force_finite values
    assert metrics.load("r_squared").compute(predictions=[1.0, 1.0], references=[1.0, 1.0]) == 1.0
    assert metrics.load("r_squared").compute(predictions=[1.0, 2.0], references=[1.0, 1.0]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(skm.r2_score([1.0], [2.0]))
    assert math.isnan(metrics.load("r_squared").compute(predictions=[2.0], references=[1.0]))


@pytest.mark.parametrize("name", ["mse", "mae", "mape", "smape", "r_squared", "brier_score"])
def test_regression_edge_inputs(name):
    m = metrics.load(name)
    with pytest.raises(MetricInputError, match="no examples"):
        m.compute(predictions=[], references=[])
    with pytest.raises(MetricInputError, match=r"predictions: NaN or inf at index 1"):
        metrics.load(name).compute(predictions=[0.5, float("nan")], references=[1, 0])
    if name != "brier_score":
        with pytest.raises(MetricInputError, match=r"references: NaN or inf at index 0"):
            metrics.load(name).compute(predictions=[0.5, 0.2], references=[float("inf"), 0])
    with pytest.raises(MetricInputError, match="differ"):
        metrics.load(name).compute(predictions=[0.5, 0.2], references=[1])


def _auc_data(seed, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # rounded scores: many ties, which count half
    s = np.round(rng.random(n) * 0.6 + 0.3 * y, 2)
    return y, s, rng.random(n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_binary_matches_scikit_learn(seed):
    y, s, w = _auc_data(seed)
    for sw in (None, w):
        for max_fpr in (None, 1.0, 0.3, 0.05):
            want = skm.roc_auc_score(y, s, sample_weight=sw, max_fpr=max_fpr)
            m = metrics.load("roc_auc", max_fpr=max_fpr)
            m.add_batch(references=y[:150], prediction_scores=s[:150],
                        **({} if sw is None else {"sample_weight": sw[:150]}))
            got = m.compute(references=y[150:], prediction_scores=s[150:],
                            **({} if sw is None else {"sample_weight": sw[150:]}))["roc_auc"]
            assert got == pytest.approx(want, **TOL), (sw is None, max_fpr)
    # labels other than 0/1: the greater one is positive, as scikit-learn
    assert metrics.load("roc_auc").compute(references=(y * 5 + 2).tolist(), predictions=s)["roc_auc"] == \
        pytest.approx(skm.roc_auc_score(y * 5 + 2, s), **TOL)


def test_roc_auc_ties_single_class_and_errors():
    # all scores tied: 0.5 exactly
    assert metrics.load("roc_auc").compute(references=[0, 1, 0, 1], prediction_scores=[0.3] * 4) == {"roc_auc": 0.5}
    assert metrics.load("roc_auc").compute(references=[0, 1, 1], prediction_scores=[0.2, 0.2, 0.9])["roc_auc"] == \
        pytest.approx(skm.roc_auc_score([0, 1, 1], [0.2, 0.2, 0.9]), **TOL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert math.isnan(skm.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3]))
    assert math.isnan(metrics.load("roc_auc").compute(references=[1, 1, 1], prediction_scores=[0.1, 0.2, 0.3])["roc_auc"])
    with pytest.raises(MetricInputError, match=r"prediction_scores: NaN or inf at index 2"):
        metrics.load("roc_auc").compute(references=[0, 1, 1], prediction_scores=[0.1, 0.2, float("nan")])
    with pytest.raises(MetricInputError, match="no examples"):
        metrics.load("roc_auc").compute(references=[], prediction_scores=[])
    with pytest.raises(MetricInputError, match="max_fpr"):
        metrics.load("roc_auc", max_fpr=1.5).compute(references=[0, 1], prediction_scores=[0.1, 0.2])
    with pytest.raises(MetricInputError, match="multiclass"):
        metrics.load("roc_auc").compute(references=[0, 1, 2], prediction_scores=[0.1, 0.2, 0.3])


def _probabilities(rng, n, k):
    p = np.round(rng.random((n, k)), 1) + 0.01
    return p / p.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("multi_class,average", [("ovr", "macro"), ("ovr", "weighted"), ("ovr", None),
                                                 ("ovr", "micro"), ("ovo", "macro"), ("ovo", "weighted")])
def test_roc_auc_multiclass_matches_scikit_learn(multi_class, average):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 300)
    p = _probabilities(rng, 300, 4)
    w = rng.random(300) if multi_class == "ovr" else None
    want = skm.roc_auc_score(y, p, multi_class=multi_class, average=average, sample_weight=w)
    m = metrics.load("roc_auc", "multiclass", multi_class=multi_class, average=average)
    got = m.compute(references=y, prediction_scores=p, **({} if w is None else {"sample_weight": w}))["roc_auc"]
    _approx(got, want)
    # string classes with explicit labels
    names = np.array(["ant", "bee", "cat", "dog"])
    want = skm.roc_auc_score(names[y], p, multi_class=multi_class, average=average, labels=names)
    got = metrics.load("roc_auc", "multiclass").compute(references=names[y].tolist(), prediction_scores=p,
                                                        multi_class=multi_class, average=average,
                                                        labels=names.tolist())["roc_auc"]
    _approx(got, want)


def test_roc_auc_multiclass_errors():
    rng = np.random.default_rng(1)
    p = _probabilities(rng, 10, 3)
    y = [0, 1, 2] * 3 + [0]
    with pytest.raises(MetricInputError, match="multi_class"):
        metrics.load("roc_auc", "multiclass").compute(references=y, prediction_scores=p)
    with pytest.raises(MetricInputError, match="sum"):
        metrics.load("roc_auc", "multiclass").compute(references=y, prediction_scores=p * 2, multi_class="ovr")
    with pytest.raises(MetricInputError, match="columns"):
        metrics.load("roc_auc", "multiclass").compute(references=[0, 1] * 5, prediction_scores=p, multi_class="ovr")


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "samples", None])
def test_roc_auc_multilabel_matches_scikit_learn(average):
    rng = np.random.default_rng(11)
    k = 12 if average == "samples" else 5  # samples: rows with one class would give NaN (as scikit-learn)
    y = rng.integers(0, 2, (200, k))
    s = np.round(rng.random((200, k)) * 0.7 + 0.3 * y, 2)
    w = rng.random(200)
    for sw in (None, w):
        want = skm.roc_auc_score(y, s, average=average, sample_weight=sw)
        m = metrics.load("roc_auc", "multilabel", average=average)
        m.add_batch(references=y[:70], prediction_scores=s[:70], **({} if sw is None else {"sample_weight": sw[:70]}))
        got = m.compute(references=y[70:], prediction_scores=s[70:],
                        **({} if sw is None else {"sample_weight": sw[70:]}))["roc_auc"]
        _approx(got, want)


@pytest.mark.parametrize("seed", [0, 3])
def test_brier_score_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 500)
    p = rng.random(500)
    w = rng.random(500)
    for sw in (None, w):
        want = skm.brier_score_loss(y, p, sample_weight=sw)
        m = metrics.load("brier_score")
        m.add_batch(references=y[:200], predictions=p[:200], **({} if sw is None else {"sample_weight": sw[:200]}))
        got = m.compute(references=y[200:], predictions=p[200:], **({} if sw is None else {"sample_weight": sw[200:]}))
        assert got["brier_score"] == pytest.approx(want, **TOL)
    names = np.array(["ham", "spam"])[y]
    assert metrics.load("brier_score", pos_label="ham").compute(references=names.tolist(), predictions=p) == \
        {"brier_score": pytest.approx(skm.brier_score_loss(names, p, pos_label="ham"), **TOL)}
    # a single class present
    assert metrics.load("brier_score").compute(references=[1, 1, 1], predictions=[0.2, 0.9, 1.0])["brier_score"] == \
        pytest.approx(skm.brier_score_loss([1, 1, 1], [0.2, 0.9, 1.0]), **TOL)
    with pytest.raises(MetricInputError, match="<= 1"):
        metrics.load("brier_score").compute(references=[0, 1], predictions=[0.2, 1.5])
    with pytest.raises(MetricInputError, match="more than 2 labels"):
        metrics.load("brier_score").compute(references=[0, 1, 2], predictions=[0.2, 0.5, 0.1])


GATHER_CASES = [
    ("mse", "multilist", {"squared": False}),
    ("mae", None, {}),
    ("mape", None, {}),
    ("smape", None, {}),
    ("r_squared", None, {}),
    ("brier_score", None, {}),
    ("roc_auc", None, {}),
    ("roc_auc", "multiclass", {"multi_class": "ovo"}),
    ("roc_auc", "multilabel", {"average": "weighted"}),
]


@pytest.mark.parametrize("name,config,options", GATHER_CASES, ids=lambda x: str(x))
def test_file_gathering_equals_one_process(name, config, options, tmp_path):
    rng = np.random.default_rng(2)
    n = 61
    if name == "roc_auc" and config == "multiclass":
        inputs = {"references": rng.integers(0, 3, n), "prediction_scores": _probabilities(rng, n, 3)}
    elif name == "roc_auc" and config == "multilabel":
        y = rng.integers(0, 2, (n, 3))
        inputs = {"references": y, "prediction_scores": np.round(rng.random((n, 3)), 1)}
    elif name in ("roc_auc", "brier_score"):
        inputs = {"references": rng.integers(0, 2, n), "predictions": np.round(rng.random(n), 1)}
    else:
        shape = (n, 2) if config == "multilist" else (n,)
        inputs = {"references": rng.normal(size=shape), "predictions": rng.normal(size=shape)}
    expected = metrics.load(name, config, **options).compute(**inputs)
    got = gather_in_threads(name, config, inputs, cache_dir=str(tmp_path / "gather"), **options)
    for g in got:
        if isinstance(expected, dict):
            assert list(g) == list(expected)
            assert g[next(iter(g))] == pytest.approx(expected[next(iter(expected))], rel=1e-12)
        else:
            assert g == pytest.approx(expected, rel=1e-12)
    # the gather files went under cache_dir, and were cleaned up
    assert (tmp_path / "gather").is_dir() and not list((tmp_path / "gather").rglob("state-*"))
