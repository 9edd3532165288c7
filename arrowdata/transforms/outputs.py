"""What a ``map`` function may return, turned into Arrow, merged with its input, and written.

A function may return a dict (of lists, NumPy arrays, Arrow arrays, tensors...), ``None``
(side effects only), a ``pyarrow.Table``/``RecordBatch``, or a pandas/polars DataFrame.
:func:`to_table` turns any of them into a ``pyarrow.Table``; :func:`merge` lays the output
over the input batch the way Hugging Face ``datasets`` does (returned columns replace
input columns of the same name in place, new ones are appended, ``remove_columns`` go);
:class:`OutputSink` streams the merged batches to an :class:`~arrowdata.writer.ArrowWriter`
(or keeps them in memory), reconciling a schema that changes between batches.

Example:
    >>> import pyarrow as pa
    >>> merge(pa.table({"a": [1, 2], "b": [3, 4]}), to_table({"c": [5, 6]}, "map"), ["b"], "map").column_names
    ['a', 'c']
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import ColumnLengthError, TransformError
from ..features.compact import compact_token_column
from ..features.json_values import encode_values, has_struct, mixed_keys
from ..features.serialization import SCHEMA_METADATA_KEY, features_json_from_metadata
from ..features.types import Json
from ..writer import ArrowWriter

logger = logging.getLogger(__name__)


def _ndarray_to_arrow(arr: np.ndarray, type_: pa.DataType | None) -> pa.Array:
    if arr.ndim <= 1 or arr.dtype == object:
        return pa.array(arr if arr.ndim <= 1 else list(arr), type=type_)
    # n-d numeric: nested lists built from offsets over one flat buffer (no per-row Python).
    values = pa.array(np.ascontiguousarray(arr).reshape(-1))
    for depth in range(arr.ndim - 1, 0, -1):
        width = arr.shape[depth]
        count = int(np.prod(arr.shape[:depth]))
        offsets = pa.array(np.arange(0, (count + 1) * width, width, dtype=np.int32))
        values = pa.ListArray.from_arrays(offsets, values)
    return values.cast(type_) if type_ is not None and values.type != type_ else values


def to_arrow_column(values: Any, name: str, type_: pa.DataType | None = None) -> pa.Array | pa.ChunkedArray:
    """One returned column as Arrow: lists, NumPy arrays, Arrow arrays, tensors, Series."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values if type_ is None or values.type == type_ else values.cast(type_)
    if isinstance(values, np.ndarray):
        return _ndarray_to_arrow(values, type_)
    module = type(values).__module__.split(".")[0]
    if module == "pandas" and hasattr(values, "dtype"):
        return to_arrow_column(pa.Array.from_pandas(values), name, type_)
    if module == "polars" and hasattr(values, "to_arrow"):
        return to_arrow_column(values.to_arrow(), name, type_)
    if hasattr(values, "__array__") and not isinstance(values, (list, tuple)):
        return _ndarray_to_arrow(_as_ndarray(values), type_)
    try:
        return pa.array(values, type=type_)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as e:
        # Per-row tensors (torch, TF, JAX), n-d arrays, or containers of them: convert, then retry.
        try:
            return _values_to_arrow(values, type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            pass
        raise TransformError(f"column {name!r}: cannot store the returned values as Arrow ({e})") from e


def _as_ndarray(value: Any) -> np.ndarray:
    """A tensor (torch, TensorFlow, JAX) or array-like as NumPy, leaving autograd and the device first."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
    elif hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()  # TensorFlow eager tensors
    return np.asarray(value)


def _plain(value: Any) -> Any:
    """``value`` with tensors turned into NumPy scalars/arrays (recursively); what ``pa.array`` takes."""
    if value is None or isinstance(value, (str, bytes, bool, int, float, np.generic)):
        return value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__array__"):
        arr = _as_ndarray(value)
        if arr.ndim == 0:
            return arr[()]
        return arr if arr.ndim == 1 else [_plain(a) for a in arr]
    return value


def _values_to_arrow(values: Any, type_: pa.DataType | None) -> pa.Array:
    """One value per row, some of them tensors or arrays: a list array built from their buffers when they
    are all arrays of one dtype and rank (dtype kept, as HF does), else through :func:`_plain`."""
    values = list(values)
    arrays = [None if v is None else _as_ndarray(v) if hasattr(v, "__array__") and not isinstance(v, (list, tuple))
              else v for v in values]
    present = [a for a in arrays if a is not None]
    if present and all(isinstance(a, np.ndarray) and a.ndim >= 1 and a.dtype != object for a in present) and \
            len({(a.dtype, a.ndim) for a in present}) == 1:
        lengths = np.array([0 if a is None else len(a) for a in arrays], dtype=np.int64)
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32))
        inner = pa.concat_arrays([_ndarray_to_arrow(a, None) for a in present])
        mask = pa.array([a is None for a in arrays]) if len(present) < len(arrays) else None
        out = pa.ListArray.from_arrays(offsets, inner, mask=mask)
        return out if type_ is None or out.type == type_ else out.cast(type_)
    if present and all(isinstance(a, np.ndarray) and a.ndim == 0 for a in present):
        return pa.array([None if a is None else a[()] for a in arrays], type=type_)
    return pa.array([_plain(v) for v in values], type=type_)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__array__") and not isinstance(value, (str, bytes)):
        return _as_ndarray(value).tolist()
    return value


def _plain_list(values: Any) -> list:
    """A returned column as a list of plain Python values (for JSON encoding)."""
    if hasattr(values, "__array__") and not isinstance(values, (list, tuple)):
        return _as_ndarray(values).tolist()
    return [_jsonable(v) for v in values]


def to_table(output: Any, where: str, types: dict[str, pa.DataType] | None = None,
             compact: bool = True, json: dict[str, Any] | None = None,
             mixed_as_json: set[str] | None = None) -> pa.Table | None:
    """The function's return value as a ``pyarrow.Table`` (``None`` stays ``None``).

    With ``compact``, tokenizer columns built from Python/NumPy values get small integer types
    (:func:`arrowdata.features.compact.compact_token_column`), as HF ``datasets`` stores them.
    Columns named in ``json`` (name → feature holding ``Json``) are JSON-encoded first; with
    ``mixed_as_json`` (a set), a column whose values mix types is stored as JSON text and its
    name added to the set (HF's ``on_mixed_types="use_json"``).
    """
    if output is None:
        return None
    written = getattr(output, "_written", None)
    if isinstance(written, dict) and hasattr(output, "_table"):
        # The function returned the (lazy) batch it was given: only what it wrote is new.
        output = written
    if isinstance(output, pa.Table):
        return output
    if isinstance(output, pa.RecordBatch):
        return pa.Table.from_batches([output])
    module = type(output).__module__.split(".")[0]
    if module == "pandas" and hasattr(output, "columns"):
        return pa.Table.from_pandas(output, preserve_index=False)
    if module == "polars" and hasattr(output, "to_arrow"):
        return output.to_arrow()
    if isinstance(output, dict) or hasattr(output, "keys") and hasattr(output, "__getitem__"):
        types = types or {}
        columns = {}
        json = json or {}
        for k in output.keys():
            name, values = str(k), output[k]
            if name in json and not isinstance(values, (pa.Array, pa.ChunkedArray)):
                values = encode_values(_plain_list(values), json[name])
            try:
                column = to_arrow_column(values, name, types.get(name))
                mixed = mixed_as_json is not None and name not in types and has_struct(column.type) and \
                    mixed_keys(values)
            except TransformError:
                if mixed_as_json is None or name in types:
                    raise
                mixed = True
            if mixed:
                column = pa.array(encode_values(_plain_list(values), Json()), pa.string())
                mixed_as_json.add(name)
            if compact and name not in types and not isinstance(values, (pa.Array, pa.ChunkedArray)):
                column = compact_token_column(name, column)
            columns[name] = column
        lengths = {k: len(v) for k, v in columns.items()}
        if len(set(lengths.values())) > 1:
            raise TransformError(f"{where}: the returned columns have different lengths {lengths}")
        return pa.table(columns) if columns else None
    raise TransformError(f"{where}: the function returned a {type(output).__name__}; return a dict, None, a "
                         "pyarrow Table or RecordBatch, or a pandas or polars DataFrame")


def is_table_output(output: Any) -> bool:
    """Whether ``output`` is a whole table (Arrow, pandas, polars): it then replaces the rows, as in HF.

    A ``RecordBatch`` (which HF does not accept) is columns to lay over the input, like a dict.
    """
    if isinstance(output, pa.Table):
        return True
    return type(output).__module__.split(".")[0] in ("pandas", "polars") and hasattr(output, "columns")


def merge(inputs: pa.Table, output: pa.Table | None, remove_columns: list[str], where: str) -> pa.Table:
    """``output`` laid over ``inputs``: same-named columns replaced in place, new ones appended."""
    # Names through ``schema.names`` and looked up in sets: ``column_names`` costs a microsecond a
    # call, which adds up over a thousand small batches.
    in_names = inputs.schema.names
    if output is None:
        return inputs.select([c for c in in_names if c not in remove_columns] if remove_columns else in_names)
    out_names = output.schema.names
    out_set = set(out_names)
    # A removed column that the function returns keeps its input position, as in HF (run_glue's
    # `label` stays first after `remove_columns=column_names`).
    kept = [c for c in in_names if c not in remove_columns or c in out_set] if remove_columns else in_names
    kept_set = set(kept)
    passthrough = [c for c in kept if c not in out_set]
    names = [*kept, *[c for c in out_names if c not in kept_set]]
    if not passthrough:
        # Every column comes from the output, so it may have any number of rows.
        return output.select(names)
    if output.num_rows != inputs.num_rows:
        raise ColumnLengthError(
            f"{where}: Column lengths mismatch: the function returned {output.num_rows} rows for a batch of "
            f"{inputs.num_rows} (input column {passthrough[0]!r} expected length {output.num_rows} but got length "
            f"{inputs.num_rows}); a function that changes the number of rows must remove the input columns it "
            f"does not return: remove_columns={passthrough!r}")
    if kept is in_names and not out_set & kept_set and len(kept_set) == len(kept) and len(out_set) == len(out_names):
        # The common case, only new columns: all inputs then all outputs, in order (same table as below).
        return pa.Table.from_arrays(inputs.columns + output.columns, names=names)
    columns = [output.column(c) if c in out_set else inputs.column(c) for c in names]
    return pa.Table.from_arrays(columns, names=names)


def append_arrow(inputs: pa.Table, output: Any) -> pa.Table | None:
    """``merge(inputs, to_table(output), [], ...)`` for the commonest vectorized output, or ``None``.

    That output is a dict of new Arrow columns with one value per input row: the merged table is
    then built in one step, without the intermediate table or any name lookups, which matters
    at a thousand small batches. ``None`` for anything else, which takes the general path (and
    gets its checks and error messages).
    """
    if type(output) is not dict or not output:
        return None
    names = inputs.schema.names
    n = inputs.num_rows
    for key, values in output.items():
        if type(key) is not str or key in names or not isinstance(values, (pa.Array, pa.ChunkedArray)) \
                or len(values) != n:
            return None
    if len(set(names)) != len(names):
        return None  # duplicate input names: the general path reports them
    return pa.Table.from_arrays(inputs.columns + list(output.values()), names=names + list(output))


def part_schema(schemas: list[pa.Schema]) -> pa.Schema | None:
    """The one schema the outputs of several workers are stored under, or ``None`` when they agree.

    Types are unified (a column all null in one part takes the others' type); a column's stored
    feature is kept only when every part recorded the same one (a rewritten ``ClassLabel`` column
    that fit in one worker's rows but not another's is then inferred, never mislabelled).
    """
    stored = [features_json_from_metadata(s.metadata) or {} for s in schemas]
    agreed = {k: v for k, v in stored[0].items() if all(other.get(k) == v for other in stored[1:])}
    same_types = all(s.equals(schemas[0], check_metadata=False) for s in schemas)
    if same_types and all(other == stored[0] for other in stored[1:]):
        return None
    unified = schemas[0] if same_types else pa.unify_schemas(schemas, promote_options="permissive")
    metadata = dict(schemas[0].metadata or {})
    if SCHEMA_METADATA_KEY in metadata:
        metadata[SCHEMA_METADATA_KEY] = json.dumps({"info": {"features": agreed}}).encode()
    return unified.with_metadata(metadata)


#: Small output batches are gathered into record batches of about this size before writing: a
#: cache hit reads one header per record batch, so fewer, larger batches keep hits cheap at any
#: size, while memory stays bounded by this much.
TARGET_BATCH_BYTES = 16 << 20


class OutputSink:
    """Collects merged batches into a file (``path``) or in memory (``path=None``).

    Written record batches hold at least the rows of one function output and are grown up
    to :data:`TARGET_BATCH_BYTES` from consecutive small outputs.

    The schema is fixed by the first batch; a later batch whose types differ (e.g. a
    column that was all ``None`` at first) is cast to it, or, when that fails, the
    schemas are unified and what was written so far is rewritten under the wider one.
    """

    def __init__(self, path: str | Path | None, metadata: dict[bytes, bytes] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.metadata = metadata
        self.num_rows = 0
        #: Names of the columns the function returned (as opposed to passed-through inputs).
        self.returned_columns: set[str] = set()
        #: Returned columns that kept their input feature (``try_original_type``); ``None`` before the first batch.
        self.kept_columns: set[str] | None = None
        #: Returned columns stored as JSON text because their values mix types (``on_mixed_types="use_json"``).
        self.json_columns: set[str] = set()
        self._writer: ArrowWriter | None = None
        self._tables: list[pa.Table] = []
        self._pending: list[pa.Table] = []
        self._pending_bytes = 0.0
        self._row_bytes: float | None = None
        self._schema: pa.Schema | None = None

    @property
    def schema(self) -> pa.Schema | None:
        return self._schema

    def write(self, table: pa.Table, where: str) -> None:
        schema = table.schema  # one wrapper per batch: each ``table.schema`` builds a new one
        if self._schema is None:
            self._start(schema)
        elif schema.names != self._schema.names:
            if sorted(schema.names) != sorted(self._schema.names):
                raise TransformError(f"{where}: the function returned columns {table.column_names}, but earlier "
                                     f"batches returned {self._schema.names}; return the same columns every time")
            table = table.select(self._schema.names)
            schema = table.schema
        if not schema.equals(self._schema, check_metadata=False):
            try:
                table = table.cast(self._schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                self._widen(table.schema, where)
                table = table.cast(self._schema)
        # Metadata is set once per written batch (in _flush), not per function output.
        if self._writer is not None:
            if self._row_bytes is None:  # measured once: nbytes on every small output costs more than it saves
                self._row_bytes = table.nbytes / max(table.num_rows, 1)
            self._pending.append(table)
            self._pending_bytes += table.num_rows * self._row_bytes
            if self._pending_bytes >= TARGET_BATCH_BYTES:
                self._flush()
        else:
            self._tables.append(table.replace_schema_metadata(self._schema.metadata))
        self.num_rows += table.num_rows

    def _flush(self) -> None:
        if not self._pending:
            return
        if len(self._pending) == 1:
            table = self._pending[0]
        else:
            table = pa.concat_tables([t.replace_schema_metadata(None) for t in self._pending]).combine_chunks()
            self._row_bytes = table.nbytes / max(table.num_rows, 1)
        self._writer.write(table.replace_schema_metadata(self._schema.metadata))
        self._pending, self._pending_bytes = [], 0

    def _start(self, schema: pa.Schema) -> None:
        meta = {**(schema.metadata or {}), **(self.metadata or {})}
        self._schema = schema.with_metadata(meta) if meta else schema.remove_metadata()
        if self.path is not None:
            self._writer = ArrowWriter(self.path, schema=self._schema)

    def _widen(self, other: pa.Schema, where: str) -> None:
        try:
            wider = pa.unify_schemas([self._schema, other], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise TransformError(f"{where}: the function returned types {other} that do not fit the types of "
                                 f"earlier batches {self._schema} ({e}); pass features= to fix the types") from e
        wider = wider.with_metadata(self._schema.metadata)
        logger.debug("%s: widening output schema to %s", where, wider)
        self._schema = wider
        if self._writer is None:
            self._tables = [t.cast(wider) for t in self._tables]
            return
        self._pending = [t.cast(wider) for t in self._pending]
        self._rewrite()

    def _rewrite(self) -> None:
        """Rare: copy what is on disk so far under the current schema, batch by batch."""
        done = self._writer.close()
        self._writer = ArrowWriter(self.path, schema=self._schema)
        with pa.memory_map(str(done)) as source:
            for batch in pa.ipc.open_stream(source):
                self._writer.write(pa.Table.from_batches([batch]).cast(self._schema))

    def replace_metadata(self, metadata: dict[bytes, bytes]) -> None:
        """New schema metadata (the features changed after the first batch); what was written is rewritten."""
        self._schema = self._schema.with_metadata({**(self._schema.metadata or {}), **metadata})
        if self._writer is None:
            self._tables = [t.replace_schema_metadata(self._schema.metadata) for t in self._tables]
        else:
            self._rewrite()

    def finish(self) -> pa.Table | Path | None:
        """Close the file and return its path, or the in-memory table; ``None`` if nothing came."""
        if self._schema is None:
            return None
        if self._writer is not None:
            self._flush()
            return self._writer.close()
        return pa.concat_tables(self._tables) if self._tables else self._schema.empty_table()

    def abort(self) -> None:
        self._pending = []
        if self._writer is not None:
            self._writer.abort()
        self._tables = []
