"""Where data comes from: compression, folders, globs, dicts of splits, ``memory://``, ``s3://``
(a real S3-compatible server on loopback), and the conversion cache (hits and misses)."""
from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import arrowdata.io.convert as convert_mod  # convert_cached calls convert_files from here
from arrowdata import config
from arrowdata.errors import MissingFileError, SchemaMismatchError, UnknownNameError
from arrowdata.io import load_dataset
from arrowdata.io.files import resolve_data_files

ROWS = [{"id": i, "text": f"row {i}"} for i in range(50)]
JSONL = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
HALF = JSONL.index(b"\n", len(JSONL) // 2) + 1  # a line boundary near the middle
CSV = ("id,text\n" + "".join(f"{r['id']},{r['text']}\n" for r in ROWS)).encode()
COMPRESSORS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
               ".zst": lambda b: zstandard.ZstdCompressor().compress(b)}


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
@pytest.mark.parametrize("builder,name,raw", [("json", "a.jsonl", JSONL), ("csv", "a.csv", CSV)])
def test_compressed_inputs(tmp_path, ext, builder, name, raw):
    p = tmp_path / (name + ext)
    p.write_bytes(COMPRESSORS[ext](raw))
    assert load_dataset(builder, data_files=str(p), progress=False, split="train").to_list() == ROWS
    assert load_dataset(str(p), progress=False, split="train").num_rows == len(ROWS)  # builder from "a.jsonl.gz"


def test_compressed_text_and_parquet_in_zst_multiframe(tmp_path):
    p = tmp_path / "a.txt.zst"
    c = zstandard.ZstdCompressor()
    p.write_bytes(c.compress(b"one\ntwo\n") + c.compress(b"three\n"))  # two frames, as `cat a.zst b.zst`
    assert load_dataset("text", data_files=str(p), progress=False, split="train")["text"] == ["one", "two", "three"]


def test_memory_filesystem():
    fs = fsspec.filesystem("memory")
    fs.pipe("/mem/train/a.jsonl", JSONL[:HALF])
    fs.pipe("/mem/train/b.jsonl.gz", gzip.compress(JSONL[HALF:]))
    fs.pipe("/mem/test.csv", CSV)
    ds = load_dataset("json", data_files="memory://mem/train", progress=False, split="train")
    assert ds.to_list() == ROWS
    assert load_dataset("csv", data_files="memory://mem/test.csv", progress=False, split="train").to_list() == ROWS
    fs.pipe("/mem/test.csv", CSV.replace(b"\n1,row 1\n", b"\n1,row 9\n"))  # same size, new content
    assert load_dataset("csv", data_files="memory://mem/test.csv", progress=False, split="train")["text"][1] == "row 9"


def test_folder_glob_and_dict_of_splits(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "b.jsonl").write_bytes(JSONL[HALF:])
    (tmp_path / "data" / "a.jsonl").write_bytes(JSONL[:HALF])
    (tmp_path / "data" / "README.md").write_text("not data")
    (tmp_path / "data" / ".hidden.jsonl").write_text("garbage")
    # a folder: its .jsonl files in name order, README and hidden files skipped
    assert load_dataset("json", data_files=str(tmp_path / "data"), progress=False, split="train").to_list() == ROWS
    assert load_dataset("json", data_dir=str(tmp_path / "data"), progress=False, split="train").num_rows == len(ROWS)
    assert load_dataset("json", data_files=str(tmp_path / "data" / "*.jsonl"), progress=False,
                        split="train").to_list() == ROWS
    (tmp_path / "t.csv").write_bytes(CSV)
    dd = load_dataset("csv", data_files={"train": str(tmp_path / "t.csv"), "test": [str(tmp_path / "t.csv")] * 2},
                      progress=False)
    assert sorted(dd.keys()) == ["test", "train"]
    assert dd["train"].num_rows == 50 and dd["test"].num_rows == 100 and dd["test"].split == "test"
    one = load_dataset("csv", data_files={"train": str(tmp_path / "t.csv")}, split="train[10:20]", progress=False)
    assert one["id"] == list(range(10, 20))
    pct = load_dataset("csv", data_files=str(tmp_path / "t.csv"), split="train[:10%]", progress=False)
    assert pct["id"] == list(range(5)) and pct.split == "train[:10%]"
    with pytest.raises(UnknownNameError, match="'validation'.*train"):  # a single path is the train split (HF)
        load_dataset("csv", data_files=str(tmp_path / "t.csv"), split="validation[:10%]", progress=False)
    with pytest.raises(UnknownNameError, match="'validation'.*test, train"):
        load_dataset("csv", data_files={"train": str(tmp_path / "t.csv"), "test": str(tmp_path / "t.csv")},
                     split="validation", progress=False)


def test_missing_paths_are_named(tmp_path):
    missing = str(tmp_path / "nope.csv")
    with pytest.raises(MissingFileError) as e:
        load_dataset("csv", data_files=missing, split="train")
    assert missing in str(e.value) and e.value.path == missing
    with pytest.raises(MissingFileError, match=r"nothing-\*\.csv"):
        load_dataset("csv", data_files=str(tmp_path / "nothing-*.csv"), split="train")
    with pytest.raises(MissingFileError, match="memory://gone.jsonl"):
        load_dataset("json", data_files="memory://gone.jsonl", split="train")
    assert isinstance(e.value, FileNotFoundError)


def test_schema_mismatch_names_file_and_column(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x,y\n1,2\n")
    b.write_text("x,z\n3,4\n")
    with pytest.raises(SchemaMismatchError) as e:
        load_dataset("csv", data_files=[str(a), str(b)], progress=False, split="train")
    assert e.value.path == str(b) and e.value.column == "z" and "b.csv" in str(e.value)
    pa_, pb = str(tmp_path / "a.parquet"), str(tmp_path / "b.parquet")
    pq.write_table(pa.table({"x": [1]}), pa_)
    pq.write_table(pa.table({"x": ["one"]}), pb)
    with pytest.raises(SchemaMismatchError) as e:
        load_dataset("parquet", data_files=[pa_, pb], progress=False, split="train")
    assert e.value.path == pb and e.value.column == "x"
    ja, jb = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    ja.write_text('{"x": 1}\n')
    jb.write_text('{"x": 2, "extra": 1}\n')
    with pytest.raises(SchemaMismatchError) as e:
        load_dataset("json", data_files=[str(ja), str(jb)], progress=False, split="train")
    assert e.value.path == str(jb) and e.value.column == "extra"


def test_types_promoted_across_text_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("x\n1\n")
    b.write_text("x\n2.5\n")
    assert load_dataset("csv", data_files=[str(a), str(b)], progress=False, split="train")["x"] == [1.0, 2.5]


# -- the conversion cache ------------------------------------------------------------------------
@pytest.fixture
def count_conversions(monkeypatch):
    calls = []
    real = convert_mod.convert_files

    def counting(*args, **kwargs):
        calls.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(convert_mod, "convert_files", counting)
    return calls


def test_cache_hit_and_miss_on_content(tmp_path, count_conversions):
    p = tmp_path / "a.csv"
    p.write_text("x\n1\n2\n")
    first = load_dataset("csv", data_files=str(p), progress=False, split="train")
    again = load_dataset("csv", data_files=str(p), progress=False, block_size=1 << 10,
                         split="train")  # speed knob: same key
    assert len(count_conversions) == 1 and again.fingerprint == first.fingerprint
    assert again.cache_files == first.cache_files
    assert str(config.cache_dir() / "converted") in again.cache_files[0]["filename"]
    # same size, same mtime, different content: must convert again
    st = os.stat(p)
    p.write_text("x\n3\n4\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    changed = load_dataset("csv", data_files=str(p), progress=False, split="train")
    assert len(count_conversions) == 2 and changed["x"] == [3, 4] and changed.fingerprint != first.fingerprint
    load_dataset("csv", data_files=str(p), progress=False, delimiter=";",
                 split="train")  # an option that changes output
    assert len(count_conversions) == 3
    custom = tmp_path / "mycache"
    load_dataset("csv", data_files=str(p), cache_dir=str(custom), progress=False, split="train")
    assert len(os.listdir(custom)) == 1


def test_damaged_cache_entry_is_rebuilt(tmp_path, count_conversions):
    p = tmp_path / "a.jsonl"
    p.write_bytes(JSONL)
    ds = load_dataset("json", data_files=str(p), progress=False, split="train")
    shard = ds.cache_files[0]["filename"]
    del ds
    with open(shard, "r+b") as fh:
        fh.truncate(100)
    again = load_dataset("json", data_files=str(p), progress=False, split="train")
    assert len(count_conversions) == 2 and again.to_list() == ROWS


def test_failed_conversion_leaves_nothing(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(JSONL + b'{"id": \n')
    with pytest.raises(Exception):
        load_dataset("json", data_files=str(p), progress=False, split="train")
    root = config.cache_dir() / "converted"
    assert not root.exists() or os.listdir(root) == []


def test_resolve_rejects_bad_entries():
    with pytest.raises(TypeError, match="data_files"):
        resolve_data_files(None)
    with pytest.raises(TypeError, match="paths or URLs"):
        resolve_data_files([3])


# -- s3 through s3fs against moto's server on loopback ---------------------------------------------
def test_s3_via_s3fs(s3_options):
    import s3fs

    opts = s3_options
    fs = s3fs.S3FileSystem(**opts)
    fs.mkdir("bucket")  # this file's own bucket on the session's server
    fs.pipe("bucket/data/a.jsonl.gz", gzip.compress(JSONL))
    buf = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(ROWS), buf)
    fs.pipe("bucket/data/b.parquet", buf.getvalue().to_pybytes())
    ds = load_dataset("json", data_files="s3://bucket/data/*.jsonl.gz", storage_options=opts, progress=False,
                      split="train")
    assert ds.to_list() == ROWS
    again = load_dataset("json", data_files="s3://bucket/data/a.jsonl.gz", storage_options=opts,
                         progress=False, split="train")
    assert again.fingerprint == ds.fingerprint
    assert load_dataset("parquet", data_files="s3://bucket/data/b.parquet", storage_options=opts,
                        progress=False, split="train").to_list() == ROWS
    assert load_dataset("s3://bucket/data/b.parquet", storage_options=opts, progress=False,
                        split="train").num_rows == len(ROWS)
    fs.pipe("bucket/data/a.jsonl.gz", gzip.compress(JSONL[: JSONL.index(b"\n") + 1]))
    fs.invalidate_cache()
    changed = load_dataset("json", data_files="s3://bucket/data/a.jsonl.gz", storage_options=opts,
                           progress=False, split="train")
    assert changed.num_rows == 1 and changed.fingerprint != ds.fingerprint
    with pytest.raises(MissingFileError, match="s3://bucket/data/nope.csv"):
        load_dataset("csv", data_files="s3://bucket/data/nope.csv", storage_options=opts, split="train")


def _load_in_child(path: str, out: str) -> None:
    calls = []
    real = convert_mod.convert_files
    convert_mod.convert_files = lambda *a, **k: calls.append(1) or real(*a, **k)
    ds = load_dataset("json", data_files=path, progress=False, split="train")
    with open(out, "w") as fh:
        json.dump({"fingerprint": ds.fingerprint, "rows": ds.num_rows, "converted": len(calls)}, fh)


def test_concurrent_processes_convert_once(tmp_path):
    import multiprocessing as mp

    p = tmp_path / "a.jsonl"
    p.write_bytes(JSONL * 200)
    ctx = mp.get_context("spawn")  # children inherit ARROWDATA_CACHE from this test's environment
    procs = [ctx.Process(target=_load_in_child, args=(str(p), str(tmp_path / f"r{i}.json"))) for i in range(3)]
    for pr in procs:
        pr.start()
    for pr in procs:
        pr.join(120)
    results = [json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(3)]
    assert {r["fingerprint"] for r in results} == {results[0]["fingerprint"]}
    assert all(r["rows"] == 50 * 200 for r in results)
    assert sum(r["converted"] for r in results) == 1  # the others waited on the lock
    root = config.cache_dir() / "converted"
    assert len(os.listdir(root)) == 1  # one conversion, no leftover temporary folders


def test_folder_skips_spark_and_hidden_markers(tmp_path):
    d = tmp_path / "spark_out"
    (d / "_temporary").mkdir(parents=True)
    (d / "_SUCCESS").write_text("")
    (d / "_temporary" / "part-9.csv").write_text("garbage\n")
    (d / "part-0.csv").write_bytes(CSV)
    assert load_dataset("csv", data_files=str(d), progress=False, split="train").to_list() == ROWS
