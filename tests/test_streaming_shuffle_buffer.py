"""The streamed shuffle buffer: equal to a row-by-row model, bounded in what it holds.

The runner works in vectorised steps whose size depends on the row width and on how the
input is cut; none of that may change which rows come out, or in which order.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrowdata import Value
from arrowdata.streaming import IterableDataset
from arrowdata.streaming import shuffle as shuffle_module
from arrowdata.streaming.plan import Context
from arrowdata.streaming.sources import SourcePlan, TableShard


def _table(n: int, chunk: int, width: int) -> pa.Table:
    ids = np.arange(n)
    text = [("x" * width) + str(i) for i in range(n)]
    batches = pa.Table.from_pydict({"id": ids, "text": text}).to_batches(max_chunksize=chunk)
    return pa.Table.from_batches(batches, schema=pa.schema([("id", pa.int64()), ("text", pa.string())]))


def _model(ids: list[int], seed: int, size: int) -> list[int]:
    """Hugging Face's buffer, one row at a time, with the runner's random stream."""
    rng = Context().seed_for(seed, 0)
    slots: list[int] = []
    out: list[int] = []
    for x in ids:
        if len(slots) < size:
            slots.append(x)
            continue
        i = int(rng.integers(0, size))
        out.append(slots[i])
        slots[i] = x
    out += [slots[i] for i in rng.permutation(len(slots))]
    return out


def _run(plan, seed: int, size: int) -> list[int]:
    runner = shuffle_module.ShufflePlan(plan, seed=seed, buffer_size=size).open(Context(), None)
    out: list[int] = []
    while (batch := runner.next()) is not None:
        out += batch.column("id").to_pylist()
    return out


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 700), chunk=st.integers(1, 120), size=st.integers(1, 90),
       step_bytes=st.sampled_from([1, 300, 5_000, 4 << 20]), width=st.integers(0, 40),
       seed=st.integers(0, 2 ** 31), borrowed=st.booleans())
def test_steps_of_any_size_equal_the_row_by_row_buffer(n, chunk, size, step_bytes, width, seed, borrowed):
    table = _table(n, chunk, width)
    shard = TableShard(table) if borrowed else TableShard(table, indices=pa.array(np.arange(n)), batch_rows=chunk)
    plan = SourcePlan((shard,))
    assert plan.borrowed is borrowed
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shuffle_module, "STEP_BYTES", step_bytes)
        mp.setattr(shuffle_module, "MIN_STEP_ROWS", 3)
        got = _run(plan, seed, size)
    assert got == _model(list(range(n)), seed, size)


def test_table_views_follow_the_record_batches():
    table = _table(1000, 300, 3)
    pieces = list(TableShard(table, start=250, stop=950).read(skip=20))
    assert [p.num_rows for p in pieces] == [30, 300, 300, 50]  # 270..300, 300..600, 600..900, 900..950
    assert pa.concat_tables(pieces).column("id").to_pylist() == list(range(270, 950))
    assert all(p.column("text").num_chunks == 1 for p in pieces)


def test_views_are_cut_at_view_batch_rows(monkeypatch):
    monkeypatch.setattr("arrowdata.streaming.sources.VIEW_BATCH_ROWS", 64)
    pieces = list(TableShard(_table(500, 500, 1)).read())
    assert [p.num_rows for p in pieces] == [64] * 7 + [52]
    # an explicit batch_rows still cuts the views
    assert [p.num_rows for p in TableShard(_table(500, 500, 1), batch_rows=200).read()] == [200, 200, 100]


def test_borrowed_follows_the_operations():
    table = _table(100, 10, 2)
    ds = IterableDataset.from_table(table, num_shards=4)
    assert ds._plan.borrowed
    assert ds.take(50).skip(3).select_columns(["id"]).rename_column("id", "k")._plan.borrowed
    assert ds.remove_columns(["text"]).repeat(2)._plan.borrowed
    assert not ds.map(lambda r: {"id": r["id"] + 1})._plan.borrowed
    assert not ds.filter(lambda r: r["id"] > 3)._plan.borrowed
    assert not ds.cast_column("id", Value("int32"))._plan.borrowed
    assert not ds.shuffle(seed=0, buffer_size=5)._plan.borrowed
    assert not IterableDataset.from_table(table, indices=pa.array(np.arange(100)[::-1]))._plan.borrowed
    assert not IterableDataset.from_generator(lambda: iter([{"a": 1}]))._plan.borrowed


def test_new_batches_are_compacted_borrowed_ones_are_kept(monkeypatch):
    """A buffer over made batches holds at most about twice its size; over views, nothing is copied."""
    monkeypatch.setattr(shuffle_module, "STEP_ROWS", 200)
    table = _table(20_000, 500, 30)
    size = 1000
    seen: dict[str, int] = {}
    for name, shard in [("made", TableShard(table, indices=pa.array(np.arange(20_000)), batch_rows=500)),
                        ("views", TableShard(table))]:
        runner = shuffle_module.ShufflePlan(SourcePlan((shard,)), seed=3, buffer_size=size).open(Context(), None)
        most = 0
        while runner.next() is not None:
            most = max(most, runner.store.rows)
        seen[name] = most
        assert runner.limit is None if name == "views" else runner.limit == 2 * size + 2 * shuffle_module.STEP_ROWS
    assert seen["made"] <= 2 * size + 2 * shuffle_module.STEP_ROWS + 500 + shuffle_module.STEP_ROWS
    assert seen["views"] > seen["made"]  # views are only dropped once no live row needs them


def test_wide_rows_take_smaller_steps(monkeypatch):
    monkeypatch.setattr(shuffle_module, "STEP_BYTES", 10_000)
    monkeypatch.setattr(shuffle_module, "MIN_STEP_ROWS", 10)
    table = _table(3000, 1000, 200)  # about 210 bytes a row: ~47 rows a step
    runner = shuffle_module.ShufflePlan(SourcePlan((TableShard(table),)), seed=0, buffer_size=100).open(Context(), None)
    sizes = []
    while (batch := runner.next()) is not None:
        sizes.append(batch.num_rows)
    assert sum(sizes) == 3000
    assert max(sizes) <= 50 and len(sizes) >= 3000 // 50
