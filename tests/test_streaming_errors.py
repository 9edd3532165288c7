"""Bad input in a stream: the good rows come first, then an error naming the file and the row offset."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import arrowdata
from arrowdata.errors import StreamReadError


def _consume(ds):
    got = []
    with pytest.raises(StreamReadError) as info:
        for row in ds:
            got.append(row)
    return got, info.value


def test_truncated_parquet_shard_in_the_middle(tmp_path):
    for i in range(3):
        pq.write_table(pa.table({"x": list(range(i * 50, (i + 1) * 50))}), tmp_path / f"p{i}.parquet")
    data = (tmp_path / "p1.parquet").read_bytes()
    (tmp_path / "p1.parquet").write_bytes(data[: len(data) // 2])  # footer gone
    ds = arrowdata.load_dataset("parquet", data_files=str(tmp_path / "*.parquet"), split="train", streaming=True)
    got, error = _consume(ds)
    assert [r["x"] for r in got] == list(range(50))
    assert error.path.endswith("p1.parquet") and error.row == 0
    assert "p1.parquet, row offset 0" in str(error) and isinstance(error, OSError)


def test_malformed_line_mid_file_names_file_and_row(tmp_path):
    good = [json.dumps({"x": i, "pad": "y" * 40}) for i in range(200)]
    lines = good[:120] + ["{not json"] + good[120:]
    (tmp_path / "a.jsonl").write_text("".join(f'{{"x": {-i - 1}, "pad": "z"}}\n' for i in range(10)))
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    ds = arrowdata.load_dataset("json", data_files=[str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")],
                                split="train", streaming=True, block_size=1024)
    got, error = _consume(ds.select_columns(["x"]))
    xs = [r["x"] for r in got]
    assert xs[:10] == [-i - 1 for i in range(10)] and xs[10:] == list(range(len(xs) - 10))
    assert len(xs) > 10 + 50  # blocks before the bad one were yielded
    assert error.path.endswith("b.jsonl") and error.row == len(xs) - 10
    assert "line 121" in str(error)  # the reader's own detail is kept
