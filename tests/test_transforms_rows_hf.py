"""Randomized parity with Hugging Face ``datasets`` where it defines the semantics:
train_test_split sizes and rows, shard, interleave_datasets, sort."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata import Dataset
from arrowdata.errors import ArrowDataError

hf = pytest.importorskip("datasets")
hf.disable_progress_bars()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_train_test_split_matches_hf_or_both_refuse(n, seed, data):
    size = st.one_of(st.none(), st.integers(-1, n + 1), st.floats(-0.1, 1.1).map(lambda f: round(f, 2)))
    test_size, train_size = data.draw(size, label="test_size"), data.draw(size, label="train_size")
    shuffle = data.draw(st.booleans(), label="shuffle")
    rows = {"i": list(range(n))}
    try:
        want = hf.Dataset.from_dict(rows).train_test_split(test_size=test_size, train_size=train_size,
                                                           shuffle=shuffle, seed=seed)
    except ValueError:
        with pytest.raises(ArrowDataError):
            Dataset.from_dict(rows).train_test_split(test_size=test_size, train_size=train_size,
                                                     shuffle=shuffle, seed=seed)
        return
    got = Dataset.from_dict(rows).train_test_split(test_size=test_size, train_size=train_size,
                                                   shuffle=shuffle, seed=seed)
    assert got["train"]["i"] == want["train"]["i"]
    assert got["test"]["i"] == want["test"]["i"]


@settings(max_examples=30, deadline=None)
@given(labels=st.lists(st.integers(0, 3), min_size=8, max_size=40), seed=st.integers(0, 10**6),
       test_size=st.sampled_from([0.2, 0.3, 0.5, 4, 6]))
def test_stratified_split_matches_hf_or_both_refuse(labels, seed, test_size):
    names = ["a", "b", "c", "d"]
    rows = {"i": list(range(len(labels))), "y": labels}
    ours = Dataset.from_dict(rows).cast_column("y", arrowdata.ClassLabel(names=names))
    theirs = hf.Dataset.from_dict(rows).cast_column("y", hf.ClassLabel(names=names))
    try:
        want = theirs.train_test_split(test_size=test_size, seed=seed, stratify_by_column="y")
    except ValueError:
        with pytest.raises(ArrowDataError):
            ours.train_test_split(test_size=test_size, seed=seed, stratify_by_column="y")
        return
    got = ours.train_test_split(test_size=test_size, seed=seed, stratify_by_column="y")
    assert got["train"]["i"] == want["train"]["i"] and got["test"]["i"] == want["test"]["i"]


@settings(max_examples=40, deadline=None)
@given(lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4), seed=st.integers(0, 10**6),
       strategy=st.sampled_from(["first_exhausted", "all_exhausted", "all_exhausted_without_replacement"]),
       weighted=st.booleans(), data=st.data())
def test_interleave_matches_hf(lengths, seed, strategy, weighted, data):
    probabilities = None
    if weighted:
        raw = data.draw(st.lists(st.integers(1, 9), min_size=len(lengths), max_size=len(lengths)), label="weights")
        probabilities = (np.array(raw) / sum(raw)).tolist()
    parts = [{"x": [k * 100 + j for j in range(n)]} for k, n in enumerate(lengths)]
    got = arrowdata.interleave_datasets([Dataset.from_dict(p) for p in parts], probabilities=probabilities,
                                        seed=seed, stopping_strategy=strategy)
    want = hf.interleave_datasets([hf.Dataset.from_dict(p) for p in parts], probabilities=probabilities,
                                  seed=seed, stopping_strategy=strategy)
    assert got["x"] == want["x"]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 30), num_shards=st.integers(1, 8), contiguous=st.booleans())
def test_shards_partition_the_rows_like_hf(n, num_shards, contiguous):
    ours = Dataset.from_dict({"i": list(range(n))})
    shards = [ours.shard(num_shards, k, contiguous=contiguous)["i"] for k in range(num_shards)]
    assert sorted(v for s in shards for v in s) == list(range(n))
    if n >= num_shards:  # HF raises IndexError on smaller datasets; we return empty shards
        theirs = hf.Dataset.from_dict({"i": list(range(n))})
        assert shards == [theirs.shard(num_shards, k, contiguous=contiguous)["i"] for k in range(num_shards)]


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 4)), st.text(alphabet="ab", max_size=2)),
                     max_size=25),
       reverse=st.lists(st.booleans(), min_size=2, max_size=2), at_start=st.booleans())
def test_multi_column_sort_matches_hf(rows, reverse, at_start):
    data = {"k": [r[0] for r in rows], "s": [r[1] for r in rows], "i": list(range(len(rows)))}
    placement = "at_start" if at_start else "at_end"
    got = Dataset.from_dict(data).sort(["k", "s"], reverse=reverse, null_placement=placement)["i"]
    if rows:
        want = hf.Dataset.from_dict(data).sort(["k", "s"], reverse=reverse, null_placement=placement)["i"]
        assert got == want
    assert sorted(got) == list(range(len(rows)))
