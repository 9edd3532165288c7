"""Classes 4, 8 and 9: malformed input never silently loses rows or changes types; the whole cache
folder is bounded and cleaned; errors name file and line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pyarrow as pa
import pytest

import arrowdata
from arrowdata import cache, load_dataset
from arrowdata.errors import DataFileError, SchemaMismatchError
from arrowdata.features import Features, Value


def _load(path, **kw):
    out = load_dataset(path.suffix.lstrip(".").replace("jsonl", "json"), data_files=str(path), split="train",
                       progress=False, **kw)
    return out


# ----------------------------------------------------------------------------- class 4


@pytest.mark.parametrize("body, line", [(b'a,b\n1,"x\n2,y\n3,z\n', 2), (b'a,b\n1,x\n2,y\n3,"z\n', 4),
                                        (b'a,b\n1,x\n2,"y, unfinished\n3,z\n4,w\n', 3)])
def test_csv_unterminated_quote_raises_with_line(tmp_path, body, line):
    p = tmp_path / "q.csv"
    p.write_bytes(body)
    with pytest.raises(DataFileError, match="unterminated") as e:
        _load(p)
    assert e.value.line == line and str(p) in str(e.value)
    lenient = _load(p, lenient=True)  # opted in: pyarrow's reading, to the end of the file
    assert lenient.num_rows >= 1


def test_csv_legal_multiline_values_still_load(tmp_path):
    p = tmp_path / "m.csv"
    p.write_bytes(b'a,b\n1,"two\nlines"\n2,"x"\n3,"last\nrow"\n')
    assert _load(p)["b"] == ["two\nlines", "x", "last\nrow"]


@pytest.mark.parametrize("where", ["first_block", "later_block"])
def test_csv_invalid_utf8_raises_with_line_and_never_turns_binary(tmp_path, where):
    p = tmp_path / "u.csv"
    rows = [b"%d,word%d" % (i, i) for i in range(2000)]
    bad = 3 if where == "first_block" else 1800
    rows[bad] = b"%d,w\xffrd" % bad
    p.write_bytes(b"a,b\n" + b"\n".join(rows) + b"\n")
    with pytest.raises(DataFileError) as e:
        _load(p, block_size=4096)
    assert e.value.line == bad + 2 and str(p) in str(e.value)
    ds = _load(p, lenient=True, block_size=4096)
    assert ds.features["b"] == Value("string") and ds[bad]["b"] == "w\ufffdrd" and ds.num_rows == 2000


def test_saved_folder_with_shards_of_different_schemas_is_refused(tmp_path):
    from arrowdata.writer import ArrowWriter

    folder = tmp_path / "sf"
    arrowdata.Dataset.from_dict({"a": [1, 2, 3, 4]}).save_to_disk(str(folder), num_shards=2)
    for table in (pa.table({"a": [3.5, 4.5]}), pa.table({"a": [3, 4], "z": [1, 2]}), pa.table({"b": [3, 4]})):
        with ArrowWriter(folder / "data-00001-of-00002.arrow") as w:
            w.write(table)
        with pytest.raises(SchemaMismatchError, match="data-00001-of-00002.arrow"):
            arrowdata.load_from_disk(str(folder))


def test_input_shards_with_different_schemas_name_the_shard(tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1, 2]}), tmp_path / "p0.parquet")
    pq.write_table(pa.table({"a": [1, 2], "b": ["x", "y"]}), tmp_path / "p1.parquet")
    with pytest.raises(SchemaMismatchError, match="p1.parquet"):
        load_dataset("parquet", data_files=[str(tmp_path / "p0.parquet"), str(tmp_path / "p1.parquet")],
                     split="train", progress=False)
    pq.write_table(pa.table({"a": [1.5, 2.5]}), tmp_path / "p2.parquet")
    with pytest.raises(SchemaMismatchError, match="p2.parquet"):
        load_dataset("parquet", data_files=[str(tmp_path / "p0.parquet"), str(tmp_path / "p2.parquet")],
                     split="train", progress=False)


# ----------------------------------------------------------------------------- class 9


def test_number_overflow_is_reported_at_its_line(tmp_path):
    p = tmp_path / "o.jsonl"
    p.write_text('{"a": 1}\n' * 5 + '{"a": 99999999999999999999999}\n' + '{"a": 2}\n' * 5)
    with pytest.raises(DataFileError) as e:
        _load(p, features=Features({"a": Value("int64")}))
    assert e.value.line == 6 and e.value.column == "a"
    c = tmp_path / "o.csv"
    c.write_text("a\n" + "1\n" * 5 + "99999999999999999999999\n" + "2\n" * 3)
    with pytest.raises(DataFileError) as e:
        _load(c, features=Features({"a": Value("int64")}))
    assert e.value.line == 7


@pytest.mark.parametrize("layout", ["lines", "document", "line_in_string"])
def test_deep_json_nesting_never_crashes(tmp_path, layout, child):
    p = tmp_path / ("d.json" if layout == "document" else "d.jsonl")
    deep = "[" * 200000 + "]" * 200000
    if layout == "lines":
        p.write_text('{"a": 1}\n{"a": ' + deep + "}\n")
    elif layout == "document":
        p.write_text('[{"a": 1}, {"a": ' + deep + "}]")
    else:  # brackets inside a string are text, not nesting
        p.write_text('{"a": "' + "[" * 5000 + '"}\n')

    def load():
        try:
            return "rows=%d" % _load(p).num_rows
        except DataFileError as e:
            return f"DataFileError line={e.line}: {e}"

    status, text = child(load, timeout=60)
    assert status == 0, (status, text)  # a segfault would be -11, a RecursionError a non-zero exit
    if layout == "line_in_string":
        assert text == "rows=1"
    else:
        assert text.startswith("DataFileError") and "nested too deeply" in text
        assert layout == "document" or "line=2" in text


def test_max_shard_size_accepts_strings(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n')
    assert _load(p, max_shard_size="100MB").num_rows == 1


# ----------------------------------------------------------------------------- class 8


def test_cache_clean_and_info_cover_converted_and_generated(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_text('{"a": 1}\n' * 100)
    _load(p)

    def gen():
        for i in range(50):
            yield {"i": i}

    arrowdata.Dataset.from_generator(gen)
    kinds = {e.kind for e in cache.list_all()}
    assert {"converted", "generated"} <= kinds
    env = {**os.environ, "ARROWDATA_CACHE": str(arrowdata.config.cache_dir())}
    info = json.loads(subprocess.run([sys.executable, "-m", "arrowdata.cli", "cache", "info", "--json"], env=env,
                                     capture_output=True, text=True, check=True).stdout)
    assert info["size_bytes"] > 0 and info["by_folder"]["converted"]["entries"] == 1
    assert info["by_folder"]["generated"]["entries"] == 1
    removed = cache.clean(max_size=0)
    assert {e.kind for e in removed} >= {"converted", "generated"}
    assert not os.listdir(cache.config.cache_dir() / "converted")
    _load(p)
    cache.clean(everything=True)
    assert not os.listdir(cache.config.cache_dir() / "converted")


def test_killed_conversion_debris_is_counted_and_cleaned(tmp_path):
    root = arrowdata.config.cache_dir() / "converted"
    root.mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    debris = root / f"{'a' * 32}.tmp-{dead.pid}-deadbeef"
    debris.mkdir()
    (debris / "shard-00000.arrow").write_bytes(b"x" * 100)
    old = time.time() - 120
    os.utime(debris, (old, old))
    assert debris in cache.unfinished_files()
    cache.clean_debris(force=True)
    assert not debris.exists()


def test_relative_cache_dir_is_made_absolute_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARROWDATA_CACHE", "rel_cache")
    first = arrowdata.config.cache_dir()
    assert first.is_absolute() and first == tmp_path / "rel_cache"
    ds = arrowdata.Dataset.from_dict({"x": [1, 2]}).map(lambda r: {"y": r["x"]})
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    assert arrowdata.config.cache_dir() == first
    import pickle
    assert pickle.loads(pickle.dumps(ds))["y"] == [1, 2]
