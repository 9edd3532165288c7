"""Building datasets from Python, pandas, polars, Arrow, generators and data files.

Each function here is exposed as a ``Dataset`` classmethod (``Dataset.from_dict`` ...);
``cls`` is the class it is called on.

Example:
    >>> from arrowdata import Dataset, Features, ClassLabel, Value
    >>> ds = Dataset.from_dict({"y": ["pos", "neg"]}, features=Features({"y": ClassLabel(names=["neg", "pos"])}))
    >>> ds["y"]
    [1, 0]
"""
from __future__ import annotations

import json
import logging
import os
import re
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import xxhash

from . import config
from .content_hash import table_fingerprint
from .errors import ArrowDataError, InvalidArgumentError, SchemaMismatchError
from .features import Features, cast_table, schema_metadata
from .features.cast import _needs_walk
from .features.compact import compact_token_column
from .features.json_values import encode_values, has_json, has_struct, mixed_keys
from .features.types import Json, arrow_type_of
from .fingerprint import function_components, hash_object, random_fingerprint
from .info import DatasetInfo
from .io import get_builder, resolve_data_files
from .io.convert import convert_cached
from .table import copy_to_memory, normalize_table, open_arrow_files
from .writer import ArrowWriter

logger = logging.getLogger(__name__)


def _ndarray_to_arrow(arr: np.ndarray) -> pa.Array:
    """An n-D NumPy array as nested Arrow lists (one row per first-axis entry), without a Python loop."""
    arr = np.ascontiguousarray(arr)
    flat = pa.array(arr.reshape(-1))
    for size in reversed(arr.shape[1:]):
        flat = pa.FixedSizeListArray.from_arrays(flat, size)
        flat = flat.cast(pa.list_(flat.type.value_type))
    return flat


def _plain(value: Any) -> Any:
    # pyarrow reads 1-D NumPy arrays inside lists but not n-D ones.
    if isinstance(value, np.ndarray) and value.ndim > 1:
        return value.tolist()
    return value


def _column_to_arrow(name: str, values: Any, target: pa.DataType | None) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, np.ndarray) and values.ndim > 1:
        return _ndarray_to_arrow(values)
    if hasattr(values, "__array__") and not isinstance(values, (list, tuple, np.ndarray)):
        values = np.asarray(values)  # torch/tf tensors, pandas Series
        if values.ndim > 1:
            return _ndarray_to_arrow(values)
    if isinstance(values, (list, tuple)) and any(isinstance(v, np.ndarray) and v.ndim > 1 for v in values[:64]):
        values = [_plain(v) for v in values]
    if target is not None:
        try:
            return pa.array(values, type=target)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError):
            pass  # inferred then cast below, so the error names the column and types
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
        raise ArrowDataError(f"column {name!r}: cannot build an Arrow column from these values ({e}); "
                             "give values of one type, or pass features=") from e


def _direct_type(feature: Any) -> pa.DataType | None:
    """The Arrow type values can be built as directly (None when a cast step must run, e.g. label names)."""
    if _needs_walk(feature):
        return None
    try:
        return arrow_type_of(feature)
    except (TypeError, ValueError):
        return None


def table_from_dict(mapping: Mapping[str, Any], features: Features | None = None,
                    on_mixed_types: str | None = None) -> pa.Table:
    """An Arrow table from ``{column: values}``, cast to ``features`` when given.

    ``Json`` features get their values encoded first; with ``on_mixed_types="use_json"`` a column whose
    values mix types becomes a ``Json`` column. Tokenizer columns (``input_ids``, masks) without a
    feature get HF's small integer types (:mod:`arrowdata.features.compact`).

    Example:
        >>> table_from_dict({"a": [1, 2]}).num_rows
        2
    """
    if not isinstance(mapping, Mapping):
        raise TypeError(f"from_dict takes a mapping of column name to values, got {type(mapping).__name__}")
    if features is not None:
        features = Features(features)
        unknown = set(mapping) - set(features)
        if unknown:
            raise ArrowDataError(f"columns {sorted(unknown)} are not in features {list(features)}")
    if on_mixed_types not in (None, "use_json"):
        raise ArrowDataError(f"on_mixed_types must be None or 'use_json', got {on_mixed_types!r}")
    arrays, names, as_json = [], [], []
    for name, values in mapping.items():
        feature = features[name] if features is not None else None
        if feature is not None and has_json(feature) and not isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = encode_values(values, feature)
        target = _direct_type(feature) if feature is not None else None
        try:
            column = _column_to_arrow(name, values, target)
            mixed = on_mixed_types == "use_json" and feature is None and has_struct(column.type) and \
                mixed_keys(values)
        except ArrowDataError:
            if on_mixed_types != "use_json" or feature is not None:
                raise
            mixed = True
        if mixed:
            column = pa.array(encode_values(values, Json()), pa.string())
            as_json.append(str(name))
        if feature is None and not isinstance(values, (pa.Array, pa.ChunkedArray)):
            column = compact_token_column(str(name), column)
        arrays.append(column)
        names.append(str(name))
    lengths = {n: len(a) for n, a in zip(names, arrays)}
    if len(set(lengths.values())) > 1:
        raise ArrowDataError(f"columns have different lengths: {lengths}")
    table = pa.Table.from_arrays(arrays, names=names) if arrays else pa.table({})
    if features is not None:
        missing = [c for c in features if c not in mapping]
        for c in missing:  # absent columns are all null, as in HF `datasets`
            table = table.append_column(c, pa.nulls(table.num_rows, _direct_type(features[c]) or pa.null()))
        table = cast_table(table.select(list(features)), features)
    else:
        inferred = Features.from_arrow_schema(table.schema)
        inferred.update({name: Json() for name in as_json})
        table = table.replace_schema_metadata(schema_metadata(inferred))
    return table


def _make(cls: type, table: pa.Table, info: DatasetInfo | None, split: str | None,
          fingerprint: str | None = None) -> Any:
    info = info.copy() if info is not None else DatasetInfo()
    info.features = Features.from_arrow_schema(table.schema)
    return cls._from_parts(table, fingerprint=fingerprint or table_fingerprint(table), info=info, split=split)


def from_dict(cls: type, mapping: Mapping[str, Any], features: Features | None = None,
              info: DatasetInfo | None = None, split: str | None = None, on_mixed_types: str | None = None) -> Any:
    """A dataset from ``{column: list of values}`` (lists, NumPy arrays, Arrow arrays).

    Args:
        mapping: column name → values; n-D NumPy arrays become nested lists.
        features: column types; values are cast (ClassLabel columns accept label names).
        info: description, citation...; split: split name.
        on_mixed_types: ``"use_json"`` stores a column whose values mix types as ``Json`` (as HF 5).

    Example:
        >>> from arrowdata import Dataset
        >>> Dataset.from_dict({"a": [1, 2]}).features
        Features({'a': Value(dtype='int64')})
    """
    if features is None and info is not None and info.features is not None:
        features = info.features
    return _make(cls, table_from_dict(mapping, features, on_mixed_types), info, split)


def from_list(cls: type, rows: Sequence[Mapping[str, Any]], features: Features | None = None,
              info: DatasetInfo | None = None, split: str | None = None, on_mixed_types: str | None = None) -> Any:
    """A dataset from a list of row dicts; a key missing in a row is a null.

    Example:
        >>> from arrowdata import Dataset
        >>> Dataset.from_list([{"a": 1}, {"a": 2, "b": "x"}])[0]
        {'a': 1, 'b': None}
    """
    return from_dict(cls, _rows_to_columns(rows, list(features) if features else None), features, info, split,
                     on_mixed_types)


def _rows_to_columns(rows: Iterable[Mapping[str, Any]], names: list[str] | None = None) -> dict[str, list]:
    rows = list(rows)
    if names is None:
        names = list(dict.fromkeys(k for row in rows for k in row))
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ArrowDataError(f"row {i}: expected a dict of column values, got {type(row).__name__}")
    return {name: [row.get(name) for row in rows] for name in names}


def from_pandas(cls: type, df: Any, features: Features | None = None, info: DatasetInfo | None = None,
                split: str | None = None, preserve_index: bool | None = None) -> Any:
    """A dataset from a pandas DataFrame (Arrow conversion; the index is kept only if named or asked).

    Example:
        >>> import pandas as pd
        >>> from arrowdata import Dataset
        >>> Dataset.from_pandas(pd.DataFrame({"a": [1, 2]})).num_rows
        2
    """
    try:
        table = pa.Table.from_pandas(df, preserve_index=preserve_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise ArrowDataError(f"cannot convert this DataFrame to Arrow: {e}") from e
    # pandas metadata would tie the schema to the index layout; features describe the columns.
    table = table.replace_schema_metadata(None)
    return from_arrow(cls, table, features=features, info=info, split=split)


def from_polars(cls: type, df: Any, features: Features | None = None, info: DatasetInfo | None = None,
                split: str | None = None) -> Any:
    """A dataset from a polars DataFrame (zero-copy where polars allows).

    Example:
        >>> import polars as pl
        >>> from arrowdata import Dataset
        >>> Dataset.from_polars(pl.DataFrame({"a": [1, 2]}))["a"]
        [1, 2]
    """
    table = df.to_arrow()
    # polars uses large_string/large_list and string views; plain types match what files hold.
    return from_arrow(cls, _to_plain_types(table), features=features, info=info, split=split)


def _to_plain_types(table: pa.Table) -> pa.Table:
    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            return pa.binary()
        if pa.types.is_large_list(t) or pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
            return pa.list_(plain(t.value_type))
        if pa.types.is_list(t):
            return pa.list_(plain(t.value_type))
        if pa.types.is_fixed_size_list(t):
            return pa.list_(plain(t.value_type), t.list_size)
        if pa.types.is_struct(t):
            return pa.struct([pa.field(f.name, plain(f.type)) for f in t])
        return t

    target = pa.schema([pa.field(f.name, plain(f.type)) for f in table.schema])
    return table if target == table.schema else table.cast(target)


def from_arrow(cls: type, table: pa.Table | pa.RecordBatch | Sequence[pa.RecordBatch],
               features: Features | None = None, info: DatasetInfo | None = None, split: str | None = None) -> Any:
    """A dataset over an in-memory Arrow table (no copy unless ``features`` asks for a cast).

    Example:
        >>> import pyarrow as pa
        >>> from arrowdata import Dataset
        >>> Dataset.from_arrow(pa.table({"a": [1]})).num_rows
        1
    """
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    elif isinstance(table, (list, tuple)):
        table = pa.Table.from_batches(list(table))
    if not isinstance(table, pa.Table):
        raise TypeError(f"from_arrow takes a pyarrow Table or RecordBatch, got {type(table).__name__}")
    table = normalize_table(table)
    if features is not None:
        table = cast_table(table, Features(features))
    return _make(cls, table, info, split)


def from_file(cls: type, filename: str | os.PathLike, info: DatasetInfo | None = None, split: str | None = None,
              in_memory: bool = False, verify: bool | None = None, fingerprint: str | None = None) -> Any:
    """A dataset memory-mapped from one ``.arrow`` file (IPC stream or file format).

    ``verify`` as in :func:`arrowdata.load_from_disk` (offsets checked up to 1 GB by default);
    ``fingerprint`` defaults to a content hash of the file's data.

    Example:
        >>> from arrowdata import Dataset
        >>> Dataset.from_file("missing.arrow")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        arrowdata.errors.MissingFileError: No such file or directory: 'missing.arrow'
    """
    path = os.path.abspath(os.fspath(filename))
    table = open_arrow_files([path], verify=verify)
    if in_memory:
        table = copy_to_memory(table)
    ds = _make(cls, table, info, split, fingerprint)
    return ds if in_memory else ds._replace(data_files=[path])


_copy_to_memory = copy_to_memory  # its old name here


# ---------------------------------------------------------------------------- generators

def _generator_key(generator: Callable, gen_kwargs: dict | None, features: Features | None) -> str | None:
    try:
        parts = function_components(generator, "generator")
        return hash_object({"fn": parts, "kwargs": gen_kwargs or {},
                            "features": features.to_dict() if features is not None else None}, "from_generator")
    except ArrowDataError as e:
        warnings.warn(f"from_generator: {e}; the result will not be reused from the cache", stacklevel=3)
        return None


def from_generator(cls: type, generator: Callable[..., Iterable[Mapping[str, Any]]],
                   features: Features | None = None, cache_dir: str | os.PathLike | None = None,
                   keep_in_memory: bool = False, gen_kwargs: dict | None = None, num_proc: int | None = None,
                   split: str | None = "train", fingerprint: str | None = None, writer_batch_size: int = 1000,
                   info: DatasetInfo | None = None) -> Any:
    """A dataset from a generator of row dicts, streamed to ``cache_dir()/generated/<key>.arrow``.

    Rows are written ``writer_batch_size`` at a time, so memory stays bounded whatever the size.
    The key hashes the generator's code (and what it closes over) and ``gen_kwargs``: calling
    again with the same function and arguments memory-maps the earlier file. ``fingerprint``
    (letters, digits, ``_`` and ``-``) replaces that hash, for generators too costly to hash;
    it becomes the dataset's fingerprint. ``split`` is ``"train"`` by default, as in HF.
    ``num_proc`` is accepted for HF compatibility (the generator runs in this process).

    Example:
        >>> from arrowdata import Dataset
        >>> def gen(n):
        ...     for i in range(n):
        ...         yield {"i": i, "sq": i * i}
        >>> Dataset.from_generator(gen, gen_kwargs={"n": 3})["sq"]
        [0, 1, 4]
    """
    from .utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

    if writer_batch_size < 1:
        raise ArrowDataError(f"writer_batch_size must be positive, got {writer_batch_size}")
    features = Features(features) if features is not None else None
    if fingerprint is not None:
        if not isinstance(fingerprint, str) or not re.fullmatch(r"[\w-]{1,128}", fingerprint):
            raise InvalidArgumentError("fingerprint", f"use 1-128 letters, digits, '_' or '-', got {fingerprint!r}")
        feats_key = json.dumps(features.to_dict(), sort_keys=True) if features is not None else ""
        key = f"{fingerprint}-{xxhash.xxh3_64_hexdigest(feats_key.encode())}"
    else:
        key = _generator_key(generator, gen_kwargs, features)
    root = os.fspath(cache_dir) if cache_dir is not None else os.fspath(config.cache_dir())
    if key is not None:
        path = os.path.join(root, "generated", f"{key}.arrow")
        if config.is_caching_enabled() and os.path.exists(path):
            logger.info("from_generator: reusing %s", path)
            return from_file(cls, path, info=info, split=split, in_memory=keep_in_memory,
                             fingerprint=fingerprint or key)
    else:
        path = os.path.join(root, "generated", f"{random_fingerprint()}.arrow")
    writer = ArrowWriter(path)
    schema: pa.Schema | None = None
    buffer: list[Mapping[str, Any]] = []

    def flush() -> None:
        nonlocal schema
        table = table_from_dict(_rows_to_columns(buffer, list(features) if features else
                                                 (schema.names if schema is not None else None)), features)
        if schema is None:
            schema = table.schema
        elif table.schema != schema:
            table = _conform(table, schema, len_before=writer.num_rows)
        writer.write(table)
        buffer.clear()

    try:
        with tqdm(desc="Generating", unit=" examples", disable=None) as bar:
            for i, row in enumerate(generator(**(gen_kwargs or {}))):
                if not isinstance(row, Mapping):
                    raise ArrowDataError(f"from_generator: item {i} is a {type(row).__name__}, expected a dict")
                buffer.append(row)
                if len(buffer) >= writer_batch_size:
                    flush()
                    bar.update(writer_batch_size)
            if buffer or schema is None:
                if schema is None and not buffer and features is None:
                    raise ArrowDataError("from_generator: the generator yielded no rows and no features were given")
                n = len(buffer)
                flush()
                bar.update(n)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return from_file(cls, path, info=info, split=split, in_memory=keep_in_memory, fingerprint=fingerprint or key)


def _conform(table: pa.Table, schema: pa.Schema, len_before: int) -> pa.Table:
    """A later generator batch cast to the schema of the first one; errors name the column."""
    table = table.select(schema.names) if set(table.column_names) == set(schema.names) else table
    if table.column_names != schema.names:
        raise SchemaMismatchError(f"rows from {len_before} on have columns {table.column_names}, "
                                  f"earlier rows had {schema.names}")
    for fld in schema:
        col = table.column(fld.name)
        if col.type != fld.type:
            try:
                col.cast(fld.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
                raise SchemaMismatchError(f"rows from {len_before} on hold {col.type}, earlier rows {fld.type} "
                                          "(pass features= to fix the type)", column=fld.name) from e
    return table.cast(schema)


# ---------------------------------------------------------------------------- data files

def _from_builder(cls: type, builder: str, path_or_paths: Any, split: str | None, features: Features | None,
                  cache_dir: str | None, keep_in_memory: bool, *, storage_options: Mapping[str, Any] | None = None,
                  progress: bool = True, max_shard_size: int | str | None = None, **builder_options: Any) -> Any:
    """The files converted once into the cache (as ``load_dataset`` does) and opened as a ``cls``."""
    split = split or "train"
    configured = get_builder(builder, **builder_options)
    files = resolve_data_files(path_or_paths, storage_options, extensions=configured.extensions,
                               default_split=split)[split]
    root = Path(cache_dir).expanduser() if cache_dir is not None else config.cache_dir() / "converted"
    root.mkdir(parents=True, exist_ok=True)
    saved = convert_cached(configured, files, split, Features(features) if features is not None else None, root,
                           keep_in_memory=keep_in_memory, progress=progress,
                           **({"max_shard_size": max_shard_size} if max_shard_size is not None else {}))
    return cls._from_parts(saved.table, fingerprint=saved.fingerprint, info=saved.info, split=saved.split,
                           format=saved.format, data_files=saved.data_files)


def from_csv(cls: type, path_or_paths: Any, split: str | None = None, features: Features | None = None,
             cache_dir: str | None = None, keep_in_memory: bool = False, **kwargs: Any) -> Any:
    """A dataset from CSV file(s), converted once into the cache (``load_dataset("csv", ...)``)."""
    return _from_builder(cls, "csv", path_or_paths, split, features, cache_dir, keep_in_memory, **kwargs)


def from_json(cls: type, path_or_paths: Any, split: str | None = None, features: Features | None = None,
              cache_dir: str | None = None, keep_in_memory: bool = False, **kwargs: Any) -> Any:
    """A dataset from JSON Lines / JSON file(s) (``load_dataset("json", ...)``; ``field=`` for nested)."""
    return _from_builder(cls, "json", path_or_paths, split, features, cache_dir, keep_in_memory, **kwargs)


def from_parquet(cls: type, path_or_paths: Any, split: str | None = None, features: Features | None = None,
                 cache_dir: str | None = None, keep_in_memory: bool = False, **kwargs: Any) -> Any:
    """A dataset from Parquet file(s) (``load_dataset("parquet", ...)``)."""
    return _from_builder(cls, "parquet", path_or_paths, split, features, cache_dir, keep_in_memory, **kwargs)


def from_text(cls: type, path_or_paths: Any, split: str | None = None, features: Features | None = None,
              cache_dir: str | None = None, keep_in_memory: bool = False, **kwargs: Any) -> Any:
    """A dataset from text file(s), one row per line (``sample_by="paragraph"``/``"document"`` too)."""
    return _from_builder(cls, "text", path_or_paths, split, features, cache_dir, keep_in_memory, **kwargs)
