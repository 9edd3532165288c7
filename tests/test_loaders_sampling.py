"""Epoch order, length-grouped bucketing and distributed sharding."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import LoaderError, NumpyLoader, SamplingConfig, plan_epoch


def _rows(plan) -> list[int]:
    return [int(p) for batch in plan for p in batch]


@settings(max_examples=150, deadline=None)
@given(n=st.integers(0, 300), bs=st.integers(1, 17), shuffle=st.booleans(), group=st.booleans(),
       seed=st.integers(0, 2**31), epoch=st.integers(0, 5), mult=st.integers(1, 4))
def test_every_row_exactly_once_per_epoch(n, bs, shuffle, group, seed, epoch, mult):
    lengths = np.random.default_rng(seed).integers(1, 100, size=n)
    cfg = SamplingConfig(batch_size=bs, shuffle=shuffle, seed=seed, group_by_length=group, mega_batch_mult=mult)
    plan = plan_epoch(n, cfg, epoch, lengths if group else None)
    assert sorted(_rows(plan)) == list(range(n))
    assert all(1 <= len(b) <= bs for b in plan)
    assert len(plan) == -(-n // bs)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 200), bs=st.integers(2, 9), world=st.sampled_from([2, 3]), shuffle=st.booleans(),
       group=st.booleans(), drop_last=st.booleans(), seed=st.integers(0, 1000))
def test_ranks_are_disjoint_cover_and_get_equal_batch_counts(n, bs, world, shuffle, group, drop_last, seed):
    lengths = np.random.default_rng(seed).integers(1, 60, size=n)
    plans = [plan_epoch(n, SamplingConfig(batch_size=bs, shuffle=shuffle, seed=seed, drop_last=drop_last,
                                          group_by_length=group, rank=r, world_size=world), 3, lengths)
             for r in range(world)]
    counts = {len(p) for p in plans}
    assert len(counts) == 1  # every rank steps the same number of times (no DDP hang)
    per_rank = [_rows(p) for p in plans]
    if n >= world:
        flat = [i for rows in per_rank for i in rows]
        assert len(flat) == len(set(flat))  # disjoint
        if not drop_last:
            assert sorted(flat) == list(range(n))  # covering
        else:
            assert all(len(b) == bs for p in plans for b in p)
            assert n - len(flat) < bs * world
    assert all(len(b) >= 1 for p in plans for b in p)


def test_fewer_rows_than_ranks_repeats_rows_with_a_warning(caplog):
    plans = [plan_epoch(2, SamplingConfig(batch_size=4, rank=r, world_size=3), 0) for r in range(3)]
    assert [len(p) for p in plans] == [1, 1, 1]
    assert sorted({i for p in plans for i in _rows(p)}) == [0, 1]
    assert "repeating" in caplog.text


def test_shuffle_depends_on_seed_and_epoch_only():
    cfg = SamplingConfig(batch_size=10, shuffle=True, seed=5)
    a0, a0b, a1 = (_rows(plan_epoch(100, cfg, e)) for e in (0, 0, 1))
    assert a0 == a0b and a0 != a1 and sorted(a1) == list(range(100))
    other = _rows(plan_epoch(100, SamplingConfig(batch_size=10, shuffle=True, seed=6), 0))
    assert other != a0


def test_bucketing_reduces_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(8, 256, size=2000)
    table = pa.table({"input_ids": [list(range(k)) for k in lengths]})

    def padded_cells(**kw):
        loader = NumpyLoader(table, batch_size=32, shuffle=True, seed=1, **kw)
        batches = list(loader)
        assert sum(int(b["attention_mask"].sum()) for b in batches) == int(lengths.sum())  # no token lost
        return sum(b["input_ids"].size for b in batches)

    plain, grouped = padded_cells(), padded_cells(group_by_length=True)
    real = int(lengths.sum())
    assert grouped < plain
    assert (grouped - real) / grouped < 0.1 < (plain - real) / plain


def test_sorted_within_megabatches_by_length():
    lengths = np.random.default_rng(1).integers(1, 1000, size=400)
    cfg = SamplingConfig(batch_size=10, shuffle=True, seed=3, group_by_length=True, mega_batch_mult=4)
    order = _rows(plan_epoch(400, cfg, 0, lengths))
    for start in range(0, 400, 40):
        chunk = lengths[order[start:start + 40]]
        assert list(chunk) == sorted(chunk, reverse=True)


def test_bad_sampling_arguments():
    with pytest.raises(LoaderError, match="batch_size"):
        SamplingConfig(batch_size=0)
    with pytest.raises(LoaderError, match="rank"):
        SamplingConfig(batch_size=2, rank=3, world_size=2)
    with pytest.raises(LoaderError, match="length column"):
        NumpyLoader(pa.table({"x": [1]}), batch_size=1, group_by_length=True, length_column="x")
