"""Cheap identities of data files: enough to notice a rewritten file, without reading it all.

Two uses:

- a saved folder's fingerprint is bound to its shards (:func:`folder_fingerprint`), so a shard
  rewritten outside arrowdata, or a folder that copies another folder's ``_fingerprint`` into
  its ``state.json``, gets a different fingerprint and misses the other data's cached results.
  A folder this user saved keeps its recorded fingerprint (so ``save_to_disk`` then
  ``load_from_disk`` still reuses cached results): ``state.json`` carries a *seal*, an HMAC of
  the fingerprint and the shards' names, sizes, mtimes and ctimes under a per-user secret key
  (``~/.config/arrowdata/seal.key``, mode 0600, ``$ARROWDATA_SEAL_KEY``), which nobody else can
  forge, and which any write to a shard breaks (its ctime changes; a ``stat`` checks it);
- a transform cache entry records the :func:`sampled_digest` of each file at commit, compared
  when a file's identity changed (see :func:`arrowdata.cache.lookup`).

A digest covers the file's size, its first and last 16 KiB (the Arrow schema, and the footer
or end-of-stream marker with the last record batch) and 16 blocks of 4 KiB spread evenly
between them; files up to 1 MiB are hashed whole. That is at most ~100 KiB read per file,
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

import hashlib
import hmac
import json
import logging
import os
from pathlib import Path
from typing import Any, Sequence

import xxhash

WHOLE_FILE_LIMIT = 1 << 20
EDGE = 16 << 10
BLOCK = 4 << 10
BLOCKS = 16


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


logger = logging.getLogger(__name__)
_key: bytes | None = None


def _seal_key() -> bytes | None:
    """This user's secret (created on first use, readable by the user only); ``None`` if unavailable."""
    global _key
    if _key is not None:
        return _key
    default = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "arrowdata" / "seal.key"
    path = Path(os.environ.get("ARROWDATA_SEAL_KEY") or default)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32).hex().encode())
        key = path.read_bytes().strip()
        if len(key) < 32:  # being written by another process right now, or damaged
            return None
        _key = key
    except OSError as e:
        logger.info("no seal key (%s): saved folders' fingerprints are bound to their files", e)
        return None
    return _key


def _stat_identity(files: Sequence[str | os.PathLike]) -> list:
    out = []
    for f in files:
        st = os.stat(f)
        out.append([os.path.basename(os.fspath(f)), st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return out


def seal(claimed: str, files: Sequence[str | os.PathLike]) -> str | None:
    """HMAC, under this user's key, of a folder's fingerprint and its shards' names, sizes, mtimes and
    ctimes (``None`` without a key). Any write to a shard changes its ctime, which no ``touch`` sets back."""
    key = _seal_key()
    if key is None:
        return None
    payload = json.dumps(["seal-v2", claimed, _stat_identity(files)]).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def folder_state_fields(claimed: str, files: Sequence[str | os.PathLike]) -> dict[str, Any]:
    """What ``save_to_disk`` adds to ``state.json`` so that :func:`folder_fingerprint` can trust its claim."""
    sealed = seal(claimed, files)
    return {"_arrowdata_seal": sealed} if sealed else {}


def folder_fingerprint(claimed: str, files: Sequence[str | os.PathLike], state: dict) -> str:
    """The fingerprint of a saved folder opened now.

    ``claimed`` (from ``state.json``) when this user's seal vouches for it and no shard was written
    to since (a ``stat`` per shard: free); otherwise the claim bound to the files as they are
    (:func:`bind_fingerprint`: names, sizes, mtimes, sampled digests), so a forged or stale claim can
    never select another dataset's cached results.
    """
    sealed = state.get("_arrowdata_seal")
    if isinstance(sealed, str):
        expected = seal(claimed, files)
        if expected is not None and hmac.compare_digest(expected, sealed):
            return claimed
    return bind_fingerprint(claimed, files)
