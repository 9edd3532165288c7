"""METEOR parity with nltk's ``meteor_score`` (stub WordNet: none ships here), exactly."""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metrics
from metrics.text.meteor import align, count_chunks, meteor_scores, meteor_sentence
from metrics.validation import MetricInputError

nltk_meteor = pytest.importorskip("nltk.translate.meteor_score")


class StubLemma:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


class StubSynset:
    """Exposes exactly what nltk's meteor reads: ``lemmas()`` -> objects with ``name()``."""

    def __init__(self, names):
        self._names = names

    def lemmas(self):
        return [StubLemma(n) for n in self._names]


class StubWordNet:
    def __init__(self, table):
        self.table = table

    def synsets(self, word):
        return [StubSynset(names) for names in self.table.get(word, [])]


class LemmaNamesSynset:
    """The other shape real WordNet synsets offer: ``lemma_names()``."""

    def __init__(self, names):
        self._names = names

    def lemma_names(self):
        return list(self._names)


class LemmaNamesWordNet(StubWordNet):
    def synsets(self, word):
        return [LemmaNamesSynset(names) for names in self.table.get(word, [])]


# keys are the (stemmed) forms nltk looks synonyms up with; "go_on" has an underscore and is skipped
SYNONYMS = {"run": [["ran", "sprint"], ["go_on", "runs"]], "cat": [["dog", "feline"]], "big": [["larg", "huge"]],
            "larg": [["big"]], "quick": [["fast", "speedi"]], "fast": [["quick"]], "huge": [["big", "larg"]],
            "sprint": [["run"]], "dog": [["cat"]]}
EMPTY_WORDNET = StubWordNet({})
WORDS = ["run", "running", "runs", "ran", "sprint", "cat", "cats", "Cat", "dog", "dogs", "big", "large",
         "huge", "the", "a", "of", "The", "quick", "fast", "speedy", "é", "日本", ",", "."]

tokens = st.lists(st.sampled_from(WORDS), max_size=15)


@settings(max_examples=150, deadline=None)
@given(hyp=tokens, refs=st.lists(tokens, min_size=1, max_size=3), with_synonyms=st.booleans(),
       params=st.sampled_from([(0.9, 3.0, 0.5), (0.5, 1.0, 0.2), (0.99, 2.0, 1.0)]))
def test_sentence_parity_with_nltk(hyp, refs, with_synonyms, params):
    alpha, beta, gamma = params
    wordnet = StubWordNet(SYNONYMS) if with_synonyms else EMPTY_WORDNET
    theirs = nltk_meteor.meteor_score(refs, hyp, wordnet=wordnet, alpha=alpha, beta=beta, gamma=gamma)
    ours = meteor_sentence(hyp, refs, wordnet=wordnet if with_synonyms else None,
                           alpha=alpha, beta=beta, gamma=gamma)
    assert ours == theirs


@settings(max_examples=60, deadline=None)
@given(hyp=tokens, ref=tokens)
def test_alignment_and_chunks_match_nltk(hyp, ref):
    wordnet = StubWordNet(SYNONYMS)
    theirs, _, _ = nltk_meteor.align_words(hyp, ref, wordnet=wordnet)
    ours = align([w.lower() for w in hyp], [w.lower() for w in ref], wordnet=wordnet)
    assert ours == theirs
    if ours:
        assert count_chunks(ours) == nltk_meteor._count_chunks(theirs)


def test_lemma_names_shaped_wordnet_gives_the_same_scores():
    rng = random.Random(2)
    for _ in range(200):
        hyp = rng.choices(WORDS, k=rng.randint(0, 10))
        ref = rng.choices(WORDS, k=rng.randint(0, 10))
        assert meteor_sentence(hyp, [ref], wordnet=LemmaNamesWordNet(SYNONYMS)) == \
            meteor_sentence(hyp, [ref], wordnet=StubWordNet(SYNONYMS))


def test_corpus_score_is_mean_of_best_per_sentence_as_evaluate():
    from nltk.tokenize import NLTKWordTokenizer

    tok = NLTKWordTokenizer().tokenize
    rng = random.Random(11)

    def sentence(k):
        return " ".join(rng.choice(WORDS + ["don't", "U.S.", "(it)", "\"quoted\"", "end."]) for _ in range(k))

    preds = ["", "a", sentence(200)] + [sentence(rng.randint(0, 25)) for _ in range(60)]
    refs = [[sentence(rng.randint(1, 25)) for _ in range(rng.randint(1, 3))] for _ in preds]
    # evaluate's meteor: mean over predictions of nltk's meteor_score on tokenized text
    expected = float(np.mean([nltk_meteor.meteor_score([tok(r) for r in rs], tok(p), wordnet=EMPTY_WORDNET)
                              for p, rs in zip(preds, refs)]))
    got = metrics.load("meteor").compute(predictions=preds, references=refs)["meteor"]
    assert got == pytest.approx(expected, abs=1e-12)
    # plain list of strings = one reference each
    single = [rs[0] for rs in refs]
    expected1 = float(np.mean([nltk_meteor.meteor_score([tok(r)], tok(p), wordnet=EMPTY_WORDNET)
                               for p, r in zip(preds, single)]))
    assert metrics.load("meteor").compute(predictions=preds, references=single)["meteor"] == \
        pytest.approx(expected1, abs=1e-12)


def test_whitespace_tokenizer_and_pretokenized_input():
    preds = ["The cats ran, quickly", "a b c"]
    refs = ["the cat runs quickly", "a b d"]
    ws = metrics.load("meteor", tokenizer="whitespace").compute(predictions=preds, references=refs)["meteor"]
    expected = float(np.mean([nltk_meteor.meteor_score([r.split()], p.split(), wordnet=EMPTY_WORDNET)
                              for p, r in zip(preds, refs)]))
    assert ws == pytest.approx(expected, abs=1e-12)
    tokenized = meteor_scores([p.split() for p in preds], [r.split() for r in refs])
    assert float(np.mean(tokenized)) == pytest.approx(expected, abs=1e-12)


def test_wordnet_option_enables_synonyms():
    preds, refs = ["the huge cat"], ["the big dog"]
    plain = metrics.load("meteor").compute(predictions=preds, references=refs)["meteor"]
    syn = metrics.load("meteor", wordnet=StubWordNet(SYNONYMS)).compute(predictions=preds, references=refs)["meteor"]
    assert syn > plain
    assert syn == nltk_meteor.meteor_score([["the", "big", "dog"]], ["the", "huge", "cat"],
                                           wordnet=StubWordNet(SYNONYMS))


def test_merge_and_bytes_round_trip():
    rng = random.Random(4)
    preds = [" ".join(rng.choices(WORDS, k=rng.randint(0, 12))) for _ in range(20)]
    refs = [" ".join(rng.choices(WORDS, k=rng.randint(1, 12))) for _ in range(20)]
    whole = metrics.load("meteor").compute(predictions=preds, references=refs)
    a, b = metrics.load("meteor"), metrics.load("meteor")
    a.add_batch(predictions=preds[:7], references=refs[:7])
    for p, r in zip(preds[7:], refs[7:]):
        b.add(prediction=p, reference=r)
    a.merge(metrics.load("meteor").from_bytes(b.to_bytes()))
    assert a.compute() == whole


def test_errors_name_the_argument():
    m = metrics.load("meteor")
    with pytest.raises(MetricInputError, match="2 predictions vs 1 references"):
        m.compute(predictions=["a", "b"], references=["a"])
    with pytest.raises(MetricInputError, match=r"references\[0\]"):
        m.compute(predictions=["a"], references=[[]])
    with pytest.raises(MetricInputError, match=r"predictions\[0\]"):
        m.compute(predictions=[5], references=["a"])
    with pytest.raises(MetricInputError, match="tokenizer"):
        metrics.load("meteor", tokenizer="moses")
    with pytest.raises(MetricInputError, match="wordnet"):
        metrics.load("meteor", wordnet="wordnet")
    with pytest.raises(MetricInputError, match="alpha"):
        metrics.load("meteor", alpha=float("nan"))


def test_nltk_tokenizer_is_evaluates_or_a_clear_error():
    import nltk

    m = metrics.load("meteor", tokenizer="nltk")
    try:
        nltk.word_tokenize("a b.")
    except LookupError:  # punkt data not installed (as on this machine): say what to do
        with pytest.raises(MetricInputError, match="punkt"):
            m.compute(predictions=["a b."], references=["a b."])
    else:
        expected = nltk_meteor.meteor_score([nltk.word_tokenize("a c. d")], nltk.word_tokenize("a b. d"),
                                            wordnet=EMPTY_WORDNET)
        assert m.compute(predictions=["a b. d"], references=["a c. d"])["meteor"] == expected
