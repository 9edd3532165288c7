"""``arrowdata metric NAME --predictions F --references F``: files in, JSON out."""
from __future__ import annotations

import json

import pytest

import metrics
from metrics.cli import main, parse_option, read_values


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_labels_from_text_files(tmp_path, capsys):
    p = _write(tmp_path / "p.txt", ["1", "0", "1", "1"])
    r = _write(tmp_path / "r.txt", ["1", "0", "0", "1"])
    code, out, _ = _run(capsys, ["glue", "--config", "mrpc", "--predictions", p, "--references", r])
    assert code == 0
    assert json.loads(out) == metrics.load("glue", "mrpc").compute(predictions=[1, 0, 1, 1], references=[1, 0, 0, 1])


def test_options_are_parsed_as_json(tmp_path, capsys):
    p = _write(tmp_path / "p.txt", ["0", "2", "1"])
    r = _write(tmp_path / "r.txt", ["0", "1", "1"])
    code, out, _ = _run(capsys, ["f1", "-p", p, "-r", r, "--option", "average=macro", "-o", "labels=[0, 1]"])
    assert code == 0
    assert json.loads(out) == metrics.load("f1", average="macro", labels=[0, 1]).compute(
        predictions=[0, 2, 1], references=[0, 1, 1])


def test_text_lines_keep_empty_lines_and_unicode(tmp_path, capsys):
    p = _write(tmp_path / "p.txt", ["Héllo", "", "3"])
    r = _write(tmp_path / "r.txt", ["héllo", "", "3"])
    code, out, _ = _run(capsys, ["exact_match", "-p", p, "-r", r, "-o", "ignore_case=true"])
    assert code == 0 and json.loads(out) == {"exact_match": 1.0}
    assert read_values(p) == ["Héllo", "", "3"]
    assert read_values(_write(tmp_path / "n.txt", ["1", "2.5", "-3"])) == [1, 2.5, -3]
    assert read_values(_write(tmp_path / "n2.txt", ["1", "2"]), "text") == ["1", "2"]


def test_json_lines_squad(tmp_path, capsys):
    preds = [{"id": "a", "prediction_text": "Denver Broncos"}, {"id": "b", "prediction_text": "x"}]
    refs = [{"id": "a", "answers": {"text": ["Denver Broncos"], "answer_start": [0]}},
            {"id": "b", "answers": {"text": ["y"], "answer_start": [0]}}]
    p = _write(tmp_path / "p.jsonl", [json.dumps(x) for x in preds])
    r = _write(tmp_path / "r.jsonl", [json.dumps(x) for x in refs])
    code, out, _ = _run(capsys, ["squad", "-p", p, "-r", r])
    assert code == 0 and json.loads(out) == {"exact_match": 50.0, "f1": 50.0}


def test_errors_are_one_line_with_file_and_line(tmp_path, capsys):
    p = _write(tmp_path / "p.jsonl", ['{"id": 1}', "{broken"])
    r = _write(tmp_path / "r.jsonl", ["1", "2"])
    code, _, err = _run(capsys, ["accuracy", "-p", p, "-r", r])
    assert code == 1 and "p.jsonl, line 2" in err and "Traceback" not in err
    code, _, err = _run(capsys, ["accuracy", "-p", str(tmp_path / "nope.txt"), "-r", r])
    assert code == 1 and "nope.txt" in err
    short = _write(tmp_path / "s.txt", ["1"])
    code, _, err = _run(capsys, ["accuracy", "-p", short, "-r", _write(tmp_path / "t.txt", ["1", "0"])])
    assert code == 1 and "1 entries" in err and "2" in err
    code, _, err = _run(capsys, ["acuracy", "-p", short, "-r", short])
    assert code == 1 and "'accuracy'" in err
    code, _, err = _run(capsys, ["f1", "-p", short, "-r", short, "-o", "novalue"])
    assert code == 1 and "KEY=VALUE" in err


def test_list_and_perplexity_without_references(tmp_path, capsys):
    code, out, _ = _run(capsys, ["list"])
    assert code == 0 and "glue [cola, sst2" in out
    p = _write(tmp_path / "lp.jsonl", ["[-1.0, -1.0]", "[-2.0]"])
    code, out, _ = _run(capsys, ["perplexity", "-p", p])
    assert code == 0 and json.loads(out)["perplexities"] == pytest.approx([2.718281828459045, 7.38905609893065])


def test_parse_option():
    assert parse_option("tokenize=13a") == ("tokenize", "13a")
    assert parse_option("smooth=true") == ("smooth", True)
    with pytest.raises(ValueError):
        parse_option("=3")


def test_wired_into_arrowdata_cli(tmp_path, capsys):
    cli = pytest.importorskip("arrowdata.cli")
    p = _write(tmp_path / "p.txt", ["1", "0"])
    code = cli.main(["metric", "accuracy", "-p", p, "-r", p])
    assert code == 0 and json.loads(capsys.readouterr().out) == {"accuracy": 1.0}


def test_reads_from_pipes_like_process_substitution(tmp_path, capsys):
    import os
    import threading

    fifos = {}
    for name, lines in {"p": ["1", "0", "1"], "r": ["1", "1", "1"]}.items():
        path = tmp_path / name
        os.mkfifo(path)
        fifos[name] = (str(path), "".join(line + "\n" for line in lines))

    def feed(path: str, text: str) -> None:
        with open(path, "w", encoding="utf-8") as f:  # blocks until the CLI opens the pipe
            f.write(text)

    writers = [threading.Thread(target=feed, args=fifos[k], daemon=True) for k in ("p", "r")]
    for w in writers:
        w.start()
    code, out, _ = _run(capsys, ["glue", "--config", "mrpc", "--predictions", fifos["p"][0],
                                 "--references", fifos["r"][0]])
    assert code == 0
    assert json.loads(out) == metrics.load("glue", "mrpc").compute(predictions=[1, 0, 1], references=[1, 1, 1])


def test_a_folder_is_not_a_file(tmp_path, capsys):
    r = _write(tmp_path / "r.txt", ["1"])
    code, _, err = _run(capsys, ["accuracy", "--predictions", str(tmp_path), "--references", r])
    assert code != 0 and str(tmp_path) in err
