"""Loaders over streams: padding, bucketing, packing, workers, ranks and resume."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

import loaders
from arrowdata.streaming import IterableDataset

RNG = np.random.default_rng(0)
DOCS = [list(range(100 * i, 100 * i + int(RNG.integers(1, 20)))) for i in range(157)]
TABLE = pa.table({"input_ids": DOCS, "label": [i % 2 for i in range(len(DOCS))]})


def _stream(num_shards=4):
    return IterableDataset.from_table(TABLE, num_shards=num_shards, batch_rows=10)


def _as_lists(batches, key="input_ids"):
    return [np.asarray(b[key]).tolist() for b in batches]


def test_padding_equals_the_map_style_loader():
    streamed = list(loaders.NumpyLoader(_stream(), batch_size=16, pad_token_id=-1))
    mapped = list(loaders.NumpyLoader(TABLE, batch_size=16, pad_token_id=-1))
    assert isinstance(loaders.NumpyLoader(_stream()), loaders.iterable_source.IterableLoader)
    assert len(streamed) == len(mapped)
    for s, m in zip(streamed, mapped):
        assert sorted(s) == sorted(m) and all(np.array_equal(s[k], m[k]) for k in s)


def test_bucketing_sorts_within_windows_and_keeps_every_row():
    loader = loaders.NumpyLoader(_stream(), batch_size=8, group_by_length=True, mega_batch_mult=4,
                                 return_attention_mask=True)
    batches = list(loader)
    rows = sorted(tuple(int(t) for t, m in zip(ids, mask) if m) for b in batches
                  for ids, mask in zip(b["input_ids"], b["attention_mask"]))
    assert rows == sorted(tuple(d) for d in DOCS)
    padded = sum(b["input_ids"].size for b in batches)
    plain = sum(b["input_ids"].size for b in loaders.NumpyLoader(_stream(), batch_size=8))
    assert padded < plain  # similar lengths share a batch
    window = 32
    order = [len(d) for d in DOCS]
    for w in range(0, len(DOCS), window):  # each window's batches hold exactly that window's rows
        got = sorted(int(m.sum()) for b in batches[w // 8:(w + window) // 8] for m in b["attention_mask"])
        assert got == sorted(order[w:w + window])


def test_packing_keeps_the_token_stream():
    block, bs = 16, 3
    streamed = list(loaders.NumpyLoader(_stream(), batch_size=bs, block_size=block, return_cu_seqlens=True))
    tokens = np.concatenate([np.asarray(d) for d in DOCS])
    flat = np.concatenate([b["input_ids"].reshape(-1) for b in streamed])
    assert len(flat) == (len(tokens) // block) * block and np.array_equal(flat, tokens[:len(flat)])
    assert all(b["input_ids"].shape[1] == block for b in streamed)
    assert all(b["input_ids"].shape[0] == bs for b in streamed[:-1])
    starts = np.cumsum([0] + [len(d) for d in DOCS])[:-1]
    labels = np.concatenate([b["labels"].reshape(-1) for b in streamed])
    assert set(np.flatnonzero(labels == -100)) == {int(s) for s in starts if s < len(flat)}


def test_ranks_and_workers_cover_every_row_once():
    torch = pytest.importorskip("torch")
    parts = []
    for rank in range(2):
        loader = loaders.TorchLoader(_stream(), batch_size=8, rank=rank, world_size=2, return_attention_mask=True)
        parts += [tuple(int(t) for t, m in zip(ids, mask) if m) for b in loader
                  for ids, mask in zip(b["input_ids"].tolist(), b["attention_mask"].tolist())]
    assert sorted(parts) == sorted(tuple(d) for d in DOCS)
    workers = loaders.TorchLoader(_stream(), batch_size=8, num_workers=2)
    labels = [int(x) for b in workers for x in b["labels"]]
    assert isinstance(next(iter(workers))["labels"], torch.Tensor)
    assert sorted(labels) == sorted(i % 2 for i in range(len(DOCS)))


@pytest.mark.parametrize("options", [dict(), dict(shuffle=True, seed=3, shuffle_buffer=20),
                                     dict(group_by_length=True, mega_batch_mult=3, shuffle=True),
                                     dict(block_size=8)])
def test_resume_through_the_loader_state_dict(options):
    full = _as_lists(loaders.NumpyLoader(_stream(), batch_size=5, **options))
    for k in (0, 1, 7, len(full) - 1):
        loader = loaders.NumpyLoader(_stream(), batch_size=5, **options)
        it = iter(loader)
        head = _as_lists(next(it) for _ in range(k))
        state = json.loads(json.dumps(loader.state_dict()))
        fresh = loaders.NumpyLoader(_stream(), batch_size=5, **options)
        fresh.load_state_dict(state)
        assert head + _as_lists(fresh) == full
    with pytest.raises(loaders.ResumeStateError, match="batch_size"):
        loaders.NumpyLoader(_stream(), batch_size=6, **options).load_state_dict(state)


def test_epochs_reshuffle_and_tf_dataset():
    loader = loaders.NumpyLoader(_stream(), batch_size=10, shuffle=True, seed=1, shuffle_buffer=30)
    first, second = _as_lists(loader), _as_lists(loader)
    assert first != second and loader.epoch == 2
    pytest.importorskip("tensorflow")
    tfds = loaders.to_tf_dataset(_stream(), columns=["input_ids"], label_cols="label", batch_size=10)
    numpy_batches = list(loaders.NumpyLoader(_stream(), batch_size=10, columns=["input_ids", "label"]))
    for (feats, label), ref in zip(tfds, numpy_batches):
        assert np.array_equal(feats["input_ids"].numpy(), ref["input_ids"])
        assert np.array_equal(label.numpy(), ref["labels"])
