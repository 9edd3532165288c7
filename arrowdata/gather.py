"""Gathered reads: rows at arbitrary positions of a chunked, memory-mapped table.

After ``shuffle``, ``select``, ``filter``, ``sort`` or ``shard`` a dataset's rows are
scattered over the record batches of its files. Arrow's own ``Table.take`` first
concatenates every chunk of a variable-width column (a full copy of the column, per
call), and Hugging Face ``datasets`` gathers row by row; both make shuffled reads
hundreds of times slower than sequential ones.

Here a gather is vectorized block-wise:

1. positions that form one contiguous ascending run become a zero-copy ``slice``;
2. a few scattered rows (a training batch of 32 read at random) become zero-copy slices
   of their runs, concatenated with one copy;
3. otherwise global positions map to ``(batch, offset)`` with one ``np.searchsorted``
   over the batch offsets, rows are grouped by batch (a stable sort), and each touched
   batch is gathered with a single Arrow ``take``;
4. the original order is restored with one more ``take`` over the (now contiguous,
   in-memory) result, skipped when the positions were already ascending.

:func:`iter_take` serves full passes: it gathers many output batches at once (a
block of a few tens of MB), so every source batch is visited a handful of times per
pass instead of once per output batch.

Reads that cover a good share of a table use its column indexes instead
(:mod:`arrowdata.gather_index`: text as 16-byte views into the mapped buffers, fixed-width
columns combined), built once per table: then a gather is one numpy take and one copy
per column, however many record batches the table has.

Example:
    >>> import pyarrow as pa
    >>> t = pa.Table.from_batches([pa.record_batch({"a": [0, 1, 2]}), pa.record_batch({"a": [3, 4]})])
    >>> take(t, [4, 0, 2]).column("a").to_pylist()
    [4, 0, 2]
"""
from __future__ import annotations

import weakref
from typing import Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from .errors import GatherIndexError
from .gather_index import column_indexes

#: A read of at least this many rows, and of a quarter of the table or more, builds the
#: table's column indexes (:mod:`arrowdata.gather_index`) when it has none yet: small or
#: sparse reads never pay for a pass over every row.
INDEX_MIN_ROWS = 2048

#: Rough number of bytes gathered at once by :func:`iter_take`. Large enough that each
#: source batch is visited rarely, small enough to stay a bounded slice of memory.
READ_AHEAD_BYTES = 32 * 1024 * 1024


# Batch boundaries are computed once per table object: a dataset reads from the same
# memory-mapped table for its whole life, and `to_batches` on a wide table is not free.
# Keyed by id() (Arrow tables are unhashable) and dropped when the table is collected.
_layout_cache: dict[int, tuple["weakref.ref[pa.Table]", list[pa.RecordBatch], np.ndarray]] = {}


def _forget(key: int) -> Callable[[object], None]:
    return lambda _ref: _layout_cache.pop(key, None)


def _layout(table: pa.Table) -> tuple[list[pa.RecordBatch], np.ndarray]:
    """The table's record batches (zero-copy) and their start offsets (length ``n+1``)."""
    key = id(table)
    hit = _layout_cache.get(key)
    if hit is not None and hit[0]() is table:
        return hit[1], hit[2]
    batches = [b for b in table.to_batches() if b.num_rows]
    offsets = np.zeros(len(batches) + 1, dtype=np.int64)
    if batches:
        np.cumsum([b.num_rows for b in batches], out=offsets[1:])
    try:
        _layout_cache[key] = (weakref.ref(table, _forget(key)), batches, offsets)
    except TypeError:  # not weak-referenceable: just don't cache
        pass
    return batches, offsets


def batch_offsets(table: pa.Table) -> np.ndarray:
    """Start row of each non-empty record batch of ``table``, then its row count (cached per table).

    Example:
        >>> batch_offsets(pa.Table.from_batches([pa.record_batch({"a": [0, 1]}), pa.record_batch({"a": [2]})])).tolist()
        [0, 2, 3]
    """
    return _layout(table)[1]


def as_positions(positions: np.ndarray | Sequence[int] | pa.Array | pa.ChunkedArray | range,
                 num_rows: int | None = None, *, argument: str = "positions") -> np.ndarray:
    """``positions`` as an int64 numpy array, negative values counted from ``num_rows``.

    Raises :class:`GatherIndexError` naming ``argument`` when a position is out of range.

    Example:
        >>> as_positions([0, -1], 5).tolist()
        [0, 4]
    """
    if isinstance(positions, range):
        arr = np.arange(positions.start, positions.stop, positions.step, dtype=np.int64)
    elif isinstance(positions, (pa.Array, pa.ChunkedArray)):
        if positions.null_count:
            raise GatherIndexError(f"{argument} contains nulls")
        arr = positions.to_numpy()
    else:
        arr = np.asarray(positions)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool:
        raise GatherIndexError(f"{argument} must be integer positions, got booleans "
                               "(use filter() or np.flatnonzero for a mask)")
    if not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.mod(arr, 1) == 0):
            arr = arr.astype(np.int64)
        else:
            raise GatherIndexError(f"{argument} must be integers, got dtype {arr.dtype}")
    if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise GatherIndexError(f"{argument} has a position too large for int64")
    arr = arr.astype(np.int64, copy=False)
    if num_rows is not None:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0:
            if lo < -num_rows:
                raise GatherIndexError(f"{argument}: position {lo} is out of range for {num_rows} rows")
            arr = np.where(arr < 0, arr + num_rows, arr)
        if hi >= num_rows:
            raise GatherIndexError(f"{argument}: position {hi} is out of range for {num_rows} rows")
    return arr


def contiguous_run(positions: np.ndarray) -> tuple[int, int] | None:
    """``(start, length)`` when ``positions`` is ``start, start+1, ...``; else ``None``.

    Checks the endpoints first, so most non-runs are rejected without a full scan.

    Example:
        >>> contiguous_run(np.array([3, 4, 5]))
        (3, 3)
        >>> contiguous_run(np.array([3, 5])) is None
        True
    """
    n = len(positions)
    if n == 0:
        return (0, 0)
    start = int(positions[0])
    if int(positions[-1]) - start != n - 1:
        return None
    if n > 2 and not np.array_equal(positions, np.arange(start, start + n, dtype=positions.dtype)):
        return None
    return (start, n)


def _is_ascending(positions: np.ndarray) -> bool:
    return len(positions) < 2 or bool(np.all(positions[1:] >= positions[:-1]))


def _gather_sorted(batches: list[pa.RecordBatch], offsets: np.ndarray,
                   chunk_ids: np.ndarray, positions: np.ndarray, schema: pa.Schema) -> pa.Table:
    """Gather ``positions`` (grouped by ``chunk_ids``, which is non-decreasing): one take per batch."""
    boundaries = np.flatnonzero(chunk_ids[1:] != chunk_ids[:-1]) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(positions)]))
    pieces = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        c = int(chunk_ids[s])
        batch = batches[c]
        local = positions[s:e] - offsets[c]
        run = contiguous_run(local)
        pieces.append(batch.slice(run[0], run[1]) if run is not None else batch.take(pa.array(local)))
    return pa.Table.from_batches(pieces, schema=schema)


#: Below this many rows per touched record batch, zero-copy slices of runs (then one
#: copy) beat one ``take`` per batch plus a re-ordering ``take``: a batch-of-32 random read
#: from a 200-batch file becomes 32 slices instead of 32 takes, an argsort and two copies.
_RUNS_PER_BATCH = 4


def _gather_runs(batches: list[pa.RecordBatch], offsets: np.ndarray, chunk_ids: np.ndarray,
                 positions: np.ndarray, schema: pa.Schema) -> pa.Table:
    """Gather ``positions`` in order as zero-copy slices, one per run of consecutive rows."""
    breaks = np.flatnonzero((np.diff(positions) != 1) | (np.diff(chunk_ids) != 0)) + 1
    starts = np.concatenate(([0], breaks))
    lengths = np.diff(np.concatenate((starts, [len(positions)])))
    chunks = chunk_ids[starts].tolist()
    local = (positions[starts] - offsets[chunk_ids[starts]]).tolist()
    pieces = [batches[c].slice(o, k) for c, o, k in zip(chunks, local, lengths.tolist())]
    return pa.Table.from_batches(pieces, schema=schema)


def _worth_indexing(rows_read: int, table: pa.Table) -> bool:
    # Building reads a few bytes of every row: pay it only for reads of a good share of them.
    return rows_read >= INDEX_MIN_ROWS and rows_read * 4 >= table.num_rows


def take(table: pa.Table, positions: np.ndarray | Sequence[int] | pa.Array, columns: Sequence[str] | None = None,
         *, combine: bool = True, build_index: bool | None = None) -> pa.Table:
    """Rows ``positions`` of ``table`` in that order, optionally only ``columns``.

    Vectorized (never row by row); a contiguous run is a zero-copy slice. Negative positions
    count from the end; an out-of-range one raises :class:`GatherIndexError`.

    Args:
        table: any table, typically memory-mapped with many record batches. Pass the same
            table object on every call (not a fresh ``select``): per-table indexes are cached.
        positions: integer row positions (numpy array, list, range or Arrow array).
        columns: restrict the result to these columns (read only those).
        combine: return one chunk per gathered column (default); ``False`` may return several
            chunks when the positions are ascending, saving one copy.
        build_index: build the table's column indexes (:mod:`arrowdata.gather_index`) if it
            has none; default: when this read covers at least a quarter of the table.

    Example:
        >>> import pyarrow as pa
        >>> take(pa.table({"a": [10, 20, 30], "b": list("xyz")}), [2, 0], columns=["b"]).to_pydict()
        {'b': ['z', 'x']}
    """
    base = table
    if columns is not None:
        table = table.select(list(columns))
    pos = as_positions(positions, table.num_rows)
    run = contiguous_run(pos)
    if run is not None:
        return table.slice(run[0], run[1])
    if build_index is None:
        build_index = _worth_indexing(len(pos), base)
    indexes = column_indexes(base, table.column_names, build=build_index)
    indexed = [name for name in table.column_names if name in indexes]
    if not indexed:
        return _block_take(table, pos, combine)
    rest = [name for name in table.column_names if name not in indexes]
    gathered = {name: indexes[name].take(pos) for name in indexed}
    if rest:
        others = _block_take(table.select(rest), pos, True)
        gathered.update({name: others.column(name) for name in rest})
    return pa.Table.from_arrays([gathered[name] for name in table.column_names], schema=table.schema)


def _block_take(table: pa.Table, pos: np.ndarray, combine: bool) -> pa.Table:
    """Gather validated, non-contiguous ``pos`` batch by batch (see the module docstring)."""
    batches, offsets = _layout(table)
    chunk_ids = np.searchsorted(offsets, pos, side="right") - 1
    touched = np.count_nonzero(np.bincount(chunk_ids, minlength=len(batches)))
    if len(pos) <= _RUNS_PER_BATCH * touched:
        out = _gather_runs(batches, offsets, chunk_ids, pos, table.schema)
        return out.combine_chunks() if combine else out
    if _is_ascending(chunk_ids):  # already grouped by batch (e.g. one batch): takes in order, no re-ordering
        out = _gather_sorted(batches, offsets, chunk_ids, pos, table.schema)
        return out.combine_chunks() if combine else out
    order = np.argsort(chunk_ids, kind="stable")
    grouped = _gather_sorted(batches, offsets, chunk_ids[order], pos[order], table.schema).combine_chunks()
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order), dtype=order.dtype)
    return grouped.take(pa.array(inverse))


def average_row_bytes(table: pa.Table) -> float:
    """Bytes of Arrow buffers per row of ``table`` (at least 1): what sizes read-ahead blocks.

    Example:
        >>> average_row_bytes(pa.table({"a": pa.array([1, 2], pa.int64())}))
        8.0
    """
    return max(1.0, table.get_total_buffer_size() / max(1, table.num_rows))


def _rows_per_block(table: pa.Table, batch_size: int) -> int:
    """How many rows :func:`iter_take` gathers at once: about ``READ_AHEAD_BYTES``, whole batches."""
    if table.num_rows == 0:
        return batch_size
    rows = int(READ_AHEAD_BYTES / average_row_bytes(table))
    return max(batch_size, (rows // batch_size) * batch_size)


def iter_take(table: pa.Table, positions: np.ndarray | Sequence[int] | None, batch_size: int,
              columns: Sequence[str] | None = None, drop_last_batch: bool = False) -> Iterator[pa.Table]:
    """Yield ``table`` rows ``positions`` (all rows when ``None``) as tables of ``batch_size`` rows.

    Many output batches are gathered in one block-wise :func:`take`, then sliced (zero-copy),
    so a shuffled full pass costs a small constant factor over a sequential one.

    Example:
        >>> import pyarrow as pa
        >>> [b.column("a").to_pylist() for b in iter_take(pa.table({"a": [1, 2, 3]}), [2, 1, 0], 2)]
        [[3, 2], [1]]
    """
    if batch_size is None or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if positions is None:
        if columns is not None:
            table = table.select(list(columns))
        n = table.num_rows
        for start in range(0, n, batch_size):
            if drop_last_batch and start + batch_size > n:
                return
            yield table.slice(start, batch_size)
        return
    pos = as_positions(positions, table.num_rows)
    n = len(pos)
    block = _rows_per_block(table if columns is None else table.select(list(columns)), batch_size)
    build = _worth_indexing(n, table)  # judged on the whole pass, not on one block
    for block_start in range(0, n, block):
        # The base table (not a per-call `select`) keeps the per-table indexes cached.
        gathered = take(table, pos[block_start:block_start + block], columns, build_index=build)
        for start in range(0, gathered.num_rows, batch_size):
            if drop_last_batch and block_start + start + batch_size > n:
                return
            yield gathered.slice(start, batch_size)
