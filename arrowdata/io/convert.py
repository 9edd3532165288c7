"""Converting input files into a ``save_to_disk`` folder, streamed in bounded memory.

Tables flow from a builder through a :class:`~arrowdata.io.conform.Conformer` into Arrow IPC
shards written by :class:`~arrowdata.writer.ArrowWriter`. Everything goes to a temporary
sibling folder renamed into place at the end, so a folder that exists is always complete.

Example:
    >>> import tempfile, os
    >>> from arrowdata.io.builder import get_builder
    >>> from arrowdata.io.files import resolve_data_files
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "a.csv"); _ = open(p, "w").write("x\\n1\\n2\\n")
    >>> out = convert_files(get_builder("csv"), resolve_data_files(p)["train"], os.path.join(d, "out"),
    ...                     progress=False)
    >>> out.num_rows, sorted(os.listdir(out.folder))
    (2, ['data-00000-of-00001.arrow', 'dataset_info.json', 'state.json'])
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa

from ..errors import ArrowDataError, DataFileError
from ..writer import TMP_MARKER, ArrowWriter
from .builder import Builder, SchemaWidening
from .conform import Conformer, read_schema
from .files import DataFile

logger = logging.getLogger(__name__)

DEFAULT_MAX_SHARD_SIZE = 500 << 20  # bytes of Arrow data per shard, as HF `save_to_disk`
_MAX_RESTARTS = 50


@dataclass
class Conversion:
    """What a conversion produced: the folder, its row count, Arrow bytes and schema."""

    folder: Path
    num_rows: int
    num_bytes: int
    schema: pa.Schema


def _shard_name(i: int, n: int) -> str:
    return f"data-{i:05d}-of-{n:05d}.arrow"


class _ShardedWriter:
    """Arrow IPC shards of at most ``max_shard_size`` bytes, named ``data-i-of-N`` at the end."""

    def __init__(self, folder: Path, schema: pa.Schema, max_shard_size: int) -> None:
        self.folder, self.schema, self.max_shard_size = folder, schema, max_shard_size
        self.done: list[Path] = []
        self.writer: ArrowWriter | None = None
        self.num_rows = self.num_bytes = 0

    def write(self, table: pa.Table) -> None:
        self.num_rows += table.num_rows
        self.num_bytes += table.nbytes
        # A table larger than the room left in the shard is cut by its average row size, so
        # shards stay near max_shard_size whatever block size the reader produced.
        # (a counter, not table.num_rows: pyarrow keeps num_rows when slicing a zero-column table)
        start, remaining = 0, table.num_rows
        per_row = max(1, table.nbytes // max(1, table.num_rows))
        while remaining:
            if self.writer is None:
                self.writer = ArrowWriter(self.folder / f"shard-{len(self.done):05d}.arrow", schema=self.schema)
            room = self.max_shard_size - self.writer.num_bytes
            take = remaining if remaining * per_row <= room else max(1, room // per_row)
            self.writer.write(table.slice(start, take) if (start, take) != (0, table.num_rows) else table)
            start, remaining = start + take, remaining - take
            if self.writer.num_bytes >= self.max_shard_size or remaining:
                self.done.append(self.writer.close())
                self.writer = None

    def close(self) -> list[str]:
        if self.writer is not None or not self.done:
            if self.writer is None:
                self.writer = ArrowWriter(self.folder / f"shard-{len(self.done):05d}.arrow", schema=self.schema)
            self.done.append(self.writer.close())
            self.writer = None
        names = []
        for i, path in enumerate(self.done):
            name = _shard_name(i, len(self.done))
            os.replace(path, self.folder / name)
            names.append(name)
        return names

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()


def write_folder_metadata(folder: Path, shard_names: Sequence[str], schema: pa.Schema, *,
                          fingerprint: str, split: str | None) -> None:
    """Write ``state.json`` and ``dataset_info.json`` in the Hugging Face ``save_to_disk`` layout."""
    from ..features import Features

    features = Features.from_arrow_schema(schema)
    state = {
        "_data_files": [{"filename": n} for n in shard_names],
        "_fingerprint": fingerprint,
        "_format_columns": None,
        "_format_kwargs": {},
        "_format_type": None,
        "_output_all_columns": False,
        "_split": split,
    }
    info = {"citation": "", "description": "", "features": features.to_dict(), "homepage": "", "license": ""}
    (folder / "state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=2, sort_keys=True))


def _progress(enabled: bool, desc: str, files: Sequence[DataFile]):
    from tqdm.auto import tqdm

    sizes = [f.size for f in files]
    total = sum(sizes) if all(s is not None for s in sizes) else None
    # bytes of input (compressed, as stored) give a real ETA; TQDM_DISABLE=1 hides every bar
    return tqdm(desc=desc, total=total, unit="B", unit_scale=True, unit_divisor=1024,
                disable=False if enabled else True, leave=False)


def _convert_once(builder: Builder, files: Sequence[DataFile], tmp: Path, *, target: pa.Schema | None,
                  features: Any, max_shard_size: int, bar) -> tuple[list[str], _ShardedWriter | None, Conformer]:
    conformer = Conformer(builder, target=target, features=features)
    fixed = frozenset(read_schema(features).names) if features is not None else frozenset()
    hint = read_schema(features) if features is not None else target
    writer: _ShardedWriter | None = None
    done_bytes = 0
    try:
        for index, f in enumerate(files):
            try:
                for table in builder.read(f, hint, fixed):
                    table = conformer.conform(table, url=f.url, file_index=index)
                    if writer is None:
                        schema = conformer.target if features is None else table.schema
                        writer = _ShardedWriter(tmp, _with_features_metadata(schema), max_shard_size)
                    writer.write(table)
                    bar.n = done_bytes + f.bytes_read()
                    bar.set_postfix(file=f.name, rows=f"{writer.num_rows:,}", refresh=False)
                    bar.refresh()
            except (ArrowDataError, SchemaWidening):
                raise
            except (pa.ArrowException, UnicodeDecodeError) as e:  # a reader gap: still name the file
                raise DataFileError(f"cannot read: {e}", path=f.url) from e
            done_bytes += f.size or f.bytes_read()
        if writer is None:  # no rows at all
            schema = conformer.target if conformer.target is not None else pa.schema([])
            writer = _ShardedWriter(tmp, _with_features_metadata(schema), max_shard_size)
        return writer.close(), writer, conformer
    except BaseException:
        if writer is not None:
            writer.abort()
        raise


def _with_features_metadata(schema: pa.Schema) -> pa.Schema:
    """The schema with its features JSON in the metadata, so the shards describe themselves."""
    from ..features import Features, schema_metadata

    features = Features.from_arrow_schema(schema)
    return schema.with_metadata({**(schema.metadata or {}), **schema_metadata(features)})


def convert_files(builder: Builder, files: Sequence[DataFile], out_dir: str | os.PathLike, *,
                  features: Any = None, split: str | None = None, fingerprint: str | None = None,
                  max_shard_size: int = DEFAULT_MAX_SHARD_SIZE, progress: bool = True,
                  overwrite: bool = False) -> Conversion:
    """Read ``files`` with ``builder`` into the ``save_to_disk`` folder ``out_dir``, atomically.

    Args:
        builder: a configured builder (:func:`arrowdata.io.get_builder`).
        files: the input files, read in order (rows keep file order, then line order).
        out_dir: the folder to create; it appears only once complete.
        features: :class:`arrowdata.features.Features` to cast every column to.
        split: the split name recorded in ``state.json``.
        fingerprint: recorded in ``state.json``; defaults to a random one.
        max_shard_size: bytes of Arrow data per ``data-i-of-N.arrow`` shard.
        progress: show a tqdm bar (rows converted).
        overwrite: replace an existing ``out_dir``; otherwise it is an error.
    """
    out = Path(out_dir)
    if out.exists() and not overwrite and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    target: pa.Schema | None = None
    desc = f"Converting {split}" if split else "Converting"
    for attempt in range(_MAX_RESTARTS):
        tmp = out.with_name(f"{out.name}{TMP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.mkdir()
        try:
            with _progress(progress, desc, files) as bar:
                names, writer, conformer = _convert_once(builder, files, tmp, target=target, features=features,
                                                         max_shard_size=max_shard_size, bar=bar)
            schema = pa.ipc.open_stream(pa.memory_map(str(tmp / names[0]))).schema
            write_folder_metadata(tmp, names, schema, fingerprint=fingerprint or uuid.uuid4().hex, split=split)
        except SchemaWidening as w:
            shutil.rmtree(tmp, ignore_errors=True)
            logger.info("restarting the conversion with a wider schema: %s", w.reason)
            target = w.schema
            continue
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if out.exists() and overwrite:
            shutil.rmtree(out)
        try:
            os.replace(tmp, out)
        except OSError:
            if not (out / "state.json").exists():
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            # Another process converted the same input meanwhile: its folder is as good as ours.
            shutil.rmtree(tmp, ignore_errors=True)
        return Conversion(out, writer.num_rows, writer.num_bytes, schema)
    raise DataFileError(f"the column types kept changing after {_MAX_RESTARTS} restarts; pass features=...",
                        path=files[0].url if files else None)
