"""Every builder against a plain-Python model of its format: CSV, JSON (Lines, array, field,
dict of columns), text (line, paragraph, document), Parquet and Arrow (stream and file)."""
from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrowdata.errors import (ArrowDataError, CastError, CorruptFileError, DataFileError,
                              UnknownNameError)
from arrowdata.features import ClassLabel, Features, Value
from arrowdata.io import load_dataset

HYP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _write(path, text: str | bytes):
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


# -- CSV ----------------------------------------------------------------------------------------
def test_csv_types_and_values(tmp_path):
    p = _write(tmp_path / "a.csv", "i,f,s,b\n1,1.5,x,true\n2,,\"y, z\",false\n")
    ds = load_dataset("csv", data_files=p, progress=False, split="train")
    assert ds.to_list() == [{"i": 1, "f": 1.5, "s": "x", "b": True}, {"i": 2, "f": None, "s": "y, z", "b": False}]
    assert ds.features == Features({"i": Value("int64"), "f": Value("float64"), "s": Value("string"),
                                    "b": Value("bool")})
    assert ds.split == "train"


def test_csv_options_delimiter_header_names_skip(tmp_path):
    p = _write(tmp_path / "a.txt", "# comment line\n1;a\n2;b\n")
    ds = load_dataset("csv", data_files=p, sep=";", header=None, column_names=["n", "s"], skip_rows=1,
                      progress=False, split="train")
    assert ds.to_list() == [{"n": 1, "s": "a"}, {"n": 2, "s": "b"}]
    tsv = _write(tmp_path / "b.tsv", "x\ty\n1\t2\n")
    assert load_dataset("csv", data_files=tsv, progress=False, split="train").to_list() == [{"x": 1, "y": 2}]


def test_csv_quoted_newlines(tmp_path):
    p = _write(tmp_path / "a.csv", 'id,text\n1,"two\nlines"\n2,plain\n')
    ds = load_dataset("csv", data_files=p, newlines_in_values=True, progress=False, split="train")
    assert ds["text"] == ["two\nlines", "plain"]


def test_csv_widens_types_seen_late(tmp_path):
    # tiny blocks: the first block decides int64 / null, later blocks need float and string
    rows = ["a,b,c"] + ["1,,x"] * 200 + ["2.5,7,y", "word,8,z"]
    p = _write(tmp_path / "a.csv", "\n".join(rows) + "\n")
    ds = load_dataset("csv", data_files=p, block_size=256, progress=False, split="train")
    assert ds.features["a"] == Value("string") and ds.features["b"] == Value("int64")
    assert ds["a"][-3:] == ["1", "2.5", "word"]
    assert ds["b"][-2:] == [7, 8] and ds.num_rows == 202


def test_csv_malformed_row_names_file_and_line(tmp_path):
    p = _write(tmp_path / "bad.csv", "a,b\n1,2\n3,4\n5,6,7\n8,9\n")
    with pytest.raises(DataFileError) as e:
        load_dataset("csv", data_files=p, progress=False, split="train")
    assert e.value.path == p and e.value.line == 4
    assert "bad.csv" in str(e.value) and "line 4" in str(e.value)


def test_csv_features_classlabel_and_string_kept(tmp_path):
    p = _write(tmp_path / "a.csv", "zip,label\n007,pos\n010,neg\n")
    feats = Features({"zip": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    ds = load_dataset("csv", data_files=p, features=feats, progress=False, split="train")
    assert ds["zip"] == ["007", "010"]
    assert ds.data.column("label").to_pylist() == [1, 0]
    assert ds.features == feats


def test_csv_value_not_fitting_features_names_line_and_column(tmp_path):
    p = _write(tmp_path / "a.csv", "n\n1\n2\nthree\n")
    with pytest.raises(DataFileError) as e:
        load_dataset("csv", data_files=p, features=Features({"n": Value("int32")}), progress=False, split="train")
    assert e.value.line == 4 and e.value.column == "n" and e.value.path == p


def test_csv_unknown_label_is_cast_error(tmp_path):
    p = _write(tmp_path / "a.csv", "label\npos\nmaybe\n")
    with pytest.raises(CastError, match="a.csv"):
        load_dataset("csv", data_files=p, features=Features({"label": ClassLabel(names=["neg", "pos"])}),
                     progress=False, split="train")


_cell = st.one_of(st.integers(-10**12, 10**12), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                                        min_size=1, max_size=12).filter(lambda s: s.strip() == s))


@HYP
@given(rows=st.lists(st.tuples(st.integers(-10**9, 10**9), _cell), min_size=1, max_size=40))
def test_csv_matches_python_csv_module(tmp_path, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # "\r" inside a value gets quoted too
    w.writerow(["n", "v"])
    w.writerows(rows)
    p = _write(tmp_path / "h.csv", buf.getvalue())
    feats = Features({"n": Value("int64"), "v": Value("string")})
    ds = load_dataset("csv", data_files=p, features=feats, newlines_in_values=True, na_values=[],
                      progress=False, split="train")
    model = [{"n": int(r[0]), "v": r[1]} for r in list(csv.reader(io.StringIO(buf.getvalue(), newline="")))[1:]]
    assert ds.to_list() == model


# -- JSON ---------------------------------------------------------------------------------------
def test_jsonl_missing_and_late_keys(tmp_path):
    lines = ['{"a": 1}'] * 300 + ['{"a": 2, "late": {"x": [1, 2]}}', '{"a": 3.5}']
    p = _write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    ds = load_dataset("json", data_files=p, block_size=512, progress=False, split="train")
    assert ds.column_names == ["a", "late"]
    assert ds["a"][-3:] == [1.0, 2.0, 3.5] and ds.features["a"] == Value("float64")
    assert ds["late"][-2:] == [{"x": [1, 2]}, None] and ds["late"][0] is None


def test_jsonl_blank_lines_bom_and_long_lines(tmp_path):
    long = "x" * (3 << 20)  # one line longer than pyarrow's parse block
    text = "\ufeff" + '{"s": "a"}\n\n   \n' + json.dumps({"s": long}) + "\n"
    ds = load_dataset("json", data_files=_write(tmp_path / "a.jsonl", text), progress=False, split="train")
    assert ds["s"] == ["a", long]


@pytest.mark.parametrize("text,line", [
    ('{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n', 3),
    ('{"a": 1}\n[1, 2]\n', 2),
    ('{"a": 1}\n{"a": 2}\n{"a": "three"}\n', 3),
])
def test_jsonl_malformed_line_names_file_and_line(tmp_path, text, line):
    p = _write(tmp_path / "bad.jsonl", text)
    with pytest.raises(DataFileError) as e:
        load_dataset("json", data_files=p, progress=False, split="train")
    assert e.value.path == p and e.value.line == line and f"line {line}" in str(e.value)


def test_jsonl_error_line_counts_across_blocks(tmp_path):
    lines = ['{"a": %d}' % i for i in range(500)]
    lines[437] = '{"a": 437'
    p = _write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as e:
        load_dataset("json", data_files=p, block_size=300, progress=False, split="train")
    assert e.value.line == 438


def test_json_array_field_and_columns(tmp_path):
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
    arr = _write(tmp_path / "arr.json", json.dumps(rows, indent=2))
    assert load_dataset("json", data_files=arr, progress=False, split="train").to_list() == rows
    nested = _write(tmp_path / "obj.json", json.dumps({"version": 1, "data": rows}))
    assert load_dataset("json", data_files=nested, field="data", progress=False, split="train").to_list() == rows
    cols = _write(tmp_path / "cols.json", json.dumps({"a": [1, 2], "b": ["x", None]}, indent=1))
    assert load_dataset("json", data_files=cols, progress=False, split="train").to_list() == rows
    with pytest.raises(DataFileError, match="field 'nope' not found"):
        load_dataset("json", data_files=nested, field="nope", progress=False, split="train")
    with pytest.raises(DataFileError, match="pass field="):
        load_dataset("json", data_files=_write(tmp_path / "o.json", json.dumps({"v": 1, "d": rows}, indent=1)),
                     progress=False, split="train")


def test_json_array_malformed_names_line(tmp_path):
    p = _write(tmp_path / "a.json", '[\n {"a": 1},\n {"a": 2,,}\n]\n')
    with pytest.raises(DataFileError) as e:
        load_dataset("json", data_files=p, progress=False, split="train")
    assert e.value.line == 3




@HYP
@given(rows=st.lists(st.fixed_dictionaries({}, optional={"a": st.integers(-2**40, 2**40), "b": st.text(max_size=8),
                                                          "c": st.lists(st.integers(0, 9), max_size=3)}),
                     min_size=1, max_size=30))
def test_jsonl_matches_python_json(tmp_path, rows):
    p = _write(tmp_path / "h.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    ds = load_dataset("json", data_files=p, block_size=64, progress=False, split="train")
    keys = [k for k in ("a", "b", "c") if any(k in r for r in rows)]
    assert sorted(ds.column_names) == sorted(keys)
    assert ds.to_list() == [{k: r.get(k) for k in ds.column_names} for r in rows]


# -- text ---------------------------------------------------------------------------------------
def test_text_sample_by(tmp_path):
    p = _write(tmp_path / "a.txt", "one\r\ntwo\n\n\nthree\nfour\n")
    assert load_dataset("text", data_files=p, progress=False, split="train")["text"] == ["one", "two", "", "",
                        "three", "four"]
    assert load_dataset("text", data_files=p, keep_linebreaks=True, progress=False,
                        split="train")["text"][:2] == ["one\r\n", "two\n"]
    assert load_dataset("text", data_files=p, sample_by="paragraph", progress=False, split="train")["text"] == \
        ["one\ntwo", "three\nfour"]
    assert load_dataset("text", data_files=p, sample_by="document", progress=False, split="train")["text"] == \
        ["one\r\ntwo\n\n\nthree\nfour\n"]
    with pytest.raises(ValueError, match="sample_by"):
        load_dataset("text", data_files=p, sample_by="word", progress=False, split="train")


def test_text_invalid_utf8_names_line(tmp_path):
    p = _write(tmp_path / "a.txt", b"ok\nfine\nbad \xff byte\n")
    with pytest.raises(DataFileError) as e:
        load_dataset("text", data_files=p, progress=False, split="train")
    assert e.value.line == 3 and "encoding" in str(e.value)
    latin = load_dataset("text", data_files=p, encoding="latin-1", progress=False, split="train")
    assert latin["text"][2] == "bad \xff byte"


_line = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\n\r"), max_size=20)


@HYP
@given(lines=st.lists(_line, min_size=1, max_size=60), block=st.integers(1, 64))
def test_text_lines_and_paragraphs_match_python(tmp_path, lines, block):
    text = "\n".join(lines) + "\n"
    p = _write(tmp_path / "h.txt", text)
    assert load_dataset("text", data_files=p, block_size=block, progress=False, split="train")["text"] == lines
    paragraphs, cur = [], []
    for ln in lines:
        if ln.strip():
            cur.append(ln)
        elif cur:
            paragraphs.append("\n".join(cur)); cur = []
    if cur:
        paragraphs.append("\n".join(cur))
    got = load_dataset("text", data_files=p, block_size=block, sample_by="paragraph", progress=False, split="train")
    assert got["text"] == paragraphs


# -- parquet and arrow --------------------------------------------------------------------------
def test_parquet_and_columns_option(tmp_path):
    t = pa.table({"a": list(range(1000)), "b": [str(i) for i in range(1000)], "l": [[i] * (i % 3) for i in range(1000)]})
    p = str(tmp_path / "a.parquet")
    pq.write_table(t, p, row_group_size=128)
    ds = load_dataset("parquet", data_files=p, batch_size=100, progress=False, split="train")
    assert ds.to_list() == t.to_pylist()
    assert load_dataset("parquet", data_files=p, columns=["b"], progress=False, split="train").column_names == ["b"]
    with pytest.raises(DataFileError, match="'zz'"):
        load_dataset("parquet", data_files=p, columns=["zz"], progress=False, split="train")


def test_parquet_corrupt_file(tmp_path):
    p = _write(tmp_path / "bad.parquet", b"PAR1 this is not parquet")
    with pytest.raises(CorruptFileError, match="bad.parquet"):
        load_dataset("parquet", data_files=p, progress=False, split="train")


@pytest.mark.parametrize("fmt", ["stream", "file"])
def test_arrow_stream_and_file_format(tmp_path, fmt):
    t = pa.table({"x": [1, 2, 3], "y": ["a", "b", None]})
    p = str(tmp_path / "a.arrow")
    with pa.OSFile(p, "wb") as sink:
        w = pa.ipc.new_stream(sink, t.schema) if fmt == "stream" else pa.ipc.new_file(sink, t.schema)
        w.write_table(t.slice(0, 2)); w.write_table(t.slice(2))
        w.close()
    assert load_dataset("arrow", data_files=p, progress=False, split="train").to_list() == t.to_pylist()


def test_arrow_keeps_stored_features(tmp_path):
    from arrowdata.writer import ArrowWriter

    feats = Features({"label": ClassLabel(names=["neg", "pos"]), "t": Value("string")})
    p = str(tmp_path / "data.arrow")
    with ArrowWriter(p, schema=feats.arrow_schema) as w:
        w.write(pa.table({"label": [0, 1], "t": ["a", "b"]}, schema=feats.arrow_schema))
    ds = load_dataset("arrow", data_files=p, progress=False, split="train")
    assert ds.features == feats


def test_arrow_truncated_is_corrupt(tmp_path):
    t = pa.table({"x": list(range(10000))})
    p = tmp_path / "a.arrow"
    with pa.OSFile(str(p), "wb") as sink, pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    p.write_bytes(p.read_bytes()[:5000])
    with pytest.raises(CorruptFileError, match="a.arrow"):
        load_dataset("arrow", data_files=str(p), progress=False, split="train")


# -- builder registry and options --------------------------------------------------------------
def test_unknown_builder_lists_known(tmp_path):
    with pytest.raises(UnknownNameError) as e:
        load_dataset("jsonn", data_files=_write(tmp_path / "a.json", "{}"), split="train")
    msg = str(e.value)
    assert all(b in msg for b in ("csv", "json", "parquet", "text", "arrow")) and "Did you mean 'json'" in msg


def test_unknown_option_is_named(tmp_path):
    p = _write(tmp_path / "a.csv", "a\n1\n")
    with pytest.raises(UnknownNameError, match="delimeter.*delimiter"):
        load_dataset("csv", data_files=p, delimeter=";", split="train")


def test_builder_inferred_from_path(tmp_path):
    p = _write(tmp_path / "a.jsonl", '{"a": 1}\n')
    assert load_dataset(p, progress=False, split="train").to_list() == [{"a": 1}]
    with pytest.raises(UnknownNameError, match="builder for files like") as e:
        load_dataset(_write(tmp_path / "a.bin", b"\x00"), progress=False, split="train")
    assert isinstance(e.value, ArrowDataError)
