"""Materializing a dataset's logical rows into a new table: the body of ``flatten_indices``.

Rows are gathered block-wise and streamed through :class:`arrowdata.writer.ArrowWriter`
(temporary file, renamed when complete) into the transforms cache as a regular entry
(:mod:`arrowdata.cache`: the file, then its sidecar), keyed by fingerprint. A second call
with the same parent and indices reopens the finished file instead of writing it again, a
crash never leaves a file that could be mistaken for a result, and ``arrowdata cache``
lists, ages and cleans these entries like any other.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.transforms.flatten import gathered_table
    >>> gathered_table(pa.table({"a": [1, 2, 3]}), [2, 0]).column("a").to_pylist()
    [3, 1]
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pyarrow as pa

from .. import cache, gather
from ..cache_lock import KeyLock
from ..config import is_caching_enabled
from ..errors import CorruptFileError
from ..writer import ArrowWriter

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset

logger = logging.getLogger(__name__)

# Below this many rows a progress bar is noise.
_PROGRESS_MIN_ROWS = 100_000


def gathered_table(table: pa.Table, positions: np.ndarray | Sequence[int] | None) -> pa.Table:
    """``table``'s rows ``positions`` as one in-memory table (``table`` itself when ``None``)."""
    if positions is None:
        return table
    return gather.take(table, positions)


def _write(table: pa.Table, positions: np.ndarray, path: os.PathLike, writer_batch_size: int) -> None:
    from ..utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

    with ArrowWriter(path, schema=table.schema) as writer, \
            tqdm(total=len(positions), unit=" rows", desc="Flattening the indices",
                 disable=len(positions) < _PROGRESS_MIN_ROWS, leave=False) as bar:
        for batch in gather.iter_take(table, positions, writer_batch_size):
            writer.write(batch)
            bar.update(batch.num_rows)


def materialize(ds: "Dataset", fingerprint: str, *, keep_in_memory: bool = False,
                cache_file_name: str | None = None, writer_batch_size: int = 1000) -> "Dataset":
    """``ds`` with its indices applied to the data: a fresh table and no indices.

    The file becomes a regular transforms-cache entry (a sidecar is committed after the file
    is complete), written under the entry's lock so concurrent processes write it once.
    """
    positions = ds._indices_np()
    if positions is None:
        positions = np.arange(ds._table.num_rows, dtype=np.int64)
    if keep_in_memory:
        table = gathered_table(ds._table, positions)
        return ds._replace(_table=table, _indices=None, _fingerprint=fingerprint, _data_files=[])

    base = cache_file_name

    def ready() -> pa.Table | None:
        if not is_caching_enabled():
            return None
        entry = cache.lookup(fingerprint, base)
        if entry is None:
            return None
        try:
            table = cache.open_entry(entry)
        except CorruptFileError as e:
            # A damaged entry is never a result: drop it and rebuild.
            logger.warning("flatten_indices: %s; writing it again", e)
            cache.remove_entry(fingerprint, base)
            return None
        if table.num_rows != len(positions) or table.column_names != ds._table.column_names:
            logger.warning("flatten_indices: cache entry %s does not hold these rows; writing it again", fingerprint)
            return None
        logger.info("flatten_indices: reusing cache entry %s", fingerprint)
        return table

    lock = KeyLock(fingerprint)
    table = lock.wait_for(ready)
    if table is None:
        try:
            path = cache.entry_path(fingerprint, base)
            logger.info("flatten_indices: writing %d rows to %s", len(positions), path)
            _write(ds._table, positions, path, writer_batch_size)
            entry = cache.commit(fingerprint, [path], {"op": "flatten_indices", "num_rows": len(positions),
                                                        "parent": ds._fingerprint}, base)
            table = cache.open_entry(entry)
        finally:
            lock.release()
    files = [os.fspath(cache.entry_path(fingerprint, base))]
    return ds._replace(_table=table, _indices=None, _fingerprint=fingerprint, _data_files=files)
