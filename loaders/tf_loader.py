"""TensorFlow: :func:`to_tf_dataset`, a ``tf.data.Dataset`` of padded batches from Arrow.

No Python runs per row, nor per batch: Python runs once per *group* of batches, because
``from_generator`` costs several times more per element than padding a batch does. By default
(``pad_in_graph=True``) the group crosses as zero-copy views of the Arrow buffers (flat values and
offsets); ``tf.RaggedTensor.from_row_splits`` rebuilds the rows, native ops cut the group into
batches and ``RaggedTensor.to_tensor`` pads each one inside the tf.data graph. With
``pad_in_graph=False`` the group is padded in numpy (one vectorized scatter per column, the torch
loader's code) into a flat buffer per column, and the graph only cuts it into batches
(:mod:`loaders.tf_groups`). Either way the ``element_spec`` comes from the dataset's schema (its
features), never from sampling batches.

Example:
    >>> import pyarrow as pa
    >>> table = pa.table({"input_ids": [[1, 2, 3], [4]], "label": [1, 0]})
    >>> tfds = to_tf_dataset(table, columns=["input_ids"], label_cols=["label"], batch_size=2)
    >>> features, labels = next(iter(tfds))
    >>> features["input_ids"].numpy().tolist(), features["attention_mask"].numpy().tolist(), labels.numpy().tolist()
    ([[1, 2, 3], [4, 0, 0]], [[1, 1, 1], [1, 0, 0]], [1, 0])
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from .errors import LoaderError
from .numpy_loader import BatchBuilder, NumpyLoader
from .padding import PaddingCollator, column_kind, list_offsets_values
from .tf_groups import (
    GroupPadder,
    batch_widths,
    mask_transfer_dtype,
    split_group,
    transfer_dtype,
    unflatten_batch,
)

logger = logging.getLogger(__name__)


def _as_list(cols: str | Sequence[str] | None) -> list[str]:
    if cols is None:
        return []
    return [cols] if isinstance(cols, str) else list(cols)


def _fixed_shape(t: pa.DataType) -> list[int]:
    dims = []
    while pa.types.is_fixed_size_list(t):
        dims.append(t.list_size)
        t = t.value_type
    return dims


class _GraphPlan:
    """What the generator hands over per column, and how the graph turns it into a tensor."""

    def __init__(self, schema: pa.Schema, sources: list[str], collator: PaddingCollator,
                 batch_dim: int | None = None) -> None:
        self.batch_dim = batch_dim  # static batch size when every batch is full (drop_remainder)
        self.sources = sources
        self.collator = collator
        self.kinds = {name: column_kind(schema.field(name).type) for name in sources}
        self.types = {name: schema.field(name).type for name in sources}
        self.ragged = [n for n in sources if self.kinds[n] == "ragged"]

    def value_dtype(self, name: str) -> np.dtype:
        t = self.types[name]
        while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            t = t.value_type
        return np.dtype(bool) if pa.types.is_boolean(t) else np.dtype(t.to_pandas_dtype())

    def generator_signature(self) -> dict[str, Any]:
        import tensorflow as tf

        sig: dict[str, Any] = {}
        for name in self.sources:
            dtype = tf.as_dtype(self.value_dtype(name))
            if self.kinds[name] == "ragged":
                sig[name] = tf.TensorSpec([None], dtype)
                sig[name + "/row_splits"] = tf.TensorSpec([None], tf.int64)
            else:
                sig[name] = tf.TensorSpec([None, *_fixed_shape(self.types[name])], dtype)
        return sig

    def group_signature(self) -> dict[str, Any]:
        """The ``from_generator`` signature of a :class:`~loaders.tf_groups.GroupPadder` element."""
        import tensorflow as tf

        c = self.collator
        sig: dict[str, Any] = {"__rows__": tf.TensorSpec([None], tf.int64),
                               "__width__": tf.TensorSpec([None], tf.int64)}
        for name in self.sources:
            target = c.rename.get(name, name)
            if self.kinds[name] == "ragged":
                dtype = transfer_dtype(self.value_dtype(name), self.output_dtype(name).as_numpy_dtype,
                                       c.pad_value(target, name))
                sig["cells/" + target] = tf.TensorSpec([None], tf.as_dtype(dtype))
            else:
                sig["rows/" + target] = tf.TensorSpec([None, *_fixed_shape(self.types[name])],
                                                      self.output_dtype(name))
        if c.return_attention_mask and self.ragged and "cells/attention_mask" not in sig:
            sig["cells/attention_mask"] = tf.TensorSpec(
                [None], tf.as_dtype(mask_transfer_dtype(c.dtypes.get("attention_mask", np.int64))))
        return sig

    def arrays(self, table: pa.Table) -> dict[str, np.ndarray]:
        """Zero-copy (where Arrow allows) flat values and row splits of a group of batches."""
        out: dict[str, np.ndarray] = {}
        for name in self.sources:
            column = table.column(name)
            if self.kinds[name] == "ragged":
                offsets, values = list_offsets_values(column)
                out[name], out[name + "/row_splits"] = values, offsets
            elif self.kinds[name] == "fixed":
                shape = [table.num_rows, *_fixed_shape(self.types[name])]
                flat = column.combine_chunks()
                while pa.types.is_fixed_size_list(flat.type):
                    flat = flat.flatten()
                out[name] = flat.to_numpy(zero_copy_only=False).reshape(shape)
            else:
                out[name] = column.to_numpy()
        return out

    def output_dtype(self, name: str):
        import tensorflow as tf

        target = self.collator.rename.get(name, name)
        return tf.as_dtype(self.collator.output_dtype(target, name, self.types[name]))

    def group_extras(self, group: dict[str, np.ndarray], sizes: np.ndarray) -> None:
        """Add the batch ``__cuts__`` (row offsets) and padded ``__widths__`` of a group (numpy, once
        per group: the graph then needs no per-batch op to find a batch's width)."""
        group["__cuts__"] = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        group["__widths__"] = batch_widths([group[n + "/row_splits"] for n in self.ragged], sizes, self.collator)

    def split_group_ragged(self, group: dict[str, Any]) -> Any:
        """Graph function: one group of batches (flat Arrow values, row splits, batch ``cuts`` and
        ``widths``) → a ``tf.data.Dataset`` of its batches, each still ragged (``[rows, (tokens)]`` per
        list column), already in the output dtypes.

        ``tf.RaggedTensor.from_row_splits`` rebuilds the rows straight from the Arrow offsets; truncation
        to ``max_length`` and the cast to the output dtype happen here, once for the whole group.
        """
        import tensorflow as tf

        c = self.collator
        cuts = group["__cuts__"]
        sizes = cuts[1:] - cuts[:-1]
        elements: dict[str, Any] = {"__rows__": sizes, "__width__": group["__widths__"]}
        for name in self.sources:
            if self.kinds[name] == "ragged":
                values = tf.cast(group[name], self.output_dtype(name))
                rt = tf.RaggedTensor.from_row_splits(values, group[name + "/row_splits"], validate=False)
                if c.max_length is not None:
                    rt = rt[:, :c.max_length] if c.truncation_side == "right" else rt[:, -c.max_length:]
                elements["ragged/" + name] = tf.RaggedTensor.from_row_splits(rt, cuts, validate=False)
            else:
                values = tf.cast(group[name], self.output_dtype(name))
                elements["rows/" + name] = tf.RaggedTensor.from_row_splits(values, cuts, validate=False)
        return tf.data.Dataset.from_tensor_slices(elements)

    def pad_batch(self, element: dict[str, Any]) -> dict[str, Any]:
        """Graph function: one ragged batch → its dict of padded dense tensors with static shapes,
        every list column padded to the batch's width (its longest kept row) by ``to_tensor``."""
        import tensorflow as tf

        c = self.collator
        rows, width = element["__rows__"], element["__width__"]
        ragged = {n: element["ragged/" + n] for n in self.ragged}
        shape = tf.stack([rows, width])
        cols = tf.range(width)[None, :]
        if c.padding_side == "left":
            # Row r right-padded is [tokens, pads]; left-padded is the same row rotated by its length.
            def place(dense: Any, rt: Any) -> Any:
                n = rt.row_lengths()
                return tf.gather(dense, tf.math.floormod(cols + n[:, None], tf.maximum(width, 1)), batch_dims=1)
        else:
            def place(dense: Any, rt: Any) -> Any:
                return dense
        result: dict[str, Any] = {}
        for name in self.sources:
            target = c.rename.get(name, name)
            if name in ragged:
                dtype = self.output_dtype(name)  # split_group_ragged cast the group already
                dense = ragged[name].to_tensor(default_value=tf.cast(c.pad_value(target, name), dtype),
                                               shape=shape)
                result[target] = place(dense, ragged[name])
            else:
                result[target] = element["rows/" + name]
        if c.return_attention_mask and ragged and "attention_mask" not in result:
            source = c.mask_column or ("input_ids" if "input_ids" in ragged else self.ragged[0])
            n = ragged[source].row_lengths()[:, None]
            mask = cols >= width - n if c.padding_side == "left" else cols < n
            result["attention_mask"] = tf.cast(mask, tf.as_dtype(np.dtype(c.dtypes.get("attention_mask", np.int64))))
        spec = self.element_spec()
        return {k: tf.ensure_shape(result[k], spec[k].shape) for k in spec}

    def element_spec(self) -> dict[str, Any]:
        import tensorflow as tf

        c = self.collator
        spec = {}
        width = c.max_length if c.padding == "max_length" else None
        for name in self.sources:
            target = c.rename.get(name, name)
            if self.kinds[name] == "ragged":
                shape = [self.batch_dim, width]
            else:
                shape = [self.batch_dim, *_fixed_shape(self.types[name])]
            spec[target] = tf.TensorSpec(shape, self.output_dtype(name), name=target)
        if c.return_attention_mask and self.ragged and "attention_mask" not in spec:
            spec["attention_mask"] = tf.TensorSpec([self.batch_dim, width],
                                                   tf.as_dtype(np.dtype(c.dtypes.get("attention_mask", np.int64))))
        return spec


def to_tf_dataset(dataset: Any, columns: str | Sequence[str] | None = None,
                  label_cols: str | Sequence[str] | None = None, batch_size: int = 32, shuffle: bool = False,
                  seed: int = 0, drop_remainder: bool = False, *, collate_fn: Callable[[pa.Table], Mapping] | None = None,
                  output_signature: Any = None, pad_token_id: int | None = None,
                  pad_values: Mapping[str, Any] | None = None, max_length: int | None = None,
                  pad_to_multiple_of: int | None = None, padding: str = "longest", padding_side: str = "right",
                  truncation_side: str = "right", dtypes: Mapping[str, Any] | None = None,
                  rename: Mapping[str, str] | None = None, return_attention_mask: bool = True,
                  group_by_length: bool = False, mega_batch_mult: int = 50, length_column: str = "input_ids",
                  rank: int = 0, world_size: int = 1, read_ahead: int | None = None, pad_in_graph: bool = True,
                  prefetch: bool = True, structure: Callable[[dict[str, Any]], Any] | None = None) -> Any:
    """A ``tf.data.Dataset`` of padded batches, for ``keras.Model.fit``.

    Args:
        dataset: an arrowdata ``Dataset`` or a ``pa.Table``.
        columns: feature columns (None: every numeric column not in ``label_cols``).
        label_cols: when given, elements are ``(features, labels)``; one label column gives a tensor,
            several a dict. Names may be the source name (``label``) or the renamed one (``labels``).
        batch_size, shuffle, seed, drop_remainder: as in Hugging Face's ``to_tf_dataset``; each pass
            (each Keras epoch) reshuffles with the next epoch's seed.
        collate_fn: the generator path: a function from a ``pa.Table`` batch to a dict of numpy arrays,
            for collators the graph path cannot express. Its ``output_signature`` is taken from one
            batch unless given.
        pad_token_id ... return_attention_mask: padding options of :class:`~loaders.padding.PaddingCollator`.
        group_by_length, mega_batch_mult, length_column: length-grouped bucketing.
        rank, world_size: shard the batches over workers.
        read_ahead: batches gathered together in one read (default: about 8 MB of rows).
        pad_in_graph: pad inside the tf.data graph (the default): each group of batches crosses into
            TensorFlow as flat Arrow values and offsets (``tf.RaggedTensor.from_row_splits``), is cut into
            ragged batches by native ops and each batch is padded by ``RaggedTensor.to_tensor``.
            ``False`` pads each group with vectorized numpy instead (the torch loader's code) and the
            graph only cuts it into batches; both give identical batches and measured within noise of
            each other on CPU (see docs/loaders.md), the in-graph one slightly ahead.
        prefetch: add ``prefetch(AUTOTUNE)``.
        structure: a graph function from the dict of batch tensors to the element (instead of the
            ``(features, labels)`` split of ``label_cols``), run in the same ``map`` as the padding, so it
            costs no tf.data stage of its own (``Dataset.to_tf_dataset`` gives HF's output rules this way).

    Example:
        >>> import pyarrow as pa
        >>> to_tf_dataset(pa.table({"input_ids": [[1, 2]]}), batch_size=1).element_spec["input_ids"].shape
        TensorShape([None, None])
    """
    from .iterable_source import is_stream, stream_tf_dataset

    if is_stream(dataset):  # an arrowdata.streaming.IterableDataset: batches come from a generator
        return stream_tf_dataset(dataset, columns, label_cols, batch_size, shuffle, seed, drop_remainder,
                                 collate_fn=collate_fn, pad_token_id=pad_token_id, pad_values=pad_values,
                                 max_length=max_length, pad_to_multiple_of=pad_to_multiple_of, padding=padding,
                                 padding_side=padding_side, truncation_side=truncation_side, dtypes=dtypes,
                                 rename=rename, return_attention_mask=return_attention_mask,
                                 group_by_length=group_by_length, mega_batch_mult=mega_batch_mult,
                                 length_column=length_column, rank=rank, world_size=world_size)
    import tensorflow as tf

    labels = _as_list(label_cols)
    collator = PaddingCollator(pad_token_id=pad_token_id, pad_values=pad_values or {}, max_length=max_length,
                               pad_to_multiple_of=pad_to_multiple_of, padding=padding, padding_side=padding_side,
                               truncation_side=truncation_side, dtypes=dtypes or {}, rename=rename,
                               return_attention_mask=return_attention_mask)
    loader = NumpyLoader(dataset, batch_size, collate_fn=collate_fn or collator, shuffle=shuffle, seed=seed,
                         drop_last=drop_remainder, group_by_length=group_by_length, mega_batch_mult=mega_batch_mult,
                         length_column=length_column, rank=rank, world_size=world_size, read_ahead=read_ahead)
    schema = loader.source.schema
    # The graph path outputs renamed columns; a custom collate_fn names its outputs itself.
    label_sources = [_source_of(name, schema, collator) for name in labels] if collate_fn is None else labels
    if columns is None:
        sources = [f.name for f in schema if column_kind(f.type) is not None and f.name not in label_sources]
    else:
        sources = _as_list(columns)
        PaddingCollator(columns=sources).select(schema)  # raises naming a missing or non-numeric column
    builder = loader.builder
    epochs = _EpochCounter()

    if collate_fn is not None:
        ds = _generator_dataset(builder, epochs, output_signature)
    elif not pad_in_graph:
        plan = _GraphPlan(schema, sources + [s for s in label_sources if s not in sources], collator,
                          batch_dim=batch_size if drop_remainder else None)
        collator.columns = builder.columns = plan.sources
        padder = GroupPadder(collator)

        def padded_groups() -> Iterator[dict[str, np.ndarray]]:
            # One element per group of batches (~4 MB a column), padded in one numpy scatter per
            # column: from_generator's per-element cost is paid once per group, not per batch.
            epoch = epochs.next()
            sizes = builder.plan(epoch).batch_sizes()
            for lo, hi in ramp(builder.groups(epoch)):
                table = builder.source.read(builder.group_positions(epoch, lo, hi), plan.sources)
                yield from padder.elements(collator.prepare(table), sizes[lo:hi])

        ds = tf.data.Dataset.from_generator(padded_groups, output_signature=plan.group_signature())
        spec = plan.element_spec()
        targets = [collator.rename.get(s, s) for s in label_sources]

        def finish(element: dict[str, Any]) -> Any:
            batch = unflatten_batch(element, spec)
            return structure(batch) if structure is not None else _split_labels(batch, targets) if targets else batch

        if prefetch:  # the Python producer pads the next group while the graph cuts this one
            ds = ds.prefetch(1)
        ds = ds.flat_map(split_group).map(finish)
    else:
        plan = _GraphPlan(schema, sources + [s for s in label_sources if s not in sources], collator,
                          batch_dim=batch_size if drop_remainder else None)
        builder.columns = plan.sources

        def groups() -> Iterator[dict[str, np.ndarray]]:
            # One element per group of batches: the per-element cost of from_generator is paid rarely.
            epoch = epochs.next()
            sizes = builder.plan(epoch).batch_sizes()
            for lo, hi in ramp(builder.groups(epoch)):
                group = plan.arrays(builder.source.read(builder.group_positions(epoch, lo, hi), plan.sources))
                plan.group_extras(group, sizes[lo:hi])
                yield group

        signature = {**plan.generator_signature(), "__cuts__": tf.TensorSpec([None], tf.int64),
                     "__widths__": tf.TensorSpec([None], tf.int64)}
        ds = tf.data.Dataset.from_generator(groups, output_signature=signature)
        targets = [collator.rename.get(s, s) for s in label_sources]

        def pad(element: dict[str, Any]) -> Any:
            # Features and labels split in the same map: one tf.data stage less per batch.
            batch = plan.pad_batch(element)
            return structure(batch) if structure is not None else _split_labels(batch, targets) if targets else batch

        if prefetch:  # Python reads the next group while the graph pads this one
            ds = ds.prefetch(1)
        ds = ds.flat_map(plan.split_group_ragged).map(pad)
    # The number of batches is known exactly: say so, so Keras shows real progress bars and never
    # mistakes the end of an epoch for running out of data.
    ds = ds.apply(tf.data.experimental.assert_cardinality(builder.num_batches(0)))
    if structure is not None and collate_fn is not None:
        ds = ds.map(structure)
    elif labels and collate_fn is not None:
        ds = ds.map(lambda batch: _split_labels(batch, labels))
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


#: the first read group of a pass is cut into a head of 1/RAMP_PARTS of it and the rest, so the
#: first batch reaches TensorFlow after a small read while the next group is read behind it
RAMP_PARTS = 8


def ramp(groups: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``groups`` (``[lo, hi)`` batch ranges) with the first one cut into a small head and the rest.

    Each pass starts with the consumer waiting for the first group; a head of an eighth of it
    shortens that wait (a pass of 20k rows is ~3 groups, so the first group is ~a third of it),
    while the later groups keep their size. The batches are the same.

    Example:
        >>> ramp([(0, 64), (64, 100)])
        [(0, 8), (8, 64), (64, 100)]
    """
    if not groups:
        return groups
    lo, hi = groups[0]
    head = max(1, (hi - lo) // RAMP_PARTS)
    return ([(lo, lo + head), (lo + head, hi)] if hi - lo > head else [(lo, hi)]) + list(groups[1:])


def _source_of(name: str, schema: pa.Schema, collator: PaddingCollator) -> str:
    if name in schema.names:
        return name
    for source, target in collator.rename.items():
        if target == name and source in schema.names:
            return source
    raise LoaderError(f"label column {name!r} is not in the dataset; it has {schema.names}")


def _split_labels(batch: dict[str, Any], targets: list[str]) -> tuple[dict[str, Any], Any]:
    features = {k: v for k, v in batch.items() if k not in targets}
    if len(targets) == 1:
        return features, batch[targets[0]]
    return features, {t: batch[t] for t in targets}


class _EpochCounter:
    """Each pass over the tf.data pipeline (each Keras epoch) takes the next epoch's shuffle."""

    def __init__(self) -> None:
        self.epoch = -1

    def next(self) -> int:
        self.epoch += 1
        return self.epoch


def _generator_dataset(builder: BatchBuilder, epochs: _EpochCounter, output_signature: Any) -> Any:
    import tensorflow as tf

    def batches() -> Iterator[dict[str, np.ndarray]]:
        epoch = epochs.next()
        for lo, hi in ramp(builder.groups(epoch)):
            for batch in builder.iter_group(epoch, lo, hi):
                yield {key: np.asarray(v) for key, v in batch.items()}

    if output_signature is None:
        if builder.num_batches(0) == 0:
            raise LoaderError("the dataset yields no batch, so the collate_fn output cannot be inferred; "
                              "pass output_signature=")
        sample = builder.build(0, 0)
        output_signature = {k: tf.TensorSpec([None] * np.ndim(v), tf.as_dtype(np.asarray(v).dtype))
                            for k, v in sample.items()}
        logger.info("to_tf_dataset: output_signature inferred from the first batch of collate_fn: %s",
                    output_signature)
    return tf.data.Dataset.from_generator(batches, output_signature=output_signature)
