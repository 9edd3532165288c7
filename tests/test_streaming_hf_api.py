"""Streaming names and behaviours HF scripts use: column views, info fields, column-wise
concatenation, async maps, clear length errors, picklable pipelines."""
from __future__ import annotations

import asyncio
import json
import pickle

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arrowdata
from arrowdata import DatasetInfo
from arrowdata.streaming import IterableColumn, IterableDataset


def test_iterable_column_is_exported_chains_and_reiterates():
    ds = IterableDataset.from_generator(lambda: iter([{"s": {"t": "a", "n": [1, 2]}}, {"s": {"t": "b", "n": [3]}}]))
    col = ds["s"]["t"]
    assert isinstance(col, IterableColumn) and isinstance(ds["s"], IterableColumn)
    assert list(col) == ["a", "b"] and list(col) == ["a", "b"]  # a new pass each time
    assert list(ds["s"]["n"][0]) == [1, 3]
    batched = IterableDataset.from_dict({"x": [1, 2, 3]}).batch(batch_size=2)
    assert list(batched["x"]) == [[1, 2], [3]]


def test_info_takes_hf_fields_and_the_stream_exposes_them():
    info = DatasetInfo(description="d", citation="c", size_in_bytes=42, dataset_size=7, builder_name="json")
    assert (info.size_in_bytes, info.dataset_size, info.builder_name, info.download_size) == (42, 7, "json", None)
    assert DatasetInfo.from_dict(info.to_dict()) == info  # kept through dataset_info.json
    with pytest.raises(TypeError, match="size_in_byte"):
        DatasetInfo(size_in_byte=1)
    ds = IterableDataset.from_dict({"a": [1]})
    ds = IterableDataset(ds._plan, info=info)
    assert (ds.description, ds.citation, ds.size_in_bytes, ds.dataset_size) == ("d", "c", 42, 7)


@settings(max_examples=30, deadline=None)
@given(n1=st.integers(0, 40), n2=st.integers(0, 40), cut=st.integers(0, 80))
def test_concatenate_axis_1_zips_rows_pads_with_nulls_and_resumes(n1, n2, cut):
    a = IterableDataset.from_dict({"x": list(range(n1))}, num_shards=1) if n1 else None
    a = a if a is not None else IterableDataset.from_dict({"x": []}).cast_column("x", arrowdata.Value("int64"))
    b = IterableDataset.from_generator(lambda: iter({"y": str(i)} for i in range(n2)),
                                       features=arrowdata.Features({"y": arrowdata.Value("string")}))
    both = arrowdata.concatenate_datasets([a, b], axis=1)
    want = [{"x": i if i < n1 else None, "y": str(i) if i < n2 else None} for i in range(max(n1, n2))]
    assert list(both) == want
    assert sorted(both.features) == ["x", "y"]
    # exact resume after `cut` rows, through a JSON round trip of the state
    fresh = arrowdata.concatenate_datasets([a, b], axis=1)
    it = iter(fresh)
    head = [next(it) for _ in range(min(cut, len(want)))]
    state = json.loads(json.dumps(fresh.state_dict()))
    resumed = arrowdata.concatenate_datasets([a, b], axis=1)
    resumed.load_state_dict(state)
    assert head + list(resumed) == want


def test_concatenate_axis_1_refuses_a_repeated_column_and_keeps_arrow_format():
    a = arrowdata.Dataset.from_dict({"a": [1, 2], "b": [3, 4]}).to_iterable_dataset()
    c = arrowdata.Dataset.from_dict({"c": [5, 6]}).to_iterable_dataset()
    with pytest.raises(ValueError, match="'a' is in more than one"):
        arrowdata.concatenate_datasets([a, a], axis=1)
    table = pa.concat_tables(arrowdata.concatenate_datasets([a, c], axis=1).with_format("arrow").iter(batch_size=1))
    assert table.to_pydict() == {"a": [1, 2], "b": [3, 4], "c": [5, 6]}
    with pytest.raises(ValueError, match="axis"):
        arrowdata.concatenate_datasets([a, c], axis=2)


def test_async_functions_in_batched_map_without_batch_size():
    ds = arrowdata.Dataset.from_dict({"x": list(range(50))}).to_iterable_dataset()

    async def f(batch):
        await asyncio.sleep(0)
        return {"y": [v * 2 for v in batch["x"]]}

    assert [r["y"] for r in ds.map(f, batched=True, batch_size=None)] == [2 * i for i in range(50)]
    assert [r["y"] for r in ds.map(f, batched=True)] == [2 * i for i in range(50)]


@pytest.mark.parametrize("fn", [lambda b: {"a": [x for x in b["a"] if x >= 3]},
                                lambda b: {"a": [x for x in b["a"] for _ in range(2)]},
                                lambda b: {"c": [x for x in b["a"] if x >= 3]}])
def test_batched_map_that_changes_the_row_count_but_keeps_inputs_says_so(fn):
    ds = IterableDataset.from_generator(lambda: iter([{"a": i, "b": i} for i in range(6)]))
    with pytest.raises(ValueError, match="Column lengths mismatch.*remove_columns"):
        list(ds.map(fn, batched=True, batch_size=6))
    # map-style: the same error, also a pyarrow.ArrowInvalid as HF raises there
    with pytest.raises(pa.ArrowInvalid, match="expected length") as caught:
        arrowdata.Dataset.from_list([{"a": i, "b": i} for i in range(6)]).map(fn, batched=True, batch_size=6)
    assert isinstance(caught.value, arrowdata.errors.TransformError)


def _plus_one(row):
    return {"id": row["id"] + 1}


def _even(row):
    return row["id"] % 2 == 0


def test_a_stream_stays_picklable_after_many_transforms():
    ds = IterableDataset.from_dict({"id": list(range(20)), "path": ["p"] * 20, "meta": [{"k": 1}] * 20})
    ds = (ds.remove_columns(["path"]).take(9).map(_plus_one).shuffle(seed=1, buffer_size=4).skip(1).filter(_even)
          .add_column("extra", ["e"] * 9).rename_column("meta", "m").rename_columns({"id": "i"})
          .select_columns(["i", "extra"]))
    again = pickle.loads(pickle.dumps(ds))
    assert list(again) == list(ds) and len(list(ds)) > 0
    assert again.features == ds.features


def _rows(n, label):
    return lambda: iter({"id": i, "label": label} for i in range(n))


def test_mixing_resolves_and_aligns_the_inputs_features():
    plain = IterableDataset.from_generator(_rows(4, 1))  # features found by peeking
    named = IterableDataset.from_generator(_rows(4, 0), features=arrowdata.Features(
        {"id": arrowdata.Value("int64"), "label": arrowdata.ClassLabel(names=["negative", "positive"])}))
    mixed = arrowdata.interleave_datasets([plain, named])
    assert mixed.features == named.features  # the later input's ClassLabel applies to every input
    # first_exhausted: stops once `plain` gave its last row
    assert [(r["id"], r["label"]) for r in mixed] == [(0, 1), (0, 0), (1, 1), (1, 0), (2, 1), (2, 0), (3, 1)]
    both = arrowdata.concatenate_datasets([plain, IterableDataset.from_generator(_rows(2, 5))])
    assert both.features is not None and sorted(both.features) == ["id", "label"]
    extra = IterableDataset.from_dict({"id": [9], "more": ["x"]})
    wide = arrowdata.concatenate_datasets([plain, extra])
    assert sorted(wide.features) == ["id", "label", "more"]
    assert list(wide)[-1] == {"id": 9, "label": None, "more": "x"} and list(wide)[0]["more"] is None


def test_info_features_become_the_stream_features():
    feats = arrowdata.Features({"id": arrowdata.Value("int64"), "label": arrowdata.Value("int64")})
    ds = IterableDataset(IterableDataset.from_generator(_rows(3, 10))._plan, info=DatasetInfo(features=feats))
    assert ds.features == feats
    cast = ds.cast_column("label", arrowdata.Value("bool"))
    assert [r["label"] for r in cast] == [True, True, True] and cast.features["label"] == arrowdata.Value("bool")
