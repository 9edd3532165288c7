"""seqeval against the seqeval package (as evaluate reports it): random tag sequences in every
scheme, lenient and strict modes, suffix tags, edge inputs, batches and file-based gathering."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

import metrics
from metrics.validation import MetricInputError

from _metrics_threads import gather_in_threads

seqeval = pytest.importorskip("seqeval")
from seqeval.metrics import accuracy_score, classification_report  # noqa: E402
from seqeval import scheme as seqeval_scheme  # noqa: E402

SCHEME_PREFIXES = {"IOB1": "IOB", "IOE1": "IOE", "IOB2": "IOB", "IOE2": "IOE", "IOBES": "IOBES", "BILOU": "BILOU"}


def reference(refs, preds, **options):
    """What evaluate's seqeval module returns, computed with the seqeval package."""
    scheme = options.get("scheme")
    if scheme is not None:
        scheme = getattr(seqeval_scheme, scheme)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(y_true=refs, y_pred=preds, suffix=options.get("suffix", False),
                                       output_dict=True, scheme=scheme, mode=options.get("mode"),
                                       zero_division=options.get("zero_division", "warn"))
    report.pop("macro avg")
    report.pop("weighted avg")
    overall = report.pop("micro avg")
    out = {t: {"precision": s["precision"], "recall": s["recall"], "f1": s["f1-score"], "number": s["support"]}
           for t, s in report.items()}
    out.update(overall_precision=overall["precision"], overall_recall=overall["recall"],
               overall_f1=overall["f1-score"], overall_accuracy=accuracy_score(refs, preds))
    return out


def assert_same(got, want):
    assert list(got) == list(want)
    for k, w in want.items():
        if isinstance(w, dict):
            assert got[k] == {kk: pytest.approx(float(vv), rel=1e-12, abs=0) if kk != "number" else int(vv)
                              for kk, vv in w.items()}, k
        else:
            assert got[k] == pytest.approx(float(w), rel=1e-12, abs=0), k


def random_tags(rng, n_sent, prefixes, types=("PER", "LOC", "ORG"), suffix=False, odd=False, max_len=12):
    def label():
        p = rng.choice(prefixes + "OO")
        if p == "O":
            return "O"
        t = rng.choice(types)
        if odd and rng.random() < 0.1:  # bare prefixes and unusual tags
            return rng.choice([p, f"{p}-{t}-x", "X-" + t])
        return f"{t}-{p}" if suffix else f"{p}-{t}"
    refs = [[label() for _ in range(rng.randint(0, max_len))] for _ in range(n_sent)]
    preds = [[label() if rng.random() < 0.3 else tag for tag in sent] for sent in refs]
    return preds, refs


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("prefixes", ["IOB", "IOE", "IOBES", "BILOU"])
def test_lenient_mode_matches_seqeval(seed, prefixes):
    rng = random.Random(seed * 31 + len(prefixes))
    preds, refs = random_tags(rng, 60, prefixes, suffix=seed % 3 == 1, odd=seed % 3 == 2)
    options = {"suffix": seed % 3 == 1}
    want = reference(refs, preds, **options)
    m = metrics.load("seqeval", **options)
    m.add_batch(predictions=preds[:25], references=refs[:25])
    m.add(prediction=preds[25], reference=refs[25])
    assert_same(m.compute(predictions=preds[26:], references=refs[26:]), want)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("scheme", list(SCHEME_PREFIXES))
def test_strict_mode_matches_seqeval(seed, scheme):
    rng = random.Random(seed * 17 + len(scheme))
    preds, refs = random_tags(rng, 60, SCHEME_PREFIXES[scheme], suffix=seed == 3)
    options = {"mode": "strict", "scheme": scheme, "suffix": seed == 3}
    want = reference(refs, preds, **options)
    m = metrics.load("seqeval", **options)
    m.add_batch(predictions=preds[:30], references=refs[:30])
    assert_same(m.compute(predictions=preds[30:], references=refs[30:]), want)


def test_strict_mode_detects_the_scheme_from_references():
    rng = random.Random(3)
    for prefixes in ("IOB", "IOE", "IOBES", "BILOU"):
        preds, refs = random_tags(rng, 50, prefixes)
        want = reference(refs, preds, mode="strict")
        assert_same(metrics.load("seqeval").compute(predictions=preds, references=refs, mode="strict"), want)


def test_strict_detection_without_o_tags():
    preds, refs = [["S-PER", "S-LOC"]], [["S-PER", "S-PER"]]  # only S: IOBES, as seqeval detects it
    assert_same(metrics.load("seqeval", mode="strict").compute(predictions=preds, references=refs),
                reference(refs, preds, mode="strict"))


def test_zero_division_and_all_o_tags():
    preds, refs = [["O", "O"], ["O"]], [["O", "O"], ["O"]]
    for zd in ("warn", 0, 1):
        assert_same(metrics.load("seqeval").compute(predictions=preds, references=refs, zero_division=zd),
                    reference(refs, preds, zero_division=zd))
    # a type only predicted, another only true
    preds, refs = [["B-PER", "O", "O"]], [["O", "O", "B-LOC"]]
    for zd in ("warn", 1):
        assert_same(metrics.load("seqeval", zero_division=zd).compute(predictions=preds, references=refs),
                    reference(refs, preds, zero_division=zd))


def test_edge_inputs_and_errors():
    with pytest.raises(MetricInputError, match="no tags"):
        metrics.load("seqeval").compute(predictions=[], references=[])
    with pytest.raises(MetricInputError, match="no tags"):
        metrics.load("seqeval").compute(predictions=[[]], references=[[]])
    with pytest.raises(MetricInputError, match=r"predictions\[1\] has 1 tags but references\[1\] has 2"):
        metrics.load("seqeval").compute(predictions=[["O"], ["O"]], references=[["O"], ["O", "O"]])
    with pytest.raises(MetricInputError, match=r"predictions\[0\]"):
        metrics.load("seqeval").compute(predictions=[["O", None]], references=[["O", "O"]])
    with pytest.raises(MetricInputError, match=r"references\[0\]\[1\]: not a valid IOB2 tag"):
        metrics.load("seqeval", mode="strict", scheme="IOB2").compute(predictions=[["O", "O"]],
                                                                        references=[["O", "E-PER"]])
    with pytest.raises(MetricInputError, match="could not detect"):
        metrics.load("seqeval", mode="strict").compute(predictions=[["B-PER"]], references=[["O"]])
    with pytest.raises(MetricInputError, match="scheme"):
        metrics.load("seqeval", scheme="IOB9")
    with pytest.raises(MetricInputError, match="empty tag"):
        metrics.load("seqeval").compute(predictions=[["O", ""]], references=[["O", "O"]])
    # a seqeval scheme class is accepted as well as its name
    preds, refs = [["B-PER", "I-PER"]], [["B-PER", "I-PER"]]
    assert metrics.load("seqeval", mode="strict", scheme=seqeval_scheme.IOB2).compute(
        predictions=preds, references=refs)["overall_f1"] == 1.0


def test_file_gathering_equals_one_process(tmp_path):
    rng = random.Random(9)
    preds, refs = random_tags(rng, 40, "IOB")
    for options in ({}, {"mode": "strict", "scheme": "IOB2"}):
        expected = metrics.load("seqeval", **options).compute(predictions=preds, references=refs)
        for got in gather_in_threads("seqeval", None, {"predictions": preds, "references": refs},
                                     cache_dir=str(tmp_path), **options):
            assert got == expected
