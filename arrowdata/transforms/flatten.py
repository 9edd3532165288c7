"""Materializing a dataset's logical rows into a new table: the body of ``flatten_indices``.

Rows are gathered block-wise and streamed through :class:`arrowdata.writer.ArrowWriter`
(temporary file, renamed when complete) into the transforms cache, keyed by fingerprint,
so a second call with the same parent and indices reopens the finished file instead of
writing it again, and a crash never leaves a file that could be mistaken for a result.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.transforms.flatten import gathered_table
    >>> gathered_table(pa.table({"a": [1, 2, 3]}), [2, 0]).column("a").to_pylist()
    [3, 1]
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pyarrow as pa

from .. import gather
from ..config import cache_dir, is_caching_enabled
from ..writer import ArrowWriter
from .derive import physical_positions

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


def _cache_path(fingerprint: str, cache_file_name: str | None) -> Path:
    if cache_file_name is not None:
        return Path(cache_file_name)
    return cache_dir() / "transforms" / f"{fingerprint}.arrow"


def _write(table: pa.Table, positions: np.ndarray, path: Path, writer_batch_size: int) -> None:
    from tqdm.auto import tqdm

    with ArrowWriter(path, schema=table.schema) as writer, \
            tqdm(total=len(positions), unit=" rows", desc="Flattening the indices",
                 disable=len(positions) < _PROGRESS_MIN_ROWS, leave=False) as bar:
        for batch in gather.iter_take(table, positions, writer_batch_size):
            writer.write(batch)
            bar.update(batch.num_rows)


def materialize(ds: "Dataset", fingerprint: str, *, keep_in_memory: bool = False,
                cache_file_name: str | None = None, writer_batch_size: int = 1000) -> "Dataset":
    """``ds`` with its indices applied to the data: a fresh table and no indices."""
    from ..table import open_arrow_files

    positions = physical_positions(ds)
    if positions is None:
        positions = np.arange(ds._table.num_rows, dtype=np.int64)
    if keep_in_memory:
        table = gathered_table(ds._table, positions)
        return ds._replace(_table=table, _indices=None, _fingerprint=fingerprint, _data_files=[])
    from ..errors import CorruptFileError

    path = _cache_path(fingerprint, cache_file_name)
    table = None
    if path.exists() and is_caching_enabled():
        try:
            table = open_arrow_files([os.fspath(path)])
            if table.num_rows != len(positions) or table.schema.names != ds._table.schema.names:
                logger.warning("flatten_indices: %s does not hold these rows; writing it again", path)
                table = None
            else:
                logger.info("flatten_indices: reusing %s", path)
        except CorruptFileError as e:
            # A damaged cache entry is never a result: rebuild it.
            logger.warning("flatten_indices: %s; writing it again", e)
    if table is None:
        logger.info("flatten_indices: writing %d rows to %s", len(positions), path)
        _write(ds._table, positions, path, writer_batch_size)
        table = open_arrow_files([os.fspath(path)])
    return ds._replace(_table=table, _indices=None, _fingerprint=fingerprint, _data_files=[os.fspath(path)])
