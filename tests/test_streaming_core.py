"""IterableDataset: creation, transforms, order, columns and formats, against plain-Python models."""
from __future__ import annotations

import bz2
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata.streaming import IterableDataset, IterableDatasetDict
from arrowdata.streaming.shuffle import replace_step

ROWS = [{"id": i, "text": f"w{i % 7} " * (i % 5 + 1), "label": i % 3} for i in range(240)]


def _rows(ds):
    return [dict(r) for r in ds]


@pytest.fixture
def files(tmp_path):
    """The same 240 rows as gzipped jsonl shards, parquet, csv, text and arrow files."""
    out = {}
    parts = [ROWS[i:i + 80] for i in range(0, 240, 80)]
    for i, part in enumerate(parts):
        with gzip.open(tmp_path / f"part-{i}.jsonl.gz", "wt") as f:
            f.writelines(json.dumps(r) + "\n" for r in part)
        pq.write_table(pa.Table.from_pylist(part), tmp_path / f"part-{i}.parquet", row_group_size=25)
    out["json"] = str(tmp_path / "part-*.jsonl.gz")
    out["parquet"] = str(tmp_path / "part-*.parquet")
    with open(tmp_path / "all.csv", "w") as f:
        f.write("id,text,label\n" + "".join(f"{r['id']},{r['text']},{r['label']}\n" for r in ROWS))
    out["csv"] = str(tmp_path / "all.csv")
    with bz2.open(tmp_path / "lines.txt.bz2", "wt") as f:
        f.write("".join(r["text"] + "\n" for r in ROWS))
    out["text"] = str(tmp_path / "lines.txt.bz2")
    table = pa.Table.from_pylist(ROWS)
    with pa.OSFile(str(tmp_path / "all.arrow"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as w:
        for b in table.to_batches(max_chunksize=50):
            w.write_batch(b)
    out["arrow"] = str(tmp_path / "all.arrow")
    return out


@pytest.mark.parametrize("builder", ["json", "parquet", "csv", "text", "arrow"])
def test_streamed_pass_equals_map_style(files, builder):
    streamed = arrowdata.load_dataset(builder, data_files=files[builder], split="train", streaming=True)
    mapped = arrowdata.load_dataset(builder, data_files=files[builder], split="train", progress=False)
    assert isinstance(streamed, IterableDataset)
    assert _rows(streamed) == mapped.to_list()
    assert streamed.features == mapped.features
    if builder in ("json", "parquet"):
        assert streamed.n_shards == 3


def test_dict_of_splits_gives_iterable_dataset_dict(files, tmp_path):
    dd = arrowdata.load_dataset("parquet", data_files={"train": files["parquet"], "test": str(tmp_path / "part-0.parquet")},
                                streaming=True)
    assert isinstance(dd, IterableDatasetDict) and sorted(dd) == ["test", "train"]
    assert len(_rows(dd["train"])) == 240 and _rows(dd["test"]) == ROWS[:80]
    one = arrowdata.load_dataset("parquet", data_files={"train": files["parquet"], "test": files["parquet"]},
                                 split="test", streaming=True)
    assert isinstance(one, IterableDataset) and one.split == "test"
    doubled = dd.map(lambda r: {"twice": r["id"] * 2})
    assert [r["twice"] for r in doubled["test"]][:3] == [0, 2, 4]
    with pytest.raises(arrowdata.ArrowDataError, match="slices"):
        arrowdata.load_dataset("parquet", data_files=files["parquet"], split="train[:10]", streaming=True)


def test_map_batched_and_filter_equal_map_style(files):
    def add(batch):
        return {"n": [len(t.split()) for t in batch["text"]]}

    streamed = arrowdata.load_dataset("json", data_files=files["json"], split="train", streaming=True)
    mapped = arrowdata.load_dataset("json", data_files=files["json"], split="train", progress=False)
    s = streamed.map(add, batched=True, batch_size=33).filter(lambda r: r["n"] > 2)
    m = mapped.map(add, batched=True, batch_size=33).filter(lambda r: r["n"] > 2)
    assert _rows(s) == m.to_list()
    assert s.features is None  # as in HF: map hides the types unless features= is given


@pytest.mark.parametrize("batch_format", ["python", "arrow", "numpy", "pandas", "polars"])
def test_map_batch_formats(batch_format):
    ds = IterableDataset.from_list(ROWS[:50])

    def double(batch):
        ids = batch["id"]
        if batch_format == "arrow":
            return {"d": pc.multiply(ids, 2)}
        if batch_format == "python":
            return {"d": [x * 2 for x in ids]}
        return {"d": np.asarray(ids) * 2}

    out = ds.map(double, batched=True, batch_size=16, batch_format=batch_format)
    assert [r["d"] for r in out] == [r["id"] * 2 for r in ROWS[:50]]


def test_map_options_against_python_model():
    ds = IterableDataset.from_list(ROWS[:40])
    out = ds.map(lambda r, i, k: {"x": r["id"] * k + i}, with_indices=True, fn_kwargs={"k": 3},
                 remove_columns=["text"])
    assert _rows(out) == [{"id": r["id"], "label": r["label"], "x": r["id"] * 3 + i} for i, r in enumerate(ROWS[:40])]
    batched = ds.map(lambda b, idx: {"i": list(idx)}, with_indices=True, batched=True, batch_size=7,
                     drop_last_batch=True, input_columns=None)
    assert [r["i"] for r in batched] == list(range(35))
    cols = ds.map(lambda a, b: {"s": [x + y for x, y in zip(a, b)]}, input_columns=["id", "label"], batched=True)
    assert [r["s"] for r in cols] == [r["id"] + r["label"] for r in ROWS[:40]]
    grow = ds.map(lambda b: {"id": b["id"] * 2}, batched=True, batch_size=5, remove_columns=["id", "text", "label"])
    assert [r["id"] for r in grow] == sum(([r["id"] for r in ROWS[i:i + 5]] * 2 for i in range(0, 40, 5)), [])
    side_effects = []
    same = ds.map(lambda r: side_effects.append(r["id"]))
    assert _rows(same) == ROWS[:40] and side_effects == list(range(40))


def test_filter_function_and_expression():
    ds = IterableDataset.from_list(ROWS)
    want = [r for r in ROWS if r["label"] == 1]
    assert _rows(ds.filter(lambda r: r["label"] == 1)) == want
    assert _rows(ds.filter(pc.field("label") == 1)) == want
    assert _rows(ds.filter(lambda b: [x == 1 for x in b["label"]], batched=True, batch_size=13)) == want
    assert _rows(ds.filter(lambda r, i: i % 10 == 0, with_indices=True)) == ROWS[::10]


def test_shuffle_is_a_reproducible_permutation_and_epochs_differ():
    ds = IterableDataset.from_table(pa.Table.from_pylist(ROWS), num_shards=4, batch_rows=30)
    a = [r["id"] for r in ds.shuffle(seed=7, buffer_size=50)]
    b = [r["id"] for r in ds.shuffle(seed=7, buffer_size=50)]
    c = [r["id"] for r in ds.shuffle(seed=8, buffer_size=50)]
    assert a == b and sorted(a) == list(range(240)) and a != list(range(240)) and a != c
    shuffled = ds.shuffle(seed=7, buffer_size=50)
    shuffled.set_epoch(1)
    d = [r["id"] for r in shuffled]
    assert sorted(d) == list(range(240)) and d != a


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.lists(st.integers(0, 10 ** 6), max_size=40), st.integers(0, 2 ** 32))
def test_replace_step_equals_the_row_by_row_buffer(size, incoming, seed):
    rng = np.random.default_rng(seed)
    slots = rng.integers(0, 100, size=size)
    picks = rng.integers(0, size, size=len(incoming))
    model, out = list(slots), []
    for x, i in zip(incoming, picks):
        out.append(model[i])
        model[i] = x
    got = replace_step(slots, np.array(incoming, dtype=np.int64), picks)
    assert got.tolist() == out and slots.tolist() == model


def test_skip_take_shard_batch_repeat():
    ds = IterableDataset.from_table(pa.Table.from_pylist(ROWS), num_shards=5, batch_rows=17)
    ids = [r["id"] for r in ROWS]
    assert [r["id"] for r in ds.skip(13).take(50)] == ids[13:63]
    assert [r["id"] for r in ds.take(0)] == [] and [r["id"] for r in ds.skip(1000)] == []
    pieces = [[r["id"] for r in ds.shard(3, i)] for i in range(3)]
    assert sum(pieces, []) == ids and ds.shard(3, 0).n_shards == 2
    strided = [[r["id"] for r in ds.shard(2, i, contiguous=False)] for i in range(2)]
    assert sorted(sum(strided, [])) == ids
    batches = list(ds.batch(64))
    assert [b["id"] for b in batches] == [ids[i:i + 64] for i in range(0, 240, 64)]
    assert len(list(ds.batch(64, drop_last_batch=True))) == 3
    assert [r["id"] for r in ds.take(5).repeat(3)] == ids[:5] * 3
    assert [r["id"] for r in ds.take(3).repeat(None).take(7)] == (ids[:3] * 3)[:7]
    with pytest.raises(arrowdata.ArrowDataError, match="num_shards"):
        ds.shard(6, 0)

    runs = IterableDataset.from_table(pa.table({"k": ["a"] * 3 + ["b"] * 1500 + [None, None, "a"]}), num_shards=2,
                                      batch_rows=7)
    assert [len(b["k"]) for b in runs.batch(by_column="k")] == [3, 1500, 2, 1]


def test_column_operations_and_cast():
    ds = IterableDataset.from_list(ROWS[:10])
    out = ds.rename_column("text", "t").remove_columns("label").rename_columns({"id": "k"})
    assert out.column_names == ["k", "t"] and _rows(out) == [{"k": r["id"], "t": r["text"]} for r in ROWS[:10]]
    assert _rows(ds.select_columns(["label", "id"])) == [{"label": r["label"], "id": r["id"]} for r in ROWS[:10]]
    casted = ds.cast_column("id", arrowdata.Value("float32"))
    assert casted.features["id"] == arrowdata.Value("float32")
    assert [r["id"] for r in casted] == [float(r["id"]) for r in ROWS[:10]]
    labelled = ds.cast_column("label", arrowdata.ClassLabel(names=["a", "b", "c"]))
    assert [r["label"] for r in labelled] == [r["label"] for r in ROWS[:10]]
    with pytest.raises(KeyError, match="nope"):
        ds.remove_columns("nope")
    extra = ds.add_column("twice", [2 * r["id"] for r in ROWS[:10]])
    assert [r["twice"] for r in extra] == [2 * r["id"] for r in ROWS[:10]] and "twice" in extra.column_names
    assert extra.to_pandas()["twice"].tolist() == [2 * r["id"] for r in ROWS[:10]]
    with pytest.raises(arrowdata.ArrowDataError, match="column"):
        list(ds.add_column("short", [1, 2]))


@pytest.mark.parametrize("fmt", ["arrow", "numpy", "torch", "tensorflow", "pandas", "polars"])
def test_with_format_and_iter(fmt):
    ds = IterableDataset.from_list(ROWS[:10]).select_columns(["id", "label"]).with_format(fmt)
    batches = list(ds.iter(batch_size=4))
    assert len(batches) == 3
    first = batches[0]
    ids = first["id"] if fmt != "arrow" else first.column("id")
    as_list = ids.to_pylist() if hasattr(ids, "to_pylist") else np.asarray(ids).tolist()
    assert as_list == [0, 1, 2, 3]
    assert len(list(ds.iter(batch_size=4, drop_last_batch=True))) == 2
    rows = list(ds)
    assert len(rows) == 10


def test_from_generator_shards_and_to_iterable_dataset():
    def gen(starts):
        for s in starts:
            yield from ({"v": s + i} for i in range(3))

    ds = IterableDataset.from_generator(gen, gen_kwargs={"starts": [0, 10, 20, 30]})
    assert ds.n_shards == 4 and [r["v"] for r in ds] == [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]
    mapped = arrowdata.Dataset.from_list(ROWS).shuffle(seed=1)
    ids = mapped.to_iterable_dataset(num_shards=4)
    assert ids.n_shards == 4 and _rows(ids) == mapped.to_list()
    assert ids.features == mapped.features


def test_file_constructors_and_column_access(files):
    ds = IterableDataset.from_parquet(files["parquet"])
    assert ds.n_shards == 3 and list(ds["id"]) == [r["id"] for r in ROWS]
    assert [r["text"] for r in IterableDataset.from_csv(files["csv"]).take(3)] == [r["text"] for r in ROWS[:3]]
    assert [dict(r) for r in IterableDataset.from_file(files["arrow"])] == ROWS
    assert list(IterableDataset.from_text(files["text"])["text"]) == [r["text"] for r in ROWS]


def test_streaming_never_imports_the_map_style_dataset():
    code = ("import importlib.util, sys, types\n"
            "spec = importlib.util.find_spec('arrowdata')\n"
            "pkg = types.ModuleType('arrowdata'); pkg.__path__ = list(spec.submodule_search_locations)\n"
            "sys.modules['arrowdata'] = pkg\n"
            "import arrowdata.streaming, arrowdata.streaming.iterable\n"
            "ds = arrowdata.streaming.IterableDataset.from_dict({'a': [1, 2]}).map(lambda r: {'b': r['a']})\n"
            "assert [r['b'] for r in ds] == [1, 2]\n"
            "assert 'arrowdata.dataset' not in sys.modules, sorted(m for m in sys.modules if m.startswith('arrowdata'))\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))


@pytest.mark.parametrize("name, text", [
    ("csv", "a,b\n0.0,007\n2.0,8\n"),                       # text cells: parsed, then cast where exact
    ("json", '{"a": 0, "b": 7}\n{"a": 2, "b": 8}\n'),       # JSON numbers to a string feature
])
def test_features_cast_what_the_reader_produced_as_map_style(tmp_path, name, text):
    path = tmp_path / f"data.{name}"
    path.write_text(text)
    features = arrowdata.Features({"a": arrowdata.Value("int64"), "b": arrowdata.Value("string")})
    mapped = arrowdata.load_dataset(name, data_files=str(path), split="train", features=features)
    streamed = arrowdata.load_dataset(name, data_files=str(path), split="train", features=features,
                                      streaming=True)
    assert list(streamed) == mapped.to_list()
    assert [r["a"] for r in streamed] == [0, 2]
    assert streamed.features == features
