"""Exports: Parquet, JSON Lines, CSV files and pandas/polars/Python objects.

File exports stream the dataset in batches (memory stays bounded) and, for local paths,
write a temporary file renamed into place when complete, so a failed export never leaves
a half-written file. Paths may be any fsspec URL; ``storage_options`` go to fsspec.

Example:
    >>> import tempfile, os
    >>> from arrowdata import Dataset
    >>> ds = Dataset.from_dict({"a": [1, 2], "b": ["x", "y"]})
    >>> p = os.path.join(tempfile.mkdtemp(), "out.jsonl")
    >>> _ = ds.to_json(p)
    >>> open(p).read().splitlines()
    ['{"a":1,"b":"x"}', '{"a":2,"b":"y"}']
"""
from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import decimal
import json
import os
from typing import IO, Any, Iterator

import pyarrow as pa

from .dataset_core import DatasetCore
from .errors import ArrowDataError
from .features import schema_metadata
from .features.json_values import decode_columns, decode_rows, decode_values, json_features
from .filesystems import is_local, url_to_fs
from .writer import temp_path_for

DEFAULT_BATCH_SIZE = 10_000
# Parquet readers work best with large row groups; aim for about this many bytes each.
PARQUET_ROW_GROUP_BYTES = 100 << 20


@contextlib.contextmanager
def _open_output(path_or_buf: str | os.PathLike | IO, mode: str, storage_options: dict | None) -> Iterator[IO]:
    """A writable file: a temp sibling renamed on success for local paths, fsspec for URLs."""
    if hasattr(path_or_buf, "write"):
        yield path_or_buf
        return
    fs, fs_path = url_to_fs(path_or_buf, storage_options)
    if is_local(fs):
        os.makedirs(os.path.dirname(os.path.abspath(fs_path)) or ".", exist_ok=True)
        tmp = temp_path_for(fs_path)
        try:
            with open(tmp, mode) as f:
                yield f
            os.replace(tmp, fs_path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return
    with fs.open(fs_path, mode) as f:
        yield f


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _polars_writes_exactly(t: pa.DataType) -> bool:
    """Types polars' NDJSON writer renders exactly as ``json.dumps`` would (shortest round-trip floats)."""
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t) or pa.types.is_null(t):
        return not pa.types.is_float16(t)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _polars_writes_exactly(t.value_type)
    if pa.types.is_struct(t):
        return all(_polars_writes_exactly(f.type) for f in t)
    return False


def _json_lines(table: pa.Table, ensure_ascii: bool) -> bytes:
    """One batch as JSON Lines: polars' native writer when it is exact and available, else json.dumps."""
    if not ensure_ascii and all(_polars_writes_exactly(f.type) for f in table.schema):
        try:
            import io

            import polars as pl
        except ImportError:
            pass
        else:
            buf = io.BytesIO()
            pl.from_arrow(table, rechunk=False).write_ndjson(buf)
            return buf.getvalue()
    rows = [json.dumps(r, ensure_ascii=ensure_ascii, default=_json_default, separators=(",", ":"))
            for r in table.to_pylist()]
    return ("\n".join(rows) + "\n").encode("utf-8") if rows else b""



def _decoded_pandas(table: Any, features: Any) -> Any:
    """``table.to_pandas()`` with ``Json`` columns as Python objects (HF does the same)."""
    df = table.to_pandas()
    for name, feature in json_features(features).items():
        if name in df.columns:
            df[name] = decode_values(table.column(name).to_pylist(), feature)
    return df

class ExportOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: to_parquet, to_json, to_csv, to_pandas, to_polars, to_dict, to_list."""

    def _logical_table(self) -> pa.Table:
        if self._indices is None:
            return self._table
        batches = list(self.iter_arrow(DEFAULT_BATCH_SIZE))
        return pa.concat_tables(batches) if batches else self._table.slice(0, 0)

    def _rows_for_bytes(self, target: int) -> int:
        """How many rows make about ``target`` bytes (at least 1000)."""
        per_row = self._table.nbytes / max(1, self._table.num_rows)
        return max(1000, int(target / max(per_row, 1)))

    def to_iterable_dataset(self, num_shards: int = 1) -> Any:
        """This dataset as an :class:`arrowdata.streaming.IterableDataset` of ``num_shards``
        contiguous shards (zero-copy over the same table; shards let DataLoader workers split it).

        Example:
            >>> from arrowdata import Dataset
            >>> ids = Dataset.from_dict({"a": [1, 2, 3]}).to_iterable_dataset(num_shards=3)
            >>> ids.n_shards, [r["a"] for r in ids]
            (3, [1, 2, 3])
        """
        from .streaming import IterableDataset

        ids = IterableDataset.from_table(self._table, indices=self._indices, num_shards=num_shards,
                                         features=self.features, split=self.split)
        return ids if self._format.is_default else ids.with_format(self._format.type, self._format.columns,
                                                                   self._format.output_all_columns,
                                                                   **self._format.kwargs)

    def to_pandas(self, batch_size: int | None = None, batched: bool = False) -> Any:
        """A pandas DataFrame (or, with ``batched=True``, an iterator of DataFrames).

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"a": [1, 2]}).to_pandas()["a"].tolist()
            [1, 2]
        """
        if batched:
            return (_decoded_pandas(t, self.features) for t in self.iter_arrow(batch_size or DEFAULT_BATCH_SIZE))
        return _decoded_pandas(self._logical_table(), self.features)

    def to_polars(self, batch_size: int | None = None, batched: bool = False, **kwargs: Any) -> Any:
        """A polars DataFrame (or an iterator of them with ``batched=True``).

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"a": [1, 2]}).to_polars().shape
            (2, 1)
        """
        import polars as pl

        if batched:
            return (pl.from_arrow(t, **kwargs) for t in self.iter_arrow(batch_size or DEFAULT_BATCH_SIZE))
        return pl.from_arrow(self._logical_table(), **kwargs)

    def to_dict(self, batch_size: int | None = None, batched: bool = False) -> Any:
        """``{column: list}`` (or an iterator of them with ``batched=True``).

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"a": [1, 2]}).to_dict()
            {'a': [1, 2]}
        """
        found = json_features(self.features)
        if batched:
            return (decode_columns(t.to_pydict(), found) for t in self.iter_arrow(batch_size or DEFAULT_BATCH_SIZE))
        with self._damage_named():
            return decode_columns(self._logical_table().to_pydict(), found)

    def to_list(self) -> list[dict[str, Any]]:
        """Rows as a list of dicts.

        Example:
            >>> from arrowdata import Dataset
            >>> Dataset.from_dict({"a": [1, 2]}).to_list()
            [{'a': 1}, {'a': 2}]
        """
        with self._damage_named():
            return decode_rows(self._logical_table().to_pylist(), json_features(self.features))

    def to_parquet(self, path_or_buf: str | os.PathLike | IO, batch_size: int | None = None,
                   storage_options: dict | None = None, **parquet_writer_kwargs: Any) -> int:
        """Write a Parquet file, streamed in batches; returns the number of bytes written.

        Each batch is one row group: ``batch_size`` rows, by default about 100 MB of data.

        ``parquet_writer_kwargs`` go to ``pyarrow.parquet.ParquetWriter`` (e.g. ``compression="zstd"``).
        The features are kept in the schema metadata, so ``load_dataset("parquet")`` restores them.

        Example:
            >>> import tempfile, os
            >>> from arrowdata import Dataset
            >>> p = os.path.join(tempfile.mkdtemp(), "a.parquet")
            >>> Dataset.from_dict({"a": [1, 2]}).to_parquet(p) > 0
            True
        """
        import pyarrow.parquet as pq


        schema = self._table.schema.with_metadata({**(self._table.schema.metadata or {}),
                                                   **schema_metadata(self.features)})
        with _open_output(path_or_buf, "wb", storage_options) as f:
            start = f.tell() if hasattr(f, "tell") else 0
            with pq.ParquetWriter(f, schema, **parquet_writer_kwargs) as writer:
                for table in self.iter_arrow(batch_size or self._rows_for_bytes(PARQUET_ROW_GROUP_BYTES)):
                    writer.write_table(table.replace_schema_metadata(schema.metadata), row_group_size=table.num_rows)
            return (f.tell() - start) if hasattr(f, "tell") else 0

    def to_json(self, path_or_buf: str | os.PathLike | IO, batch_size: int | None = None, lines: bool = True,
                storage_options: dict | None = None, ensure_ascii: bool = False) -> int:
        """Write JSON Lines (one object per row; ``lines=False`` writes one JSON array); returns bytes written.

        Values are written exactly (no float rounding); bytes as base64, dates/times as ISO 8601.
        """
        written = 0
        with _open_output(path_or_buf, "wb", storage_options) as f:
            if not lines:
                f.write(b"[")
                written += 1
            first = True
            for table in self.iter_arrow(batch_size or DEFAULT_BATCH_SIZE):
                data = _json_lines(table, ensure_ascii)
                if not data:
                    continue
                if not lines:
                    data = (b"" if first else b",") + data.rstrip(b"\n").replace(b"\n", b",")
                first = False
                f.write(data)
                written += len(data)
            if not lines:
                f.write(b"]")
                written += 1
        return written

    def to_csv(self, path_or_buf: str | os.PathLike | IO, batch_size: int | None = None,
               storage_options: dict | None = None, include_header: bool = True, delimiter: str = ",") -> int:
        """Write CSV (Arrow's streaming writer); returns bytes written. Nested columns are refused.

        Example:
            >>> import io
            >>> from arrowdata import Dataset
            >>> buf = io.BytesIO(); _ = Dataset.from_dict({"a": [1]}).to_csv(buf); buf.getvalue()
            b'"a"\\n1\\n'
        """
        import pyarrow.csv as pacsv

        for fld in self._table.schema:
            if pa.types.is_nested(fld.type):
                raise ArrowDataError(f"to_csv: column {fld.name!r} is nested ({fld.type}); CSV holds flat values. "
                                     "Use flatten(), remove_columns(), or to_json()/to_parquet()")
        with _open_output(path_or_buf, "wb", storage_options) as f:
            start = f.tell() if hasattr(f, "tell") else 0
            options = pacsv.WriteOptions(include_header=include_header, delimiter=delimiter)
            with pacsv.CSVWriter(f, self._table.schema.remove_metadata(), write_options=options) as writer:
                for table in self.iter_arrow(batch_size or DEFAULT_BATCH_SIZE):
                    writer.write_table(table.replace_schema_metadata(None))
            return (f.tell() - start) if hasattr(f, "tell") else 0
