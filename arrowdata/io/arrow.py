"""The ``arrow`` builder: Arrow IPC files, in the stream format (Hugging Face ``datasets``
shards) or the file format (Feather v2 / ``pa.ipc.new_file``); the format is detected.

Options: ``columns`` [None: all columns; or a list to keep only those].

Example:
    >>> import arrowdata, tempfile, os, pyarrow as pa
    >>> p = os.path.join(tempfile.mkdtemp(), "a.arrow")
    >>> with pa.OSFile(p, "wb") as sink, pa.ipc.new_stream(sink, pa.schema([("x", pa.int64())])) as w:
    ...     w.write_table(pa.table({"x": [1, 2]}))
    >>> arrowdata.load_dataset("arrow", data_files=p, split="train")["x"]
    [1, 2]
"""
from __future__ import annotations

import io
from typing import Any, Iterator

import pyarrow as pa

from ..errors import CorruptFileError, DataFileError
from .builder import Builder, register_builder
from .files import DataFile

_FILE_MAGIC = b"ARROW1"


@register_builder
class ArrowBuilder(Builder):
    name = "arrow"
    extensions = (".arrow", ".feather", ".ipc")
    defaults: dict[str, Any] = {"columns": None}

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.RecordBatch]:
        stream = f.open()
        try:
            if not hasattr(stream, "peek"):
                stream = io.BufferedReader(stream, 1 << 20)
            try:
                if stream.peek(6)[:6] == _FILE_MAGIC:
                    # the file format needs random access; a compressed one is read into memory
                    source = stream if stream.seekable() else pa.BufferReader(stream.read())
                    reader = pa.ipc.open_file(source)
                    batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
                    file_schema = reader.schema
                else:
                    reader = pa.ipc.open_stream(stream)
                    batches = iter(reader)
                    file_schema = reader.schema
                cols = self.options["columns"]
                if cols is not None:
                    missing = [c for c in cols if c not in file_schema.names]
                    if missing:
                        raise DataFileError(f"no such column (the file has {file_schema.names})",
                                            path=f.url, column=missing[0])
                empty = True
                for batch in batches:
                    empty = False
                    yield batch if cols is None else batch.select(cols)
                if empty:
                    table = file_schema.empty_table()
                    yield table if cols is None else table.select(cols)
            except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as e:
                raise CorruptFileError(f"{f.url}: not a readable Arrow IPC file ({e})") from None
        finally:
            stream.close()
