"""The ``arrowdata`` command line: convert, info, head, plugins and error reporting."""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys

import pytest

import arrowdata
from arrowdata.cli import main
from arrowdata.cli import registry

ROWS = [{"id": i, "text": f"line {i}", "label": i % 2} for i in range(30)]


@pytest.fixture
def jsonl(tmp_path):
    p = tmp_path / "in.jsonl.gz"
    p.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in ROWS).encode()))
    return str(p)


def test_convert_then_load_from_disk(tmp_path, jsonl, capsys):
    out = str(tmp_path / "out")
    assert main(["convert", jsonl, out, "--no-progress"]) == 0
    assert "30 rows from 1 file(s)" in capsys.readouterr().out
    ds = arrowdata.load_from_disk(out)
    assert ds.to_list() == ROWS
    assert sorted(os.listdir(out)) == ["data-00000-of-00001.arrow", "dataset_info.json", "state.json"]


def test_convert_many_inputs_options_shards_and_overwrite(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x;y\n1;a\n2;b\n")
    b.write_text("x;y\n3;c\n")
    out = str(tmp_path / "out")
    assert main(["convert", str(a), str(b), out, "-o", "delimiter=;", "--split", "train", "--no-progress"]) == 0
    ds = arrowdata.load_from_disk(out)
    assert ds["x"] == [1, 2, 3] and ds.split == "train"
    assert main(["convert", str(a), out, "--no-progress"]) == 1  # exists: refuse
    assert "already exists" in capsys.readouterr().err
    big = tmp_path / "big.txt"
    big.write_text("".join(f"{i} " * 50 + "\n" for i in range(2000)))
    assert main(["convert", str(big), out, "--overwrite", "--max-shard-size", "64KB", "--no-progress"]) == 0
    shards = sorted(f for f in os.listdir(out) if f.endswith(".arrow"))
    assert len(shards) > 1 and shards[-1].endswith(f"-of-{len(shards):05d}.arrow")
    assert arrowdata.load_from_disk(out).num_rows == 2000


def test_info_text_and_json(tmp_path, jsonl, capsys):
    out = str(tmp_path / "out")
    main(["convert", jsonl, out, "--no-progress"])
    capsys.readouterr()
    assert main(["info", out]) == 0
    text = capsys.readouterr().out
    ds = arrowdata.load_from_disk(out)
    assert "rows:        30" in text and ds.fingerprint in text and "data-00000-of-00001.arrow" in text
    assert "text" in text and "int64" in text
    assert main(["info", out, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["num_rows"] == 30 and facts["features"]["label"] == {"dtype": "int64", "_type": "Value"}
    assert facts["size_bytes"] == os.path.getsize(facts["files"][0])


def test_info_and_head_on_a_dataset_dict(tmp_path, capsys):
    dd = arrowdata.DatasetDict({"train": arrowdata.Dataset.from_list(ROWS[:20]),
                                "test": arrowdata.Dataset.from_list(ROWS[20:])})
    dd.save_to_disk(str(tmp_path / "dd"))
    assert main(["info", str(tmp_path / "dd")]) == 0
    text = capsys.readouterr().out
    assert "[train]" in text and "[test]" in text and "rows:        10" in text
    assert main(["head", str(tmp_path / "dd"), "--split", "test", "-n", "2"]) == 0
    assert [json.loads(x) for x in capsys.readouterr().out.splitlines()] == ROWS[20:22]
    assert main(["head", str(tmp_path / "dd"), "--split", "dev"]) == 1
    assert "Unknown split 'dev'" in capsys.readouterr().err


def test_head_rows_columns_table_and_data_files(tmp_path, jsonl, capsys):
    out = str(tmp_path / "out")
    main(["convert", jsonl, out, "--no-progress"])
    capsys.readouterr()
    assert main(["head", out, "-n", "3"]) == 0
    assert [json.loads(x) for x in capsys.readouterr().out.splitlines()] == ROWS[:3]
    assert main(["head", out, "-n", "2", "-c", "text", "--table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip() == "text" and lines[2].strip() == "line 0" and len(lines) == 4
    assert main(["head", jsonl, "-n", "1"]) == 0  # a data file, read through load_dataset
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == ROWS[0]
    assert main(["head", out, "-c", "nope"]) == 1
    assert "Unknown column 'nope'" in capsys.readouterr().err


def test_errors_are_one_line_with_the_path(tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")
    assert main(["convert", missing, str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert missing in err and "Traceback" not in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{"a": \n')
    assert main(["convert", str(bad), str(tmp_path / "o"), "--no-progress"]) == 1
    assert "bad.jsonl, line 2" in capsys.readouterr().err
    assert not (tmp_path / "o").exists() and not [p for p in os.listdir(tmp_path) if ".tmp-" in p]
    assert main(["info", str(tmp_path / "nowhere")]) == 1
    assert main([]) == 2


def test_plugins_register_and_broken_plugins_are_skipped(monkeypatch, capsys):
    def register(subparsers):
        p = subparsers.add_parser("hello")
        p.set_defaults(func=lambda args: print("hi from plugin") or 0)

    def broken(subparsers):
        raise RuntimeError("boom")

    monkeypatch.setattr(registry, "_plugins", lambda: [("hello", register), ("broken", broken)])
    assert main(["hello"]) == 0
    assert "hi from plugin" in capsys.readouterr().out
    assert "convert" in registry.COMMANDS and "cache" in registry.COMMANDS


def test_entry_point_plugins_are_loaded(monkeypatch):
    class EP:
        name, value = "fake", "fake.module:register"

        @staticmethod
        def load():
            raise ModuleNotFoundError("No module named 'fake'")

    import importlib.metadata as md

    monkeypatch.setattr(md, "entry_points", lambda group=None: [EP] if group == registry.ENTRY_POINT_GROUP else [])
    assert registry._plugins() == []  # a missing plugin is skipped, not fatal


def test_console_script_runs(tmp_path, jsonl):
    exe = shutil.which("arrowdata")
    cmd = [exe] if exe else [sys.executable, "-m", "arrowdata.cli"]
    out = str(tmp_path / "out")
    env = dict(os.environ, TQDM_DISABLE="1")
    r = subprocess.run(cmd + ["convert", jsonl, out], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run(cmd + ["head", out, "-n", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert json.loads(r.stdout) == ROWS[0]


def test_converted_folder_opens_in_hf_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    p = tmp_path / "a.csv"
    p.write_text("text,label\nhi,pos\nyo,neg\n")
    feats = arrowdata.Features({"text": arrowdata.Value("string"),
                                "label": arrowdata.ClassLabel(names=["neg", "pos"])})
    ds = arrowdata.load_dataset("csv", data_files=str(p), features=feats, progress=False, split="train")
    folder = os.path.dirname(ds.cache_files[0]["filename"])
    hf = datasets.load_from_disk(folder)
    assert hf.to_list() == [{"text": "hi", "label": 1}, {"text": "yo", "label": 0}]
    assert hf.features["label"].names == ["neg", "pos"]
