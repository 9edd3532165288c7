"""GLUE and SuperGLUE against references built from scikit-learn/scipy and the task definitions."""
from __future__ import annotations

import math
import re
import string
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats
from sklearn.metrics import f1_score, matthews_corrcoef

import metrics
from metrics.validation import MetricInputError

ACCURACY_ONLY = ["sst2", "mnli", "mnli_matched", "mnli_mismatched", "qnli", "rte", "wnli", "hans"]


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def glue_reference(config, preds, refs):
    """evaluate's glue, written from its definition."""
    p, r = np.asarray(preds), np.asarray(refs)
    if config in ("cola", "ax"):
        return {"matthews_correlation": float(_quiet(matthews_corrcoef, r, p))}
    if config == "stsb":
        return {"pearson": float(_quiet(stats.pearsonr, p, r)[0]), "spearmanr": float(_quiet(stats.spearmanr, p, r)[0])}
    acc = float((p == r).mean())
    if config in ("mrpc", "qqp"):
        return {"accuracy": acc, "f1": float(_quiet(f1_score, r, p))}
    return {"accuracy": acc}


def _assert_close(got, expected, tol=1e-9):
    assert list(got) == list(expected)
    for k in expected:
        assert abs(got[k] - expected[k]) <= tol, (k, got[k], expected[k])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=50),
       st.sampled_from(["cola", "mrpc", "qqp", *ACCURACY_ONLY]))
def test_glue_binary_configs(pairs, config):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    m = metrics.load("glue", config)
    for i in range(0, len(preds), 9):
        m.add_batch(predictions=preds[i:i + 9], references=refs[i:i + 9])
    _assert_close(m.compute(), glue_reference(config, preds, refs))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=50),
       st.sampled_from(["ax", "mnli", "mnli_matched", "hans"]))
def test_glue_three_class_configs(pairs, config):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    _assert_close(metrics.load("glue", config).compute(predictions=preds, references=refs),
                  glue_reference(config, preds, refs))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5, allow_nan=False), st.floats(0, 5, allow_nan=False)), min_size=3, max_size=50))
def test_glue_stsb(pairs):
    preds = [round(p, 1) for p, _ in pairs]  # ties, as real STS-B scores have
    refs = [round(r, 1) for _, r in pairs]
    expected = glue_reference("stsb", preds, refs)
    got = metrics.load("glue", "stsb").compute(predictions=preds, references=refs)
    assert list(got) == ["pearson", "spearmanr"]
    for k in expected:
        assert (math.isnan(got[k]) and math.isnan(expected[k])) or abs(got[k] - expected[k]) <= 1e-9


def test_glue_every_config_has_keys_of_evaluate():
    keys = {"cola": ["matthews_correlation"], "stsb": ["pearson", "spearmanr"], "mrpc": ["accuracy", "f1"],
            "qqp": ["accuracy", "f1"], "ax": ["matthews_correlation"], **{c: ["accuracy"] for c in ACCURACY_ONLY}}
    assert set(keys) == set(metrics.load("glue", "cola").configs)
    for config, expected in keys.items():
        preds, refs = ([0.5, 1.5, 2.0], [0.4, 1.0, 3.0]) if config == "stsb" else ([0, 1, 1], [0, 1, 0])
        assert list(metrics.load("glue", config).compute(predictions=preds, references=refs)) == expected


# --- SuperGLUE ------------------------------------------------------------------------------------

def _normalize(s):
    """ReCoRD/SQuAD answer normalisation, from its definition."""
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def _record_f1(pred, gold):
    p, g = _normalize(pred).split(), _normalize(gold).split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def record_reference(preds, refs):
    by_query = {p["idx"]["query"]: p["prediction_text"] for p in preds}
    em = f1 = 0.0
    for ref in refs:
        q = ref["idx"]["query"]
        if q not in by_query:
            continue
        em += max(float(_normalize(by_query[q]) == _normalize(a)) for a in ref["answers"])
        f1 += max(_record_f1(by_query[q], a) for a in ref["answers"])
    return {"exact_match": em / len(refs), "f1": f1 / len(refs)}


def multirc_reference(preds, refs):
    groups = {}
    for p, r in zip(preds, refs):
        groups.setdefault(f'{p["idx"]["paragraph"]}-{p["idx"]["question"]}', []).append((p["prediction"], r))
    ems, f1s = [], []
    for items in groups.values():
        qp, qr = zip(*items)
        f1s.append(_quiet(f1_score, qr, qp, average="macro"))
        ems.append(int(all(a == b for a, b in items)))
    return {"exact_match": sum(ems) / len(ems), "f1_m": sum(f1s) / len(f1s),
            "f1_a": float(_quiet(f1_score, refs, [p["prediction"] for p in preds]))}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 1), st.integers(0, 1)),
                min_size=1, max_size=40))
def test_super_glue_multirc(rows):
    preds = [{"idx": {"paragraph": para, "question": q, "answer": i}, "prediction": p}
             for i, (para, q, p, _) in enumerate(rows)]
    refs = [r for *_, r in rows]
    m = metrics.load("super_glue", "multirc")
    m.add_batch(predictions=preds[:5], references=refs[:5])
    _assert_close(m.compute(predictions=preds[5:], references=refs[5:]), multirc_reference(preds, refs))


words = st.sampled_from(["The", "cat", "a", "Dog!", "house", "an", "Paris,", "paris", "é", "", "  "])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.lists(words, max_size=4), st.lists(st.lists(words, max_size=4), min_size=1, max_size=3),
                          st.booleans()), min_size=1, max_size=15))
def test_super_glue_record(rows):
    preds, refs = [], []
    for i, (pred_words, answers, keep) in enumerate(rows):
        refs.append({"idx": {"passage": 0, "query": i}, "answers": [" ".join(a) for a in answers]})
        # some predictions answer a query no reference asks: their reference then scores 0
        query = i if keep else f"unasked-{i}"
        preds.append({"idx": {"passage": 0, "query": query}, "prediction_text": " ".join(pred_words)})
    # the metric pairs by query id, so predictions may come in any order
    m = metrics.load("super_glue", "record")
    m.add_batch(predictions=preds[::-1][:3], references=refs[:3])
    m.add_batch(predictions=[], references=[])
    m.add_batch(predictions=preds[::-1][3:], references=refs[3:])
    _assert_close(m.compute(), record_reference(preds, refs))


@pytest.mark.parametrize("config", ["boolq", "copa", "rte", "wic", "wsc", "wsc.fixed", "axg", "cb", "axb"])
def test_super_glue_label_configs(config):
    rng = np.random.default_rng(7)
    preds, refs = rng.integers(0, 3 if config == "cb" else 2, 60), rng.integers(0, 3 if config == "cb" else 2, 60)
    got = metrics.load("super_glue", config).compute(predictions=preds, references=refs)
    if config == "axb":
        expected = {"matthews_correlation": matthews_corrcoef(refs, preds)}
    elif config == "cb":
        expected = {"accuracy": float((preds == refs).mean()), "f1": f1_score(refs, preds, average="macro")}
    else:
        expected = {"accuracy": float((preds == refs).mean())}
    _assert_close(got, expected)


def test_super_glue_bad_inputs():
    with pytest.raises(MetricInputError, match=r"predictions\[0\]: missing key 'idx.question'"):
        metrics.load("super_glue", "multirc").compute(predictions=[{"idx": {"paragraph": 0}, "prediction": 1}],
                                                      references=[1])
    with pytest.raises(MetricInputError, match="at least one answer"):
        metrics.load("super_glue", "record").compute(
            predictions=[{"idx": {"query": 0}, "prediction_text": "x"}], references=[{"idx": {"query": 0}, "answers": []}])
    with pytest.raises(MetricInputError, match="needs a config_name"):
        metrics.load("super_glue")
