"""arrowdata.gather: block-wise take over chunked tables, against a plain-Python model."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrowdata import gather
from arrowdata.errors import ArrowDataError


SCHEMA = pa.schema([("i", pa.int64()), ("s", pa.string()), ("l", pa.list_(pa.int32())), ("b", pa.large_binary()),
                    ("t", pa.large_string()), ("f", pa.bool_()), ("ts", pa.timestamp("ms"))])


def _chunked_table(rows: list[dict], chunk_sizes: list[int]) -> pa.Table:
    """A table of ``rows`` cut into record batches of the given sizes (the rest in one batch)."""
    batches, start = [], 0
    for size in chunk_sizes + [len(rows)]:
        part = rows[start:start + size]
        batches.append(pa.RecordBatch.from_pylist(part, schema=SCHEMA))
        start += len(part)
        if start >= len(rows):
            break
    return pa.Table.from_batches(batches, schema=SCHEMA)


row_strategy = st.fixed_dictionaries({
    "i": st.integers(-10**6, 10**6),
    "s": st.one_of(st.none(), st.text(max_size=20)),
    "l": st.lists(st.integers(-5, 5), max_size=3),
    "b": st.one_of(st.none(), st.binary(max_size=16)),
    "t": st.text(alphabet="xyzé", max_size=14),
    "f": st.one_of(st.none(), st.booleans()),
    "ts": st.one_of(st.none(), st.datetimes(min_value=__import__("datetime").datetime(1970, 1, 2),
                                            max_value=__import__("datetime").datetime(2100, 1, 1))
                    .map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))),
})

# (runs-per-batch threshold, rows that trigger building column indexes, index budget):
# every gather strategy, whatever the heuristics would pick for these small inputs.
MODES = {"runs of slices": (10**9, 10**18, None), "take per batch": (0, 10**18, None),
         "column indexes": (0, 0, None), "partial indexes": (0, 0, 40)}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row_strategy, max_size=40), chunks=st.lists(st.integers(0, 7), max_size=8), data=st.data())
def test_take_matches_python_model(rows, chunks, data):
    from arrowdata import gather_index

    n = len(rows)
    positions = data.draw(st.lists(st.integers(0, n - 1), max_size=60) if n else st.just([]))
    want = [rows[p] for p in positions]
    saved = (gather._RUNS_PER_BATCH, gather.INDEX_MIN_ROWS, gather_index.INDEX_BUDGET_BYTES)
    try:
        for mode, (runs, min_rows, budget) in MODES.items():
            table = _chunked_table(rows, chunks)  # a fresh table: no index left from another mode
            gather._RUNS_PER_BATCH, gather.INDEX_MIN_ROWS = runs, min_rows
            gather_index.INDEX_BUDGET_BYTES = budget if budget is not None else saved[2]
            build = True if min_rows == 0 else None
            out = gather.take(table, np.array(positions, dtype=np.int64), build_index=build)
            assert out.to_pylist() == want, mode
            assert out.schema == table.schema, mode
            cols = gather.take(table, positions, columns=["l", "t", "i"], build_index=build)
            assert cols.column_names == ["l", "t", "i"], mode
            assert cols.to_pylist() == [{"l": r["l"], "t": r["t"], "i": r["i"]} for r in want], mode
    finally:
        gather._RUNS_PER_BATCH, gather.INDEX_MIN_ROWS, gather_index.INDEX_BUDGET_BYTES = saved


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, max_size=40), chunks=st.lists(st.integers(1, 7), max_size=8),
       batch_size=st.integers(1, 9), drop_last=st.booleans(), data=st.data())
def test_iter_take_matches_python_model(rows, chunks, batch_size, drop_last, data, monkeypatch):
    table = _chunked_table(rows, chunks)
    n = len(rows)
    positions = data.draw(st.lists(st.integers(0, n - 1), max_size=50) if n else st.just([]))
    # A tiny read-ahead block forces several gathers per pass (the same value every example).
    monkeypatch.setattr(gather, "READ_AHEAD_BYTES", 64)
    got = [b.to_pylist() for b in gather.iter_take(table, positions, batch_size, drop_last_batch=drop_last)]
    want = [[rows[p] for p in positions[i:i + batch_size]] for i in range(0, len(positions), batch_size)]
    if drop_last and want and len(want[-1]) < batch_size:
        want = want[:-1]
    assert got == want


def test_contiguous_selection_is_zero_copy_slice():
    table = _chunked_table([{"i": k, "s": str(k), "l": [k]} for k in range(100)], [10] * 9)
    out = gather.take(table, np.arange(25, 47))
    assert out.column("i").to_pylist() == list(range(25, 47))
    # A slice shares the memory-mapped buffers: no new bytes were allocated for the values.
    src = table.column("s").chunk(2).buffers()[2].address
    assert any(c.buffers()[2].address == src for c in out.column("s").chunks)


def test_contiguous_run_detection():
    assert gather.contiguous_run(np.array([5, 6, 7, 8])) == (5, 4)
    assert gather.contiguous_run(np.array([], dtype=np.int64)) == (0, 0)
    assert gather.contiguous_run(np.array([5, 7, 6, 8])) is None  # same endpoints, not a run
    assert gather.contiguous_run(np.array([5, 5])) is None


def test_negative_and_out_of_range_positions():
    table = pa.table({"a": [0, 1, 2]})
    assert gather.take(table, [-1, 0]).column("a").to_pylist() == [2, 0]
    with pytest.raises(ArrowDataError, match="position 3 is out of range for 3 rows"):
        gather.take(table, [0, 3])
    with pytest.raises(IndexError, match="-4"):
        gather.take(table, [-4])
    with pytest.raises(ArrowDataError, match="booleans"):
        gather.take(table, np.array([True, False, True]))


def test_take_on_memory_mapped_file(tmp_path):
    from arrowdata.writer import ArrowWriter

    path = tmp_path / "x.arrow"
    rng = np.random.default_rng(0)
    words = [("w" * int(k)) for k in rng.integers(0, 50, 5000)]
    with ArrowWriter(path) as w:
        for start in range(0, 5000, 700):
            w.write(pa.table({"t": words[start:start + 700], "k": list(range(start, min(start + 700, 5000)))}))
    table = pa.ipc.open_stream(pa.memory_map(str(path))).read_all()
    perm = rng.permutation(5000)
    out = gather.take(table, perm)
    assert out.column("k").to_pylist() == perm.tolist()
    assert out.column("t").to_pylist() == [words[p] for p in perm]
    passes = [b for b in gather.iter_take(table, perm, 333)]
    assert sum(b.num_rows for b in passes) == 5000
    assert pa.concat_tables(passes).column("k").to_pylist() == perm.tolist()


def test_column_indexes_are_built_only_for_large_reads():
    from arrowdata import gather_index

    rows = 20_000
    table = pa.Table.from_batches(pa.table({"s": [f"r{i}" for i in range(rows)],
                                            "n": list(range(rows))}).to_batches(max_chunksize=500))
    perm = np.random.default_rng(1).permutation(rows)
    gather.take(table, perm[:100])
    assert gather_index.column_indexes(table, build=False) == {}  # a small read built nothing
    out = pa.concat_tables(gather.iter_take(table, perm, 1000))
    assert set(gather_index.column_indexes(table, build=False)) == {"s", "n"}
    assert out.column("n").to_pylist() == perm.tolist()
    assert out.column("s").to_pylist() == [f"r{i}" for i in perm]
