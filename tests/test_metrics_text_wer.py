"""WER and CER parity with jiwer 4 (corpus level, default transforms), exactly."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metrics
from metrics.text.wer import char_edit_counts, word_edit_counts, words
from metrics.validation import MetricInputError

jiwer = pytest.importorskip("jiwer")

# whitespace jiwer treats specially: runs of 2+ (any Unicode whitespace) collapse, a lone tab or
# no-break space stays inside a word
WORDS = ["a", "b", "ab", "hello", "world", "Hello", "héllo", "日本語", "ß", "don't", "?", "...", "42"]
SEPS = [" ", " ", " ", "  ", "\t", " \t ", "\u00a0", "\u00a0\u00a0", "\n", "\u3000 "]
text = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPS)), max_size=25).map(
    lambda parts: "".join(w + s for w, s in parts))
edge_text = st.one_of(text, st.sampled_from(["", " ", "   ", "\t\n", "a"]))


@settings(max_examples=120, deadline=None)
@given(pairs=st.lists(st.tuples(edge_text, edge_text), min_size=1, max_size=10))
def test_wer_and_measures_match_jiwer(pairs):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    theirs = jiwer.process_words(refs, preds)
    counts = word_edit_counts(preds, refs).sum(axis=0).tolist()
    assert counts == [theirs.substitutions, theirs.deletions, theirs.insertions, theirs.hits]
    ours = metrics.load("wer").compute(predictions=preds, references=refs, return_measures=True)
    assert ours["wer"] == theirs.wer == jiwer.wer(refs, preds)
    assert (ours["mer"], ours["wil"], ours["wip"]) == (theirs.mer, theirs.wil, theirs.wip)
    assert (ours["substitutions"], ours["deletions"], ours["insertions"], ours["hits"]) == tuple(counts)


@settings(max_examples=120, deadline=None)
@given(pairs=st.lists(st.tuples(edge_text, edge_text), min_size=1, max_size=10))
def test_cer_matches_jiwer(pairs):
    preds, refs = [p for p, _ in pairs], [r for _, r in pairs]
    theirs = jiwer.process_characters(refs, preds)
    counts = char_edit_counts(preds, refs).sum(axis=0).tolist()
    assert counts == [theirs.substitutions, theirs.deletions, theirs.insertions, theirs.hits]
    assert metrics.load("cer").compute(predictions=preds, references=refs)["cer"] == theirs.cer == \
        jiwer.cer(refs, preds)


def test_generated_corpus_long_and_short_segments():
    rng = random.Random(9)
    vocab = [f"w{i}" for i in range(300)] + ["é", "日本", "!", "a.b"]

    def sent(k):
        return " ".join(rng.choice(vocab) for _ in range(k))

    refs = [sent(rng.choice([0, 1, 2, 25, 800])) for _ in range(120)]
    preds = [" ".join(w if rng.random() < 0.7 else rng.choice(vocab) for w in r.split()
                      if rng.random() < 0.9) + rng.choice(["", " extra"]) for r in refs]
    assert metrics.load("wer").compute(predictions=preds, references=refs)["wer"] == jiwer.wer(refs, preds)
    assert metrics.load("cer").compute(predictions=preds, references=refs)["cer"] == jiwer.cer(refs, preds)


def test_no_reference_words_follows_jiwer():
    assert metrics.load("wer").compute(predictions=["x y"], references=[""])["wer"] == jiwer.wer([""], ["x y"]) == 2
    assert metrics.load("wer").compute(predictions=[""], references=[" "])["wer"] == 0.0
    assert metrics.load("cer").compute(predictions=["ab"], references=["  "])["cer"] == jiwer.cer(["  "], ["ab"])


def test_default_transform():
    assert words("  a  b\tc \u00a0d ") == ["a", "b\tc", "d"]
    assert words("") == [] and words(" \t ") == []


@pytest.mark.parametrize("name", ["wer", "cer"])
def test_counts_add_across_batches_merge_and_bytes(name):
    rng = random.Random(1)
    refs = [" ".join(rng.choices(WORDS, k=rng.randint(0, 15))) for _ in range(40)]
    preds = [" ".join(rng.choices(WORDS, k=rng.randint(0, 15))) for _ in range(40)]
    whole = metrics.load(name).compute(predictions=preds, references=refs, return_measures=True)
    a, b = metrics.load(name), metrics.load(name)
    a.add_batch(predictions=preds[:13], references=refs[:13])
    for p, r in zip(preds[13:], refs[13:]):
        b.add(prediction=p, reference=r)
    state = b.state_dict()
    assert set(state) == {"substitutions", "deletions", "insertions", "hits", "prediction_length"}
    c = metrics.load(name)
    c.load_state_dict(state)
    a.merge(metrics.load(name).from_bytes(c.to_bytes()))
    assert a.compute(return_measures=True) == whole
    reference = jiwer.process_words(refs, preds) if name == "wer" else jiwer.process_characters(refs, preds)
    assert whole[name] == getattr(reference, name)
    assert whole["hits"] == reference.hits


def test_errors_name_the_argument():
    with pytest.raises(MetricInputError, match="2 predictions vs 1 references"):
        metrics.load("wer").compute(predictions=["a", "b"], references=["a"])
    with pytest.raises(MetricInputError, match=r"references\[0\]"):
        metrics.load("cer").compute(predictions=["a"], references=[None])
    with pytest.raises(MetricInputError, match="one string"):
        metrics.load("wer").compute(predictions="a b", references=["a b"])
    with pytest.raises(MetricInputError, match="return_measure"):
        metrics.load("wer", return_measure=True)
