"""Content fingerprints of Arrow tables and files, without copying them.

A dataset built from in-memory data (``from_dict``, ``from_pandas``...) gets the hash of
its buffers, so the same data gives the same fingerprint in every process and transform
results are found again in the cache. Large tables are sampled (fixed blocks of every
buffer plus the exact sizes), which keeps hashing a memory-mapped corpus in milliseconds
while any change of size, schema or sampled bytes changes the key.

Example:
    >>> import pyarrow as pa
    >>> table_fingerprint(pa.table({"a": [1, 2]})) == table_fingerprint(pa.table({"a": [1, 2]}))
    True
    >>> table_fingerprint(pa.table({"a": [1, 2]})) == table_fingerprint(pa.table({"a": [1, 3]}))
    False
"""
from __future__ import annotations

import pyarrow as pa
import xxhash

# Tables up to this size are hashed in full; beyond it, sampled.
FULL_HASH_LIMIT = 64 << 20
_SAMPLE_BLOCK = 4096
_SAMPLES_PER_BUFFER = 16


def _feed_buffer(h: "xxhash.xxh3_128", buf: pa.Buffer | None, full: bool) -> None:
    if buf is None:
        h.update(b"\x00none")
        return
    size = buf.size
    h.update(size.to_bytes(8, "little"))
    if full or size <= _SAMPLE_BLOCK * _SAMPLES_PER_BUFFER:
        h.update(memoryview(buf))
        return
    step = (size - _SAMPLE_BLOCK) // (_SAMPLES_PER_BUFFER - 1)
    view = memoryview(buf)
    for i in range(_SAMPLES_PER_BUFFER):
        start = i * step
        h.update(view[start:start + _SAMPLE_BLOCK])


def table_fingerprint(table: pa.Table, full: bool | None = None) -> str:
    """A 32-hex-character content key of ``table`` (schema, sizes and buffer bytes).

    Args:
        table: the table.
        full: hash every byte (default: only when the table is under 64 MB).
    """
    if full is None:
        full = table.nbytes <= FULL_HASH_LIMIT
    h = xxhash.xxh3_128()
    h.update(table.schema.serialize())
    h.update(table.num_rows.to_bytes(8, "little"))
    for col in table.columns:
        for chunk in col.chunks:
            h.update(len(chunk).to_bytes(8, "little") + chunk.offset.to_bytes(8, "little"))
            # Buffers of a slice cover the parent's rows too; hashing the whole buffers is
            # stable for the same slice of the same data, which is what a key needs.
            for buf in chunk.buffers():
                _feed_buffer(h, buf, full)
    return h.hexdigest()
