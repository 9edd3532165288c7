"""SQuAD v1.1/v2.0, exact_match and perplexity against references written from their definitions."""
from __future__ import annotations

import math
import re
import string
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import metrics
from metrics.answers import normalize_answer
from metrics.validation import MetricInputError


# --- the official SQuAD evaluation, re-implemented from its definition -----------------------------

def official_normalize(s):
    def remove_articles(t):
        return re.sub(r"\b(a|an|the)\b", " ", t)

    def white_space_fix(t):
        return " ".join(t.split())

    def remove_punc(t):
        return "".join(ch for ch in t if ch not in set(string.punctuation))

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def v1_f1(pred, gold):
    p, g = official_normalize(pred).split(), official_normalize(gold).split()
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def v1_reference(preds, refs):
    by_id = {p["id"]: p["prediction_text"] for p in preds}
    em = f1 = total = 0
    for ref in refs:
        total += 1
        if ref["id"] not in by_id:
            continue
        golds = ref["answers"]["text"]
        em += max(official_normalize(by_id[ref["id"]]) == official_normalize(g) for g in golds)
        f1 += max(v1_f1(by_id[ref["id"]], g) for g in golds)
    return {"exact_match": 100.0 * em / total, "f1": 100.0 * f1 / total}


def v2_tokens(s):
    return official_normalize(s).split() if s else []


def v2_f1(gold, pred):
    g, p = v2_tokens(gold), v2_tokens(pred)
    if not g or not p:
        return int(g == p)
    same = sum((Counter(g) & Counter(p)).values())
    if same == 0:
        return 0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def v2_reference(preds, refs, thresh=1.0):
    """The v2.0 script: raw scores, threshold, HasAns/NoAns split, best-threshold search."""
    na = {p["id"]: p["no_answer_probability"] for p in preds}
    texts = {p["id"]: p["prediction_text"] for p in preds}
    has_ans = {r["id"]: bool(r["answers"]["text"]) for r in refs}
    exact_raw, f1_raw = {}, {}
    for r in refs:
        golds = [t for t in r["answers"]["text"] if official_normalize(t)] or [""]
        pred = texts[r["id"]]
        exact_raw[r["id"]] = max(int(official_normalize(g) == official_normalize(pred)) for g in golds)
        f1_raw[r["id"]] = max(v2_f1(g, pred) for g in golds)

    def apply(scores):
        return {q: float(not has_ans[q]) if na[q] > thresh else s for q, s in scores.items()}

    ex, f1 = apply(exact_raw), apply(f1_raw)

    def make(qids):
        return {"exact": 100.0 * sum(ex[q] for q in qids) / len(qids),
                "f1": 100.0 * sum(f1[q] for q in qids) / len(qids), "total": len(qids)}

    out = make(list(ex))
    for prefix, flag in (("HasAns", True), ("NoAns", False)):
        qids = [q for q in ex if has_ans[q] == flag]
        if qids:
            out.update({f"{prefix}_{k}": v for k, v in make(qids).items()})

    def best(scores):
        cur = best_score = sum(1 for q in has_ans if not has_ans[q])
        best_t = 0.0
        for q in sorted(na, key=lambda k: na[k]):
            if q not in scores:
                continue
            diff = scores[q] if has_ans[q] else (-1 if texts[q] else 0)
            cur += diff
            if cur > best_score:
                best_score, best_t = cur, na[q]
        return 100.0 * best_score / len(scores), best_t

    out["best_exact"], out["best_exact_thresh"] = best(exact_raw)
    out["best_f1"], out["best_f1_thresh"] = best(f1_raw)
    return out


pieces = st.sampled_from(["The", "the", "a", "An", "cat", "Cat.", "sat", "on", "mat", "!", ",", "élan", "naïve",
                          "1,000", "U.S.", "(x)", "", " ", "\t", "thé", "an-apple"])
answer = st.lists(pieces, max_size=6).map(" ".join)


def _close(got, expected):
    assert list(got) == list(expected)
    for k, v in expected.items():
        assert (got[k] == v) if isinstance(v, int) else abs(got[k] - v) <= 1e-9, (k, got[k], v)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=string.printable + "éÅ—“”‘’ß", max_size=40))
def test_normalization_matches_official(text):
    assert normalize_answer(text) == official_normalize(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(answer, st.lists(answer, min_size=1, max_size=3), st.booleans()), min_size=1, max_size=12))
def test_squad_v1_matches_official(rows):
    preds, refs = [], []
    for i, (pred, golds, keep) in enumerate(rows):
        refs.append({"id": f"q{i}", "answers": {"text": golds, "answer_start": [0] * len(golds)}})
        preds.append({"id": f"q{i}" if keep else f"other{i}", "prediction_text": pred})
    m = metrics.load("squad")
    m.add_batch(predictions=preds[:4][::-1], references=refs[:4])
    _close(m.compute(predictions=preds[4:], references=refs[4:]), v1_reference(preds, refs))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(answer, st.lists(answer, max_size=3), st.floats(0, 1)), min_size=1, max_size=12),
       st.sampled_from([1.0, 0.5, 0.0]))
def test_squad_v2_matches_official(rows, thresh):
    preds, refs = [], []
    for i, (pred, golds, na) in enumerate(rows):
        refs.append({"id": f"q{i}", "answers": {"text": golds, "answer_start": [0] * len(golds)}})
        preds.append({"id": f"q{i}", "prediction_text": pred, "no_answer_probability": round(na, 2)})
    m = metrics.load("squad_v2", no_answer_threshold=thresh)
    for i in range(0, len(preds), 5):
        m.add_batch(predictions=preds[i:i + 5], references=refs[i:i + 5])
    _close(m.compute(), v2_reference(preds, refs, thresh))


def test_squad_v2_result_keys_and_answer_list_layout():
    preds = [{"id": "a", "prediction_text": "Denver", "no_answer_probability": 0.1},
             {"id": "b", "prediction_text": "", "no_answer_probability": 0.9}]
    refs = [{"id": "a", "answers": [{"text": "Denver Broncos", "answer_start": 0}]}, {"id": "b", "answers": []}]
    got = metrics.load("squad_v2").compute(predictions=preds, references=refs)
    assert list(got) == ["exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact",
                         "NoAns_f1", "NoAns_total", "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"]
    assert got["total"] == 2 and got["NoAns_exact"] == 100.0 and got["HasAns_exact"] == 0.0


def test_squad_bad_inputs():
    with pytest.raises(MetricInputError, match=r"predictions\[0\]: expected a dict with key 'prediction_text'"):
        metrics.load("squad").compute(predictions=[{"id": "a"}], references=[{"id": "a", "answers": {"text": ["x"]}}])
    with pytest.raises(MetricInputError, match="no_answer_probability"):
        metrics.load("squad_v2").compute(predictions=[{"id": "a", "prediction_text": "x"}],
                                         references=[{"id": "a", "answers": {"text": ["x"]}}])
    with pytest.raises(MetricInputError, match="no gold answer"):
        metrics.load("squad").compute(predictions=[{"id": "a", "prediction_text": "x"}],
                                      references=[{"id": "a", "answers": {"text": []}}])


# --- exact_match ----------------------------------------------------------------------------------

def exact_match_reference(preds, refs, regexes_to_ignore=None, ignore_case=False, ignore_punctuation=False,
                          ignore_numbers=False):
    """evaluate's exact_match, from its definition."""
    p, r = list(preds), list(refs)
    for rx in regexes_to_ignore or []:
        p, r = [re.sub(rx, "", x) for x in p], [re.sub(rx, "", x) for x in r]
    if ignore_case:
        p, r = [x.lower() for x in p], [x.lower() for x in r]
    if ignore_punctuation:
        p = [x.translate(str.maketrans("", "", string.punctuation)) for x in p]
        r = [x.translate(str.maketrans("", "", string.punctuation)) for x in r]
    if ignore_numbers:
        p = [x.translate(str.maketrans("", "", string.digits)) for x in p]
        r = [x.translate(str.maketrans("", "", string.digits)) for x in r]
    return float(np.mean([a == b for a, b in zip(p, r)]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("aAbB1 .!é", max_size=6), st.text("aAbB1 .!é", max_size=6)), min_size=1, max_size=20),
       st.sampled_from([None, ["b"], ["a+", "\\d"]]), st.booleans(), st.booleans(), st.booleans())
def test_exact_match_options(pairs, regexes, case, punct, numbers):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    opts = dict(regexes_to_ignore=regexes, ignore_case=case, ignore_punctuation=punct, ignore_numbers=numbers)
    got = metrics.load("exact_match", **opts).compute(predictions=preds, references=refs)
    assert got == {"exact_match": exact_match_reference(preds, refs, **opts)}


# --- perplexity -----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-20, 0), min_size=1, max_size=10), min_size=1, max_size=8))
def test_perplexity_from_log_probs(seqs):
    got = metrics.load("perplexity").compute(predictions=seqs)
    per_seq = [math.exp(-sum(s) / len(s)) for s in seqs]
    corpus = math.exp(-sum(sum(s) for s in seqs) / sum(len(s) for s in seqs))
    assert all(abs(a - b) <= 1e-9 * max(1.0, b) for a, b in zip(got["perplexities"], per_seq))
    assert abs(got["mean_perplexity"] - float(np.mean(per_seq))) <= 1e-9 * max(1.0, got["mean_perplexity"])
    assert abs(got["perplexity"] - corpus) <= 1e-9 * max(1.0, corpus)


def test_perplexity_base_and_errors():
    base2 = metrics.load("perplexity", base=2).compute(predictions=[[-1.0, -1.0]])
    assert abs(base2["perplexity"] - 2.0) < 1e-12
    with pytest.raises(MetricInputError, match=r"predictions\[0\]\[1\]: 0.5 is not a log-probability"):
        metrics.load("perplexity").compute(predictions=[[-1.0, 0.5]])
    with pytest.raises(MetricInputError, match="at least one token"):
        metrics.load("perplexity").compute(predictions=[[]])
    with pytest.raises(MetricInputError, match="base"):
        metrics.load("perplexity", base=1)


def test_perplexity_from_torch_model():
    torch = pytest.importorskip("torch")
    from metrics.perplexity import perplexity_from_model

    torch.manual_seed(0)
    vocab = 11
    emb = torch.nn.Embedding(vocab, vocab)

    def model(ids, attention_mask=None):
        return emb(ids)

    ids = torch.randint(0, vocab, (5, 7))
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    got = perplexity_from_model(model, ids, mask, batch_size=2)
    with torch.no_grad():
        logp = torch.log_softmax(emb(ids).double(), -1)
    per_seq = []
    for i in range(5):
        n = int(mask[i].sum())
        lp = [float(logp[i, t, ids[i, t + 1]]) for t in range(n - 1)]
        per_seq.append(math.exp(-sum(lp) / len(lp)))
    assert all(abs(a - b) <= 1e-9 * b for a, b in zip(got["perplexities"], per_seq))
    assert abs(got["mean_perplexity"] - float(np.mean(per_seq))) <= 1e-9 * got["mean_perplexity"]


def test_squad_v2_missing_prediction_scores_zero_and_is_logged(caplog):
    refs = [{"id": "a", "answers": {"text": ["x"]}}, {"id": "b", "answers": {"text": ["y"]}}]
    preds = [{"id": "a", "prediction_text": "x", "no_answer_probability": 0.0},
             {"id": "zzz", "prediction_text": "y", "no_answer_probability": 0.0}]
    with caplog.at_level("WARNING"):
        got = metrics.load("squad_v2").compute(predictions=preds, references=refs)
    assert got["exact"] == 50.0 and got["total"] == 2 and got["HasAns_total"] == 2
    assert "1 of 2 questions have no prediction" in caplog.text
