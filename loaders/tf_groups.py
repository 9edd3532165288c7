"""Many padded batches per ``tf.data`` element: the TensorFlow loader's way around the per-element
cost of ``tf.data.Dataset.from_generator``.

``from_generator`` costs a Python call and one numpy→tensor conversion per column for *every*
element it yields, which is several times what padding a batch in numpy costs. So the generator
yields one element per *group* of batches instead: for each ragged column one flat buffer holding
the group's padded batches back to back (batch ``k`` is ``rows[k] * width[k]`` cells, row-major),
for each fixed-size or scalar column the group's rows stacked, plus the per-batch ``rows`` and
``width``. The graph then cuts the group into its batches with native ops only
(``RaggedTensor.from_row_lengths`` + ``from_tensor_slices`` + ``reshape``), so no Python runs per
batch at all.

The padding of a whole group is itself one vectorized numpy scatter per column (no Python per
batch), with exactly the semantics of :meth:`PaddingCollator.collate_prepared`: every batch gets
its own width, truncation, padding side, pad values, dtypes and the created ``attention_mask`` are
the collator's.

Example:
    >>> import numpy as np, pyarrow as pa
    >>> from loaders.padding import PaddingCollator
    >>> c = PaddingCollator()
    >>> prepared = c.prepare(pa.table({"input_ids": [[1, 2, 3], [4], [5, 6]]}))
    >>> el = next(GroupPadder(c).elements(prepared, np.array([2, 1])))
    >>> el["cells/input_ids"].tolist(), el["__rows__"].tolist(), el["__width__"].tolist()
    ([1, 2, 3, 4, 0, 0, 5, 6], [2, 1], [3, 2])
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .padding import PaddingCollator, PreparedColumns, _truncate

#: Cells (of the widest column type, int64) per ``tf.data`` element: ~4 MB per padded column keeps
#: the per-element cost of ``from_generator`` negligible while bounding memory and staying in cache.
CELLS_PER_ELEMENT = 512 * 1024

ROWS_KEY, WIDTH_KEY = "__rows__", "__width__"


def transfer_dtype(value_dtype: Any, output_dtype: Any, pad_value: Any) -> np.dtype:
    """The dtype a padded column crosses into TensorFlow with: the column's own (often int32 or
    int8) when it holds the pad value exactly and widens safely to the output dtype, so the numpy
    fill and the numpy→tensor copy move 2-8x fewer bytes; the widening ``tf.cast`` then runs per
    batch inside the graph, off the GIL. Otherwise the output dtype itself."""
    value_dtype, output_dtype = np.dtype(value_dtype), np.dtype(output_dtype)
    if value_dtype == output_dtype or not np.can_cast(value_dtype, output_dtype, "safe"):
        return output_dtype
    try:
        fits = np.can_cast(np.min_scalar_type(pad_value), value_dtype, "safe")
    except TypeError:  # not a number numpy can size
        fits = False
    return value_dtype if fits else output_dtype


def mask_transfer_dtype(mask_dtype: Any) -> np.dtype:
    """The created ``attention_mask`` crosses as uint8 (0/1) unless its output dtype cannot hold it."""
    mask_dtype = np.dtype(mask_dtype)
    return np.dtype(np.uint8) if np.can_cast(np.uint8, mask_dtype, "safe") else mask_dtype


def _segment_max(values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Max of ``values`` over consecutive segments of ``sizes`` (0 for an empty segment)."""
    out = np.zeros(len(sizes), dtype=np.int64)
    nonempty = sizes > 0
    if len(values) and nonempty.any():
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[nonempty]
        out[nonempty] = np.maximum.reduceat(values, starts)
    return out


def batch_widths(offsets: list[np.ndarray], sizes: np.ndarray, collator: PaddingCollator) -> np.ndarray:
    """The padded width of each batch of consecutive rows (``sizes`` rows each): its longest
    (untruncated) row over the ragged columns whose row ``offsets`` are given, then
    ``max_length``/``padding``/``pad_to_multiple_of`` as in ``padded_length``.

    Example:
        >>> batch_widths([np.array([0, 3, 4, 6])], np.array([2, 1]), PaddingCollator(pad_to_multiple_of=4)).tolist()
        [4, 4]
    """
    c = collator
    sizes = np.asarray(sizes, dtype=np.int64)
    longest = None
    for first in offsets:
        lengths = np.diff(first)
        longest = lengths if longest is None else np.maximum(longest, lengths)
    if longest is None:
        width = np.zeros(len(sizes), dtype=np.int64)
    else:
        width = _segment_max(longest, sizes)
    if c.padding == "max_length":
        width = np.full(len(sizes), c.max_length, dtype=np.int64)
    elif c.max_length is not None:
        width = np.minimum(width, c.max_length)
    if c.pad_to_multiple_of:
        m = c.pad_to_multiple_of
        width = (width + m - 1) // m * m
    return width.astype(np.int64)


class GroupPadder:
    """Pads groups of batches into flat buffers (see the module docstring) for one collator.

    Args:
        collator: the padding options; its column plan decides the output names and dtypes.
        cells_per_element: cut a read group into elements of about this many padded cells
            (always at least one batch per element); default :data:`CELLS_PER_ELEMENT`.
    """

    def __init__(self, collator: PaddingCollator, cells_per_element: int | None = None) -> None:
        self.collator = collator
        # Read at construction, not at import, so tests (and users) can lower the module default.
        self.cells_per_element = max(1, int(cells_per_element or CELLS_PER_ELEMENT))

    def widths(self, prepared: PreparedColumns, sizes: np.ndarray) -> np.ndarray:
        """The padded width of each batch (see :func:`batch_widths`)."""
        offsets = [first for kind, first, _ in prepared.columns.values() if kind == "ragged"]
        return batch_widths(offsets, sizes, self.collator)

    def elements(self, prepared: PreparedColumns, sizes: np.ndarray) -> Iterator[dict[str, np.ndarray]]:
        """The elements of one read group whose batches have ``sizes`` rows: each a dict of flat
        ``cells/<name>`` buffers, ``rows/<name>`` stacked rows and the per-batch ``__rows__``/``__width__``."""
        sizes = np.asarray(sizes, dtype=np.int64)
        width = self.widths(prepared, sizes)
        has_ragged = any(kind == "ragged" for kind, _, _ in prepared.columns.values())
        # Per-batch cost in cells (at least 1, so a group of scalar-only batches is still cut).
        cost = np.maximum(sizes * width, 1) if has_ragged else np.maximum(sizes, 1)
        cuts = np.concatenate([[0], np.cumsum(sizes)])
        lo = 0
        while lo < len(sizes):
            total = np.cumsum(cost[lo:])
            hi = lo + max(1, int(np.searchsorted(total, self.cells_per_element, side="right")))
            yield self._pad(prepared, int(cuts[lo]), int(cuts[hi]), sizes[lo:hi], width[lo:hi])
            lo = hi

    def _pad(self, prepared: PreparedColumns, row_lo: int, row_hi: int, sizes: np.ndarray,
             width: np.ndarray) -> dict[str, np.ndarray]:
        """Rows ``row_lo:row_hi`` (whole batches of ``sizes`` rows and ``width`` cells) padded into
        one flat buffer per ragged column: one scatter per column, none per batch or row."""
        c = self.collator
        nrows = row_hi - row_lo
        row_batch = np.repeat(np.arange(len(sizes)), sizes)
        row_width = width[row_batch]
        cell_start = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes * width, out=cell_start[1:])
        batch_first_row = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        row_start = cell_start[:-1][row_batch] + (np.arange(nrows) - batch_first_row[row_batch]) * row_width
        total = int(cell_start[-1])

        out: dict[str, np.ndarray] = {ROWS_KEY: sizes.astype(np.int64), WIDTH_KEY: width.astype(np.int64)}
        # Columns with equal kept lengths (input_ids, token_type_ids, attention_mask) share a layout.
        layouts: list[tuple[np.ndarray, np.ndarray]] = []
        kept: dict[str, np.ndarray] = {}
        dests: dict[str, np.ndarray] = {}
        for name, target, kind, dtype in prepared.plan:
            col_kind, first, values = prepared.columns[name]
            if col_kind != "ragged":
                out["rows/" + target] = first[row_lo:row_hi]
                continue
            offsets = first[row_lo:row_hi + 1]
            lengths = np.diff(offsets)
            values = values[offsets[0]:offsets[-1]]
            if c.max_length is not None and nrows and lengths.max() > c.max_length:
                values, lengths = _truncate(lengths, values, c.max_length, c.truncation_side)
            dest = next((d for known, d in layouts if np.array_equal(known, lengths)), None)
            if dest is None:
                dest = _destinations(lengths, row_start, row_width, c.padding_side)
                layouts.append((lengths, dest))
            kept[name], dests[name] = lengths, dest
            pad = c.pad_value(target, name)
            buf = np.full(total, pad, dtype=transfer_dtype(values.dtype, dtype, pad))
            buf[dest] = values
            out["cells/" + target] = buf
        if c.return_attention_mask and kept and "cells/attention_mask" not in out:
            source = c.mask_column or ("input_ids" if "input_ids" in kept else next(iter(kept)))
            if source not in kept:
                from .errors import LoaderError

                raise LoaderError(f"mask_column {source!r} is not a list column of this batch")
            mask = np.zeros(total, dtype=mask_transfer_dtype(c.dtypes.get("attention_mask", np.int64)))
            mask[dests[source]] = 1
            out["cells/attention_mask"] = mask
        return out


def _destinations(lengths: np.ndarray, row_start: np.ndarray, row_width: np.ndarray, side: str) -> np.ndarray:
    """Flat cell of every kept token: its row's first cell, plus its position in the row, shifted
    right by the row's padding when padding on the left."""
    first_token = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=first_token[1:])
    shift = row_start - first_token
    if side == "left":
        shift = shift + (row_width - lengths)
    return np.repeat(shift, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)


def split_group(element: dict[str, Any]) -> Any:
    """Graph function: one group element → a ``tf.data.Dataset`` of per-batch slices (flat cells,
    rows, and the batch's ``rows``/``width``), cut by ``RaggedTensor.from_row_lengths``."""
    import tensorflow as tf

    rows, width = element[ROWS_KEY], element[WIDTH_KEY]
    cells = rows * width
    sliced: dict[str, Any] = {ROWS_KEY: rows, WIDTH_KEY: width}
    for key, value in element.items():
        if key.startswith("cells/"):
            sliced[key] = tf.RaggedTensor.from_row_lengths(value, cells, validate=False)
        elif key.startswith("rows/"):
            sliced[key] = tf.RaggedTensor.from_row_lengths(value, rows, validate=False)
    return tf.data.Dataset.from_tensor_slices(sliced)


def unflatten_batch(element: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """Graph function: one batch slice → its dict of tensors: cells reshaped to ``(rows, width)``,
    cast to the output dtype and given the static shape of ``spec`` (a dict of ``tf.TensorSpec``)."""
    import tensorflow as tf

    shape = tf.stack([element[ROWS_KEY], element[WIDTH_KEY]])
    result = {}
    for key, value in element.items():
        if key.startswith("cells/"):
            value = tf.reshape(value, shape)
        elif not key.startswith("rows/"):
            continue
        name = key.split("/", 1)[1]
        result[name] = tf.ensure_shape(tf.cast(value, spec[name].dtype), spec[name].shape)
    return result
