"""Padding and truncation against a plain-Python reference on random ragged data."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import LoaderError, PaddingCollator, list_offsets_values, pad_ragged

rows_strategy = st.lists(st.lists(st.integers(-50, 1000), max_size=12), min_size=1, max_size=10)


def reference_pad(rows, pad, max_length=None, multiple=None, side="right", trunc_side="right", mode="longest"):
    """What padding means, one row at a time."""
    if max_length is not None:
        rows = [r[:max_length] if trunc_side == "right" else r[max(0, len(r) - max_length):] for r in rows]
    width = max_length if mode == "max_length" else max((len(r) for r in rows), default=0)
    if multiple and width % multiple:
        width += multiple - width % multiple
    out, mask = [], []
    for r in rows:
        fill = [pad] * (width - len(r))
        out.append(r + fill if side == "right" else fill + r)
        ones, zeros = [1] * len(r), [0] * (width - len(r))
        mask.append(ones + zeros if side == "right" else zeros + ones)
    return out, mask


@settings(max_examples=150, deadline=None)
@given(rows=rows_strategy, pad=st.integers(-100, 5), max_length=st.none() | st.integers(1, 8),
       multiple=st.none() | st.integers(1, 5), side=st.sampled_from(["right", "left"]),
       trunc_side=st.sampled_from(["right", "left"]), slice_start=st.integers(0, 2))
def test_pad_ragged_matches_reference(rows, pad, max_length, multiple, side, trunc_side, slice_start):
    arr = pa.array([[0]] * slice_start + rows, pa.list_(pa.int32())).slice(slice_start)  # non-zero offsets
    offsets, values = list_offsets_values(arr)
    out, lengths = pad_ragged(offsets, values, pad_value=pad, max_length=max_length, pad_to_multiple_of=multiple,
                              padding_side=side, truncation_side=trunc_side, dtype=np.int64)
    expected, mask = reference_pad(rows, pad, max_length, multiple, side, trunc_side)
    assert out.tolist() == expected
    assert lengths.tolist() == [sum(m) for m in mask]


@settings(max_examples=120, deadline=None)
@given(rows=rows_strategy, data=st.data(), max_length=st.none() | st.integers(1, 8),
       multiple=st.none() | st.integers(1, 4), side=st.sampled_from(["right", "left"]),
       mode=st.sampled_from(["longest", "max_length"]), chunked=st.booleans())
def test_collator_matches_reference(rows, data, max_length, multiple, side, mode, chunked):
    if mode == "max_length" and max_length is None:
        max_length = 6
    labels = [data.draw(st.lists(st.integers(0, 3), min_size=len(r), max_size=len(r))) for r in rows]
    ints = pa.list_(pa.int64())
    table = pa.table({"input_ids": pa.array(rows, ints), "labels": pa.array(labels, ints),
                      "text": [str(r) for r in rows]})
    if chunked and len(rows) > 1:  # several chunks take the general offsets path
        table = pa.concat_tables([table.slice(0, 1), table.slice(1)])
    collate = PaddingCollator(pad_token_id=7, max_length=max_length, pad_to_multiple_of=multiple,
                              padding_side=side, padding=mode)
    batch = collate(table)
    ids, mask = reference_pad(rows, 7, max_length, multiple, side, "right", mode)
    token_labels, _ = reference_pad(labels, -100, max_length, multiple, side, "right", mode)
    assert batch["input_ids"].tolist() == ids
    assert batch["attention_mask"].tolist() == mask
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert batch["labels"].tolist() == token_labels  # token-level labels pad with -100
    assert batch["input_ids"].dtype == np.int64 and "text" not in batch


def test_token_labels_pad_with_minus_100_and_class_label_is_renamed():
    table = pa.table({"input_ids": [[1, 2, 3], [4]], "token_type_ids": [[0, 0, 1], [0]],
                      "label": pa.array([1, 0], pa.int8())})
    batch = PaddingCollator()(table)
    assert batch["labels"].tolist() == [1, 0] and batch["labels"].dtype == np.int64
    assert batch["token_type_ids"].tolist() == [[0, 0, 1], [0, 0, 0]]
    tokens = PaddingCollator(rename={})(pa.table({"input_ids": [[1, 2], [3]], "labels": [[5, 6], [7]]}))
    assert tokens["labels"].tolist() == [[5, 6], [7, -100]]


def test_existing_attention_mask_is_padded_not_recreated():
    table = pa.table({"input_ids": [[1, 2, 3], [4]], "attention_mask": [[1, 0, 1], [1]]})
    assert PaddingCollator()(table)["attention_mask"].tolist() == [[1, 0, 1], [1, 0, 0]]


def test_dtypes_pad_values_fixed_and_float_columns():
    table = pa.table({"input_ids": pa.array([[1, 2], [3]], pa.list_(pa.int32())),
                      "emb": pa.array([[0.5, 1.5], [2.5, 3.5]], pa.list_(pa.float64(), 2)),
                      "score": [0.25, 0.75]})
    batch = PaddingCollator(dtypes={"input_ids": "int32", "attention_mask": "bool"}, pad_values={"input_ids": -1})(table)
    assert batch["input_ids"].dtype == np.int32 and batch["input_ids"].tolist() == [[1, 2], [3, -1]]
    assert batch["attention_mask"].dtype == bool
    assert batch["emb"].shape == (2, 2) and batch["emb"].dtype == np.float32
    assert batch["score"].tolist() == [0.25, 0.75]
    batch["score"][0] = 1.0  # outputs are owned copies, never views of a read-only memory map


def test_null_lists_count_as_empty_and_rows_dicts_work():
    arr = pa.array([[1, 2], None, [3]])
    offsets, values = list_offsets_values(arr)
    assert offsets.tolist() == [0, 2, 2, 3] and values.tolist() == [1, 2, 3]
    batch = PaddingCollator()([{"input_ids": [1, 2]}, {"input_ids": [3]}])
    assert batch["input_ids"].tolist() == [[1, 2], [3, 0]]


def test_bad_arguments_name_the_argument_or_column():
    with pytest.raises(LoaderError, match="padding_side"):
        PaddingCollator(padding_side="middle")
    with pytest.raises(LoaderError, match="max_length"):
        PaddingCollator(padding="max_length")
    with pytest.raises(LoaderError, match="pad_to_multiple_of"):
        PaddingCollator(pad_to_multiple_of=0)
    with pytest.raises(LoaderError, match="'text'"):
        PaddingCollator(columns=["text"])(pa.table({"text": ["a"]}))
    with pytest.raises(LoaderError, match="'nope'"):
        PaddingCollator(columns=["nope"])(pa.table({"text": ["a"]}))
    with pytest.raises(LoaderError, match="'label'.*'labels'"):
        PaddingCollator()(pa.table({"label": [1], "labels": [2]}))
    with pytest.raises(LoaderError, match="null"):
        PaddingCollator()(pa.table({"label": [1, None]}))
