"""The ``parquet`` builder: row groups streamed as record batches.

Options: ``columns`` [None: all columns; or a list to read only those]; ``batch_size``
[65,536 rows per batch].

Example:
    >>> import arrowdata, tempfile, os, pyarrow as pa, pyarrow.parquet as pq
    >>> p = os.path.join(tempfile.mkdtemp(), "a.parquet"); pq.write_table(pa.table({"x": [1, 2]}), p)
    >>> arrowdata.load_dataset("parquet", data_files=p, split="train")["x"]
    [1, 2]
"""
from __future__ import annotations

from typing import Any, Iterator

import pyarrow as pa

from ..errors import CorruptFileError, DataFileError
from .builder import Builder, register_builder
from .compression import compression_of
from .files import DataFile


@register_builder
class ParquetBuilder(Builder):
    name = "parquet"
    extensions = (".parquet", ".pq", ".parq")
    defaults: dict[str, Any] = {"columns": None, "batch_size": 65_536}

    def validate(self) -> None:
        cols = self.options["columns"]
        if cols is not None:
            if isinstance(cols, str) or not all(isinstance(c, str) for c in cols):
                raise ValueError(f"parquet option columns must be a list of column names, got {cols!r}")
            self.options["columns"] = list(cols)

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.RecordBatch]:
        import pyarrow.parquet as pq


        # A local, uncompressed file is memory-mapped and read in place (pre-buffering it would copy
        # each row group's column chunks first); others go through a file object, pre-buffered.
        native = f.is_local and compression_of(f.path) is None
        stream = pa.memory_map(f.path) if native else f.open()
        try:
            try:
                pf = pq.ParquetFile(stream, pre_buffer=not native)
            except (pa.ArrowInvalid, OSError) as e:
                raise CorruptFileError(f"{f.url}: not a readable Parquet file ({e})") from None
            cols = self.options["columns"]
            if cols is not None:
                missing = [c for c in cols if c not in pf.schema_arrow.names]
                if missing:
                    raise DataFileError(f"no such column (the file has {pf.schema_arrow.names})",
                                        path=f.url, column=missing[0])
            if pf.metadata.num_rows == 0:
                yield pf.schema_arrow.empty_table() if cols is None else pf.schema_arrow.empty_table().select(cols)
                return
            try:
                yield from pf.iter_batches(batch_size=self.options["batch_size"], columns=cols)
            except (pa.ArrowInvalid, OSError) as e:
                raise CorruptFileError(f"{f.url}: corrupt Parquet data ({e})") from None
        finally:
            stream.close()
