"""``sacrebleu`` and ``bleu`` metrics: parity with sacreBLEU and with tensorflow/nmt's compute_bleu."""
from __future__ import annotations

import collections
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import metrics
from metrics.validation import MetricInputError
from _mt_corpus import make_corpus, streams

sacrebleu = pytest.importorskip("sacrebleu")
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a  # noqa: E402

TOKENIZERS = ["13a", "intl", "char", "none", "zh"]
SMOOTHING = [("exp", None), ("floor", None), ("floor", 0.3), ("add-k", None), ("add-k", 2), ("none", None)]
KEYS = ("score", "counts", "totals", "precisions", "bp", "sys_len", "ref_len")


def _sacre(preds, refs, **kw):
    return sacrebleu.BLEU(**kw).corpus_score(preds, streams(refs))


def _assert_equal(out, res):
    assert sorted(out) == sorted(KEYS)
    assert out["score"] == pytest.approx(res.score, abs=1e-9, rel=1e-12)
    assert out["counts"] == list(res.counts)
    assert out["totals"] == list(res.totals)
    assert out["precisions"] == pytest.approx(list(res.precisions), abs=1e-9)
    assert out["bp"] == pytest.approx(res.bp, abs=1e-12)
    assert (out["sys_len"], out["ref_len"]) == (res.sys_len, res.ref_len)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(400, seed=1, max_refs=3, long_every=60)


@pytest.mark.parametrize("tokenize", TOKENIZERS)
@pytest.mark.parametrize("smooth_method,smooth_value", SMOOTHING)
def test_sacrebleu_every_tokenizer_and_smoothing(corpus, tokenize, smooth_method, smooth_value):
    preds, refs = corpus
    out = metrics.load("sacrebleu", tokenize=tokenize).compute(
        predictions=preds, references=refs, smooth_method=smooth_method, smooth_value=smooth_value)
    _assert_equal(out, _sacre(preds, refs, tokenize=tokenize, smooth_method=smooth_method,
                              smooth_value=smooth_value))


@pytest.mark.parametrize("lowercase", [False, True])
@pytest.mark.parametrize("effective", [False, True])
@pytest.mark.parametrize("order", [1, 2, 4, 6])
def test_sacrebleu_lowercase_effective_order_and_max_order(corpus, lowercase, effective, order):
    preds, refs = corpus
    out = metrics.load("sacrebleu", lowercase=lowercase, max_ngram_order=order).compute(
        predictions=preds, references=refs, use_effective_order=effective)
    _assert_equal(out, _sacre(preds, refs, lowercase=lowercase, effective_order=effective, max_ngram_order=order))


sentences = st.lists(st.sampled_from(["a", "b", "c", "a.", "B", "", "é", "我", "1,0", "!"]), max_size=12).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(sentences, st.lists(sentences, min_size=1, max_size=3)), min_size=1, max_size=6),
       smooth=st.sampled_from(SMOOTHING), effective=st.booleans())
def test_sacrebleu_small_corpora_with_hypothesis(data, smooth, effective):
    preds, refs = [p for p, _ in data], [r for _, r in data]
    out = metrics.load("sacrebleu").compute(predictions=preds, references=refs, smooth_method=smooth[0],
                                            smooth_value=smooth[1], use_effective_order=effective)
    _assert_equal(out, _sacre(preds, refs, smooth_method=smooth[0], smooth_value=smooth[1],
                              effective_order=effective))


def test_sacrebleu_sentence_level_equals_sacrebleu(corpus):
    preds, refs = corpus
    for p, r in list(zip(preds, refs))[:40]:
        out = metrics.load("sacrebleu").compute(predictions=[p], references=[r], use_effective_order=True)
        res = sacrebleu.BLEU(effective_order=True).sentence_score(p, r)
        assert out["score"] == pytest.approx(res.score, abs=1e-9)


def test_sacrebleu_merge_and_state_dict_equal_whole(corpus):
    preds, refs = corpus
    whole = metrics.load("sacrebleu").compute(predictions=preds, references=refs)
    parts = [metrics.load("sacrebleu") for _ in range(3)]
    for i, m in enumerate(parts):
        m.add_batch(predictions=preds[i::3], references=refs[i::3])
    restored = metrics.load("sacrebleu")
    restored.load_state_dict(parts[1].state_dict())
    other = metrics.load("sacrebleu").from_bytes(parts[2].to_bytes())
    merged = parts[0].merge(restored).merge(other)
    assert merged.compute() == whole


def test_sacrebleu_plain_reference_list_and_add(corpus):
    m = metrics.load("sacrebleu")
    m.add(prediction="the cat sat", reference="the cat sat down")
    out = m.compute()
    assert out == metrics.load("sacrebleu").compute(predictions=["the cat sat"], references=[["the cat sat down"]])
    assert out["counts"] == [3, 2, 1, 0]


def test_sacrebleu_bad_input_errors():
    m = metrics.load("sacrebleu")
    with pytest.raises(MetricInputError, match="1 predictions vs 2 references"):
        m.compute(predictions=["a"], references=[["a"], ["b"]])
    with pytest.raises(MetricInputError, match=r"references\[0\] is empty"):
        m.compute(predictions=["a"], references=[[]])
    with pytest.raises(MetricInputError, match=r"predictions\[1\]"):
        m.compute(predictions=["a", 3], references=["a", "b"])
    with pytest.raises(MetricInputError, match="smooth_method"):
        m.compute(predictions=["a"], references=["a"], smooth_method="laplace")
    with pytest.raises(MetricInputError, match="tokenize"):
        metrics.load("sacrebleu", tokenize="13b")


def test_sacrebleu_empty_corpus_is_zero():
    out = metrics.load("sacrebleu").compute(predictions=[], references=[])
    assert out["score"] == 0.0 and out["sys_len"] == 0


# --- tensorflow/nmt compute_bleu, written here from its definition -----------------------------------

def _ngrams(tokens, max_order):
    c = collections.Counter()
    for n in range(1, max_order + 1):
        for i in range(len(tokens) - n + 1):
            c[tuple(tokens[i:i + n])] += 1
    return c


def nmt_compute_bleu(reference_corpus, translation_corpus, max_order=4, smooth=False):
    """tensorflow/nmt: clipped matches against the union (max) of reference counts, shortest reference
    length, plain or +1-smoothed precisions, geometric mean 0 if any precision is 0."""
    matches = [0] * max_order
    possible = [0] * max_order
    ref_len = hyp_len = 0
    for references, translation in zip(reference_corpus, translation_corpus):
        ref_len += min(len(r) for r in references)
        hyp_len += len(translation)
        merged = collections.Counter()
        for r in references:
            merged |= _ngrams(r, max_order)
        overlap = _ngrams(translation, max_order) & merged
        for g, k in overlap.items():
            matches[len(g) - 1] += k
        for n in range(1, max_order + 1):
            if len(translation) - n + 1 > 0:
                possible[n - 1] += len(translation) - n + 1
    if smooth:
        precisions = [(matches[i] + 1.) / (possible[i] + 1.) for i in range(max_order)]
    else:
        precisions = [float(matches[i]) / possible[i] if possible[i] > 0 else 0.0 for i in range(max_order)]
    geo = math.exp(sum((1. / max_order) * math.log(p) for p in precisions)) if min(precisions) > 0 else 0
    ratio = float(hyp_len) / ref_len
    bp = 1. if ratio > 1.0 else math.exp(1 - 1. / ratio)
    return geo * bp, precisions, bp, ratio, hyp_len, ref_len


@pytest.mark.parametrize("max_order", [1, 2, 4])
@pytest.mark.parametrize("smooth", [False, True])
def test_bleu_equals_tensorflow_nmt(corpus, max_order, smooth):
    preds, refs = corpus
    tok = Tokenizer13a()
    expected = nmt_compute_bleu([[tok(r).split() for r in rs] for rs in refs], [tok(p).split() for p in preds],
                                max_order=max_order, smooth=smooth)
    out = metrics.load("bleu", max_order=max_order, smooth=smooth).compute(predictions=preds, references=refs)
    assert out["bleu"] == pytest.approx(expected[0], abs=1e-12)
    assert out["precisions"] == pytest.approx(expected[1], abs=1e-12)
    assert (out["brevity_penalty"], out["length_ratio"]) == pytest.approx(expected[2:4], abs=1e-12)
    assert (out["translation_length"], out["reference_length"]) == expected[4:]


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(sentences, st.lists(sentences, min_size=1, max_size=3)), min_size=1, max_size=6),
       smooth=st.booleans(), max_order=st.integers(1, 4))
def test_bleu_small_corpora_with_hypothesis(data, smooth, max_order):
    preds, refs = [p for p, _ in data], [r for _, r in data]
    tok = Tokenizer13a()
    out = metrics.load("bleu", smooth=smooth, max_order=max_order).compute(predictions=preds, references=refs)
    hyp = [tok(p).split() for p in preds]
    ref = [[tok(r).split() for r in rs] for rs in refs]
    if sum(map(len, hyp)) and sum(min(map(len, rs)) for rs in ref):  # where the original does not divide by 0
        assert out["bleu"] == pytest.approx(nmt_compute_bleu(ref, hyp, max_order, smooth)[0], abs=1e-12)
    else:
        assert out["brevity_penalty"] in (0.0, 1.0)


def test_bleu_empty_input_gives_zero_not_a_crash():
    out = metrics.load("bleu").compute(predictions=[], references=[])
    assert out == {"bleu": 0.0, "precisions": [0.0] * 4, "brevity_penalty": 0.0, "length_ratio": 0.0,
                   "translation_length": 0, "reference_length": 0}
    out = metrics.load("bleu").compute(predictions=[""], references=[["a b"]])
    assert out["bleu"] == 0.0 and out["brevity_penalty"] == 0.0
    out = metrics.load("bleu").compute(predictions=["a b"], references=[[""]])
    assert out["bleu"] == 0.0 and out["length_ratio"] == math.inf


def test_bleu_callable_tokenizer_and_merge(corpus):
    preds, refs = corpus
    a = metrics.load("bleu", tokenizer=str.split)
    b = metrics.load("bleu", tokenizer=str.split)
    a.add_batch(predictions=preds[:150], references=refs[:150])
    b.add_batch(predictions=preds[150:], references=refs[150:])
    expected = nmt_compute_bleu([[r.split() for r in rs] for rs in refs], [p.split() for p in preds])
    assert a.merge(b).compute()["bleu"] == pytest.approx(expected[0], abs=1e-12)
    with pytest.raises(MetricInputError, match="tokenizer"):
        metrics.load("bleu", tokenizer=lambda s: 3).compute(predictions=["a"], references=["a"])


def test_bleu_state_is_additive_numbers():
    m = metrics.load("bleu", max_order=2)
    m.add_batch(predictions=["a b c"], references=[["a b d", "a b c d e"]])
    state = m.state_dict()
    assert np.asarray(state["matches"]).tolist() == [3, 2]
    assert (state["translation_length"], state["reference_length"]) == (3, 3)
