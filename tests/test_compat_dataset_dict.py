"""DatasetDict and split types as in HF ``datasets`` 5: from_csv/json/parquet/text, NamedSplit/Split,
map/filter(with_split=), one seed for every split, value checks, save_to_disk(num_proc=),
from_generator's default split and fingerprint=."""
from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import arrowdata
from arrowdata import Dataset, DatasetDict, Features, NamedSplit, Split, Value

hf = pytest.importorskip("datasets")

ROWS = [{"col_1": "0", "col_2": i, "col_3": float(i)} for i in range(4)]


@pytest.fixture
def files(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("col_1,col_2,col_3\n" + "".join(f"{r['col_1']},{r['col_2']},{r['col_3']}\n" for r in ROWS))
    jsonl = tmp_path / "d.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    parquet = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), parquet)
    text = tmp_path / "d.txt"
    text.write_text("a\nb\nc\n")
    return {"csv": str(csv), "json": str(jsonl), "parquet": str(parquet), "text": str(text)}


@pytest.mark.parametrize("reader", ["csv", "json", "parquet", "text"])
def test_from_files_per_split_like_hf(files, tmp_path, reader):
    paths = {"train": files[reader], NamedSplit("test"): files[reader]}
    hf.disable_progress_bars()
    ours = getattr(DatasetDict, f"from_{reader}")(paths, cache_dir=str(tmp_path / "c1"))
    theirs = getattr(hf.DatasetDict, f"from_{reader}")({str(k): v for k, v in paths.items()},
                                                        cache_dir=str(tmp_path / "c2"))
    assert list(ours) == list(theirs) == ["train", "test"]
    for split in ours:
        assert ours[split].to_list() == theirs[split].to_list()
        assert ours[split].split == split
    if reader != "text":
        feats = Features({"col_1": Value("string"), "col_2": Value("int32"), "col_3": Value("float32")})
        typed = getattr(DatasetDict, f"from_{reader}")({"train": files[reader]}, features=feats)
        assert typed["train"].features == feats and typed["train"]["col_2"] == [0, 1, 2, 3]


def test_named_split_and_split_behave_as_strings():
    assert NamedSplit("train") == "train" == Split.TRAIN and hash(NamedSplit("x")) == hash("x")
    assert {Split.VALIDATION: 1}["validation"] == 1 and str(Split.TEST) == "test"
    assert Split("dev") == NamedSplit("dev") and repr(Split.ALL) == "NamedSplit('all')"
    assert [str(s) for s in (Split.TRAIN, Split.VALIDATION, Split.TEST)] == \
        [str(s) for s in (hf.Split.TRAIN, hf.Split.VALIDATION, hf.Split.TEST)]
    with pytest.raises(ValueError):
        NamedSplit("bad name!")


def _dd():
    return DatasetDict({"train": Dataset.from_dict({"a": [1, 2, 3]}), "test": Dataset.from_dict({"a": [4, 5]})})


def test_with_split_passes_the_split_name_last():
    out = _dd().map(lambda row, split: {"s": f"{split}:{row['a']}"}, with_split=True)
    assert out["train"]["s"] == ["train:1", "train:2", "train:3"] and out["test"]["s"] == ["test:4", "test:5"]
    kept = _dd().filter(lambda row, i, split: split == "test" or i == 0, with_indices=True, with_split=True)
    assert kept["train"]["a"] == [1] and kept["test"]["a"] == [4, 5]


def test_one_seed_shuffles_every_split_and_dicts_still_work():
    dd = _dd()
    one = dd.shuffle(seeds=7)
    assert {s: d["a"] for s, d in one.items()} == {s: d.shuffle(seed=7)["a"] for s, d in dd.items()}
    per = dd.shuffle(seeds={"train": 1, "test": 2})
    assert per["test"]["a"] == dd["test"].shuffle(seed=2)["a"]
    with pytest.raises(ValueError, match="cache_file_names"):
        dd.map(lambda r: r, cache_file_names="one-file-for-all.arrow")


def test_values_must_be_datasets():
    dd = _dd()
    dd["bad"] = None
    for call in (lambda: dd.map(lambda r: r), lambda: dd.shuffle(), lambda: dd.save_to_disk("x")):
        with pytest.raises(TypeError, match="'bad'"):
            call()


def test_save_to_disk_hf_argument_order_and_num_proc_shards(tmp_path):
    dd = _dd()
    dd.save_to_disk(str(tmp_path / "a"), None, None, 2)  # HF's positional order: ..., num_shards, num_proc
    back = arrowdata.load_from_disk(str(tmp_path / "a"))
    assert {s: len(d.cache_files) for s, d in back.items()} == {"train": 2, "test": 2}
    assert {s: d["a"] for s, d in back.items()} == {s: d["a"] for s, d in dd.items()}
    dd.save_to_disk(str(tmp_path / "b"), num_shards={"train": 3, "test": 1}, num_proc=2)
    assert len(arrowdata.load_from_disk(str(tmp_path / "b"))["train"].cache_files) == 3


def test_from_generator_default_split_and_fingerprint():
    def gen(n):
        for i in range(n):
            yield {"i": i}

    ds = Dataset.from_generator(gen, gen_kwargs={"n": 3})
    assert ds.split == "train" == hf.Dataset.from_generator(gen, gen_kwargs={"n": 3}).split
    a = Dataset.from_generator(gen, gen_kwargs={"n": 3}, fingerprint="my-run-1")
    assert a.fingerprint == "my-run-1" and a["i"] == [0, 1, 2]
    # the fingerprint names the result: the same one reuses it without running the generator
    again = Dataset.from_generator(gen, gen_kwargs={"n": 5}, fingerprint="my-run-1")
    assert again["i"] == [0, 1, 2]
    other = Dataset.from_generator(gen, gen_kwargs={"n": 2}, features=Features({"i": Value("int32")}),
                                   fingerprint="my-run-1")
    assert other["i"] == [0, 1]  # other features: another entry
    with pytest.raises(ValueError, match="fingerprint"):
        Dataset.from_generator(gen, gen_kwargs={"n": 1}, fingerprint="../x")
    assert os.path.isdir(arrowdata.config.cache_dir() / "generated")


def test_format_round_trips_and_numpy_rows_like_hf():
    rows = {"s": ["x", "yy"], "n": [1, 2]}
    for lib in (arrowdata, hf):
        ds = lib.Dataset.from_dict(rows).with_transform(lambda b: {k: [str(v).upper() for v in vs]
                                                                   for k, vs in b.items()}, columns=["s"])
        again = ds.with_format(**ds.format)
        assert again.format == ds.format and again[0] == {"s": "X"}
    ours, theirs = (lib.Dataset.from_dict(rows).with_format("numpy")[0] for lib in (arrowdata, hf))
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in theirs.items()}
    assert ours == theirs


def test_getitem_with_array_likes_like_hf():
    import numpy as np
    import pandas as pd

    rows = {"a": list(range(6))}
    for key in (pd.Series([4, 0, 2]), pd.Index([5, 1]), np.array([3, 3])):
        assert Dataset.from_dict(rows)[key] == hf.Dataset.from_dict(rows)[key]
    with pytest.raises(ValueError, match="duplicated"):
        arrowdata.concatenate_datasets([Dataset.from_dict(rows), Dataset.from_dict(rows)], axis=1)
