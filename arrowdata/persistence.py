"""Dataset.save_to_disk / Dataset.load_from_disk, in the folder layout of Hugging Face ``datasets``.

The layout itself (shards, ``state.json``, ``dataset_info.json``, ``dataset_dict.json``, atomic
placement, remote fetch) is :mod:`arrowdata.folder_format`; this module turns a Dataset into
shards (indices applied, in logical order) and a folder back into a Dataset. The function
``arrowdata.load_from_disk`` (a Dataset or a DatasetDict) lives in ``dataset_dict.py``.

Saving writes a temporary folder and renames it into place, so a crash never leaves a
half-written dataset. Loading memory-maps the shards (a few MB of RAM whatever the size);
remote folders (any fsspec URL) are first fetched into ``cache_dir()/remote/<key>/``.
Nothing is ever unpickled: the metadata files are JSON.

Example:
    >>> import tempfile, os
    >>> from arrowdata import Dataset, load_from_disk
    >>> path = os.path.join(tempfile.mkdtemp(), "ds")
    >>> Dataset.from_dict({"a": [1, 2, 3]}).save_to_disk(path)
    >>> sorted(os.listdir(path))
    ['data-00000-of-00001.arrow', 'dataset_info.json', 'state.json']
    >>> load_from_disk(path)["a"]
    [1, 2, 3]
"""
from __future__ import annotations

import logging
import math
import os
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .dataset_core import DatasetCore
from .errors import ArrowDataError, MissingFileError
from .features import schema_metadata
from .folder_format import (DEFAULT_MAX_SHARD_SIZE, DICT_JSON, INFO_JSON, STATE_JSON,  # noqa: F401  (re-exported)
                            fetch_remote_folder, folder_kind, local_folder, open_folder, save_folder, shard_filename,
                            write_folder_state)
from .gather import iter_take
from .sizes import parse_size
from .table import to_disk_table
from .writer import ArrowWriter

if TYPE_CHECKING:  # pragma: no cover
    from typing_extensions import Self

logger = logging.getLogger(__name__)

WRITE_BATCH_ROWS = 1000


def _num_shards(ds: DatasetCore, max_shard_size: int | str | None, num_shards: int | None) -> int:
    n = ds.num_rows
    if num_shards is not None:
        if not isinstance(num_shards, int) or num_shards < 1:
            raise ArrowDataError(f"num_shards must be a positive integer, got {num_shards!r}")
        if n and num_shards > n:
            raise ArrowDataError(f"num_shards={num_shards} is more than the {n} rows")
        return num_shards
    limit = parse_size(max_shard_size if max_shard_size is not None else DEFAULT_MAX_SHARD_SIZE, "max_shard_size")
    if limit <= 0:
        raise ArrowDataError(f"max_shard_size must be positive, got {max_shard_size!r}")
    total = ds._table.nbytes * (n / ds._table.num_rows if ds._table.num_rows else 0)
    return max(1, min(n, math.ceil(total / limit))) if n else 1


def shards_for(ds: DatasetCore, max_shard_size: int | str | None, num_shards: int | None,
               num_proc: int | None) -> int | None:
    """``num_shards``, or with ``num_proc`` (HF's rule) at least that many shards, never more than the rows."""
    if num_shards is None and num_proc:
        return min(max(_num_shards(ds, max_shard_size, None), int(num_proc)), max(1, ds.num_rows))
    return num_shards


def write_dataset_folder(ds: DatasetCore, folder: str, max_shard_size: int | str | None = None,
                         num_shards: int | None = None) -> None:
    """Write ``ds`` (indices applied) as a save_to_disk folder at the local path ``folder``."""
    from .utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

    shards = _num_shards(ds, max_shard_size, num_shards)
    os.makedirs(folder, exist_ok=True)
    n = ds.num_rows
    features = ds._info.features
    schema = to_disk_table(ds._table.slice(0, 0), features).schema
    schema = schema.with_metadata({**(schema.metadata or {}), **schema_metadata(features)})
    idx = ds._indices_np()
    files = []
    with tqdm(total=n, desc=f"Saving ({shards} shards)", unit=" examples", disable=None) as bar:
        for s in range(shards):
            start, stop = s * n // shards, (s + 1) * n // shards
            name = shard_filename(s, shards)
            with ArrowWriter(os.path.join(folder, name), schema=schema) as writer:
                if idx is None:
                    for batch in ds._table.slice(start, stop - start).to_batches(max_chunksize=WRITE_BATCH_ROWS * 10):
                        writer.write(to_disk_table(pa.Table.from_batches([batch]), features))
                        bar.update(batch.num_rows)
                else:
                    for table in iter_take(ds._table, idx[start:stop], WRITE_BATCH_ROWS):
                        writer.write(to_disk_table(table, features))
                        bar.update(table.num_rows)
            files.append(name)
    write_folder_state(folder, files, fingerprint=ds._fingerprint, split=ds._split, info=ds._info, format=ds._format)


class PersistenceOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: save_to_disk and load_from_disk."""

    def save_to_disk(self, dataset_path: str | os.PathLike, max_shard_size: int | str | None = None,
                     num_shards: int | None = None, num_proc: int | None = None,
                     storage_options: dict | None = None) -> None:
        """Save as a folder that ``arrowdata.load_from_disk`` and HF ``datasets.load_from_disk`` open.

        Args:
            dataset_path: local folder or fsspec URL (``s3://...``, ``memory://...``).
            max_shard_size: largest shard, bytes or a size such as ``"500MB"`` (decimal) or
                ``"1GiB"`` (binary); see :mod:`arrowdata.sizes`. Default 500MB.
            num_shards: exact number of shards (overrides ``max_shard_size``).
            num_proc: as in HF, at least ``num_proc`` shards when ``num_shards`` is not given (so that
                as many readers can share them later); the writing itself is sequential I/O.
            storage_options: fsspec options (credentials, endpoint...).

        Rows selected/shuffled through indices are written in their logical order.

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset
            >>> p = os.path.join(tempfile.mkdtemp(), "d")
            >>> Dataset.from_dict({"a": list(range(10))}).save_to_disk(p, num_shards=2)
            >>> sorted(f for f in os.listdir(p) if f.endswith(".arrow"))
            ['data-00000-of-00002.arrow', 'data-00001-of-00002.arrow']
        """
        num_shards = shards_for(self, max_shard_size, num_shards, num_proc)
        save_folder(lambda tmp: write_dataset_folder(self, tmp, max_shard_size, num_shards), dataset_path,
                    storage_options)

    @classmethod
    def load_from_disk(cls, dataset_path: str | os.PathLike, keep_in_memory: bool | None = None,
                       storage_options: dict | None = None, verify: bool | None = None) -> "Self":
        """Open a folder written by ``Dataset.save_to_disk`` (arrowdata's or HF's) as this class.

        As in HF ``datasets``, a DatasetDict folder is refused with a ``FileNotFoundError`` that
        names :func:`arrowdata.load_from_disk` and ``DatasetDict.load_from_disk``, which open both kinds.

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset
            >>> p = os.path.join(tempfile.mkdtemp(), "d")
            >>> Dataset.from_dict({"a": [1, 2]}).save_to_disk(p)
            >>> Dataset.load_from_disk(p)["a"]
            [1, 2]
        """
        url = os.fspath(dataset_path)
        folder = local_folder(url, storage_options)
        kind = folder_kind(folder)
        if kind != "dataset":
            hint = ("it holds a DatasetDict: use arrowdata.load_from_disk or DatasetDict.load_from_disk"
                    if kind == "dict" else f"{url} is not a save_to_disk folder (no {STATE_JSON} or {DICT_JSON})")
            raise MissingFileError(os.path.join(url, STATE_JSON), hint=hint)
        return load_dataset_folder(folder, cls, keep_in_memory=bool(keep_in_memory), verify=verify)


def load_dataset_folder(folder: str, cls: type, keep_in_memory: bool = False, verify: bool | None = None) -> Any:
    """Open one local save_to_disk folder as a ``cls`` (a Dataset class: this module sits below it)."""
    saved = open_folder(folder, keep_in_memory=keep_in_memory, verify=verify)
    return cls._from_parts(saved.table, fingerprint=saved.fingerprint, info=saved.info, split=saved.split,
                           format=saved.format, data_files=saved.data_files)


def __getattr__(name: str) -> Any:
    # load_from_disk (a Dataset or a DatasetDict) moved above the core, to dataset_dict.py; the old name still works.
    if name == "load_from_disk":
        from .dataset_dict import load_from_disk

        return load_from_disk
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
