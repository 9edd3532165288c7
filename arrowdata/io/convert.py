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
import xxhash

from ..errors import ArrowDataError, CastError, DataFileError
from ..cache_lock import KeyLock
from ..folder_format import (DEFAULT_MAX_SHARD_SIZE, STATE_JSON, SavedFolder, ShardedWriter, open_folder,
                             with_features_metadata, write_folder_metadata)
from ..writer import temp_path_for
from .builder import Builder, SchemaWidening
from .conform import Conformer, read_schema
from .files import DataFile, file_identities

logger = logging.getLogger(__name__)

_MAX_RESTARTS = 50
# Bump when the conversion output changes for the same input, so old cache entries are not reused.
CONVERSION_VERSION = 1


@dataclass
class Conversion:
    """What a conversion produced: the folder, its row count, Arrow bytes and schema."""

    folder: Path
    num_rows: int
    num_bytes: int
    schema: pa.Schema


def _progress(enabled: bool, desc: str, files: Sequence[DataFile]):
    from ..utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

    sizes = [f.size for f in files]
    total = sum(sizes) if all(s is not None for s in sizes) else None
    # bytes of input (compressed, as stored) give a real ETA; TQDM_DISABLE=1 hides every bar
    return tqdm(desc=desc, total=total, unit="B", unit_scale=True, unit_divisor=1024,
                disable=False if enabled else True, leave=False)


def _convert_once(builder: Builder, files: Sequence[DataFile], tmp: Path, *, target: pa.Schema | None,
                  features: Any, max_shard_size: int, bar) -> tuple[list[str], ShardedWriter | None, Conformer]:
    conformer = Conformer(builder, target=target, features=features)
    fixed = frozenset(read_schema(features, builder).names) if features is not None else frozenset()
    hint = read_schema(features, builder) if features is not None else target
    writer: ShardedWriter | None = None
    done_bytes = 0
    try:
        for index, f in enumerate(files):
            try:
                for table in builder.read(f, hint, fixed):
                    table = conformer.conform(table, url=f.url, file_index=index)
                    if writer is None:
                        schema = conformer.target if features is None else table.schema
                        writer = ShardedWriter(tmp, with_features_metadata(schema), max_shard_size)
                    writer.write(table)
                    bar.n = done_bytes + f.bytes_read()
                    bar.set_postfix(file=f.name, rows=f"{writer.num_rows:,}", refresh=False)
                    bar.refresh()
            except CastError as e:  # the builder may know the line of the value that does not fit
                locate = getattr(builder, "locate_cast_error", None)
                located = locate(f, e, features) if locate is not None else None
                raise (located or e) from None
            except (ArrowDataError, SchemaWidening):
                raise
            except (pa.ArrowException, UnicodeDecodeError) as e:  # a reader gap: still name the file
                raise DataFileError(f"cannot read: {e}", path=f.url) from e
            done_bytes += f.size or f.bytes_read()
        if writer is None:  # no rows at all
            schema = conformer.target if conformer.target is not None else pa.schema([])
            writer = ShardedWriter(tmp, with_features_metadata(schema), max_shard_size)
        return writer.close(), writer, conformer
    except BaseException:
        if writer is not None:
            writer.abort()
        raise


def convert_files(builder: Builder, files: Sequence[DataFile], out_dir: str | os.PathLike, *,
                  features: Any = None, split: str | None = None, fingerprint: str | None = None,
                  max_shard_size: int | str = DEFAULT_MAX_SHARD_SIZE, progress: bool = True,
                  overwrite: bool = False) -> Conversion:
    """Read ``files`` with ``builder`` into the ``save_to_disk`` folder ``out_dir``, atomically.

    Args:
        builder: a configured builder (:func:`arrowdata.io.get_builder`).
        files: the input files, read in order (rows keep file order, then line order).
        out_dir: the folder to create; it appears only once complete.
        features: :class:`arrowdata.features.Features` to cast every column to.
        split: the split name recorded in ``state.json``.
        fingerprint: recorded in ``state.json``; defaults to a random one.
        max_shard_size: bytes of Arrow data per ``data-i-of-N.arrow`` shard (an int, or ``"500MB"``...).
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
        tmp = temp_path_for(out)
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
            if not (out / STATE_JSON).exists():
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            # Another process converted the same input meanwhile: its folder is as good as ours.
            shutil.rmtree(tmp, ignore_errors=True)
        return Conversion(out, writer.num_rows, writer.num_bytes, schema)
    raise DataFileError(f"the column types kept changing after {_MAX_RESTARTS} restarts; pass features=...",
                        path=files[0].url if files else None)


# ----------------------------------------------------------------------------- converted once, cached


def conversion_key(builder: Builder, files: Sequence[DataFile], features: Any, split: str | None) -> str:
    """32 hex chars identifying a conversion: builder, options, features, split and file contents."""
    payload = {
        "version": CONVERSION_VERSION,
        "builder": builder.name,
        "options": builder.key(),
        "features": features.to_dict() if features is not None else None,
        "split": split,
        "files": file_identities(files),
    }
    return xxhash.xxh3_128_hexdigest(json.dumps(payload, sort_keys=True, default=repr).encode())


def _open_cached(folder: Path, keep_in_memory: bool) -> SavedFolder | None:
    """The cached conversion in ``folder``, or ``None`` when absent or damaged (then removed)."""
    if not (folder / STATE_JSON).exists():
        return None
    try:
        saved = open_folder(str(folder), keep_in_memory=keep_in_memory)
        try:  # last used now: `arrowdata cache clean --older-than/--max-size` evicts the least recently used
            os.utime(folder / STATE_JSON)
        except OSError:
            pass
        return saved
    except (ArrowDataError, OSError, ValueError) as e:
        # never reuse a damaged entry: convert again from the source files
        logger.warning("cached conversion %s is unreadable (%s); converting again", folder, e)
        shutil.rmtree(folder, ignore_errors=True)
        return None


def convert_cached(builder: Builder, files: list[DataFile], split: str, features: Any, root: Path, *,
                   keep_in_memory: bool = False, progress: bool = True,
                   max_shard_size: int | str = DEFAULT_MAX_SHARD_SIZE) -> SavedFolder:
    """``files`` converted into ``root/<conversion_key>/`` once, then opened from there on every call.

    The key covers the builder, its options, the features, the split and every file's
    identity (URL, size, content hash), so an edited file converts again. Every rank of a
    distributed job may call this at once: one converts, the others wait for its folder.
    """
    key = conversion_key(builder, files, features, split)
    folder = root / key
    saved = _open_cached(folder, keep_in_memory)
    if saved is not None:
        logger.debug("reusing the conversion of %d file(s) at %s", len(files), folder)
        return saved
    lock = KeyLock(f"converted-{key}")
    saved = lock.wait_for(lambda: _open_cached(folder, keep_in_memory))
    if saved is not None:
        return saved
    try:
        if folder.exists():  # a folder without state.json is not ours to trust (made by hand, or foreign)
            shutil.rmtree(folder, ignore_errors=True)
        logger.info("converting %d %s file(s) for split %r into %s", len(files), builder.name, split, folder)
        convert_files(builder, files, folder, features=features, split=split, fingerprint=key,
                      max_shard_size=max_shard_size, progress=progress)
    finally:
        lock.release()
    return open_folder(str(folder), keep_in_memory=keep_in_memory)
