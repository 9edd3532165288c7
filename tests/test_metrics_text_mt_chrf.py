"""``chrf`` (chrF and chrF++) against sacreBLEU's CHRF."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import metrics
from metrics.text.chrf import chrf_f_score
from metrics.validation import MetricInputError
from _mt_corpus import make_corpus, streams

sacrebleu = pytest.importorskip("sacrebleu")


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(400, seed=2, max_refs=3, long_every=60)


def _sacre(preds, refs, **kw):
    return sacrebleu.CHRF(**kw).corpus_score(preds, streams(refs)).score


OPTIONS = [{}, {"word_order": 2}, {"word_order": 1}, {"char_order": 3, "word_order": 2}, {"beta": 1},
           {"beta": 3, "word_order": 2}, {"lowercase": True}, {"whitespace": True}, {"eps_smoothing": True},
           {"eps_smoothing": True, "word_order": 2, "lowercase": True}, {"char_order": 0, "word_order": 2},
           {"char_order": 1}]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_chrf_equals_sacrebleu(corpus, options):
    preds, refs = corpus
    out = metrics.load("chrf", **options).compute(predictions=preds, references=refs)
    assert out["score"] == pytest.approx(_sacre(preds, refs, **options), abs=1e-9, rel=1e-12)
    assert out["char_order"] == options.get("char_order", 6)
    assert out["word_order"] == options.get("word_order", 0)
    assert out["beta"] == options.get("beta", 2)


def test_chrf_single_reference_and_sentence_scores(corpus):
    preds, refs = corpus
    first = [r[0] for r in refs]
    out = metrics.load("chrf", word_order=2).compute(predictions=preds, references=first)
    assert out["score"] == pytest.approx(_sacre(preds, [[r] for r in first], word_order=2), abs=1e-9)
    for p, r in list(zip(preds, refs))[:40]:
        s = metrics.load("chrf", word_order=2).compute(predictions=[p], references=[r])["score"]
        assert s == pytest.approx(sacrebleu.CHRF(word_order=2).sentence_score(p, r).score, abs=1e-9)


sentences = st.lists(st.sampled_from(["a", "ab", "abc", "b.", "(c", "A", "", "é", "我爱", "!", "x-y"]),
                     max_size=10).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(data=st.lists(st.tuples(sentences, st.lists(sentences, min_size=1, max_size=3)), min_size=1, max_size=6),
       word_order=st.integers(0, 2), eps=st.booleans(), whitespace=st.booleans())
def test_chrf_small_corpora_with_hypothesis(data, word_order, eps, whitespace):
    preds, refs = [p for p, _ in data], [r for _, r in data]
    kw = dict(word_order=word_order, eps_smoothing=eps, whitespace=whitespace)
    out = metrics.load("chrf", **kw).compute(predictions=preds, references=refs)
    assert out["score"] == pytest.approx(_sacre(preds, refs, **kw), abs=1e-9)


def test_chrf_merge_state_dict_and_bytes_equal_whole(corpus):
    preds, refs = corpus
    whole = metrics.load("chrf", word_order=2).compute(predictions=preds, references=refs)
    parts = [metrics.load("chrf", word_order=2) for _ in range(3)]
    for i, m in enumerate(parts):
        m.add_batch(predictions=preds[i::3], references=refs[i::3])
    restored = metrics.load("chrf", word_order=2)
    restored.load_state_dict(parts[1].state_dict())
    other = metrics.load("chrf", word_order=2).from_bytes(parts[2].to_bytes())
    assert parts[0].merge(restored).merge(other).compute() == whole
    with pytest.raises(Exception, match="word_order"):
        metrics.load("chrf").merge(metrics.load("chrf", word_order=2))


def test_chrf_f_score_matches_sacrebleu_formula():
    rng = np.random.default_rng(0)
    chrf = sacrebleu.CHRF(word_order=2)
    for _ in range(200):
        stats = rng.integers(0, 6, size=(8, 3))
        stats[:, 2] = np.minimum(stats[:, 2], stats[:, :2].min(axis=1))
        assert float(chrf_f_score(stats, 2, False)) == chrf._compute_f_score(stats.ravel().tolist())


def test_chrf_bad_options():
    with pytest.raises(MetricInputError, match="char_order"):
        metrics.load("chrf", char_order=-1)
    with pytest.raises(MetricInputError, match="at least 1"):
        metrics.load("chrf", char_order=0, word_order=0)
    with pytest.raises(MetricInputError, match="unknown option"):
        metrics.load("chrf", n_gram=3)
