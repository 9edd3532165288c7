"""to_tf_dataset: graph padding equals the numpy loader, exact element_spec, Keras training."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

tf = pytest.importorskip("tensorflow")

from loaders import LoaderError, NumpyLoader, to_tf_dataset  # noqa: E402


def _table(n=90, seed=0, max_len=30):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len, size=n)
    ids = [list(rng.integers(1, 500, size=k)) for k in lengths]
    return pa.table({"input_ids": pa.array(ids, pa.list_(pa.int32())),
                     "token_type_ids": pa.array([[0] * k for k in lengths], pa.list_(pa.int8())),
                     "vec": pa.array([[float(i), 1.0, 2.0] for i in range(n)], pa.list_(pa.float32(), 3)),
                     "label": rng.integers(0, 2, size=n), "text": [str(i) for i in range(n)]})


OPTIONS = [
    {},
    {"padding_side": "left", "max_length": 12},
    {"max_length": 10, "truncation_side": "left", "pad_to_multiple_of": 8, "pad_token_id": 3},
    {"padding": "max_length", "max_length": 32, "shuffle": True, "seed": 4},
    {"group_by_length": True, "shuffle": True, "mega_batch_mult": 2, "drop_remainder": True},
    {"read_ahead": 2, "shuffle": True, "padding_side": "left", "rank": 1, "world_size": 3},
]
# Every option on the default path; the in-graph path (slower to trace) on those that exercise
# its own code: truncation, left padding, fixed widths, several groups per epoch.
CASES = [(o, False) for o in OPTIONS] + [(OPTIONS[i], True) for i in (2, 3, 5)]


@pytest.mark.parametrize(("opts", "in_graph"), CASES)
def test_tf_padding_equals_numpy_loader(opts, in_graph):
    table = _table()
    tf_opts = dict(opts, pad_in_graph=in_graph)
    np_opts = dict(opts)
    np_opts["drop_last"] = np_opts.pop("drop_remainder", False)
    np_opts.pop("read_ahead", None)  # several groups on the TF side, one on the numpy side
    ours = [{k: v.numpy().tolist() for k, v in feats.items()} | {"labels": labels.numpy().tolist()}
            for feats, labels in to_tf_dataset(table, label_cols="label", batch_size=16, **tf_opts)]
    ref = [{k: v.tolist() for k, v in b.items()} for b in NumpyLoader(table, batch_size=16, **np_opts)]
    assert ours == ref


def test_element_spec_comes_from_the_schema():
    tfds = to_tf_dataset(_table(), columns=["input_ids", "vec"], label_cols=["label"], batch_size=8,
                         dtypes={"input_ids": "int32"})
    feats, labels = tfds.element_spec
    assert feats["input_ids"].shape.as_list() == [None, None] and feats["input_ids"].dtype == tf.int32
    assert feats["vec"].shape.as_list() == [None, 3] and feats["vec"].dtype == tf.float32
    assert feats["attention_mask"].dtype == tf.int64 and labels.dtype == tf.int64
    fixed = to_tf_dataset(_table(), columns=["input_ids"], batch_size=8, padding="max_length", max_length=40)
    assert fixed.element_spec["input_ids"].shape.as_list() == [None, 40]
    assert all(b["input_ids"].shape[1] == 40 for b in fixed)
    full = to_tf_dataset(_table(), columns=["input_ids"], label_cols="label", batch_size=8, drop_remainder=True)
    assert full.element_spec[0]["input_ids"].shape.as_list() == [8, None]
    assert full.element_spec[1].shape.as_list() == [8] and len(list(full)) == 90 // 8


def test_each_pass_reshuffles():
    tfds = to_tf_dataset(_table(), columns=["input_ids"], label_cols="label", batch_size=90, shuffle=True)
    first = next(iter(tfds))[0]["input_ids"].numpy()
    second = next(iter(tfds))[0]["input_ids"].numpy()
    assert not np.array_equal(first, second)
    assert sorted(map(tuple, first.tolist())) == sorted(map(tuple, second.tolist()))


def test_generator_path_with_a_custom_collator():
    def collate(table):
        ids = table.column("input_ids").to_pylist()
        return {"n_tokens": np.array([len(r) for r in ids], np.int64), "label": table.column("label").to_numpy()}

    tfds = to_tf_dataset(_table(), batch_size=32, collate_fn=collate, label_cols="label")
    total = sum(int(f["n_tokens"].numpy().sum()) for f, _ in tfds)
    assert total == sum(len(r) for r in _table().column("input_ids").to_pylist())


def test_keras_fit_learns_a_separable_task():
    rng = np.random.default_rng(1)
    n = 512
    labels = rng.integers(0, 2, size=n)
    # class 1 rows use tokens 50..99, class 0 rows 1..49: an embedding + pooling model separates them.
    ids = [list(rng.integers(50, 100, size=k) if y else rng.integers(1, 50, size=k))
           for y, k in zip(labels, rng.integers(2, 20, size=n))]
    table = pa.table({"input_ids": ids, "label": labels})
    tfds = to_tf_dataset(table, columns=["input_ids"], label_cols="label", batch_size=32, shuffle=True)

    keras = tf.keras
    tokens = keras.Input(shape=(None,), dtype="int64", name="input_ids")
    mask = keras.Input(shape=(None,), dtype="int64", name="attention_mask")
    x = keras.layers.Embedding(100, 8)(tokens)
    weights = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    pooled = keras.ops.sum(x * weights, axis=1) / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)
    out = keras.layers.Dense(2)(pooled)
    model = keras.Model({"input_ids": tokens, "attention_mask": mask}, out)
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(tfds, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


def test_bad_columns_are_named():
    with pytest.raises(LoaderError, match="'text'"):
        to_tf_dataset(_table(), columns=["text"], batch_size=4)
    with pytest.raises(LoaderError, match="'target'"):
        to_tf_dataset(_table(), columns=["input_ids"], label_cols="target", batch_size=4)
