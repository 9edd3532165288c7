"""Ragged Arrow list columns to padded numpy arrays, vectorized (no Python per row).

An Arrow ``list<int>`` column is already a flat ``values`` buffer plus ``offsets``; padding is
one boolean-mask scatter of those values into a ``(rows, length)`` array. This module holds
the pure array functions and :class:`PaddingCollator`, which applies them to a whole
``pa.Table`` batch with transformers-style defaults.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import LoaderError

logger = logging.getLogger(__name__)

#: Pad value per column name when the user gives none (transformers' conventions:
#: ``-100`` is ignored by the cross-entropy loss; special-token masks pad with 1).
DEFAULT_PAD_VALUES: dict[str, int] = {
    "input_ids": 0,
    "attention_mask": 0,
    "token_type_ids": 0,
    "position_ids": 0,
    "labels": -100,
    "special_tokens_mask": 1,
}

#: Columns renamed on output, as transformers' data collators do.
DEFAULT_RENAME: dict[str, str] = {"label": "labels", "label_ids": "labels"}

_PADDING_SIDES = ("right", "left")
_PADDING_MODES = ("longest", "max_length")


def list_offsets_values(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """``(offsets, values)`` of a list column as numpy: row ``i`` is ``values[offsets[i]:offsets[i+1]]``.

    Offsets start at 0 whatever slice of the buffer the array views; null lists count as empty.
    Single-chunk arrays without nulls are read zero-copy.

    Example:
        >>> import pyarrow as pa
        >>> off, val = list_offsets_values(pa.array([[1, 2], [], [3]]))
        >>> off.tolist(), val.tolist()
        ([0, 2, 2, 3], [1, 2, 3])
    """
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 1:
            array = array.chunk(0)
        elif array.num_chunks == 0:
            return np.zeros(1, np.int64), np.zeros(0, _numpy_dtype(array.type.value_type))
    if isinstance(array, pa.Array) and array.null_count == 0:
        offsets = np.asarray(array.offsets, dtype=np.int64)  # sliced view: starts anywhere
        values = array.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        return offsets - offsets[0], _values_to_numpy(values)
    # Nulls or several chunks: compute lengths, flatten (both skip null slots).
    lengths = pc.fill_null(pc.list_value_length(array), 0).to_numpy(zero_copy_only=False)
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = pc.list_flatten(array)
    if isinstance(flat, pa.ChunkedArray):
        flat = flat.combine_chunks() if flat.num_chunks else pa.array([], array.type.value_type)
    return offsets, _values_to_numpy(flat)


def _values_to_numpy(values: pa.Array) -> np.ndarray:
    if values.null_count:
        raise LoaderError("a list column holds null values inside its lists; fill them (e.g. with "
                          "Dataset.map) before batching, padding cannot guess a value for them")
    if pa.types.is_boolean(values.type):
        return values.to_numpy(zero_copy_only=False)
    return values.to_numpy()


def _numpy_dtype(arrow_type: pa.DataType) -> np.dtype:
    return np.dtype(arrow_type.to_pandas_dtype())


def padded_length(lengths: np.ndarray, *, max_length: int | None = None, pad_to_multiple_of: int | None = None,
                  padding: str = "longest") -> int:
    """The padded width of a batch whose rows have ``lengths`` (after truncation to ``max_length``).

    Example:
        >>> import numpy as np
        >>> padded_length(np.array([3, 7]), pad_to_multiple_of=8)
        8
    """
    if padding == "max_length":
        if max_length is None:
            raise LoaderError("padding='max_length' needs max_length")
        width = max_length
    else:
        width = int(lengths.max()) if len(lengths) else 0
        if max_length is not None:
            width = min(width, max_length)
    if pad_to_multiple_of and width % pad_to_multiple_of:
        width += pad_to_multiple_of - width % pad_to_multiple_of
    return width


def pad_ragged(offsets: np.ndarray, values: np.ndarray, *, pad_value: Any = 0, width: int | None = None,
               max_length: int | None = None, pad_to_multiple_of: int | None = None, padding: str = "longest",
               padding_side: str = "right", truncation_side: str = "right",
               dtype: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Pad ragged rows to a ``(rows, width)`` array; returns it and the kept (truncated) lengths.

    Args:
        offsets: ``rows + 1`` offsets into ``values`` (as from :func:`list_offsets_values`).
        values: the flat values.
        pad_value: value of the padding cells.
        width: force this width (it must hold every truncated row); else computed by
            :func:`padded_length` from ``max_length``, ``pad_to_multiple_of``, ``padding``.
        max_length: rows longer than this are truncated on ``truncation_side``.
        padding_side: ``"right"`` (pad after the tokens) or ``"left"`` (before).
        dtype: output dtype (default: that of ``values``).

    Example:
        >>> import numpy as np
        >>> out, n = pad_ragged(np.array([0, 3, 4]), np.array([5, 6, 7, 8]), pad_value=-1, padding_side="left")
        >>> out.tolist(), n.tolist()
        ([[5, 6, 7], [-1, -1, 8]], [3, 1])
    """
    _check_choice("padding_side", padding_side, _PADDING_SIDES)
    _check_choice("truncation_side", truncation_side, _PADDING_SIDES)
    _check_choice("padding", padding, _PADDING_MODES)
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    values = values[offsets[0]:offsets[-1]] if len(offsets) else values[:0]
    if max_length is not None and len(lengths) and lengths.max() > max_length:
        values, lengths = _truncate(lengths, values, max_length, truncation_side)
    if width is None:
        width = padded_length(lengths, max_length=max_length, pad_to_multiple_of=pad_to_multiple_of, padding=padding)
    elif len(lengths) and lengths.max() > width:
        raise LoaderError(f"width={width} is shorter than the longest row ({int(lengths.max())}); "
                          "pass max_length to truncate")
    out = np.full((len(lengths), width), pad_value, dtype=dtype or values.dtype)
    out[_token_mask(lengths, width, padding_side)] = values
    return out, lengths


def _truncate(lengths: np.ndarray, values: np.ndarray, max_length: int, side: str) -> tuple[np.ndarray, np.ndarray]:
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    pos = np.arange(len(values), dtype=np.int64) - np.repeat(starts, lengths)
    if side == "right":
        keep = pos < max_length
    else:
        keep = pos >= np.repeat(lengths - max_length, lengths)
    return values[keep], np.minimum(lengths, max_length)


def _token_mask(lengths: np.ndarray, width: int, padding_side: str) -> np.ndarray:
    """Boolean ``(rows, width)``: True where a real token sits. Row-major order of the True
    cells equals the order of the flat values, which is what makes one scatter enough."""
    cols = np.arange(width, dtype=np.int64)
    if padding_side == "right":
        return cols < lengths[:, None]
    return cols >= (width - lengths)[:, None]


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise LoaderError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _is_paddable(t: pa.DataType) -> bool:
    return (pa.types.is_list(t) or pa.types.is_large_list(t)) and _is_scalar_numeric(t.value_type)


def _is_scalar_numeric(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)


def _is_fixed(t: pa.DataType) -> bool:
    return pa.types.is_fixed_size_list(t) and (_is_scalar_numeric(t.value_type) or _is_fixed(t.value_type))


def column_kind(t: pa.DataType) -> str | None:
    """How a loader batches an Arrow type: ``"ragged"``, ``"fixed"``, ``"scalar"`` or ``None`` (not numeric)."""
    if _is_paddable(t):
        return "ragged"
    if _is_fixed(t):
        return "fixed"
    if _is_scalar_numeric(t):
        return "scalar"
    return None


def default_dtype(t: pa.DataType) -> np.dtype:
    """The output dtype for an Arrow (value) type: int64 for integers (what torch embeddings and losses
    take), float32 for floats, bool for booleans."""
    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
    if pa.types.is_boolean(t):
        return np.dtype(bool)
    if pa.types.is_floating(t):
        return np.dtype(np.float32)
    return np.dtype(np.int64)


@dataclass
class PaddingCollator:
    """Turn a ``pa.Table`` batch into a dict of numpy arrays, padding list columns.

    List columns of numbers are padded to the longest row of the batch (all of them to the same
    width, so ``input_ids`` and token ``labels`` line up); fixed-size lists and scalars are stacked;
    other columns (strings...) are left out when ``columns`` is None and are an error when named.

    Args:
        columns: output these columns (source names); None = every numeric column.
        pad_token_id: pad value of ``input_ids`` (default 0).
        pad_values: pad value per column, over :data:`DEFAULT_PAD_VALUES` (other columns pad with 0).
        max_length: truncate longer rows; with ``padding="max_length"`` every batch has this width.
        pad_to_multiple_of: round the width up (8 or 64 suit tensor cores).
        padding_side, truncation_side: ``"right"`` or ``"left"``.
        dtypes: output dtype per column (default int64 for integers, float32 for floats).
        rename: output names per source column (default ``label``/``label_ids`` → ``labels``); ``{}`` keeps names.
        return_attention_mask: create ``attention_mask`` (1 = token) when the table has none.
        mask_column: the column whose lengths give that mask (default ``input_ids``, else the first list column).

    Example:
        >>> import pyarrow as pa
        >>> batch = PaddingCollator(pad_token_id=9)(pa.table({"input_ids": [[1, 2, 3], [4]], "label": [0, 1]}))
        >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist(), batch["labels"].tolist()
        ([[1, 2, 3], [4, 9, 9]], [[1, 1, 1], [1, 0, 0]], [0, 1])
    """

    columns: Sequence[str] | None = None
    pad_token_id: int | None = None
    pad_values: Mapping[str, Any] = field(default_factory=dict)
    max_length: int | None = None
    pad_to_multiple_of: int | None = None
    padding: str = "longest"
    padding_side: str = "right"
    truncation_side: str = "right"
    dtypes: Mapping[str, Any] = field(default_factory=dict)
    rename: Mapping[str, str] | None = None
    return_attention_mask: bool = True
    mask_column: str | None = None

    def __post_init__(self) -> None:
        _check_choice("padding", self.padding, _PADDING_MODES)
        _check_choice("padding_side", self.padding_side, _PADDING_SIDES)
        _check_choice("truncation_side", self.truncation_side, _PADDING_SIDES)
        for name in ("max_length", "pad_to_multiple_of"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, (int, np.integer)) or value <= 0):
                raise LoaderError(f"{name} must be a positive integer or None, got {value!r}")
        if self.padding == "max_length" and self.max_length is None:
            raise LoaderError("padding='max_length' needs max_length")
        if self.rename is None:
            self.rename = dict(DEFAULT_RENAME)
        if self.columns is not None:
            self.columns = list(self.columns)

    # -- public -------------------------------------------------------------------------------
    def pad_value(self, name: str, source: str | None = None) -> Any:
        """The pad value of output column ``name`` (coming from ``source``)."""
        for key in (name, source):
            if key is not None and key in self.pad_values:
                return self.pad_values[key]
        if name == "input_ids" and self.pad_token_id is not None:
            return self.pad_token_id
        return DEFAULT_PAD_VALUES.get(name, DEFAULT_PAD_VALUES.get(source or name, 0))

    def output_dtype(self, name: str, source: str, arrow_type: pa.DataType) -> np.dtype:
        """The dtype of output column ``name``: ``dtypes[name]`` or ``dtypes[source]``, else the default."""
        for key in (name, source):
            if key in self.dtypes:
                return np.dtype(self.dtypes[key])
        return default_dtype(arrow_type)

    def select(self, schema: pa.Schema) -> list[str]:
        """The source columns this collator outputs for a table of ``schema``; raises for named
        columns that are missing or not numeric."""
        if self.columns is None:
            chosen = [f.name for f in schema if column_kind(f.type) is not None]
            skipped = [f.name for f in schema if column_kind(f.type) is None]
            if skipped:
                logger.debug("leaving out non-numeric columns %s", skipped)
            return chosen
        for name in self.columns:
            if name not in schema.names:
                raise LoaderError(f"column {name!r} is not in the dataset; it has {schema.names}")
            if column_kind(schema.field(name).type) is None:
                raise LoaderError(f"column {name!r} has type {schema.field(name).type}, which cannot become a "
                                  "numeric array; tokenize it first or leave it out of columns=")
        return list(self.columns)

    def __call__(self, batch: pa.Table | pa.RecordBatch | Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """Collate one batch: a ``pa.Table``/``RecordBatch``, or a list of row dicts (slower path)."""
        if not isinstance(batch, (pa.Table, pa.RecordBatch)):
            batch = pa.Table.from_pylist(list(batch))
        return self.collate_table(batch)

    def collate_table(self, table: pa.Table | pa.RecordBatch) -> dict[str, np.ndarray]:
        """Collate a table batch (the vectorized path)."""
        return self.collate_prepared(self.prepare(table), 0, table.num_rows)

    def prepare(self, table: pa.Table | pa.RecordBatch) -> "PreparedColumns":
        """Convert the output columns of ``table`` to numpy once (zero-copy for list values), so
        that many batches can be cut from it with :meth:`collate_prepared`."""
        plan = self._column_plan(table.schema)
        columns: dict[str, tuple[str, Any, Any]] = {}
        for name, target, kind, dtype in plan:
            column = table.column(name)
            if kind == "ragged":
                offsets, values = list_offsets_values(column)
                columns[name] = (kind, offsets, values)
            elif kind == "fixed":
                columns[name] = (kind, _fixed_to_numpy(column, dtype), None)
            else:
                columns[name] = (kind, _scalar_to_numpy(column, name, dtype), None)
        return PreparedColumns(plan, columns)

    def collate_prepared(self, prepared: "PreparedColumns", lo: int, hi: int) -> dict[str, np.ndarray]:
        """Rows ``lo:hi`` of prepared columns, padded: the per-batch work, pure numpy."""
        ragged = {name: cols[1][lo:hi + 1] for name, cols in prepared.columns.items() if cols[0] == "ragged"}
        lengths = {name: np.diff(off) for name, off in ragged.items()}
        longest = max((int(v.max()) for v in lengths.values() if len(v)), default=0)
        width = padded_length(np.array([longest]), max_length=self.max_length,
                              pad_to_multiple_of=self.pad_to_multiple_of, padding=self.padding)
        out: dict[str, np.ndarray] = {}
        masks: list[tuple[np.ndarray, np.ndarray]] = []  # (lengths, mask) reused across aligned columns
        kept: dict[str, np.ndarray] = {}
        for name, target, kind, dtype in prepared.plan:
            if kind == "ragged":
                values = prepared.columns[name][2]
                out[target], kept[name] = self._pad(ragged[name], lengths[name], values, width,
                                                    self.pad_value(target, name), dtype, masks)
            else:
                out[target] = prepared.columns[name][1][lo:hi]
        if self.return_attention_mask and ragged and "attention_mask" not in out:
            source = self.mask_column or ("input_ids" if "input_ids" in ragged else next(iter(ragged)))
            if source not in kept:
                raise LoaderError(f"mask_column {source!r} is not a list column of this batch")
            mask = next((m for lens, m in masks if lens is kept[source]), None)
            if mask is None:
                mask = _token_mask(kept[source], width, self.padding_side)
            out["attention_mask"] = mask.astype(self.dtypes.get("attention_mask", np.int64))
        return out

    # -- internals ----------------------------------------------------------------------------
    def _column_plan(self, schema: pa.Schema) -> list[tuple[str, str, str, np.dtype]]:
        """``(source, target, kind, dtype)`` per output column; cached, since every batch of a
        loader has the same schema."""
        cached = getattr(self, "_plan_cache", None)
        if cached is not None and cached[0].equals(schema):
            return cached[1]
        names = self.select(schema)
        plan, seen = [], {}
        for name in names:
            target = self.rename.get(name, name)
            if target in seen:
                raise LoaderError(f"columns {seen[target]!r} and {name!r} would both be output as {target!r}; "
                                  "pass rename={} or drop one")
            seen[target] = name
            arrow_type = schema.field(name).type
            plan.append((name, target, column_kind(arrow_type), self.output_dtype(target, name, arrow_type)))
        self._plan_cache = (schema, plan)
        return plan

    def _pad(self, offsets: np.ndarray, lengths: np.ndarray, values: np.ndarray, width: int, pad_value: Any,
             dtype: np.dtype, masks: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        values = values[offsets[0]:offsets[-1]] if len(offsets) else values[:0]
        if self.max_length is not None and len(lengths) and lengths.max() > self.max_length:
            values, lengths = _truncate(lengths, values, self.max_length, self.truncation_side)
        # input_ids, attention_mask, token_type_ids share lengths: build the mask once.
        for known, mask in masks:
            if known is lengths or np.array_equal(known, lengths):
                lengths = known
                break
        else:
            mask = _token_mask(lengths, width, self.padding_side)
            masks.append((lengths, mask))
        out = np.full((len(lengths), width), pad_value, dtype=dtype)
        out[mask] = values
        return out, lengths


@dataclass
class PreparedColumns:
    """A batch (or many) converted to numpy by :meth:`PaddingCollator.prepare`: per source column
    ``("ragged", offsets, values)`` or ``(kind, array, None)``, and the collator's column plan."""

    plan: list[tuple[str, str, str, np.dtype]]
    columns: dict[str, tuple[str, Any, Any]]


def _fixed_to_numpy(column: pa.ChunkedArray | pa.Array, dtype: np.dtype) -> np.ndarray:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    shape = [len(arr)]
    flat = arr
    while pa.types.is_fixed_size_list(flat.type):
        shape.append(flat.type.list_size)
        flat = pc.list_flatten(flat)
    # Always a copy: Arrow memory (a read-only memory map) must never be handed out writable.
    return np.array(_values_to_numpy(flat), dtype=dtype).reshape(shape)


def _scalar_to_numpy(column: pa.ChunkedArray | pa.Array, name: str, dtype: np.dtype) -> np.ndarray:
    if column.null_count:
        raise LoaderError(f"column {name!r} has {column.null_count} null values; fill or filter them before batching")
    return np.array(column.to_numpy(), dtype=dtype)  # a copy, see _fixed_to_numpy
