"""Streaming, atomic Arrow writers.

Rows arrive in batches and go straight to disk, so memory stays bounded whatever
the size of the output. The file is written under a temporary name in the same
folder and renamed into place only when complete: a reader never sees a
half-written file, and a killed writer leaves only a ``*.tmp-*`` file that
:func:`arrowdata.cache` cleanup removes later.

Files are Arrow IPC *stream* format, the layout Hugging Face ``datasets`` uses
for ``data-0000i-of-0000N.arrow`` shards, so folders stay interchangeable.

Example:
    >>> import pyarrow as pa, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.arrow")
    >>> with ArrowWriter(path) as w:
    ...     w.write(pa.table({"a": [1, 2]}))
    >>> os.path.exists(path)
    True
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

TMP_MARKER = ".tmp-"


def temp_path_for(path: str | os.PathLike) -> Path:
    """A unique sibling of ``path`` to write to before the final rename."""
    path = Path(path)
    return path.with_name(f"{path.name}{TMP_MARKER}{os.getpid()}-{uuid.uuid4().hex[:8]}")


def is_temp_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an unfinished file left by a writer (never a result)."""
    return TMP_MARKER in Path(path).name


class ArrowWriter:
    """Write record batches to an Arrow IPC stream file, atomically.

    Args:
        path: final file name; it appears only when :meth:`close` succeeds.
        schema: the schema; when omitted, taken from the first batch written.
        metadata: schema metadata to set (e.g. serialized features); merged into the schema.

    Use as a context manager: on an exception the temporary file is removed and
    nothing appears at ``path``.
    """

    def __init__(self, path: str | os.PathLike, schema: pa.Schema | None = None,
                 metadata: dict[str | bytes, str | bytes] | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temp_path_for(self.path)
        self._metadata = metadata
        self._schema = self._with_metadata(schema) if schema is not None else None
        self._sink: Any = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.num_rows = 0
        self.num_bytes = 0

    def _with_metadata(self, schema: pa.Schema) -> pa.Schema:
        if not self._metadata:
            return schema
        merged = dict(schema.metadata or {})
        merged.update({k.encode() if isinstance(k, str) else k: v.encode() if isinstance(v, str) else v
                       for k, v in self._metadata.items()})
        return schema.with_metadata(merged)

    @property
    def schema(self) -> pa.Schema | None:
        return self._schema

    def _open(self, schema: pa.Schema) -> None:
        self._schema = self._with_metadata(schema)
        self._sink = pa.OSFile(str(self._tmp), "wb")
        self._writer = pa.ipc.new_stream(self._sink, self._schema)

    def write(self, data: pa.Table | pa.RecordBatch) -> None:
        """Append a table or record batch; its columns must match the schema."""
        if self._writer is None:
            self._open(self._schema if self._schema is not None else data.schema)
        if data.schema != self._schema:
            data = data.cast(self._schema) if data.schema.names == self._schema.names else data.select(
                self._schema.names).cast(self._schema)
        if isinstance(data, pa.RecordBatch):
            self._writer.write_batch(data)
        else:
            self._writer.write_table(data)
        self.num_rows += data.num_rows
        self.num_bytes += data.nbytes

    def close(self) -> Path:
        """Finish the file and rename it into place; returns the final path."""
        if self._writer is None:
            if self._schema is None:
                raise ValueError(f"nothing was written to {self.path} and no schema was given")
            self._open(self._schema)
        self._writer.close()
        self._sink.close()
        os.replace(self._tmp, self.path)
        self._writer = None
        return self.path

    def abort(self) -> None:
        """Drop the temporary file; nothing appears at ``path``."""
        try:
            if self._writer is not None:
                self._writer.close()
                self._sink.close()
        except Exception:  # the file is being thrown away anyway
            pass
        self._writer = None
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "ArrowWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
