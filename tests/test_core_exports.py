"""Exports to files and objects match the data, in logical (indices-applied) order."""
from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrowdata import ClassLabel, Dataset, Features, Value
from arrowdata.errors import ArrowDataError

ROWS = {"i": [3, 1, 2, None], "f": [0.1, 1e-17, 2.5, 3.0], "s": ["a,b", 'q"x', "héllo", None]}


@pytest.fixture()
def ds():
    base = Dataset.from_dict(ROWS)
    return base._replace(indices=pa.array(np.array([3, 0, 2], dtype=np.uint64)))


def _expected_rows():
    return [{k: v[i] for k, v in ROWS.items()} for i in (3, 0, 2)]


def test_objects(ds):
    assert ds.to_list() == _expected_rows()
    assert ds.to_dict() == {k: [v[i] for i in (3, 0, 2)] for k, v in ROWS.items()}
    assert [b for b in ds.to_dict(batched=True, batch_size=2)] == [
        {k: [v[i] for i in (3, 0)] for k, v in ROWS.items()}, {k: [v[2]] for k, v in ROWS.items()}]
    pdf = ds.to_pandas()
    assert pdf["s"].tolist()[1:] == ["a,b", "héllo"] and len(pdf) == 3
    assert sum(len(x) for x in ds.to_pandas(batched=True, batch_size=2)) == 3
    pl = pytest.importorskip("polars")
    assert ds.to_polars()["f"].to_list() == [3.0, 0.1, 2.5]
    assert isinstance(ds.to_polars(), pl.DataFrame)


def test_parquet_keeps_features(tmp_path):
    feats = Features({"y": ClassLabel(names=["neg", "pos"]), "t": Value("string")})
    d = Dataset.from_dict({"y": ["pos", "neg"], "t": ["a", "b"]}, features=feats)
    n = d.to_parquet(tmp_path / "a.parquet", batch_size=1)
    assert n == os.path.getsize(tmp_path / "a.parquet")
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.to_pydict() == {"y": [1, 0], "t": ["a", "b"]}
    assert Features.from_arrow_schema(table.schema) == feats
    assert pq.ParquetFile(tmp_path / "a.parquet").metadata.num_row_groups == 2


def test_json_lines_exact(ds, tmp_path):
    n = ds.to_json(tmp_path / "a.jsonl", batch_size=2)
    text = (tmp_path / "a.jsonl").read_text(encoding="utf-8")
    assert n == len(text.encode())
    assert [json.loads(line) for line in text.splitlines()] == _expected_rows()
    ds.to_json(tmp_path / "b.json", lines=False)
    assert json.loads((tmp_path / "b.json").read_text()) == _expected_rows()


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(st.fixed_dictionaries({
    "f": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    "s": st.one_of(st.none(), st.text(max_size=8)),
    "l": st.lists(st.integers(-2**63, 2**63 - 1), max_size=3),
    "d": st.one_of(st.none(), st.dates())}), min_size=1, max_size=20), lines=st.booleans())
def test_json_matches_python_model(tmp_path_factory, rows, lines):
    path = tmp_path_factory.mktemp("j") / "x.json"
    d = Dataset.from_list(rows)
    for ds in (d, d.remove_columns(["d"]) if hasattr(d, "remove_columns") else d):  # fallback and fast path
        ds.to_json(path, lines=lines, batch_size=7)
        text = path.read_text(encoding="utf-8")
        # JSON Lines splits on "\n" only (str.splitlines would also split inside strings on U+2028...)
        got = [json.loads(x) for x in text.split("\n")[:-1]] if lines else json.loads(text)
        want = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items() if k in ds.column_names}
                for r in rows]
        assert got == want


def test_json_special_values(tmp_path):
    d = Dataset.from_dict({"b": [b"\x00\x01"], "t": [dt.datetime(2020, 1, 2, 3, 4, 5)]})
    d.to_json(tmp_path / "x.jsonl")
    assert json.loads((tmp_path / "x.jsonl").read_text()) == {"b": "AAE=", "t": "2020-01-02T03:04:05"}


def test_csv(ds, tmp_path):
    n = ds.to_csv(tmp_path / "a.csv")
    assert n == os.path.getsize(tmp_path / "a.csv")
    back = pd.read_csv(tmp_path / "a.csv", keep_default_na=False, na_values=[""])
    assert back["s"].tolist()[1:] == ["a,b", "héllo"] and back["f"].tolist() == [3.0, 0.1, 2.5]
    with pytest.raises(ArrowDataError, match="'l'.*nested"):
        Dataset.from_dict({"l": [[1]]}).to_csv(tmp_path / "n.csv")
    assert not (tmp_path / "n.csv").exists()


def test_failed_export_leaves_no_file(tmp_path):
    assert Dataset.from_dict({"v": [True]}).to_json(tmp_path / "ok.jsonl") > 0
    bad = Dataset.from_dict({"d": [1, 2, 3]})

    class Boom(Exception):
        pass

    def broken_iter(*a, **k):
        yield pa.table({"d": [1]})
        raise Boom()  # the export dies half-way

    bad.iter_arrow = broken_iter
    with pytest.raises(Boom):
        bad.to_json(tmp_path / "half.jsonl")
    assert sorted(os.listdir(tmp_path)) == ["ok.jsonl"]


def test_remote_export():
    import fsspec

    Dataset.from_dict({"a": [1, 2]}).to_json("memory://exports/a.jsonl")
    with fsspec.open("memory://exports/a.jsonl", "rt") as f:
        assert f.read().splitlines() == ['{"a":1}', '{"a":2}']
    fsspec.filesystem("memory").rm("/exports", recursive=True)
