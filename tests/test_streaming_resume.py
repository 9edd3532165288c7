"""Exact resume: after k rows, state_dict() -> json -> load_state_dict() yields exactly the rest."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata.streaming import IterableDataset, interleave

N = 300


@pytest.fixture(scope="module")
def parquet_glob(tmp_path_factory):
    d = tmp_path_factory.mktemp("resume")
    for i in range(4):
        part = pa.table({"id": list(range(i * 75, (i + 1) * 75)), "t": [f"r{j}" for j in range(75)]})
        pq.write_table(part, d / f"p{i}.parquet", row_group_size=20)
    return str(d / "*.parquet")


def _table_stream(num_shards=3, batch_rows=16):
    return IterableDataset.from_table(pa.table({"id": list(range(N)), "g": [i % 4 for i in range(N)]}),
                                      num_shards=num_shards, batch_rows=batch_rows)


PIPELINES = {
    "plain": lambda files: arrowdata.load_dataset("parquet", data_files=files, split="train", streaming=True, batch_size=32),
    "mapped": lambda files: arrowdata.load_dataset("parquet", data_files=files, split="train", streaming=True)
    .map(lambda b: {"sq": [x * x for x in b["id"]]}, batched=True, batch_size=7)
    .filter(lambda r: r["id"] % 3 != 1).rename_column("t", "text")
    .map(lambda r, i: {"i": i}, with_indices=True),
    "shuffled": lambda files: arrowdata.load_dataset("parquet", data_files=files, split="train", streaming=True, batch_size=16)
    .shuffle(seed=11, buffer_size=40).map(lambda b: {"k": [x + 1 for x in b["id"]]}, batched=True, batch_size=9),
    "shuffled_twice": lambda files: _table_stream().shuffle(seed=1, buffer_size=8).filter(lambda r: r["g"] != 2)
    .shuffle(seed=2, buffer_size=30),
    "interleaved": lambda files: interleave(
        [_table_stream(2, 10).filter(lambda r: r["g"] == 0),
         _table_stream(3, 7).shuffle(seed=5, buffer_size=25).map(lambda r: {"id": r["id"] + 1000}),
         arrowdata.load_dataset("parquet", data_files=files, split="train", streaming=True).select_columns(["id"])
         .map(lambda r: {"g": -1})],
        probabilities=[0.2, 0.5, 0.3], seed=3, stopping_strategy="all_exhausted"),
    "interleaved_cyclic": lambda files: interleave([_table_stream(2, 11), _table_stream(1, 5).skip(250)]),
    "order_ops": lambda files: _table_stream(4, 13).skip(17).take(250).batch(6).repeat(2),
    "repeat_shuffle": lambda files: _table_stream(2, 40).take(60).shuffle(seed=4, buffer_size=16).repeat(3),
}


def _cut(build, k, files, batch_size=None):
    """Rows (or batches) before the cut, and the rest after a JSON round trip of the state."""
    ds = build(files)
    it = iter(ds) if batch_size is None else ds.iter(batch_size=batch_size)
    head = [next(it) for _ in range(k)]
    state = json.loads(json.dumps(ds.state_dict()))
    resumed = build(files)
    resumed.load_state_dict(state)
    rest = list(resumed) if batch_size is None else list(resumed.iter(batch_size=batch_size))
    return head, rest, resumed


_FULL: dict = {}


def _full(name, files):
    if name not in _FULL:
        _FULL[name] = list(PIPELINES[name](files))
    return _FULL[name]


@pytest.mark.parametrize("name", sorted(PIPELINES))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1))
def test_resume_at_any_row_is_exact(parquet_glob, name, fraction):
    full = _full(name, parquet_glob)
    k = int(round(fraction * len(full)))
    head, rest, _ = _cut(PIPELINES[name], k, parquet_glob)
    assert head == full[:k]
    assert rest == full[k:]


@pytest.mark.parametrize("name", ["mapped", "shuffled", "interleaved"])
def test_resume_twice_and_the_state_is_small_json(parquet_glob, name):
    full = _full(name, parquet_glob)
    k1, k2 = len(full) // 3, len(full) // 3 + 17
    build = PIPELINES[name]
    ds = build(parquet_glob)
    it = iter(ds)
    [next(it) for _ in range(k1)]
    state = json.dumps(ds.state_dict())
    assert len(state) < 20_000  # positions, generator states and offsets: never the rows
    second = build(parquet_glob)
    second.load_state_dict(json.loads(state))
    it2 = iter(second)
    mid = [next(it2) for _ in range(k2 - k1)]
    third = build(parquet_glob)
    third.load_state_dict(json.loads(json.dumps(second.state_dict())))
    assert mid + list(third) == full[k1:]


def test_resume_by_batches_and_across_epochs():
    ds_build = lambda _: _table_stream(3, 16).shuffle(seed=9, buffer_size=32)  # noqa: E731
    full = list(ds_build(None).iter(batch_size=10))
    for k in (0, 1, 7, len(full)):
        head, rest, _ = _cut(ds_build, k, None, batch_size=10)
        assert head + rest == full
    epoch1 = ds_build(None)
    epoch1.set_epoch(1)
    full1 = [r["id"] for r in epoch1]
    it = iter(epoch1)
    head = [next(it)["id"] for _ in range(50)]
    state = epoch1.state_dict()
    again = ds_build(None)
    again.set_epoch(1)
    again.load_state_dict(state)
    assert head + [r["id"] for r in again] == full1
    other_epoch = ds_build(None)
    other_epoch.load_state_dict(state)  # a state of epoch 1 does not apply to epoch 0
    assert len(list(other_epoch)) == N


def test_a_state_that_does_not_fit_is_refused():
    ds = _table_stream(1, 10).take(30)
    it = iter(ds)
    [next(it) for _ in range(5)]
    with pytest.raises(arrowdata.ArrowDataError, match="state_dict"):
        ds.load_state_dict({"nothing": 1})
