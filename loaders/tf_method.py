"""``Dataset.to_tf_dataset``: Hugging Face ``datasets``' signature and semantics over :func:`to_tf_dataset`.

arrowdata finds this function through the ``arrowdata.exporters`` entry point (``tf_dataset``), so
``arrowdata`` never imports ``loaders``. What HF users rely on, kept as HF 5 does it:

- the signature ``(batch_size=None, columns=None, shuffle=False, collate_fn=None, drop_remainder=False,
  collate_fn_args=None, label_cols=None, prefetch=True, num_workers=0, num_test_batches=20)``;
- ``collate_fn(list_of_row_dicts, **collate_fn_args)``; rows hold numpy arrays for list columns and
  numpy scalars otherwise, and keep ``label``/``label_ids``/``labels`` even when not in ``columns``;
- a collator that renames ``label`` to ``labels`` works: ``columns``/``label_cols`` follow the rename;
- outputs: ``(features, labels)`` with ``label_cols``, ``features`` alone without; one column comes out
  as a tensor, several as a dict; ``columns=None`` gives the whole dict;
- the ``element_spec``: integers and booleans as int64, other numbers as float32; with a
  ``collate_fn`` the shapes come from ``num_test_batches`` one-row test batches (a dimension
  constant over them is static), the batch dimension is ``batch_size`` with ``drop_remainder``.

What is faster than HF: without ``collate_fn`` the padding runs in the tf.data graph (no Python per
batch), and a ``transformers.DataCollatorWithPadding`` is recognised (:mod:`loaders.hf_collators`)
and run as that same native padding, with identical batches. Any other collator runs as in HF,
per batch, on row dicts. ``num_workers`` is accepted and ignored: the graph path needs no workers.

Example:
    >>> import arrowdata
    >>> ds = arrowdata.Dataset.from_dict({"input_ids": [[1, 2, 3], [4]], "label": [0, 1]})
    >>> ids, labels = next(iter(ds.to_tf_dataset(batch_size=2, columns="input_ids", label_cols="label")))
    >>> ids.numpy().tolist(), labels.numpy().tolist()
    ([[1, 2, 3], [4, 0, 0]], [0, 1])
"""
from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from arrowdata.exporters import MissingExporterError

from .errors import LoaderError
from .hf_collators import native_padding
from .padding import _fixed_to_numpy, column_kind, list_offsets_values
from .source import RowSource
from .tf_loader import to_tf_dataset as _to_tf_dataset

logger = logging.getLogger(__name__)

#: Columns HF keeps for the collator even when ``columns`` does not name them.
LABEL_NAMES = ("label", "label_ids", "labels")


def to_tf_dataset(dataset: Any, batch_size: int | None = None, columns: str | Sequence[str] | None = None,
                  shuffle: bool = False, collate_fn: Callable | None = None, drop_remainder: bool = False,
                  collate_fn_args: Mapping[str, Any] | None = None, label_cols: str | Sequence[str] | None = None,
                  prefetch: bool = True, num_workers: int = 0, num_test_batches: int = 20,
                  **options: Any) -> Any:
    """``dataset.to_tf_dataset(...)`` as in Hugging Face ``datasets`` (see the module docstring).

    ``options`` go to :func:`loaders.to_tf_dataset` (``seed``, ``group_by_length``, ``pad_token_id``...).

    Example:
        >>> import pyarrow as pa
        >>> tfds = to_tf_dataset(pa.table({"x": [1, 2, 3]}), batch_size=2, columns=["x"])
        >>> [t.numpy().tolist() for t in tfds]
        [[1, 2], [3]]
    """
    if importlib.util.find_spec("tensorflow") is None:
        raise MissingExporterError("to_tf_dataset needs TensorFlow, which is not installed; "
                                   "pip install 'arrowdata[tf]' (or tensorflow-cpu)")

    features, labels = _names("columns", columns), _names("label_cols", label_cols)
    if labels and not features:
        raise LoaderError("label_cols needs columns: name the feature columns too (columns=...)")
    if not isinstance(num_workers, int) or num_workers < 0:
        raise LoaderError(f"num_workers must be an integer >= 0, got {num_workers!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise LoaderError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    source = RowSource(dataset)
    schema = source.schema
    retain = None if not features else list(dict.fromkeys(features + labels))
    rows_per_batch = batch_size or 1
    static_batch = batch_size if drop_remainder else None

    if collate_fn is None:
        padding = _default_padding(schema, retain)
        spec_names = padding["columns"] + (["attention_mask"] if padding["return_attention_mask"] else [])
        signature = None
    else:
        kept = [n for n in schema.names if retain is None or n in retain or n in LABEL_NAMES]
        signature = _test_signature(source, kept, collate_fn, dict(collate_fn_args or {}), static_batch,
                                    num_test_batches)
        spec_names = list(signature)
        padding = native_padding(collate_fn, collate_fn_args, schema, kept, signature)
    if "labels" in spec_names:  # the collator renamed label/label_ids to labels
        features, labels = _follow_rename(features), _follow_rename(labels)
    for kind, names in (("Column", features), ("Label column", labels)):
        for name in names:
            if name not in spec_names:
                raise LoaderError(f"{kind} {name!r} not found in the dataset (it has {schema.names}); "
                                  f"the batches hold {spec_names}")
    shapes = None if signature is None else {k: s.shape for k, s in signature.items()}
    structure = _structure(features if retain is not None else None, labels, shapes)
    common = dict(batch_size=rows_per_batch, shuffle=shuffle, drop_remainder=drop_remainder, prefetch=prefetch,
                  structure=structure, **options)
    if padding is not None:
        logger.debug("to_tf_dataset: native padding %s", padding)
        ds = _to_tf_dataset(dataset, **padding, **common)
    else:
        rows = _RowDictCollate(collate_fn, dict(collate_fn_args or {}), kept, signature)
        ds = _to_tf_dataset(dataset, collate_fn=rows, output_signature=rows.output_signature(), **common)
    if batch_size is None:
        ds = ds.unbatch()
    return ds


def _names(argument: str, value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if len(set(names)) < len(names):
        raise LoaderError(f"{argument} lists a column twice: {names}")
    return names


def _follow_rename(names: list[str]) -> list[str]:
    if any(n in ("label", "label_ids") for n in names) and "labels" not in names:
        return [n for n in names if n not in ("label", "label_ids")] + ["labels"]
    return names


def _default_padding(schema: pa.Schema, retain: list[str] | None) -> dict[str, Any]:
    """Padding options for the no-collator path: HF's names (no rename) and dtypes (int64, float32)."""
    if retain is None:
        names = [f.name for f in schema if column_kind(f.type) is not None]
        skipped = [f.name for f in schema if column_kind(f.type) is None]
        if skipped:
            logger.info("to_tf_dataset: leaving out non-numeric columns %s (pass a collate_fn to use them)", skipped)
    else:
        names = [n for n in retain if n in schema.names]
    dtypes = {n: "int64" for n in names if _value_type_is_bool(schema.field(n).type)}
    create_mask = retain is not None and "attention_mask" in retain and "attention_mask" not in schema.names
    return {"columns": names, "rename": {}, "dtypes": dtypes, "return_attention_mask": create_mask}


def _value_type_is_bool(t: pa.DataType) -> bool:
    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
    return pa.types.is_boolean(t)


def _structure(features: list[str] | None, labels: list[str],
               shapes: dict[str, Any] | None) -> Callable[[dict[str, Any]], Any]:
    """The graph function giving HF's element structure (and, for a collator, its static shapes)."""
    import tensorflow as tf

    def shape(batch: dict[str, Any]) -> Any:
        if shapes is not None:
            batch = {k: tf.ensure_shape(v, shapes[k]) for k, v in batch.items() if k in shapes}
        if features is None:
            return batch
        feats = {k: v for k, v in batch.items() if k in features}
        labs = {k: v for k, v in batch.items() if k in labels}
        out_f = next(iter(feats.values())) if len(feats) == 1 else feats
        out_l = next(iter(labs.values())) if len(labs) == 1 else labs
        return out_f if isinstance(out_l, dict) and not out_l else (out_f, out_l)

    return shape


# -- the collate_fn path: row dicts, as HF hands them over -----------------------------------------------------
def table_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows of ``table`` as HF's numpy format gives them to a collator: list columns as numpy arrays
    (owned, writable), scalars as numpy scalars, other values as Python objects.

    Example:
        >>> table_rows(pa.table({"ids": [[1, 2], [3]], "y": [0, 1]}))[1]
        {'ids': array([3]), 'y': np.int64(1)}
    """
    columns: dict[str, Any] = {}
    for name in table.column_names:
        column = table.column(name)
        kind = column_kind(column.type)
        if kind == "ragged" and column.null_count == 0:
            offsets, values = list_offsets_values(column)
            flat = values[offsets[0]:offsets[-1]].astype(_hf_dtype(values.dtype))  # one owned copy, cut in rows
            columns[name] = np.split(flat, (offsets[1:-1] - offsets[0]).tolist())
        elif kind == "fixed":
            columns[name] = list(_fixed_to_numpy(column, _hf_dtype(_value_dtype(column.type))))
        elif kind == "scalar" and column.null_count == 0:
            array = column.to_numpy()
            columns[name] = array.astype(_hf_dtype(array.dtype), copy=False)
        else:
            columns[name] = column.to_pylist()
    return [{k: v[i] for k, v in columns.items()} for i in range(table.num_rows)]


def _hf_dtype(dtype: np.dtype) -> np.dtype:
    """HF's numpy format hands integers over as int64 whatever their width; other values keep theirs."""
    return np.dtype(np.int64) if np.issubdtype(dtype, np.integer) else np.dtype(dtype)


def _value_dtype(t: pa.DataType) -> np.dtype:
    while pa.types.is_fixed_size_list(t):
        t = t.value_type
    return np.dtype(bool) if pa.types.is_boolean(t) else np.dtype(t.to_pandas_dtype())


def _np_dtype(array: np.ndarray) -> np.dtype:
    """HF's mapping of a collator output to the dtype it crosses into TF with."""
    if np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        return np.dtype(np.int64)
    if np.issubdtype(array.dtype, np.number):
        return np.dtype(np.float32)
    if array.dtype.kind == "U":
        return np.dtype(np.str_)
    raise LoaderError(f"the collate_fn returned an array of dtype {array.dtype}; only numbers and strings "
                      "can become tensors here")


def _as_numpy(value: Any) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") and not isinstance(value, np.ndarray) else np.asarray(value)


def _test_signature(source: RowSource, kept: list[str], collate_fn: Callable, args: dict[str, Any],
                    static_batch: int | None, num_test_batches: int) -> dict[str, Any]:
    """The ``tf.TensorSpec`` of each collator output, from one-row test batches (HF's rule)."""
    import tensorflow as tf

    if len(source) == 0:
        raise LoaderError("cannot infer the collate_fn's output signature: the dataset is empty")
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(source), size=max(1, int(num_test_batches)))
    outputs = [collate_fn(table_rows(source.read([int(i)], kept)), **args) for i in picks]
    signature = {}
    for key in outputs[0]:
        arrays = [_as_numpy(out[key]) for out in outputs]
        shapes = [a.shape for a in arrays]
        static = [static_batch] + [dims.pop() if len(dims := {s[d] for s in shapes}) == 1 else None
                                   for d in range(1, len(shapes[0]))]
        dtype = _np_dtype(arrays[0])
        signature[key] = tf.TensorSpec(static, tf.string if dtype.kind == "U" else tf.as_dtype(dtype))
    return signature


class _RowDictCollate:
    """Adapts a row-dict collator to the loaders' ``pa.Table -> dict of arrays`` contract."""

    def __init__(self, collate_fn: Callable, args: dict[str, Any], kept: list[str], signature: dict[str, Any]):
        self.collate_fn, self.args, self.kept, self.signature = collate_fn, args, kept, signature

    def output_signature(self) -> dict[str, Any]:
        import tensorflow as tf

        return {k: tf.TensorSpec([None] * len(s.shape), s.dtype) for k, s in self.signature.items()}

    def __call__(self, table: pa.Table) -> dict[str, np.ndarray]:
        batch = self.collate_fn(table_rows(table.select(self.kept)), **self.args)
        out = {}
        for key, spec in self.signature.items():
            array = _as_numpy(batch[key])
            out[key] = array.astype(np.str_ if spec.dtype.name == "string" else spec.dtype.as_numpy_dtype)
        return out
