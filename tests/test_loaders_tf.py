"""to_tf_dataset: graph padding equals the numpy loader, exact element_spec, Keras training."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

tf = pytest.importorskip("tensorflow")

from loaders import LoaderError, NumpyLoader, to_tf_dataset


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
# Every option on both paths: padded in the graph (the default) and padded in numpy groups.
CASES = [(o, in_graph) for o in OPTIONS for in_graph in (True, False)]


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


@pytest.mark.parametrize("in_graph", [True, False])
def test_keras_fit_learns_a_separable_task(in_graph):
    rng = np.random.default_rng(1)
    n = 512
    labels = rng.integers(0, 2, size=n)
    # class 1 rows use tokens 50..99, class 0 rows 1..49: an embedding + pooling model separates them.
    ids = [list(rng.integers(50, 100, size=k) if y else rng.integers(1, 50, size=k))
           for y, k in zip(labels, rng.integers(2, 20, size=n))]
    table = pa.table({"input_ids": ids, "label": labels})
    tfds = to_tf_dataset(table, columns=["input_ids"], label_cols="label", batch_size=32, shuffle=True,
                         pad_in_graph=in_graph)

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


# -- groups of batches per tf.data element (loaders/tf_groups.py) ------------------------------------

def _tf_batches(table, **opts):
    out = []
    for element in to_tf_dataset(table, label_cols="label", batch_size=opts.pop("batch_size", 16), **opts):
        feats, labels = element
        out.append({k: v.numpy().tolist() for k, v in feats.items()} | {"labels": labels.numpy().tolist()})
    return out


def _np_batches(table, **opts):
    opts = dict(opts)
    opts["drop_last"] = opts.pop("drop_remainder", False)
    opts.pop("read_ahead", None)
    return [{k: v.tolist() for k, v in b.items()} for b in NumpyLoader(table, batch_size=opts.pop("batch_size", 16),
                                                                      **opts)]


@pytest.mark.parametrize("in_graph", [True, False])
@pytest.mark.parametrize("cells", [1, 40, 170, 10**9])
@pytest.mark.parametrize("opts", [{"read_ahead": 3}, {"read_ahead": 4, "drop_remainder": True, "shuffle": True},
                                  {"group_by_length": True, "mega_batch_mult": 2, "shuffle": True, "seed": 2}])
def test_group_boundaries_never_change_the_batches(monkeypatch, cells, opts, in_graph):
    # Elements of 1 batch, a few batches (not dividing the batch count), or a whole read group
    # (read_ahead batches, which do not divide the batch count either).
    import loaders.tf_groups as groups

    monkeypatch.setattr(groups, "CELLS_PER_ELEMENT", cells)
    table = _table(n=101, seed=3)
    ours, ref = _tf_batches(table, pad_in_graph=in_graph, **opts), _np_batches(table, **opts)
    assert ours == ref and len(ours) == (101 // 16 if opts.get("drop_remainder") else 7)


def test_group_padder_cuts_elements_by_cells_and_keeps_every_batch():
    from loaders.padding import PaddingCollator
    from loaders.tf_groups import GroupPadder

    table = _table(n=50, seed=5)
    collator = PaddingCollator(columns=["input_ids", "label"])
    sizes = np.array([8, 8, 8, 8, 8, 8, 2])
    prepared = collator.prepare(table)
    elements = list(GroupPadder(collator, cells_per_element=300).elements(prepared, sizes))
    widths = np.concatenate([e["__width__"] for e in elements])
    assert len(elements) > 2 and np.concatenate([e["__rows__"] for e in elements]).tolist() == sizes.tolist()
    for e in elements:  # each element stays under the budget unless it holds a single batch
        assert len(e["__rows__"]) == 1 or len(e["cells/input_ids"]) <= 300
        assert len(e["cells/input_ids"]) == int((e["__rows__"] * e["__width__"]).sum())
    cuts = np.concatenate([[0], np.cumsum(sizes)])
    k = 0
    for e in elements:
        cell = 0
        for rows, width in zip(e["__rows__"], e["__width__"]):
            ref = collator.collate_prepared(prepared, int(cuts[k]), int(cuts[k + 1]))
            assert width == widths[k] == ref["input_ids"].shape[1]
            got = e["cells/input_ids"][cell:cell + rows * width].reshape(rows, width)
            assert got.tolist() == ref["input_ids"].tolist()
            assert e["cells/attention_mask"][cell:cell + rows * width].reshape(rows, width).tolist() == \
                ref["attention_mask"].tolist()
            cell += rows * width
            k += 1


@pytest.mark.parametrize("in_graph", [True, False])
def test_empty_dataset_and_one_smaller_than_a_group(in_graph):
    empty = pa.table({"input_ids": pa.array([], pa.list_(pa.int32())), "label": pa.array([], pa.int64())})
    tfds = to_tf_dataset(empty, label_cols="label", batch_size=4, pad_in_graph=in_graph)
    assert list(tfds) == [] and int(tfds.cardinality()) == 0
    assert tfds.element_spec[0]["input_ids"].shape.as_list() == [None, None]
    tiny = pa.table({"input_ids": [[1, 2, 3], [4], [5, 6]], "label": [1, 0, 1]})
    got = _tf_batches(tiny, batch_size=2, pad_in_graph=in_graph)
    assert got == [{"input_ids": [[1, 2, 3], [4, 0, 0]], "attention_mask": [[1, 1, 1], [1, 0, 0]], "labels": [1, 0]},
                   {"input_ids": [[5, 6]], "attention_mask": [[1, 1]], "labels": [1]}]
    dropped = to_tf_dataset(tiny, label_cols="label", batch_size=2, drop_remainder=True, pad_in_graph=in_graph)
    assert int(dropped.cardinality()) == 1 and len(list(dropped)) == 1


@pytest.mark.parametrize("in_graph", [True, False])
def test_narrow_source_dtypes_cross_narrow_and_come_out_exact(in_graph):
    # int8 token labels padded with -100 (fits int8), uint8 ids padded with -1 (does not fit: the
    # output dtype is used), float64 values to float32, bool flags; all equal to the numpy loader.
    rng = np.random.default_rng(7)
    lengths = rng.integers(1, 9, size=40)
    table = pa.table({
        "input_ids": pa.array([list(rng.integers(0, 255, size=k)) for k in lengths], pa.list_(pa.uint8())),
        "labels": pa.array([list(rng.integers(0, 3, size=k)) for k in lengths], pa.list_(pa.int8())),
        "weights": pa.array([list(rng.random(k)) for k in lengths], pa.list_(pa.float64())),
        "flags": pa.array([list(rng.random(k) > 0.5) for k in lengths], pa.list_(pa.bool_())),
        "label": rng.integers(0, 2, size=40)})
    opts = {"pad_token_id": -1, "rename": {}, "batch_size": 8, "shuffle": True}
    tfds = to_tf_dataset(table, label_cols="label", pad_in_graph=in_graph, **opts)
    feats, _ = tfds.element_spec
    assert feats["input_ids"].dtype == tf.int64 and feats["weights"].dtype == tf.float32
    assert feats["flags"].dtype == tf.bool and feats["labels"].dtype == tf.int64
    ours = [{k: v.numpy().tolist() for k, v in f.items()} | {"label": y.numpy().tolist()} for f, y in tfds]
    ref = [{k: v.tolist() for k, v in b.items()} for b in NumpyLoader(table, **opts)]
    assert ours == ref
    assert any(-1 in row for b in ours for row in b["input_ids"])
    assert any(-100 in row for b in ours for row in b["labels"])


def test_transfer_dtype_only_narrows_when_exact():
    from loaders.tf_groups import mask_transfer_dtype, transfer_dtype

    assert transfer_dtype(np.int32, np.int64, 0) == np.int32
    assert transfer_dtype(np.int8, np.int64, -100) == np.int8
    assert transfer_dtype(np.uint8, np.int64, -1) == np.int64  # -1 is not a uint8
    assert transfer_dtype(np.int64, np.int32, 0) == np.int32  # narrowing output: numpy casts
    assert transfer_dtype(np.float64, np.float32, 0) == np.float32
    assert transfer_dtype(np.int32, np.int64, 0.5) == np.int64
    assert mask_transfer_dtype(np.int64) == np.uint8 and mask_transfer_dtype(bool) == np.dtype(bool)


@pytest.mark.parametrize("in_graph", [True, False])
def test_each_keras_epoch_is_a_new_shuffled_pass_with_exact_cardinality(in_graph):
    table = _table(n=70)
    tfds = to_tf_dataset(table, columns=["input_ids"], label_cols="label", batch_size=16, shuffle=True, seed=9,
                         pad_in_graph=in_graph)
    assert int(tfds.cardinality()) == 5
    loader = NumpyLoader(table, batch_size=16, columns=["input_ids", "label"], shuffle=True, seed=9)
    for _ in range(2):  # pass k of the tf.data pipeline is epoch k of the numpy loader
        ours = [(f["input_ids"].numpy().tolist(), y.numpy().tolist()) for f, y in tfds]
        ref = [(b["input_ids"].tolist(), b["labels"].tolist()) for b in loader]
        assert ours == ref
