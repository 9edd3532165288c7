"""Pure functions over Arrow tables: open memory-mapped files, concatenate, normalise.

Opening never copies data: the buffers of the returned table point into the memory map,
so a 20 GB file costs a few MB of RAM. A file that is empty, truncated or not Arrow at all
raises :class:`~arrowdata.errors.CorruptFileError` naming it.

Example:
    >>> import pyarrow as pa, tempfile, os
    >>> from arrowdata.writer import ArrowWriter
    >>> p = os.path.join(tempfile.mkdtemp(), "a.arrow")
    >>> with ArrowWriter(p) as w: w.write(pa.table({"x": [1, 2, 3]}))
    >>> open_arrow_files([p]).num_rows
    3
"""
from __future__ import annotations

import json
import mmap
import os
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa

from .errors import CorruptFileError, MissingFileError, SchemaMismatchError
from .features.inference import EXT_NAME_KEY, feature_from_arrow_type, storage_type
from .features.serialization import features_json_from_metadata, schema_metadata
from .features.types import LargeList, List, _ArrayND

_FILE_MAGIC = b"ARROW1"
# Written by every IPC stream writer on close: its absence means the file was cut short
# at a batch boundary, which the stream reader alone would not notice.
_STREAM_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


# Up to this total size, opening also checks every offset buffer (strings, binary, lists):
# a damaged offset is what makes a later read crash in native code, and checking them is
# a vectorized pass over 4-8 bytes per value (milliseconds per GB). Beyond it, only the
# structure is checked so a 20 GB open stays instant; ``verify=True`` runs Arrow's full
# validation (offsets and UTF-8) at any size.
OFFSETS_CHECK_LIMIT = 1 << 30

_OFFSET_DTYPES = {
    pa.string(): np.int32, pa.binary(): np.int32, pa.large_string(): np.int64, pa.large_binary(): np.int64,
}


def _bad_offsets(offsets: np.ndarray, limit: int) -> bool:
    if len(offsets) == 0:
        return False
    return bool(offsets[0] < 0 or offsets[-1] > limit or (len(offsets) > 1 and (np.diff(offsets) < 0).any()))


def check_offsets(array: pa.Array) -> None:
    """Raise ``ValueError`` when an offset buffer of ``array`` (recursively) points outside its data."""
    t = array.type
    if isinstance(array, pa.ExtensionArray):
        return check_offsets(array.storage)
    n = len(array)
    if t in _OFFSET_DTYPES:
        bufs = array.buffers()
        if bufs[1] is None or bufs[2] is None:
            if n and bufs[1] is None:
                raise ValueError(f"{t} array without an offsets buffer")
            return
        offsets = np.frombuffer(bufs[1], dtype=_OFFSET_DTYPES[t], count=n + 1, offset=array.offset * np.dtype(
            _OFFSET_DTYPES[t]).itemsize)
        if _bad_offsets(offsets, bufs[2].size):
            raise ValueError(f"offsets of a {t} column point outside its data")
    elif pa.types.is_list(t) or pa.types.is_large_list(t):
        dtype = np.int32 if pa.types.is_list(t) else np.int64
        bufs = array.buffers()
        offsets = np.frombuffer(bufs[1], dtype=dtype, count=n + 1, offset=array.offset * np.dtype(dtype).itemsize)
        child = array.values
        if _bad_offsets(offsets, len(child)):
            raise ValueError(f"offsets of a {t} column point outside its values")
        check_offsets(child)
    elif pa.types.is_fixed_size_list(t):
        check_offsets(array.values)
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            check_offsets(array.field(i))


def map_file(path: str) -> pa.Buffer:
    """The file's bytes as a read-only, memory-mapped Arrow buffer.

    Python's ``mmap`` rather than ``pa.memory_map``: Arrow's reader asks the kernel to read
    ahead every record batch it touches (``madvise(WILLNEED)``), which costs time in
    proportion to the bytes (about 15 ms per GB even from the page cache), whereas reading
    through a ``BufferReader`` over this mapping touches only the batch headers, so opening
    costs the same at 1 GB and at 20 GB.
    """
    with open(path, "rb") as f:
        return pa.py_buffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))


def open_arrow_file(path: str, verify: bool | None = False) -> pa.Table:
    """One Arrow IPC file (stream or file format), memory-mapped; see :func:`open_arrow_files`.

    Raises :class:`MissingFileError` or :class:`CorruptFileError`, both naming ``path``.
    """
    if not os.path.exists(path):
        raise MissingFileError(path)
    if os.path.getsize(path) == 0:
        raise CorruptFileError(f"{path}: empty file, not an Arrow file")
    try:
        data = map_file(path)
        if data[:len(_FILE_MAGIC)].to_pybytes() == _FILE_MAGIC:
            table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
        else:
            if data[max(0, data.size - len(_STREAM_EOS)):].to_pybytes() != _STREAM_EOS:
                raise CorruptFileError(f"{path}: truncated Arrow stream (no end-of-stream marker); "
                                       "re-create the file")
            table = pa.ipc.open_stream(pa.BufferReader(data)).read_all()
        table.validate(full=bool(verify))
        if verify is None:
            for col in table.columns:
                for chunk in col.chunks:
                    check_offsets(chunk)
    except CorruptFileError:
        raise
    except (pa.ArrowException, OSError, ValueError, IndexError) as e:
        raise CorruptFileError(f"{path}: corrupt or truncated Arrow file ({e})") from e
    return table


def open_arrow_files(paths: Sequence[str | os.PathLike], verify: bool | None = None) -> pa.Table:
    """Memory-map Arrow IPC files (stream or file format) and concatenate them without copying.

    ``verify``: Arrow's full validation, every offset and UTF-8 byte (``True``); only the
    structure (``False``); or by size (``None``: the structure plus every offset buffer when
    the files total at most 1 GB, the structure only beyond).

    Example:
        >>> open_arrow_files([])  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        ValueError: no files
    """
    if not paths:
        raise ValueError("open_arrow_files: no files given")
    paths = [os.fspath(p) for p in paths]
    if verify is None and sum(os.path.getsize(p) for p in paths if os.path.exists(p)) > OFFSETS_CHECK_LIMIT:
        verify = False
    tables = [normalize_table(open_arrow_file(p, verify)) for p in paths]
    _check_same_schema(tables, paths)
    return concat_tables(tables)


def _check_same_schema(tables: list[pa.Table], paths: list[str]) -> None:
    """Shards of one dataset hold the same columns with the same types: anything else is a damaged or
    hand-assembled folder, and promoting types or adding columns would change the data silently."""
    first = tables[0].schema
    for table, path in zip(tables[1:], paths[1:]):
        if table.schema.equals(first, check_metadata=False):
            continue
        theirs = {f.name: f.type for f in table.schema}
        ours = {f.name: f.type for f in first}
        extra = [n for n in theirs if n not in ours]
        missing = [n for n in ours if n not in theirs]
        changed = [n for n in ours if n in theirs and theirs[n] != ours[n]]
        if extra or missing:
            what = f"has column(s) {extra} that {paths[0]} lacks" if extra else f"lacks column(s) {missing}"
        elif changed:
            what = f"column {changed[0]!r} is {theirs[changed[0]]}, but {ours[changed[0]]} in {paths[0]}"
        else:
            what = f"columns are in another order than in {paths[0]}"
        raise SchemaMismatchError(f"this shard's schema differs from the first shard's: {what}; the folder "
                                  "is damaged or assembled by hand (re-save it, or cast the shards first)",
                                  path=path)


def concat_tables(tables: Iterable[pa.Table]) -> pa.Table:
    """Concatenate tables with the same columns, zero-copy (chunks are kept, not merged).

    Schemas that differ only in metadata are allowed; the first table's metadata wins.

    Example:
        >>> concat_tables([pa.table({"a": [1]}), pa.table({"a": [2]})]).column("a").to_pylist()
        [1, 2]
    """
    tables = list(tables)
    if not tables:
        raise ValueError("concat_tables: no tables given")
    if len(tables) == 1:
        return tables[0]
    schema = tables[0].schema
    same = [t if t.schema == schema else t.replace_schema_metadata(schema.metadata) for t in tables]
    try:
        return pa.concat_tables(same)
    except pa.ArrowInvalid:
        return pa.concat_tables(same, promote_options="permissive")


def _storage_chunked(col: pa.ChunkedArray) -> pa.ChunkedArray:
    target = storage_type(col.type)
    if target == col.type:
        return col
    chunks = []
    for chunk in col.chunks:
        if isinstance(chunk, pa.ExtensionArray):
            chunk = chunk.storage
        chunks.append(chunk if chunk.type == target else chunk.cast(target))
    return pa.chunked_array(chunks, type=target)


def copy_to_memory(table: pa.Table) -> pa.Table:
    """``table`` copied into RAM (one IPC round trip), so it no longer maps any file.

    Example:
        >>> copy_to_memory(pa.table({"a": [1, 2]}))["a"].to_pylist()
        [1, 2]
    """
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all()


def normalize_table(table: pa.Table) -> pa.Table:
    """``table`` with extension columns (HF ``Array2D``...) as their storage, zero-copy.

    Their shape survives in the features stored in the schema metadata. Field-level
    extension metadata left by a reader that did not know the type is folded into it too.
    """
    needs = any(storage_type(f.type) != f.type or (f.metadata and EXT_NAME_KEY in f.metadata) for f in table.schema)
    if not needs:
        return table
    meta = dict(table.schema.metadata or {})
    stored = features_json_from_metadata(meta)
    if stored is None:
        # Keep the shapes that only the extension types knew.
        feats = {f.name: feature_from_arrow_type(f.type, f.metadata) for f in table.schema}
        meta.update(schema_metadata(feats))
    columns = [_storage_chunked(c) for c in table.columns]
    schema = pa.schema([pa.field(f.name, c.type, f.nullable) for f, c in zip(table.schema, columns)], metadata=meta)
    return pa.Table.from_arrays(columns, schema=schema)


class _HFArrayType(pa.ExtensionType):
    """Writes Array2D..5D columns under the extension names HF ``datasets`` registers.

    Never registered with pyarrow: it only labels columns on the way to disk, so HF reads
    them as its own types; we read them back as plain nested lists plus features.
    """

    def __init__(self, ndims: int, shape: tuple, dtype: str, storage: pa.DataType) -> None:
        self.shape, self.value_type = tuple(shape), dtype
        super().__init__(storage, f"datasets.features.features.Array{ndims}DExtensionType")

    def __arrow_ext_serialize__(self) -> bytes:
        return json.dumps((self.shape, self.value_type)).encode()

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type, serialized):  # pragma: no cover - never registered
        shape, dtype = json.loads(serialized)
        return cls(len(shape), tuple(shape), dtype, storage_type)


def _has_array(feature: Any) -> bool:
    if isinstance(feature, _ArrayND):
        return True
    if isinstance(feature, dict):
        return any(_has_array(v) for v in feature.values())
    if isinstance(feature, (List, LargeList)):
        return _has_array(feature.feature)
    return False


def _wrap_arrays(array: pa.Array, feature: Any) -> pa.Array:
    """``array`` with every Array2D..5D part (at any depth) wrapped in HF's extension type."""
    if not _has_array(feature):
        return array
    mask = array.is_null() if array.null_count else None
    if isinstance(feature, _ArrayND):
        return pa.ExtensionArray.from_storage(_HFArrayType(feature.ndims, feature.shape, feature.dtype, array.type),
                                              array)
    if isinstance(feature, dict):
        children = [_wrap_arrays(array.field(name), sub) for name, sub in feature.items()]
        fields = [pa.field(name, child.type) for name, child in zip(feature, children)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=mask)
    t = array.type
    if pa.types.is_fixed_size_list(t):
        return pa.FixedSizeListArray.from_arrays(_wrap_arrays(array.flatten(), feature.feature), t.list_size,
                                                 mask=mask)
    cls = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray
    return cls.from_arrays(array.offsets, _wrap_arrays(array.values, feature.feature), mask=mask)


def to_disk_table(table: pa.Table, features: dict) -> pa.Table:
    """``table`` as written to disk: Array2D..5D parts wrapped in HF's extension types, at any depth."""
    if not any(_has_array(f) for f in features.values()):
        return table
    columns, fields = [], []
    for fld, col in zip(table.schema, table.columns):
        feat = features.get(fld.name)
        if feat is not None and _has_array(feat):
            chunks = [_wrap_arrays(c, feat) for c in col.chunks]
            if chunks:
                col = pa.chunked_array(chunks, type=chunks[0].type)
            else:
                col = pa.chunked_array([], type=_wrap_arrays(pa.array([], type=col.type), feat).type)
        columns.append(col)
        fields.append(pa.field(fld.name, col.type, fld.nullable))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=table.schema.metadata))
