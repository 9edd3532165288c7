"""google_bleu against nltk's corpus_gleu (13a tokens, as evaluate), nist_mt against nltk's corpus_nist
and NISTTokenizer, xnli against numpy accuracy: random corpora, several references, edge inputs,
batches and file-based gathering."""
from __future__ import annotations

import random
import sys
import types

import numpy as np
import pytest
from nltk.translate.gleu_score import corpus_gleu
from nltk.translate.nist_score import corpus_nist
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

import metrics
from metrics.text.nist import nist_tokenize
from metrics.validation import MetricInputError

from _metrics_threads import gather_in_threads

WORDS = "the a cat dog sat on mat quickly , . ! 's 3.5 1,000 & < > well-known x-1 (yes) $ ?".split()


def corpus(seed, n=40, max_refs=3):
    rng = random.Random(seed)

    def sent():
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
    preds = [sent() for _ in range(n)]
    refs = [[sent() for _ in range(rng.randint(1, max_refs))] for _ in range(n)]
    return preds, refs


def nltk_nist_tokenizer():
    """nltk's NISTTokenizer: its class body loads the perluniprops corpus (not installed, offline) for
    the international rules only, so a stand-in lets the western rules be checked."""
    import nltk.corpus

    if "nltk.tokenize.nist" not in sys.modules:
        real = nltk.corpus.perluniprops
        nltk.corpus.perluniprops = types.SimpleNamespace(chars=lambda category: "0")
        try:
            from nltk.tokenize.nist import NISTTokenizer  # noqa: F401
        finally:
            nltk.corpus.perluniprops = real
    return sys.modules["nltk.tokenize.nist"].NISTTokenizer()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("lens", [(1, 4), (2, 6), (1, 1)])
def test_google_bleu_matches_nltk(seed, lens):
    preds, refs = corpus(seed)
    tok = Tokenizer13a()
    want = corpus_gleu([[tok(r).split() for r in rs] for rs in refs], [tok(p).split() for p in preds],
                       min_len=lens[0], max_len=lens[1])
    m = metrics.load("google_bleu", min_len=lens[0], max_len=lens[1])
    m.add_batch(predictions=preds[:15], references=refs[:15])
    m.add(prediction=preds[15], reference=refs[15])
    got = m.compute(predictions=preds[16:], references=refs[16:])
    assert got == {"google_bleu": pytest.approx(want, rel=1e-12)}


def test_google_bleu_ties_between_references_take_the_first():
    # "a x" gives 1 match of 3 n-grams, "a y c" 2 of 6: equal ratios, different counts
    preds = ["a c", "a b c d"]
    for refs in ([["a x", "a y c"], ["a b"]], [["a y c", "a x"], ["a b"]]):
        want = corpus_gleu([[r.split() for r in rs] for rs in refs], [p.split() for p in preds])
        assert metrics.load("google_bleu").compute(predictions=preds, references=refs) == {"google_bleu": want}


def test_google_bleu_single_references_custom_tokenizer_and_edges():
    preds, refs = corpus(7, max_refs=1)
    flat = [r[0] for r in refs]
    want = corpus_gleu([[r.split()] for r in flat], [p.split() for p in preds])
    assert metrics.load("google_bleu").compute(predictions=preds, references=flat, tokenizer=str.split) == \
        {"google_bleu": pytest.approx(want, rel=1e-12)}
    # empty prediction and reference: no n-grams at all, as nltk -> 0.0
    assert metrics.load("google_bleu").compute(predictions=[""], references=[[""]]) == \
        {"google_bleu": corpus_gleu([[[]]], [[]])}
    with pytest.raises(MetricInputError, match=r"references\[0\] is empty"):
        metrics.load("google_bleu").compute(predictions=["a"], references=[[]])
    with pytest.raises(MetricInputError, match="min_len"):
        metrics.load("google_bleu", min_len=3, max_len=2)


def test_nist_tokenizer_matches_nltk():
    nist = nltk_nist_tokenizer()
    rng = random.Random(1)
    samples = ["It costs $3.50, isn't it?", "a&amp;b &lt;tag&gt; &quot;q&quot; <skipped>x", "x\u2028y 1-2 a-b",
               "Hello.World 3,000. end,", "{[(curly)]} ~`^_ | \\ /"]
    samples += [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(30)]
    for text in samples:
        for lowercase in (False, True):
            for western in (True, False):
                assert nist_tokenize(text, lowercase, western) == nist.tokenize(
                    text, lowercase=lowercase, western_lang=western, return_str=False), (text, lowercase, western)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n", [5, 3])
def test_nist_matches_nltk(seed, n):
    preds, refs = corpus(seed + 10)
    nist = nltk_nist_tokenizer()
    want = corpus_nist([[nist.tokenize(r) for r in rs] for rs in refs], [nist.tokenize(p) for p in preds], n=n)
    m = metrics.load("nist_mt")
    m.add_batch(predictions=preds[:20], references=refs[:20])
    got = m.compute(predictions=preds[20:], references=refs[20:], n=n)
    assert got == {"nist_mt": pytest.approx(want, rel=1e-9)}
    # lowercasing, and a plain string as the single reference
    want = corpus_nist([[nist.tokenize(rs[0], lowercase=True)] for rs in refs],
                       [nist.tokenize(p, lowercase=True) for p in preds], n=n)
    got = metrics.load("nist_mt", lowercase=True).compute(predictions=preds, references=[r[0] for r in refs], n=n)
    assert got["nist_mt"] == pytest.approx(want, rel=1e-9)


def test_nist_edges():
    with pytest.raises(MetricInputError, match="no predictions"):
        metrics.load("nist_mt").compute(predictions=[], references=[])
    with pytest.raises(MetricInputError, match="no prediction has 3 tokens or more"):
        metrics.load("nist_mt").compute(predictions=["a b"], references=["a b c d e f"])
    with pytest.raises(MetricInputError, match=r"predictions\[1\]: expected a string"):
        metrics.load("nist_mt").compute(predictions=["a", 3], references=["a", "b"])


def test_xnli_is_accuracy():
    rng = np.random.default_rng(0)
    p, r = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    assert metrics.load("xnli").compute(predictions=p, references=r) == {"accuracy": float((p == r).mean())}
    with pytest.raises(MetricInputError, match="no examples"):
        metrics.load("xnli").compute(predictions=[], references=[])
    with pytest.raises(MetricInputError, match="predictions: labels contain NaN"):
        metrics.load("xnli").compute(predictions=[0.0, float("nan")], references=[0, 1])


@pytest.mark.parametrize("name", ["google_bleu", "nist_mt", "xnli"])
def test_file_gathering_equals_one_process(name, tmp_path):
    if name == "xnli":
        rng = np.random.default_rng(3)
        inputs = {"predictions": rng.integers(0, 3, 50).tolist(), "references": rng.integers(0, 3, 50).tolist()}
    else:
        preds, refs = corpus(21, n=30)
        inputs = {"predictions": preds, "references": refs}
    expected = metrics.load(name).compute(**inputs)
    for got in gather_in_threads(name, None, inputs, cache_dir=str(tmp_path)):
        assert list(got) == list(expected)
        assert got == {k: pytest.approx(val, rel=1e-12) for k, val in expected.items()}
