"""A Zipf-distributed text corpus of any size, generated fast and in bounded memory.

The word pool comes from ``../shared/gen_corpus.py`` when that file exists (the shared corpus
generator of this project) and from an equivalent generator here otherwise, so the benchmarks
run anywhere. Rows are windows of a pool of distinct Zipf texts at random offsets (zero-copy), which
writes gigabytes per minute while every row keeps a realistic text.

Example:
    >>> t = next(corpus_tables(1 << 20, batch_rows=100))
    >>> t.column_names
    ['id', 'text', 'label', 'score']
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa

SHARED_GENERATOR = Path(__file__).resolve().parents[2] / "shared" / "gen_corpus.py"
_LETTERS = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))


def _own_words(rng: np.random.Generator, n: int) -> list[str]:
    p = 1 / np.arange(1, 27)
    p /= p.sum()
    lens = rng.integers(2, 11, n)
    letters = rng.choice(_LETTERS, int(lens.sum()), p=p)
    offs = np.concatenate([[0], np.cumsum(lens)])
    return ["".join(letters[offs[i]:offs[i + 1]]) for i in range(n)]


def _words_function():
    """``words(rng, n)`` from the shared generator when present, else ours."""
    if SHARED_GENERATOR.exists():
        spec = importlib.util.spec_from_file_location("gen_corpus", SHARED_GENERATOR)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.words, "shared/gen_corpus.py"
    return _own_words, "benchmarks/corpus.py"


def text_pool(n_texts: int = 20_000, seed: int = 0) -> tuple[pa.Array, str]:
    """``n_texts`` distinct texts of 8-400 Zipf(1.1) words from a 50k-word vocabulary, and the
    name of the generator used."""
    words, source = _words_function()
    rng = np.random.default_rng(seed)
    vocab = np.array(words(rng, 50_000))
    ranks = np.arange(1, len(vocab) + 1)
    zipf = 1 / ranks ** 1.1
    cdf = np.cumsum(zipf / zipf.sum())
    lens = rng.integers(8, 400, n_texts)
    toks = vocab[np.minimum(np.searchsorted(cdf, rng.random(int(lens.sum()))), len(vocab) - 1)]
    offs = np.concatenate([[0], np.cumsum(lens)])
    return pa.array([" ".join(toks[offs[i]:offs[i + 1]]) for i in range(n_texts)], pa.string()), source


def corpus_tables(target_bytes: int, batch_rows: int = 10_000, seed: int = 0,
                  pool: pa.Array | None = None) -> Iterator[pa.Table]:
    """Tables ``id, text, label, score`` until about ``target_bytes`` of Arrow data are produced."""
    pool = pool if pool is not None else text_pool(n_texts=max(20_000, 2 * batch_rows), seed=seed)[0]
    rng = np.random.default_rng(seed + 1)
    produced, start = 0, 0
    while produced < target_bytes:
        # a window of the pool at a random offset: zero-copy, so generation runs at disk speed
        offset = int(rng.integers(0, len(pool) - batch_rows + 1))
        table = pa.table({"id": pa.array(np.arange(start, start + batch_rows, dtype=np.int64)),
                          "text": pool.slice(offset, batch_rows),
                          "label": pa.array(rng.integers(0, 2, batch_rows, dtype=np.int64)),
                          "score": pa.array(rng.random(batch_rows, dtype=np.float32))})
        produced += table.nbytes
        start += batch_rows
        yield table


def write_saved_folder(folder: str | os.PathLike, target_bytes: int, shard_bytes: int = 500 << 20,
                       batch_rows: int = 10_000, seed: int = 0) -> int:
    """Write a ``save_to_disk`` folder of about ``target_bytes`` directly (no dataset in memory);
    returns the row count. Arrow shards of ``shard_bytes``, written atomically by ArrowWriter."""
    from arrowdata.io.convert import write_folder_metadata
    from arrowdata.writer import ArrowWriter

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shards, writer, rows, schema = [], None, 0, None
    for table in corpus_tables(target_bytes, batch_rows, seed):
        schema = table.schema
        if writer is None:
            writer = ArrowWriter(folder / f"part-{len(shards):05d}.arrow", schema=schema)
        writer.write(table)
        rows += table.num_rows
        if writer.num_bytes >= shard_bytes:
            shards.append(writer.close())
            writer = None
    if writer is not None:
        shards.append(writer.close())
    names = []
    for i, path in enumerate(shards):
        name = f"data-{i:05d}-of-{len(shards):05d}.arrow"
        os.replace(path, folder / name)
        names.append(name)
    write_folder_metadata(folder, names, schema, fingerprint=f"bench-{seed}-{target_bytes}", split="train")
    return rows
