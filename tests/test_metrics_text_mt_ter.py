"""``ter`` against sacreBLEU's TER (Tercom shifts), and its edit counter against sacreBLEU's lib_ter."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

import metrics
from metrics.text.ter import tercom_tokenize
from metrics.text.ter_align import ter_edits
from _mt_corpus import make_corpus, streams

sacrebleu = pytest.importorskip("sacrebleu")
from sacrebleu.metrics.lib_ter import translation_edit_rate  # noqa: E402
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer  # noqa: E402


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(250, seed=3, max_refs=3, long_every=80)


OPTIONS = [{}, {"normalized": True}, {"no_punct": True}, {"case_sensitive": True},
           {"normalized": True, "asian_support": True}, {"no_punct": True, "asian_support": True},
           {"normalized": True, "no_punct": True, "asian_support": True, "case_sensitive": True}]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_ter_equals_sacrebleu(corpus, options):
    preds, refs = corpus
    out = metrics.load("ter", **options).compute(predictions=preds, references=refs)
    res = sacrebleu.TER(**options).corpus_score(preds, streams(refs))
    assert out["score"] == pytest.approx(res.score, abs=1e-9, rel=1e-12)
    assert out["num_edits"] == res.num_edits
    assert out["ref_length"] == pytest.approx(res.ref_length, abs=1e-9)


def test_ter_evaluate_option_aliases(corpus):
    preds, refs = corpus
    a = metrics.load("ter", ignore_punct=True, support_zh_ja_chars=True, normalized=True)
    b = metrics.load("ter", no_punct=True, asian_support=True, normalized=True)
    assert a.compute(predictions=preds, references=refs) == b.compute(predictions=preds, references=refs)


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
@settings(max_examples=80, deadline=None)
@given(line=st.lists(st.sampled_from(list("aB .,?:;!\"()'s-\n&") + ["&amp;", "&quot;", "'s ", "3.5", "我爱", "、",
                                                                   "。", "ｆ，", "\u3200", "\uff61", "ア"]),
                     max_size=20).map("".join))
def test_tercom_tokenizer_equals_sacrebleu(options, line):
    assert tercom_tokenize(line, **options) == TercomTokenizer(**options)(line).split()


@settings(max_examples=150, deadline=None)
@given(hyp=st.lists(st.sampled_from("abcd"), max_size=16), ref=st.lists(st.sampled_from("abcde"), max_size=16))
def test_edits_equal_tercom_on_small_vocabularies(hyp, ref):
    # few distinct words: many candidate shifts, ties and repeated blocks
    assert ter_edits(hyp, ref) == translation_edit_rate(hyp, ref)[0]


def test_edits_where_the_beam_binds():
    # very different lengths and long segments: the beam excludes cells, the exact fallback runs
    rng = random.Random(7)
    for n, m, vocab in [(2, 60, 6), (3, 90, 6), (60, 2, 6), (5, 140, 6), (60, 60, 30), (90, 30, 20)]:
        for _ in range(2):
            hyp = [str(rng.randrange(vocab)) for _ in range(n)]
            ref = [str(rng.randrange(vocab)) for _ in range(m)]
            assert ter_edits(hyp, ref) == translation_edit_rate(hyp, ref)[0], (n, m)


def test_edits_known_cases():
    assert ter_edits("a b c d".split(), "c d a b".split()) == 1
    assert ter_edits([], ["x", "y"]) == 2
    assert ter_edits(["x"], []) == 1
    assert ter_edits(["x"], ["x"]) == 0


def test_ter_merge_and_state_round_trip(corpus):
    preds, refs = corpus
    whole = metrics.load("ter").compute(predictions=preds, references=refs)
    parts = [metrics.load("ter") for _ in range(3)]
    for i, m in enumerate(parts):
        m.add_batch(predictions=preds[i::3], references=refs[i::3])
    restored = metrics.load("ter").from_bytes(parts[1].to_bytes())
    other = metrics.load("ter")
    other.load_state_dict(parts[2].state_dict())
    merged = parts[0].merge(restored).merge(other).compute()
    assert merged["num_edits"] == whole["num_edits"]
    # average reference lengths are floats summed in another order: equal to rounding
    assert merged["ref_length"] == pytest.approx(whole["ref_length"], rel=1e-12)
    assert merged["score"] == pytest.approx(whole["score"], rel=1e-12)


def test_ter_empty_references_and_hypotheses():
    assert metrics.load("ter").compute(predictions=["", "a"], references=["", ""])["score"] == 100.0
    assert metrics.load("ter").compute(predictions=[""], references=[""])["score"] == 0.0
    assert metrics.load("ter").compute(predictions=[], references=[])["score"] == 0.0


def test_edits_without_rapidfuzz_are_the_same(monkeypatch):
    import metrics.text.ter_align as ta

    monkeypatch.setattr(ta, "_levenshtein", lambda: None)
    rng = random.Random(11)
    for _ in range(60):
        hyp = [str(rng.randrange(4)) for _ in range(rng.randint(0, 18))]
        ref = [str(rng.randrange(4)) for _ in range(rng.randint(0, 18))]
        assert ta.ter_edits(hyp, ref) == translation_edit_rate(hyp, ref)[0]
