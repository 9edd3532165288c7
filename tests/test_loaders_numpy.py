"""NumpyLoader: the framework-free batches (for JAX), JSON-safe resume state."""
from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from loaders import NumpyLoader, iter_numpy_batches


def _table(n=57):
    rng = np.random.default_rng(2)
    return pa.table({"input_ids": [list(rng.integers(1, 99, size=k)) for k in rng.integers(1, 20, size=n)],
                     "label": rng.integers(0, 3, size=n)})


def test_batches_feed_jax_device_put():
    jax = pytest.importorskip("jax")
    batch = next(iter(NumpyLoader(_table(), batch_size=8, dtypes={"input_ids": "int32"})))
    on_device = jax.device_put(batch)
    assert on_device["input_ids"].dtype == np.int32
    np.testing.assert_array_equal(np.asarray(on_device["input_ids"]), batch["input_ids"])


def test_state_dict_is_json_and_resumes():
    loader = NumpyLoader(_table(), batch_size=5, shuffle=True, seed=11)
    expected = [b["input_ids"].tolist() for b in NumpyLoader(_table(), batch_size=5, shuffle=True, seed=11)]
    it = iter(loader)
    head = [next(it)["input_ids"].tolist() for _ in range(4)]
    state = json.loads(json.dumps(loader.state_dict()))
    resumed = NumpyLoader(_table(), batch_size=5, shuffle=True, seed=11)
    resumed.load_state_dict(state)
    assert head + [b["input_ids"].tolist() for b in resumed] == expected


def test_iter_numpy_batches_and_len():
    batches = list(iter_numpy_batches(_table(), batch_size=10, drop_last=True))
    assert len(batches) == 5 == len(NumpyLoader(_table(), batch_size=10, drop_last=True))
    assert all(b["labels"].shape == (10,) for b in batches)


def test_custom_collate_fn_receives_arrow_tables():
    seen = []

    def collate(table: pa.Table):
        seen.append(table.num_rows)
        return {"n": np.array([len(r) for r in table.column("input_ids").to_pylist()])}

    total = sum(int(b["n"].sum()) for b in NumpyLoader(_table(), batch_size=16, collate_fn=collate))
    assert seen == [16, 16, 16, 9]
    assert total == sum(len(r) for r in _table().column("input_ids").to_pylist())
