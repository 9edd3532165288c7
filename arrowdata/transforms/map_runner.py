"""The inner loops of ``map`` and ``filter`` over one range of logical rows.

The same functions serve the single-process path and each worker process, so
``num_proc`` changes nothing but who runs which range. A range is read from the
memory-mapped table in batches (zero-copy slices, or vectorized gathers when the
dataset has indices), handed to the function in its ``batch_format``, and the
results go to an :class:`~arrowdata.transforms.outputs.OutputSink` (``map``) or
become kept row positions (``filter``).

Example:
    >>> import pyarrow as pa
    >>> spec = MapSpec(function=lambda b: {"y": [x * 2 for x in b["x"]]}, batched=True)
    >>> sink = OutputSink(None)
    >>> run_map(pa.table({"x": [1, 2, 3]}), None, 0, 3, spec, sink)
    True
    >>> sink.finish().column("y").to_pylist()
    [2, 4, 6]
"""
from __future__ import annotations

import gc
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..features import Features, arrow_type_of, cast_table, schema_metadata
from ..features.json_values import json_features
from ..features.retain import retain_feature
from ..features.serialization import SCHEMA_METADATA_KEY, features_json_from_metadata
from ..features.types import Json
from ..gather import take
from .async_calls import AsyncCalls, batch_window, is_async
from .batch_formats import LazyRow, RowBatches, format_batch, format_rows, python_column
from .outputs import OutputSink, TransformError, append_arrow, is_table_output, merge, to_table

#: Rows per read when the function sees one row at a time or the filter is an Arrow expression.
ROW_READ_SIZE = 1000
EXPRESSION_READ_SIZE = 1 << 20


@dataclass
class MapSpec:
    """Everything ``map``/``filter`` pass to the loops (plain values: a worker gets it by fork)."""

    function: Callable | None = None
    with_indices: bool = False
    with_rank: bool = False
    input_columns: list[str] | None = None
    batched: bool = False
    batch_size: int = 1000
    drop_last_batch: bool = False
    remove_columns: list[str] = field(default_factory=list)
    features: Any = None  # arrowdata.features.Features | None
    fn_kwargs: dict[str, Any] = field(default_factory=dict)
    batch_format: str = "python"
    writer_batch_size: int = 1000
    expression: Any = None  # a pyarrow.compute.Expression, for filter
    parent_features: Any = None  # the input's Features: kept for columns passed through unchanged
    try_original_type: bool = True  # a returned column keeps its input feature while its values fit
    on_mixed_types: str | None = "use_json"  # HF's default: a column mixing types is stored as Json
    whole_rows: bool = False  # a row returned as given counts as returning every column (HF, formatted datasets)


def read_range(table: pa.Table, indices: pa.Array | None, start: int, stop: int) -> pa.Table:
    """Logical rows ``[start, stop)``: a zero-copy slice, or a block-wise gather through ``indices``."""
    if indices is None:
        return table.slice(start, stop - start)
    positions = indices.slice(start, stop - start).to_numpy(zero_copy_only=False)
    return take(table, positions)


def iter_batches(table: pa.Table, indices: pa.Array | None, start: int, stop: int, size: int,
                 drop_last: bool = False) -> Iterator[tuple[int, pa.Table]]:
    """``(offset, batch)`` over logical rows ``[start, stop)`` in batches of ``size`` rows."""
    size = max(1, size)
    for offset in range(start, stop, size):
        end = min(offset + size, stop)
        if drop_last and end - offset < size:
            return
        yield offset, read_range(table, indices, offset, end)


def _call(spec: MapSpec, args: tuple, indices: Any, rank: int | None) -> Any:
    extra: list[Any] = []
    if spec.with_indices:
        extra.append(indices)
    if spec.with_rank:
        extra.append(rank)
    return spec.function(*args, *extra, **spec.fn_kwargs)


def _batch_indices(offset: int, n: int, batch_format: str) -> Any:
    return list(range(offset, offset + n)) if batch_format == "python" else np.arange(offset, offset + n)


def _output_types(spec: MapSpec) -> dict[str, pa.DataType] | None:
    if spec.features is None:
        return None
    return {k: arrow_type_of(v) for k, v in spec.features.items()}


def _finish_batch(spec: MapSpec, batch: pa.Table, out: Any, sink: OutputSink, where: str,
                  types: dict | None) -> bool:
    """Write one batch's result; returns whether the function returned data (not ``None``)."""
    if out is None:
        return False
    returned = sink.returned_columns
    whole = is_table_output(out)
    if whole:
        # A table (Arrow, pandas, polars) is the whole result, as in HF: no input column is merged in.
        merged = to_table(out, where)
        returned.update(merged.schema.names)
    else:
        merged = append_arrow(batch, out) if types is None and not spec.remove_columns else None
        if merged is not None:
            returned.update(out)
        else:
            mixed = sink.json_columns if spec.on_mixed_types == "use_json" else None
            table = to_table(out, where, types, json=_json_targets(spec, sink), mixed_as_json=mixed)
            if table is not None and types is None and spec.try_original_type and spec.parent_features:
                table = _retain_features(table, spec.parent_features, sink)
            merged = merge(batch, table, spec.remove_columns, where)
            if table is not None:
                returned.update(table.schema.names)
    if spec.features is not None:
        merged = cast_table(merged, spec.features)
    elif sink.schema is None:
        merged = _with_features_metadata(merged, spec.parent_features, returned - (sink.kept_columns or set()),
                                         stored=whole, json_columns=sink.json_columns)
    sink.write(merged, where)
    return True


def _retain_features(table: pa.Table, parent_features: Any, sink: OutputSink) -> pa.Table:
    """Returned columns that exist in the input keep its feature while their values fit (``try_original_type``).

    The first batch decides which columns keep theirs; a later batch whose values no longer fit
    drops that feature from the output's metadata (its column then has the inferred type).
    """
    candidates = parent_features if sink.kept_columns is None else sink.kept_columns
    names = table.schema.names
    if not any(n in candidates for n in names):
        if sink.kept_columns is None:
            sink.kept_columns = set()
        return table
    columns, kept = table.columns, set()
    for i, name in enumerate(names):
        if name in candidates:
            fitted = retain_feature(columns[i], parent_features[name], name)
            if fitted is not None:
                columns[i] = fitted
                kept.add(name)
    if sink.kept_columns is None:
        sink.kept_columns = kept
    else:
        lost = {n for n in names if n in sink.kept_columns} - kept
        if lost:
            sink.kept_columns -= lost
            if sink.schema is not None:
                sink.replace_metadata(_metadata_without(sink.schema.metadata, lost))
    return pa.Table.from_arrays(columns, names=names)


def _metadata_without(metadata: dict | None, columns: set[str]) -> dict[bytes, bytes]:
    """Stored features metadata with ``columns`` left out (they are then inferred from their Arrow type)."""
    stored = features_json_from_metadata(metadata) or {}
    kept = {k: v for k, v in stored.items() if k not in columns}
    return {SCHEMA_METADATA_KEY: json.dumps({"info": {"features": kept}}).encode()}


def _json_targets(spec: MapSpec, sink: OutputSink) -> dict[str, Any]:
    """Returned columns to JSON-encode: ``Json`` in ``features=``, else in the kept input features, plus
    the columns earlier batches had to store as JSON (mixed types)."""
    if spec.features is not None:
        return json_features(spec.features)
    found = dict(json_features(spec.parent_features)) if spec.try_original_type else {}
    found.update({name: Json() for name in sink.json_columns})
    return found


def _with_features_metadata(table: pa.Table, parent_features: Any, returned: set[str],
                            stored: bool = False, json_columns: set[str] = frozenset()) -> pa.Table:
    """Record features in the schema: the parent's for columns passed through or kept, inferred for the
    others (``stored``: the features the returned table itself records, where they fit its types)."""
    features = Features.from_arrow_schema(table.schema if stored else table.schema.remove_metadata())
    for name in features:
        if parent_features is not None and name not in returned and name in parent_features:
            features[name] = parent_features[name]
        elif name in json_columns:
            features[name] = Json()
    return table.replace_schema_metadata(schema_metadata(features))


def run_map(table: pa.Table, indices: pa.Array | None, start: int, stop: int, spec: MapSpec,
            sink: OutputSink, rank: int | None = None, progress: Callable[[int], None] | None = None) -> bool:
    """Apply ``spec.function`` to logical rows ``[start, stop)`` and write to ``sink``.

    Returns ``False`` when the function returned ``None`` (side effects only: nothing is written).
    """
    types = _output_types(spec)
    row_batches = RowBatches()
    returned_data: bool | None = None
    size = spec.batch_size if spec.batched else max(spec.writer_batch_size or ROW_READ_SIZE, 1)
    if spec.batched and (spec.batch_size is None or spec.batch_size <= 0):
        size = max(stop - start, 1)
    batches = iter_batches(table, indices, start, stop, size, spec.batched and spec.drop_last_batch)
    calls = AsyncCalls() if is_async(spec.function) else None
    try:
        for offset, batch, out in _outputs(spec, batches, rank, row_batches, calls):
            n = batch.num_rows
            where = f"map at rows {offset}..{offset + n - 1}"
            got = _finish_batch(spec, batch, out, sink, where, types)
            if returned_data is None:
                returned_data = got
            elif got != returned_data:
                raise TransformError(f"{where}: the function returned None for some batches and data for others; "
                                     "return a dict every time, or None every time for side effects only")
            if progress is not None:
                progress(n)
    finally:
        if calls is not None:
            calls.close()
    return bool(returned_data) if returned_data is not None else True


def _call_batch(spec: MapSpec, batch: pa.Table, offset: int, rank: int | None) -> Any:
    args = format_batch(batch, spec.batch_format, spec.input_columns)
    # Indices only when asked for: building them costs as much as a vectorized function's batch.
    return _call(spec, args if spec.input_columns is not None else (args,),
                 _batch_indices(offset, batch.num_rows, spec.batch_format) if spec.with_indices else None, rank)


def _outputs(spec: MapSpec, batches: Iterator[tuple[int, pa.Table]], rank: int | None, row_batches: RowBatches,
             calls: AsyncCalls | None) -> Iterator[tuple[int, pa.Table, Any]]:
    """``(offset, batch, what the function returned for it)``, in order. The calls of an ``async`` batched
    function are awaited a window of batches at a time, so they run concurrently."""
    if not spec.batched:
        for offset, batch in batches:
            yield offset, batch, _row_outputs(spec, batch, offset, rank, row_batches, calls)
        return
    if calls is None:
        for offset, batch in batches:
            yield offset, batch, _call_batch(spec, batch, offset, rank)
        return
    window: list[tuple[int, pa.Table, Any]] = []
    size = batch_window(spec.batch_size)
    for offset, batch in batches:
        window.append((offset, batch, _call_batch(spec, batch, offset, rank)))
        if len(window) >= size:
            yield from _resolved(window, calls)
            window = []
    if window:
        yield from _resolved(window, calls)


def _resolved(window: list[tuple[int, pa.Table, Any]], calls: AsyncCalls) -> Iterator[tuple[int, pa.Table, Any]]:
    results = calls.gather(c for _, _, c in window)
    for (offset, batch, _), out in zip(window, results):
        yield offset, batch, out


def _pause_gc() -> bool:
    """Pause the cyclic garbage collector for one batch of row-wise calls; returns whether to resume it.

    A batch creates thousands of short-lived dicts, which would set the collector off several
    times per batch for nothing (they hold no cycles): about a fifth of a row-wise filter's time.
    ``run_filter`` releases the rows before the collector resumes, so it does not walk them
    either; whatever cycles the function creates are collected after the batch. (Inline rather than a
    context manager: at 1000 rows a batch, its overhead shows.)
    """
    if gc.isenabled():
        gc.disable()
        return True
    return False


def _simple(spec: MapSpec) -> bool:
    """Whether the function takes just the row, so it can be called without building arguments."""
    return not (spec.with_indices or spec.with_rank or spec.fn_kwargs or spec.input_columns is not None)


def _row_outputs(spec: MapSpec, batch: pa.Table, offset: int, rank: int | None,
                 row_batches: RowBatches, calls: AsyncCalls | None = None) -> dict[str, list] | pa.Table | None:
    """Call a row-wise function on every row of ``batch``; its dicts become one batch of columns
    (tables returned per row become one table). An ``async`` function's calls run concurrently."""
    resume = _pause_gc()
    try:
        rows = format_rows(batch, spec.input_columns, batches=row_batches)
        if _simple(spec):
            outs = list(map(spec.function, rows))
        else:
            outs = [_call(spec, row if spec.input_columns is not None else (row,), offset + i, rank)
                    for i, row in enumerate(rows)]
        if calls is not None:
            outs = calls.gather(outs)
    finally:
        if resume:
            gc.enable()
    if not outs or all(o is None for o in outs):
        row_batches.release(rows)
        return None
    if is_table_output(outs[0]):
        row_batches.release(rows)
        return _row_tables(outs, offset)
    given_back = False
    for i, out in enumerate(outs):
        if out is None:
            raise TransformError(f"map at row {offset + i}: the function returned None for this row but a dict "
                                 "for others")
        if not isinstance(out, Mapping):
            raise TransformError(f"map at row {offset + i}: a row-wise function must return a dict or None, "
                                 f"got {type(out).__name__}")
        given_back = given_back or isinstance(out, LazyRow)
    if given_back:
        # Rows handed back (modified in place): the new columns are whatever some row wrote.
        keys = list(dict.fromkeys(k for out in outs for k in (
            out.written() if isinstance(out, LazyRow) and not spec.whole_rows else out)))
        if spec.remove_columns and not spec.whole_rows and all(isinstance(out, LazyRow) for out in outs):
            # The rows were handed back: remove_columns applies to them too (as HF does for its lazy rows).
            keys = [k for k in keys if k not in spec.remove_columns]
    else:
        keys = list(outs[0])
    columns: dict[str, list] = {}
    try:
        for k in keys:
            columns[k] = _plain_rows([out[k] for out in outs])
        same_keys = given_back or all(len(out) == len(keys) for out in outs)
    except KeyError:
        same_keys = False
    if not same_keys:
        columns = _ragged_columns(outs, batch, offset, rows)
    row_batches.release(rows)
    return columns


def _ragged_columns(outs: list, batch: pa.Table, offset: int, rows: list) -> dict[str, list]:
    """Rows that returned different keys: as in HF, a row's output updates its input row, so a key a row
    left out takes that row's input value as the function left it (``{}`` keeps the row, with any
    in-place change); a new column must be returned by every row."""
    keys = list(dict.fromkeys(k for out in outs for k in out))
    names = batch.schema.names
    lazy = bool(rows) and isinstance(rows[0], LazyRow)
    columns: dict[str, list] = {}
    for k in keys:
        inputs = None if k not in names else [row[k] for row in rows] if lazy else python_column(batch, k)
        values = []
        for i, out in enumerate(outs):
            if k in out:
                values.append(out[k])
            elif inputs is not None:
                values.append(inputs[i])
            else:
                raise TransformError(f"map at row {offset + i}: the function returned keys {sorted(out)} but "
                                     f"{sorted(keys)} for other rows; a new column must be returned for every row")
        columns[k] = _plain_rows(values)
    return columns


def _plain_rows(values: list) -> list:
    """A returned column with the rows of the input (lazy dicts) turned into plain dicts, so that
    ``{"copy": row}`` stores the whole row; the first value decides (the rest are of its kind)."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, LazyRow) or isinstance(first, list) and first and isinstance(first[0], LazyRow):
        return [_plain_row(v) for v in values]
    return values


def _plain_row(value: Any) -> Any:
    if isinstance(value, LazyRow):
        return dict(value.items())
    if isinstance(value, list):
        return [_plain_row(v) for v in value]
    return value


def _row_tables(outs: list, offset: int) -> pa.Table:
    """Tables (Arrow, pandas, polars) returned per row, stacked into one (HF: each is a row of the result)."""
    tables = []
    for i, out in enumerate(outs):
        if not is_table_output(out):
            raise TransformError(f"map at row {offset + i}: the function returned a {type(out).__name__} for this "
                                 "row but a table for others; return the same kind every time")
        table = to_table(out, f"map at row {offset + i}")
        if table.num_rows != 1:
            raise TransformError(f"map at row {offset + i}: a row-wise function returned a table of "
                                 f"{table.num_rows} rows; return one row per call, or use batched=True")
        tables.append(table.replace_schema_metadata(None))
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TransformError(f"map at rows {offset}..{offset + len(outs) - 1}: the tables returned per row do not "
                             f"share columns and types ({e})") from e


# ----------------------------------------------------------------------------- filter

def _as_mask(out: Any, n: int, where: str) -> np.ndarray:
    if isinstance(out, (pa.Array, pa.ChunkedArray)):
        out = pc.fill_null(out, False).to_numpy(zero_copy_only=False)
    elif type(out).__module__.split(".")[0] in ("pandas", "polars") and hasattr(out, "to_numpy"):
        out = out.to_numpy()
    elif hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    mask = np.asarray(out)
    if mask.dtype == object:
        mask = np.array([bool(v) for v in mask.tolist()], dtype=bool)
    if mask.shape != (n,):
        raise TransformError(f"{where}: a batched filter function must return one boolean per row ({n}), got "
                             f"shape {mask.shape}")
    return mask.astype(bool, copy=False)


_POS = "__arrowdata_pos__"


def _scan(table: pa.Table, offset: int, expression: Any) -> np.ndarray:
    import pyarrow.dataset as pds

    n = table.num_rows
    tagged = table.append_column(_POS, pa.array(np.arange(offset, offset + n, dtype=np.uint64)))
    hit = pds.dataset(tagged).to_table(columns={_POS: pc.field(_POS)}, filter=expression,
                                       batch_size=1 << 20).column(_POS)
    return np.sort(hit.to_numpy())


def _expression_positions(batch: pa.Table, offset: int, expression: Any) -> np.ndarray:
    """Positions of the rows of ``batch`` where ``expression`` holds, evaluated by Arrow's scanner.

    The scanner projects only a position column, so the rows that pass are never copied
    (``Table.filter`` would materialise every column of them); it may run threads, so the
    positions are sorted back into order. Files written in small record batches would make the
    scanner work batch by batch, so the fixed-width columns are first tried alone, merged into
    one chunk (8 bytes a row); only an expression that reads other columns scans them all.
    """
    fixed = [f.name for f in batch.schema if pa.types.is_primitive(f.type)]
    errors = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, TypeError)
    if fixed and len(fixed) < batch.num_columns or fixed and batch.column(0).num_chunks > 1:
        try:
            return _scan(batch.select(fixed).combine_chunks(), offset, expression)
        except errors:
            pass  # the expression needs a column left out: scan everything below
    try:
        return _scan(batch, offset, expression)
    except errors as e:
        raise TransformError(f"filter: cannot evaluate expression {expression} on columns "
                             f"{batch.column_names} ({e})") from e


def run_filter(table: pa.Table, indices: pa.Array | None, start: int, stop: int, spec: MapSpec,
               rank: int | None = None, progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The logical positions in ``[start, stop)`` that pass the predicate, ascending, as uint64."""
    kept: list[np.ndarray] = []
    row_batches = RowBatches()
    if spec.expression is not None:
        step = EXPRESSION_READ_SIZE  # bounds the memory of gathers and of merged columns
        for offset, batch in iter_batches(table, indices, start, stop, step):
            kept.append(_expression_positions(batch, offset, spec.expression))
            if progress is not None:
                progress(batch.num_rows)
    else:
        calls = AsyncCalls() if is_async(spec.function) else None
        try:
            _filter_batches(table, indices, start, stop, spec, rank, progress, row_batches, kept, calls)
        finally:
            if calls is not None:
                calls.close()
    return np.concatenate(kept) if kept else np.zeros(0, dtype=np.uint64)


def _filter_batches(table: pa.Table, indices: pa.Array | None, start: int, stop: int, spec: MapSpec,
                    rank: int | None, progress: Callable[[int], None] | None, row_batches: RowBatches,
                    kept: list[np.ndarray], calls: AsyncCalls | None) -> None:
    """A Python predicate over ``[start, stop)``; an ``async`` one has each batch's calls awaited together."""
    size = spec.batch_size if spec.batched and spec.batch_size and spec.batch_size > 0 else (
        ROW_READ_SIZE if not spec.batched else max(stop - start, 1))
    simple = _simple(spec) and calls is None
    for offset, batch in iter_batches(table, indices, start, stop, size):
        n = batch.num_rows
        if spec.batched:
            where = f"filter at rows {offset}..{offset + n - 1}"
            out = _call_batch(spec, batch, offset, rank)
            mask = _as_mask(calls.gather([out])[0] if calls is not None else out, n, where)
        else:
            resume = _pause_gc()
            try:
                rows = format_rows(batch, spec.input_columns, batches=row_batches)
                if simple:
                    mask = np.fromiter(map(bool, map(spec.function, rows)), dtype=bool, count=n)
                else:
                    outs = (_call(spec, row if spec.input_columns is not None else (row,), offset + i, rank)
                            for i, row in enumerate(rows))
                    if calls is not None:
                        outs = calls.gather(outs)
                    mask = np.fromiter(map(bool, outs), dtype=bool, count=n)
                row_batches.release(rows)
            finally:
                if resume:
                    gc.enable()
        kept.append(np.flatnonzero(mask).astype(np.uint64) + np.uint64(offset))
        if progress is not None:
            progress(n)
