"""Cheap identities of data files: enough to notice a rewritten file, without reading it all.

Two uses:

- a saved folder's fingerprint is bound to its shards (:func:`bind_fingerprint`), so a shard
  rewritten outside arrowdata, or a folder that copies another folder's ``_fingerprint`` into
  its ``state.json``, gets a different fingerprint and misses the other data's cached results;
- a transform cache entry records the :func:`sampled_digest` of each file at commit, compared
  when a file's identity changed (see :func:`arrowdata.cache.lookup`).

A digest covers the file's size, its first and last 64 KiB (the Arrow schema, and the footer
or end-of-stream marker with the last record batch) and 64 blocks of 4 KiB spread evenly
between them; files up to 1 MiB are hashed whole. That is at most ~400 KiB read per file,
whatever its size, so opening a 20 GB folder stays within milliseconds. It is not a content
hash: a change confined to bytes between the sampled blocks, in a file of the same size and
mtime, goes unnoticed (see ``docs/caching.md``, "Threat model").

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.bin"); _ = open(p, "wb").write(b"x" * 10)
    >>> len(sampled_digest(p))
    32
"""
from __future__ import annotations

import json
import os
from typing import Sequence

import xxhash

WHOLE_FILE_LIMIT = 1 << 20
EDGE = 64 << 10
BLOCK = 4 << 10
BLOCKS = 64


def sampled_digest(path: str | os.PathLike, size: int | None = None) -> str:
    """32 hex characters from the size and sampled blocks of ``path`` (see the module docstring)."""
    h = xxhash.xxh3_128()
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size if size is None else size
        h.update(size.to_bytes(8, "little"))
        if size <= WHOLE_FILE_LIMIT:
            h.update(os.pread(fd, size, 0))
            return h.hexdigest()
        h.update(os.pread(fd, EDGE, 0))
        span = size - 2 * EDGE - BLOCK
        for i in range(BLOCKS):
            h.update(os.pread(fd, BLOCK, EDGE + span * i // (BLOCKS - 1)))
        h.update(os.pread(fd, EDGE, size - EDGE))
    return h.hexdigest()


def file_identity(path: str | os.PathLike) -> list:
    """``[size, mtime_ns, sampled digest]`` of one file."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, sampled_digest(path, st.st_size)]


def bind_fingerprint(claimed: str, files: Sequence[str | os.PathLike]) -> str:
    """A fingerprint for a folder's data: its recorded fingerprint bound to what its files are now.

    Same files (names, sizes, mtimes, sampled bytes) and same claim: same result, wherever the
    folder lives (its path is not included, so a moved folder keeps its cached results). A
    rewritten shard or a claim copied from another folder gives another fingerprint.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "s.arrow"); _ = open(p, "wb").write(b"abc")
        >>> bind_fingerprint("0" * 32, [p]) == bind_fingerprint("0" * 32, [p]) != bind_fingerprint("1" * 32, [p])
        True
    """
    parts = [[os.path.basename(os.fspath(f)), *file_identity(f)] for f in files]
    return xxhash.xxh3_128_hexdigest(json.dumps(["folder-v1", claimed, parts]).encode())
