"""character (CharacTER) against the cer package (what evaluate's module calls): random sentences with
shuffled words (many shifts), aggregates, edge inputs, batches and file-based gathering."""
from __future__ import annotations

import random
import statistics

import pytest

import metrics
from metrics.validation import MetricInputError

from _metrics_threads import gather_in_threads

cer = pytest.importorskip("cer")

WORDS = "the a cat dog sat on mat saudi week this times new york denied , . information".split()


def pairs(seed, n=300):
    rng = random.Random(seed)
    preds, refs = [], []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        hyp = ref[:] if rng.random() < 0.6 else [rng.choice(WORDS) for _ in range(rng.randint(0, 12))]
        rng.shuffle(hyp) if rng.random() < 0.5 else None
        if hyp and rng.random() < 0.3:
            hyp[rng.randrange(len(hyp))] = rng.choice(WORDS)
        preds.append(" ".join(hyp))
        refs.append(" ".join(ref))
    return preds, refs


@pytest.mark.parametrize("seed", range(3))
def test_matches_the_cer_package(seed):
    preds, refs = pairs(seed)
    want = [cer.calculate_cer(p.split(), r.split()) for p, r in zip(preds, refs)]
    m = metrics.load("character")
    m.add_batch(predictions=preds[:100], references=refs[:100])
    m.add(prediction=preds[100], reference=refs[100])
    got = m.compute(predictions=preds[101:], references=refs[101:], return_all_scores=True)
    assert got["cer_scores"] == want  # exactly
    assert got["cer_score"] == statistics.mean(want)
    for aggregate, fn in (("sum", sum), ("median", statistics.median)):
        assert metrics.load("character", aggregate=aggregate).compute(predictions=preds, references=refs) == \
            {"cer_score": fn(want)}


def test_edges():
    assert metrics.load("character").compute(predictions=[""], references=["a b"]) == \
        {"cer_score": cer.calculate_cer([], ["a", "b"])}
    with pytest.raises(MetricInputError, match=r"references\[1\]: empty"):
        metrics.load("character").compute(predictions=["a", "b"], references=["a", " "])
    with pytest.raises(MetricInputError, match="no predictions"):
        metrics.load("character").compute(predictions=[], references=[])
    with pytest.raises(MetricInputError, match="aggregate"):
        metrics.load("character").compute(predictions=["a"], references=["a"], aggregate="max")


def test_file_gathering_equals_one_process(tmp_path):
    preds, refs = pairs(5, n=40)
    order = [i for rank in range(3) for i in range(rank, len(preds), 3)]
    expected = metrics.load("character").compute(predictions=[preds[i] for i in order],
                                                 references=[refs[i] for i in order], return_all_scores=True)
    for got in gather_in_threads("character", None, {"predictions": preds, "references": refs},
                                 cache_dir=str(tmp_path), return_all_scores=True):
        assert got == expected
