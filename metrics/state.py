"""Metric state: additive sufficient statistics and how they merge and travel.

A metric declares each piece of state with :meth:`metrics.base.Metric.add_state`
and a *reducer* saying how two copies combine (across batches, objects or
processes). Reducers live in a registry so a new kind is one class and one line:

================  ==========================================  ==========================
reduce            value held                                  merge
================  ==========================================  ==========================
``"sum"``         int, float or numpy array                   ``a + b``
``"max"/"min"``   int, float or numpy array                   element-wise max / min
``"cat"``         :class:`CatState` (Arrow chunks)            concatenation, in order
``"counts"``      :class:`CountState` (Arrow key table)       counts of equal keys added
================  ==========================================  ==========================

States serialise to bytes with :func:`encode_states` / :func:`decode_states`: a
small JSON header followed by Arrow IPC streams. There is no pickle anywhere,
so a state file from another process can never run code.

Example:
    >>> s = CatState()
    >>> s.append([1.0, 2.0]); s.append([3.0])
    >>> s.to_numpy().tolist()
    [1.0, 2.0, 3.0]
    >>> c = CountState(["pred", "ref"])
    >>> c.add({"pred": [1, 1, 0], "ref": [1, 1, 1]})
    >>> sorted(c.to_table().to_pylist(), key=lambda r: r["pred"])
    [{'pred': 0, 'ref': 1, 'count': 1}, {'pred': 1, 'ref': 1, 'count': 2}]
"""
from __future__ import annotations

import copy
import io
import json
import struct
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pyarrow as pa

from arrowdata.errors import ArrowDataError


class MetricStateError(ArrowDataError, ValueError):
    """A state that cannot be merged, loaded or decoded (wrong names, kinds or bytes)."""


def _to_arrow(values: Any, type: pa.DataType | None = None) -> pa.Array:
    """Any 1-D sequence (list, numpy, pyarrow, pandas, torch) as one Arrow array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if type is None or values.type == type else values.cast(type)
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # a torch tensor, without importing torch
        values = values.detach().cpu().numpy()
    if isinstance(values, np.ndarray) and values.ndim > 1:
        # keep each row as a fixed-size list so 2-D inputs (logits, embeddings) survive a round trip
        flat = pa.array(values.reshape(len(values), -1).ravel(), type=None)
        arr = pa.FixedSizeListArray.from_arrays(flat, int(np.prod(values.shape[1:])))
        return arr if type is None else arr.cast(type)
    return pa.array(values, type=type)


class CatState:
    """Every value seen, kept as a list of Arrow chunks (never a Python list of objects).

    Use for metrics that need all predictions (Spearman's rank correlation,
    per-example scores). Appending is O(1); :meth:`to_arrow` concatenates once.

    Args:
        type: Arrow type of the values; inferred from the first append when ``None``.
    """

    def __init__(self, type: pa.DataType | None = None) -> None:
        self.type = type
        self.chunks: list[pa.Array] = []

    def append(self, values: Any) -> None:
        """Add a batch of values (list, numpy, pyarrow, pandas or torch, 1-D or 2-D)."""
        arr = _to_arrow(values, self.type)
        if self.type is None and len(arr):
            self.type = arr.type
        if len(arr):
            self.chunks.append(arr)

    def extend(self, other: "CatState") -> None:
        for chunk in other.chunks:
            self.append(chunk)

    def __len__(self) -> int:
        return sum(len(c) for c in self.chunks)

    def __deepcopy__(self, memo: dict) -> "CatState":
        # Arrow arrays are immutable: a copy shares the chunks instead of duplicating the buffers
        out = CatState(self.type)
        out.chunks = list(self.chunks)
        return out

    def to_arrow(self) -> pa.Array:
        """All values as one Arrow array (empty array of ``type``, or null type, when nothing was added)."""
        if not self.chunks:
            return pa.array([], type=self.type or pa.null())
        if len(self.chunks) > 1:
            self.chunks = [pa.concat_arrays(self.chunks)]
        return self.chunks[0]

    def to_numpy(self) -> np.ndarray:
        """All values as numpy; fixed-size-list values come back as a 2-D array."""
        arr = self.to_arrow()
        if pa.types.is_fixed_size_list(arr.type):
            width = arr.type.list_size
            return arr.flatten().to_numpy(zero_copy_only=False).reshape(-1, width)
        return arr.to_numpy(zero_copy_only=False)

    def to_pylist(self) -> list:
        return self.to_arrow().to_pylist()

    def __repr__(self) -> str:
        return f"CatState(type={self.type}, len={len(self)})"


class CountState:
    """Counts (or summed weights) of distinct key tuples, as an Arrow table.

    The additive state of a confusion matrix: ``(prediction, reference) -> count``.
    Labels may be ints, strings or bools; merging adds the counts of equal keys, so
    the state stays as small as the number of distinct pairs however much data passes.

    Args:
        keys: names of the key columns.
    """

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = list(keys)
        self._parts: list[pa.Table] = []

    def add(self, columns: Mapping[str, Any], weights: Any = None) -> None:
        """Count each row of ``columns`` once (or by its weight)."""
        data = {k: _to_arrow(columns[k]) for k in self.keys}
        n = len(next(iter(data.values()))) if data else 0
        if n == 0:
            return
        w = pa.array(np.ones(n, dtype=np.int64)) if weights is None else _to_arrow(weights, pa.float64())
        self._add_table(pa.table({**data, "count": w}))

    def _add_table(self, table: pa.Table) -> None:
        if self._parts and table.schema != self._parts[0].schema:
            try:
                table = table.cast(_unify(self._parts[0].schema, table.schema))
                self._parts = [p.cast(table.schema) for p in self._parts]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError) as e:
                def kinds(schema: pa.Schema) -> str:
                    return ", ".join(f"{f.name}: {f.type}" for f in schema if f.name in self.keys)

                raise MetricStateError(
                    f"labels of different types cannot be counted together: earlier batches had "
                    f"({kinds(self._parts[0].schema)}), this one ({kinds(table.schema)})") from e
        self._parts.append(table)
        if len(self._parts) > 16:  # compact now and then so memory tracks distinct keys, not batches
            self._parts = [self.to_table()]

    def __deepcopy__(self, memo: dict) -> "CountState":
        out = CountState(self.keys)
        out._parts = list(self._parts)  # immutable Arrow tables, shared
        return out

    def merge(self, other: "CountState") -> None:
        for part in other._parts:
            self._add_table(part)

    def to_table(self) -> pa.Table:
        """One row per distinct key with its total ``count``."""
        if not self._parts:
            return pa.table({**{k: pa.array([], pa.null()) for k in self.keys}, "count": pa.array([], pa.int64())})
        table = pa.concat_tables(self._parts) if len(self._parts) > 1 else self._parts[0]
        grouped = table.group_by(self.keys, use_threads=False).aggregate([("count", "sum")])
        grouped = grouped.rename_columns([*self.keys, "count"] if grouped.column_names[-1] != "count_sum"
                                         else [c if c != "count_sum" else "count" for c in grouped.column_names])
        grouped = grouped.select([*self.keys, "count"])
        self._parts = [grouped]
        return grouped

    def __len__(self) -> int:
        return self.to_table().num_rows

    def __repr__(self) -> str:
        return f"CountState(keys={self.keys}, distinct={len(self)})"


def _is_int_like(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_boolean(t)


def _unify(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    """A schema both can be cast to: null columns take the other side's type; ints widen to float."""
    fields = []
    for fa, fb in zip(a, b):
        if fa.type == fb.type or pa.types.is_null(fb.type):
            fields.append(fa)
        elif pa.types.is_null(fa.type):
            fields.append(fb)
        elif _is_int_like(fa.type) and _is_int_like(fb.type):
            fields.append(pa.field(fa.name, pa.int64()))  # bools count as 0/1, as numpy and scikit-learn do
        elif (_is_int_like(fa.type) or pa.types.is_floating(fa.type)) and (
                _is_int_like(fb.type) or pa.types.is_floating(fb.type)):
            fields.append(pa.field(fa.name, pa.float64()))
        else:
            raise TypeError(f"{fa.type} vs {fb.type}")
    return pa.schema(fields)


# --- reducers -------------------------------------------------------------------------------------

class Reducer:
    """How one kind of state is created, merged and serialised. Subclass and :func:`register_reducer`."""

    name: str = ""

    def fresh(self, default: Any) -> Any:
        return copy.deepcopy(default)

    def merge(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> tuple[pa.Table, dict]:
        """The value as an Arrow table plus JSON-able metadata."""
        raise NotImplementedError

    def decode(self, table: pa.Table, meta: dict, default: Any) -> Any:
        raise NotImplementedError


class _ArrayReducer(Reducer):
    """Numbers and numpy arrays combined element-wise."""

    op: Callable[[Any, Any], Any]

    def merge(self, a, b):
        if np.shape(a) != np.shape(b):
            raise MetricStateError(f"cannot merge states of shapes {np.shape(a)} and {np.shape(b)}")
        return type(self).op(a, b)

    def encode(self, value):
        arr = np.asarray(value)
        kind = "array" if isinstance(value, np.ndarray) else type(value).__name__
        if kind not in ("array", "int", "float", "bool"):
            kind = "array" if isinstance(value, np.generic) else kind
        if kind not in ("array", "int", "float", "bool"):
            raise MetricStateError(f"a {self.name!r} state must be a number or numpy array, got {type(value).__name__}")
        return pa.table({"value": pa.array(arr.ravel())}), {"kind": kind, "shape": list(arr.shape),
                                                             "dtype": str(arr.dtype)}

    def decode(self, table, meta, default):
        arr = table.column("value").to_numpy().astype(meta["dtype"]).reshape(meta["shape"])
        if meta["kind"] == "array":
            return arr
        return {"int": int, "float": float, "bool": bool}[meta["kind"]](arr.item())


class SumReducer(_ArrayReducer):
    name = "sum"
    op = staticmethod(lambda a, b: a + b)

    def merge(self, a, b):
        # a process that saw no data still holds the scalar default, while others hold per-output arrays
        if np.shape(a) != np.shape(b) and (np.ndim(a) == 0 and a == 0 or np.ndim(b) == 0 and b == 0):
            return b if np.ndim(a) == 0 else a
        return super().merge(a, b)


def merge_moments(a: Any, b: Any) -> Any:
    """Chan et al.'s pairwise merge of ``[weight, mean, M2]`` rows (per column): exact up to rounding,
    with none of the cancellation of sums of squares. A scalar ``0`` is the empty state."""
    if np.ndim(a) == 0:
        return b
    if np.ndim(b) == 0:
        return a
    if np.shape(a) != np.shape(b):
        raise MetricStateError(f"cannot merge moments of shapes {np.shape(a)} and {np.shape(b)}")
    (wa, ma, qa), (wb, mb, qb) = a, b
    w = wa + wb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = mb - ma
        frac = np.where(w > 0, wb / np.where(w > 0, w, 1), 0.0)
        mean = ma + delta * frac
        m2 = qa + qb + delta * delta * wa * frac
    return np.stack([w, mean, m2])


class MomentsReducer(_ArrayReducer):
    """``[weight, mean, M2]`` per column (see :func:`merge_moments`): variance without cancellation."""

    name = "moments"
    op = staticmethod(merge_moments)

    def merge(self, a, b):
        return merge_moments(a, b)


class MaxReducer(_ArrayReducer):
    name = "max"
    op = staticmethod(lambda a, b: np.maximum(a, b) if isinstance(a, np.ndarray) else max(a, b))


class MinReducer(_ArrayReducer):
    name = "min"
    op = staticmethod(lambda a, b: np.minimum(a, b) if isinstance(a, np.ndarray) else min(a, b))


class CatReducer(Reducer):
    name = "cat"

    def fresh(self, default):
        if isinstance(default, CatState):
            return CatState(default.type)
        return CatState(default if isinstance(default, pa.DataType) else None)

    def merge(self, a: CatState, b: CatState) -> CatState:
        out = CatState(a.type or b.type)
        out.extend(a)
        out.extend(b)
        return out

    def encode(self, value: CatState):
        return pa.table({"value": value.to_arrow()}), {}

    def decode(self, table, meta, default):
        out = self.fresh(default)
        col = table.column("value")
        out.type = col.type if not pa.types.is_null(col.type) else out.type
        for chunk in col.chunks:
            out.append(chunk)
        return out


class CountsReducer(Reducer):
    name = "counts"

    def fresh(self, default):
        keys = default.keys if isinstance(default, CountState) else list(default)
        return CountState(keys)

    def merge(self, a: CountState, b: CountState) -> CountState:
        out = CountState(a.keys)
        out.merge(a)
        out.merge(b)
        return out

    def encode(self, value: CountState):
        return value.to_table(), {"keys": value.keys}

    def decode(self, table, meta, default):
        out = CountState(meta["keys"])
        if table.num_rows:
            out._add_table(table)
        return out


REDUCERS: dict[str, Reducer] = {}


def register_reducer(reducer: Reducer) -> Reducer:
    """Make a reducer available to ``add_state(..., reduce=reducer.name)``."""
    REDUCERS[reducer.name] = reducer
    return reducer


for _r in (SumReducer(), MaxReducer(), MinReducer(), MomentsReducer(), CatReducer(), CountsReducer()):
    register_reducer(_r)


def get_reducer(name: str) -> Reducer:
    from arrowdata.errors import UnknownNameError

    try:
        return REDUCERS[name]
    except KeyError:
        raise UnknownNameError("state reducer", name, list(REDUCERS)) from None


# --- bytes on the wire ----------------------------------------------------------------------------

_MAGIC = b"ARROWDATA-METRIC-STATE-1\n"


def encode_states(states: Mapping[str, Any], reduces: Mapping[str, str], extra: dict | None = None) -> bytes:
    """Serialise ``{name: value}`` (with each state's reducer name) to bytes; no pickle.

    Layout: magic line, 8-byte little-endian header length, JSON header, then one
    Arrow IPC stream per state at the offsets the header gives.
    """
    blobs, entries, offset = [], [], 0
    for name, value in states.items():
        reducer = get_reducer(reduces[name])
        table, meta = reducer.encode(value)
        sink = io.BytesIO()
        with pa.ipc.new_stream(sink, table.schema) as w:
            w.write_table(table)
        blob = sink.getvalue()
        entries.append({"name": name, "reduce": reducer.name, "meta": meta, "offset": offset, "length": len(blob)})
        blobs.append(blob)
        offset += len(blob)
    header = json.dumps({"states": entries, "extra": extra or {}}).encode()
    return _MAGIC + struct.pack("<Q", len(header)) + header + b"".join(blobs)


def decode_states(data: bytes, defaults: Mapping[str, Any], source: str = "<bytes>") -> tuple[dict, dict]:
    """Inverse of :func:`encode_states`: returns ``(states, extra)``; raises :class:`MetricStateError`
    naming ``source`` when the bytes are not a state written by this module."""
    try:
        if not data.startswith(_MAGIC):
            raise ValueError("not an arrowdata metric state (bad magic)")
        pos = len(_MAGIC)
        (hlen,) = struct.unpack("<Q", data[pos:pos + 8])
        header = json.loads(data[pos + 8:pos + 8 + hlen])
        body = memoryview(data)[pos + 8 + hlen:]
        states = {}
        for e in header["states"]:
            blob = body[e["offset"]:e["offset"] + e["length"]]
            table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
            states[e["name"]] = get_reducer(e["reduce"]).decode(table, e["meta"], defaults.get(e["name"]))
        return states, header.get("extra", {})
    except MetricStateError:
        raise
    except Exception as e:  # truncated or foreign bytes: say where they came from
        raise MetricStateError(f"{source}: cannot decode metric state: {e}") from e
