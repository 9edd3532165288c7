"""load_dataset as in HF ``datasets`` 5: DatasetDict without split, split names from folders, split
slicing (hypothesis against a plain-Python model and HF's ReadInstruction), archives, features=
casts, HF's keywords, Hub names; parity with the installed ``datasets`` where it is cheap."""
from __future__ import annotations

import json
import os
import tarfile
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata import ClassLabel, Dataset, DatasetDict, Features, Value
from arrowdata.errors import DataFileError, DatasetNotFoundError, UnknownNameError, ValueCastError
from arrowdata.io.data_files import infer_splits
from arrowdata.splits import apply_split, parse_split, row_ranges

hf = pytest.importorskip("datasets")


def _csv(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,text\n" + "".join(f"{i},t{i}\n" for i in rows))
    return str(path)


def _hf_load(*args, **kwargs):
    hf.disable_progress_bars()
    return hf.load_dataset(*args, **kwargs)


# ---------------------------------------------------------------- DatasetDict without split
def test_no_split_gives_a_datasetdict_like_hf(tmp_path):
    p = _csv(tmp_path / "a.csv", range(5))
    ours, theirs = arrowdata.load_dataset("csv", data_files=p, progress=False), _hf_load("csv", data_files=p)
    assert isinstance(ours, DatasetDict) and list(ours) == list(theirs) == ["train"]
    assert ours["train"].to_list() == theirs["train"].to_list()
    assert ours["train"].split == "train"
    lst = arrowdata.load_dataset("csv", data_files=[p, p], progress=False)
    assert list(lst) == ["train"] and lst["train"].num_rows == 10


def test_split_list_returns_a_list_and_unknown_split_is_named(tmp_path):
    p = _csv(tmp_path / "a.csv", range(10))
    a, b = arrowdata.load_dataset("csv", data_files={"train": p, "test": p}, split=["train[:2]", "test[-1:]"],
                                  progress=False)
    assert a["id"] == [0, 1] and b["id"] == [9]
    with pytest.raises(UnknownNameError, match="'validation'.*train") as e:
        arrowdata.load_dataset("csv", data_files=p, split="validation", progress=False)
    assert isinstance(e.value, ValueError)


# ---------------------------------------------------------------- split names from folders
LAYOUTS = {
    "files": ["train.csv", "test.csv", "README.md"],
    "shards": ["train-0.csv", "train-1.csv", "dev-0.csv", "test_x.csv"],
    "dirs": ["train/a.csv", "validation/b.csv", "test/c.csv"],
    "dir_keyword_parts": ["my_train/a.csv", "eval-2020/b.csv"],
    "dirs_win_over_names": ["train.csv", "test/c.csv"],
    "sharded": ["data/train-00000-of-00002.csv", "data/train-00001-of-00002.csv", "data/extra-00000-of-00001.csv"],
    "no_keyword": ["a.csv", "sub/b.csv"],
    "keyword_inside_word": ["trainer.csv", "contest.csv"],
    "digits_are_separators": ["train1.csv", "test2.csv", "validation_3.csv"],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_folder_split_names_match_hf(tmp_path, layout):
    for i, rel in enumerate(LAYOUTS[layout]):
        _csv(tmp_path / rel, [i]) if rel.endswith(".csv") else (tmp_path / rel).write_text("# readme")
    from datasets.data_files import DataFilesDict, get_data_patterns

    patterns = get_data_patterns(str(tmp_path))
    theirs = DataFilesDict.from_patterns(patterns, base_path=str(tmp_path), allowed_extensions=[".csv"])
    theirs = {s: sorted(os.path.relpath(f, tmp_path) for f in files) for s, files in theirs.items()}
    ours = infer_splits(LAYOUTS[layout])
    ours = {s: sorted(p for p in files if p.endswith(".csv")) for s, files in ours.items()}
    assert {s: f for s, f in ours.items() if f} == theirs
    dd = arrowdata.load_dataset(str(tmp_path), progress=False)  # the folder as the path: builder from its files
    assert sorted(dd) == sorted(theirs)
    assert {s: sorted(d["id"]) for s, d in dd.items()} == \
        {s: sorted(LAYOUTS[layout].index(f) for f in files) for s, files in theirs.items()}


def test_data_dir_and_relative_data_files(tmp_path):
    _csv(tmp_path / "d" / "train.csv", range(3))
    _csv(tmp_path / "d" / "test.csv", range(2))
    dd = arrowdata.load_dataset("csv", data_dir=str(tmp_path / "d"), progress=False)
    theirs = _hf_load("csv", data_dir=str(tmp_path / "d"))
    assert {s: d.num_rows for s, d in dd.items()} == {s: d.num_rows for s, d in theirs.items()}
    one = arrowdata.load_dataset("csv", data_dir=str(tmp_path / "d"), data_files={"x": "test.csv"}, progress=False)
    assert list(one) == ["x"] and one["x"].num_rows == 2


# ---------------------------------------------------------------- split slicing
def _model(n: int, spec: str) -> list[int]:
    """Plain Python: each part is a list slice; percent bounds round to the closest row first."""
    rows = list(range(n))
    out = []
    for part in spec.split("+"):
        name, _, rest = part.partition("[")
        if not rest:
            out += rows
            continue
        a, b = rest.rstrip("]").split(":")
        pct = a.endswith("%") or b.endswith("%")

        def bound(t):
            if not t:
                return None
            v = int(t.rstrip("%"))
            return int(round(v * n / 100)) if pct else v

        out += rows[bound(a):bound(b)]
    return out


def _bound(pct: bool):
    return st.one_of(st.none(), st.integers(-100, 100) if pct else st.integers(-150, 150))


@st.composite
def split_specs(draw):
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            parts.append("train")
            continue
        pct = draw(st.booleans())
        a, b = draw(_bound(pct)), draw(_bound(pct))
        fmt = (lambda v: "" if v is None else f"{v}{'%' if pct else ''}")
        if pct and a is None and b is None:
            b = 50
        parts.append(f"train[{fmt(a)}:{fmt(b)}]")
    return "+".join(parts)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 250), spec=split_specs())
def test_split_slicing_matches_model_and_hf_read_instruction(n, spec):
    from datasets.arrow_reader import ReadInstruction

    ranges = row_ranges(parse_split(spec), {"train": n})
    assert [i for _, a, b in ranges for i in range(a, b)] == _model(n, spec)
    theirs = ReadInstruction.from_spec(spec).to_absolute({"train": n})
    assert [(r.splitname, r.from_, r.to) for r in theirs] == ranges


@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 60), spec=split_specs())
def test_apply_split_selects_the_model_rows(n, spec):
    ds = Dataset.from_dict({"i": list(range(n))})
    assert apply_split({"train": ds}, spec)["i"] == _model(n, spec)


def test_slicing_through_load_dataset_matches_hf(tmp_path):
    p = _csv(tmp_path / "a.csv", range(37))
    q = _csv(tmp_path / "b.csv", range(100, 110))
    files = {"train": p, "test": q}
    for spec in ["train[:10%]", "train[10:20]", "train+test", "test[-3:]+train[33%:34%]", "train[-5%:]"]:
        ours = arrowdata.load_dataset("csv", data_files=files, split=spec, progress=False)
        assert ours["id"] == _hf_load("csv", data_files=files, split=spec)["id"], spec
    with pytest.raises(ValueError, match="fewer than 100"):
        arrowdata.load_dataset("csv", data_files=files, split="test[:50%](pct1_dropremainder)", progress=False)
    with pytest.raises(ValueError, match="Unrecognized split"):
        arrowdata.load_dataset("csv", data_files=files, split="train[::2]", progress=False)


# ---------------------------------------------------------------- archives
def test_zip_and_tar_archives_are_read(tmp_path):
    rows = [{"a": i, "b": f"x{i}"} for i in range(4)]
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as z:
        z.writestr("inner/part.jsonl", "".join(json.dumps(r) + "\n" for r in rows[:2]))
        z.writestr("inner/notes.md", "ignored: not json")
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[2:]))
    with tarfile.open(tmp_path / "d.tar.gz", "w:gz") as t:
        t.add(tmp_path / "p.jsonl", arcname="p.jsonl")
    ds = arrowdata.load_dataset("json", data_files=[str(tmp_path / "d.zip"), str(tmp_path / "d.tar.gz")],
                                split="train", progress=False)
    assert ds.to_list() == rows
    with zipfile.ZipFile(tmp_path / "e.zip", "w") as z:  # HF reads every member, so give it only the data
        z.writestr("part.jsonl", "".join(json.dumps(r) + "\n" for r in rows[:2]))
    theirs = _hf_load("json", data_files=str(tmp_path / "e.zip"), split="train")
    assert theirs.to_list() == rows[:2] == arrowdata.load_dataset(str(tmp_path / "e.zip"), split="train",
                                                                  progress=False).to_list()
    extracted = arrowdata.config.cache_dir() / "extracted"
    before = sorted(os.listdir(extracted))
    arrowdata.load_dataset("json", data_files=str(tmp_path / "d.zip"), progress=False)
    assert sorted(os.listdir(extracted)) == before  # extracted once per archive content


def test_archive_member_escaping_its_folder_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as z:
        z.writestr("../../evil.jsonl", '{"a": 1}\n')
    with pytest.raises(DataFileError, match="outside"):
        arrowdata.load_dataset("json", data_files=str(tmp_path / "evil.zip"), progress=False)
    assert not (tmp_path.parent / "evil.jsonl").exists()


# ---------------------------------------------------------------- features= casts what the reader produced
def test_features_cast_reader_output_like_hf(tmp_path):
    c = tmp_path / "a.csv"
    c.write_text("i,f,s\n1,0.0,007\n2,3.0,x\n")
    feats = {"i": "int32", "f": "int64", "s": "string"}
    ours = arrowdata.load_dataset("csv", data_files=str(c), split="train", progress=False,
                                  features=Features({k: Value(v) for k, v in feats.items()}))
    theirs = _hf_load("csv", data_files=str(c), split="train",
                      features=hf.Features({k: hf.Value(v) for k, v in feats.items()}))
    assert ours.to_list() == theirs.to_list() == [{"i": 1, "f": 0, "s": "007"}, {"i": 2, "f": 3, "s": "x"}]
    j = tmp_path / "a.jsonl"
    j.write_text('{"a": 1, "b": 2.5, "l": "neg"}\n{"a": 20, "b": 3, "l": "pos"}\n')
    ours = arrowdata.load_dataset("json", data_files=str(j), split="train", progress=False, features=Features(
        {"a": Value("string"), "b": Value("string"), "l": ClassLabel(names=["neg", "pos"])}))
    theirs = _hf_load("json", data_files=str(j), split="train", features=hf.Features(
        {"a": hf.Value("string"), "b": hf.Value("string"), "l": hf.ClassLabel(names=["neg", "pos"])}))
    assert ours.to_list() == theirs.to_list()


def test_value_that_does_not_fit_names_file_line_and_column(tmp_path):
    c = tmp_path / "a.csv"
    c.write_text("n\n1\n2.0\n2.5\n")
    with pytest.raises(ValueCastError) as e:
        arrowdata.load_dataset("csv", data_files=str(c), features=Features({"n": Value("int64")}), progress=False)
    assert (e.value.path, e.value.line, e.value.column) == (str(c), 4, "n") and "'2.5'" in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, TypeError)


# ---------------------------------------------------------------- HF keywords, Hub names
def test_hf_keywords_are_accepted(tmp_path):
    p = _csv(tmp_path / "a.csv", range(3))
    kw = dict(name="default", token=None, revision="main", trust_remote_code=False,
              download_mode="reuse_cache_if_exists",
              verification_mode="no_checks", num_proc=2, keep_in_memory=True, cache_dir=str(tmp_path / "c"),
              storage_options={}, streaming=False, save_infos=False, download_config=None, use_auth_token=None)
    ds = arrowdata.load_dataset("csv", data_files=p, split="train", progress=False, **kw)
    assert ds["id"] == [0, 1, 2] and os.listdir(tmp_path / "c")


def test_force_redownload_converts_again(tmp_path):
    p = _csv(tmp_path / "a.csv", range(3))
    root = tmp_path / "c"
    arrowdata.load_dataset("csv", data_files=p, cache_dir=str(root), progress=False)
    (folder,) = [root / d for d in os.listdir(root) if (root / d).is_dir()]
    marker = folder / "stale-marker"
    marker.write_text("x")
    arrowdata.load_dataset("csv", data_files=p, cache_dir=str(root), progress=False)
    assert marker.exists()  # reused
    ds = arrowdata.load_dataset("csv", data_files=p, cache_dir=str(root), download_mode="force_redownload",
                                split="train", progress=False)
    assert not marker.exists() and ds["id"] == [0, 1, 2]
    with pytest.raises(ValueError, match="download_mode"):
        arrowdata.load_dataset("csv", data_files=p, download_mode="sometimes", progress=False)


@pytest.mark.parametrize("call", [lambda: arrowdata.load_dataset("glue", "mrpc"),
                                  lambda: arrowdata.load_dataset("someone/some_dataset", split="train"),
                                  lambda: arrowdata.load_dataset("jsonn", data_files="x.json")])
def test_hub_names_get_a_clear_file_not_found_error(call):
    with pytest.raises(DatasetNotFoundError, match="local and fsspec files") as e:
        call()
    assert isinstance(e.value, FileNotFoundError)


def test_typo_of_a_builder_is_suggested():
    with pytest.raises(DatasetNotFoundError, match="Did you mean 'json'"):
        arrowdata.load_dataset("jsonn", data_files="x.json")


def test_streaming_dispatch_returns_iterable_splits(tmp_path):
    p = _csv(tmp_path / "a.csv", range(4))
    streams = arrowdata.load_dataset("csv", data_files={"train": p, "test": p}, streaming=True)
    assert sorted(streams) == ["test", "train"] and [r["id"] for r in streams["test"]] == [0, 1, 2, 3]


def test_keep_in_memory_none_follows_in_memory_max_size(tmp_path, monkeypatch):
    p = _csv(tmp_path / "a.csv", range(50))
    mapped = arrowdata.load_dataset("csv", data_files=p, split="train", progress=False)
    assert mapped.cache_files  # default: memory-mapped from the conversion
    monkeypatch.setattr(arrowdata.config, "IN_MEMORY_MAX_SIZE", mapped.dataset_size + 1)
    small = arrowdata.load_dataset("csv", data_files=p, split="train", progress=False)
    assert not small.cache_files and small.to_list() == mapped.to_list()
    monkeypatch.setattr(arrowdata.config, "IN_MEMORY_MAX_SIZE", mapped.dataset_size)  # not smaller: mapped
    assert arrowdata.load_dataset("csv", data_files=p, split="train", progress=False).cache_files
    assert arrowdata.load_dataset("csv", data_files=p, split="train", keep_in_memory=False,
                                  progress=False).cache_files


def test_read_instruction_and_split_all_like_hf(tmp_path):
    files = {"train": _csv(tmp_path / "a.csv", range(20)), "test": _csv(tmp_path / "b.csv", range(100, 105))}
    ours_ri = arrowdata.ReadInstruction("train", to=10, unit="%") + arrowdata.ReadInstruction("test", from_=-40,
                                                                                               unit="%")
    hf_ri = hf.ReadInstruction("train", to=10, unit="%") + hf.ReadInstruction("test", from_=-40, unit="%")
    assert ours_ri.to_spec() == hf_ri.to_spec() == "train[:10%]+test[-40%:]"
    assert arrowdata.ReadInstruction.from_spec("test[1:3]").to_absolute({"test": 5}) == [("test", 1, 3)]
    ds = arrowdata.load_dataset("csv", data_files=files, split=ours_ri, progress=False)
    assert ds["id"] == _hf_load("csv", data_files=files, split=hf_ri)["id"] == [0, 1, 103, 104]
    every = arrowdata.load_dataset("csv", data_files=files, split=arrowdata.Split.ALL, progress=False)
    assert every["id"] == list(range(20)) + list(range(100, 105))
    with pytest.raises(TypeError):
        ours_ri + "test"


def test_errors_in_an_archive_member_name_the_archive_and_member(tmp_path):
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        z.writestr("dir/rows.jsonl", '{"a": 1}\n{"a": \n')
    with pytest.raises(DataFileError, match=r"zip://dir/rows\.jsonl::.*bad\.zip"):
        arrowdata.load_dataset("json", data_files=str(tmp_path / "bad.zip"), progress=False)
