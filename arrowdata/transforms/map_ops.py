"""Dataset methods: ``map``, ``filter`` and ``cleanup_cache_files``.

Both transforms are cached by fingerprint (:mod:`arrowdata.transforms.transform_key`),
computed once per key across processes (:mod:`arrowdata.transforms.cached_run`), run
in one process or many (:mod:`arrowdata.transforms.parallel`) by the same loops
(:mod:`arrowdata.transforms.map_runner`). ``map`` streams its output to an Arrow file
in the cache; ``filter`` stores only the kept row positions (an indices file), never a
copy of the rows.

Example:
    >>> from arrowdata import Dataset
    >>> ds = Dataset.from_dict({"text": ["a", "bb", "ccc"], "label": [0, 1, 1]})
    >>> ds.map(lambda b: {"n": [len(t) for t in b["text"]]}, batched=True)["n"]
    [1, 2, 3]
    >>> import pyarrow.compute as pc
    >>> len(ds.filter(pc.field("label") == 1))
    2
"""
from __future__ import annotations

import functools
import logging
import os
import string
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pyarrow as pa

from .. import cache as cache_mod
from ..dataset_core import DatasetCore
from ..engines.base import plan as engine_plan
from ..errors import ArrowDataError, check_columns
from ..features import Features, cast_table, schema_metadata
from ..projection import Projection
from ..table import open_arrow_files
from ..writer import ArrowWriter
from .batch_formats import check_batch_format
from .cached_run import run_cached
from .map_runner import MapSpec, run_filter, run_map
from .outputs import OutputSink, TransformError, part_schema
from .parallel import Job, Source, bytes_to_table, chunk_ranges, spill
from .transform_key import transform_key

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset
    from ..engines.base import EnginePlan
    from ..projection import ProjectionState

logger = logging.getLogger(__name__)

#: Part of every map key: bumped when what a function's output becomes changes (stored types, kept
#: features, Json...), so results cached under the older rules are recomputed, never served.
MAP_OUTPUT_RULES = 2


def _names(value: Any, argument: str, available: list[str]) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise TransformError(f"{argument}: expected a column name or a list of names, got {value!r}")
    check_columns(available, names, argument)
    return names


def _check_hf_names(suffix_template: str | None, cache_file_name: str | None) -> None:
    """HF's checks of two naming arguments, with its messages (scripts catch them as ``ValueError``)."""
    if suffix_template is not None:
        fields = {name for _, name, _, _ in string.Formatter().parse(suffix_template) if name is not None}
        if fields != {"rank", "num_proc"}:
            raise TransformError(f"suffix_template must contain exactly the fields 'rank' and 'num_proc', got: "
                                 f"{sorted(fields)}")
    if cache_file_name is not None and not os.path.splitext(os.fspath(cache_file_name))[1]:
        raise TransformError(f"Expected cache_file_name to have an extension, but got: {cache_file_name}")


def _default_batch_format(ds: "Dataset", batch_format: str | None, batched: bool) -> str:
    """``batch_format``, or by default what HF hands a batched function: batches in the dataset's format
    (``with_format("numpy")`` gives NumPy batches, ``"arrow"`` tables...); python for row-wise functions,
    plain datasets and ``with_transform``. It is part of the cache key, so a format changes the key."""
    if batch_format is not None:
        return batch_format
    fmt = ds._format
    if not batched or fmt.transform is not None or fmt.type in (None, "custom"):
        return "python"
    return fmt.type


def _select_columns(table: pa.Table, columns: list[str]) -> pa.Table:
    return table.select(columns)


def _check_common(op: str, function: Any, batched: bool, batch_size: Any, num_proc: Any, fn_kwargs: Any,
                  batch_format: str) -> None:
    if function is not None and not callable(function):
        raise TransformError(f"{op}: function must be callable, got {type(function).__name__}")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool)):
        raise TransformError(f"{op}: batch_size must be an integer or None, got {batch_size!r}")
    if num_proc is not None and (not isinstance(num_proc, (int, np.integer)) or isinstance(num_proc, bool)
                                 or num_proc < 1):
        raise TransformError(f"{op}: num_proc must be a positive integer or None, got {num_proc!r}")
    if fn_kwargs is not None and not isinstance(fn_kwargs, dict):
        raise TransformError(f"{op}: fn_kwargs must be a dict, got {type(fn_kwargs).__name__}")
    if not batched and check_batch_format(batch_format) != "python":
        raise TransformError(f"{op}: batch_format={batch_format!r} needs batched=True (a row-wise function "
                             "receives a dict of Python values)")


def _progress_bar(total: int, desc: str | None, default: str):
    from ..utils.tqdm import tqdm  # off after arrowdata.disable_progress_bars()

    return tqdm(total=total, desc=desc or default, unit=" examples", disable=None, leave=False)


def _source(ds: "Dataset"):
    """Worker input by path, spilling an in-memory table or indices to the cache first."""
    data_files = list(ds._data_files)
    projection = ds._projection.to_state() if data_files and ds._projection is not None else None
    if data_files and not _files_match(data_files, projection, ds._table):
        data_files, projection = [], None  # the table was changed in memory: the workers need the table itself
    spilled_files, indices_file = spill(None if data_files else ds._table, ds._indices, ds._fingerprint)
    return Source(data_files or spilled_files, indices_file, len(ds), projection)


def _files_match(data_files: list[str], projection: "ProjectionState | None", table: pa.Table) -> bool:
    """Whether the files re-open (projected) as ``table`` (same columns, types and rows).

    Handles keep ``_data_files`` only while this holds (DESIGN.md), but the files can change under a
    handle: ``save_to_disk`` over the folder it maps, a cleaned cache. Then the workers must get the
    handle's own table (tests/test_core_persistence.py::test_num_proc_map_after_the_mapped_folder_was_overwritten).
    Opening is a memory map and a structure check (``verify=False``), not a read of the data.
    """
    try:
        reopened = open_arrow_files(data_files, verify=False)
        if projection is not None:
            reopened = Projection.from_state(projection).apply(reopened)
    except ArrowDataError:
        return False
    return reopened.num_rows == table.num_rows and reopened.schema.remove_metadata().equals(
        table.schema.remove_metadata())


class MapOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: map, filter, cleanup_cache_files."""

    # ------------------------------------------------------------------ map
    def map(self, function: Callable | None = None, with_indices: bool = False, with_rank: bool = False,
            input_columns: str | list[str] | None = None, batched: bool = False, batch_size: int | None = 1000,
            drop_last_batch: bool = False, remove_columns: str | list[str] | None = None,
            keep_in_memory: bool = False, load_from_cache_file: bool = True, cache_file_name: str | None = None,
            features: Any = None, fn_kwargs: dict | None = None, num_proc: int | None = None,
            desc: str | None = None, batch_format: str | None = None, cache_key: str | None = None,
            explain: bool = False, writer_batch_size: int | None = 1000, engine: str | None = None,
            try_original_type: bool = True, on_mixed_types: str | None = "use_json",
            new_fingerprint: str | None = None,
            disable_nullable: bool = False, suffix_template: str | None = None) -> "Dataset":
        """Apply ``function`` to every row (or batch) and return a new dataset, cached by fingerprint.

        Args:
            function: ``f(row) -> dict | None`` or, with ``batched=True``, ``f(batch) -> dict | None |
                pyarrow.Table | RecordBatch | pandas/polars DataFrame``; a batched function may return a
                different number of rows (then remove the input columns it does not return).
                ``None`` means identity (useful with ``remove_columns``).
            with_indices: also pass the row index (a list of them when batched).
            with_rank: also pass the worker's rank (0 in a single process).
            input_columns: pass these columns as positional arguments instead of one row/batch.
            batched: give the function batches of ``batch_size`` rows (``None`` or <= 0: one batch).
            drop_last_batch: skip a last batch shorter than ``batch_size``.
            remove_columns: input columns to drop from the result.
            keep_in_memory: keep the result in memory; nothing is written to the cache.
            load_from_cache_file: reuse a cached result with the same fingerprint (default True).
            cache_file_name: store the result at this path instead of the cache folder.
            features: the result's features (columns are cast to them).
            fn_kwargs: keyword arguments for ``function`` (part of the cache key).
            num_proc: worker processes; they pull small chunks of rows from a queue. With a cluster
                engine, the number of chunks run at once (default: the cluster's CPUs).
            engine: who runs the chunks: ``"local"`` (processes of this machine) or ``"ray"`` (a Ray
                cluster, see docs/scale.md); default :func:`arrowdata.get_engine`. Not part of the key:
                every engine computes the same result under the same fingerprint.
            desc: progress bar label.
            batch_format: what a batched function receives: ``"python"`` (dict of lists), ``"numpy"``,
                ``"arrow"``, ``"pandas"``, ``"polars"`` or any registered format; default: the dataset's
                format (``with_format``), as in HF, else python.
            cache_key: set the cache key yourself (replaces the function's and fn_kwargs' hash).
            explain: log whether the cache was hit and, on a miss, what differs from the nearest entry.
            writer_batch_size: rows per record batch written (row-wise maps); not part of the key.
            try_original_type: a returned column that exists in the input keeps its feature (a
                ``ClassLabel`` stays one, int32 stays int32) while its values fit; ``False`` infers every type.
            on_mixed_types: ``"use_json"`` (the default, as in HF 5) stores a returned column whose values
                mix types (``[1, "a"]``, dicts with different keys...) as ``Json``; ``None`` raises a
                ``TransformError`` naming the column instead.
            new_fingerprint: HF's name for ``cache_key``. ``disable_nullable`` and ``suffix_template``
                are accepted for HF scripts and change nothing.

        A function may also be ``async def`` (its calls run concurrently, up to 1000 at once), return a
        ``pyarrow.Table`` or DataFrame per row or per batch (it then is the whole result, as in HF), or
        return tensors (torch, TensorFlow, JAX) and NumPy scalars per row. Tokenizer columns built from
        Python values are stored small, as HF does: ``input_ids`` int32, ``attention_mask``,
        ``token_type_ids`` and ``special_tokens_mask`` int8 (wider only when the values need it).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"x": [1, 2, 3]})
            >>> ds.map(lambda row: {"y": row["x"] * 10})["y"]
            [10, 20, 30]
            >>> import pyarrow.compute as pc
            >>> ds.map(lambda t: t.append_column("z", pc.multiply(t["x"], 2)), batched=True,
            ...        batch_format="arrow")["z"]
            [2, 4, 6]
        """
        columns = list(self._table.column_names)
        batch_format = _default_batch_format(self, batch_format, batched)
        _check_common("map", function, batched, batch_size, num_proc, fn_kwargs, batch_format)
        cache_key = cache_key if cache_key is not None else new_fingerprint
        if on_mixed_types not in (None, "use_json"):
            raise TransformError(f"map: on_mixed_types must be None or 'use_json', got {on_mixed_types!r}")
        _check_hf_names(suffix_template, cache_file_name)
        input_cols = _names(input_columns, "input_columns", columns) if input_columns is not None else None
        remove = _names(remove_columns, "remove_columns", columns)
        if features is not None and not hasattr(features, "arrow_schema"):
            features = Features.from_dict(features) if isinstance(features, dict) else features
        if batched and (batch_size is None or batch_size <= 0):
            batch_size = None
        args = {"with_indices": with_indices, "with_rank": with_rank, "input_columns": input_cols,
                "batched": batched, "remove_columns": sorted(remove), "batch_format": check_batch_format(batch_format),
                "features": features.to_dict() if features is not None else None,
                "output_rules": MAP_OUTPUT_RULES}
        if batched:
            args.update(batch_size=batch_size, drop_last_batch=drop_last_batch)
        if with_rank:  # ranks are only meaningful for a given number of workers
            args["num_proc"] = num_proc or 1
        if not try_original_type:
            args["try_original_type"] = False
        # HF hands a formatted dataset's rows to the function as plain dicts: a row returned whole
        # then keeps every column, even one in remove_columns (only changed columns otherwise).
        whole_rows = not batched and self._format.type is not None
        if whole_rows:
            args["whole_rows"] = True
        key = transform_key(self._fingerprint, "map", function, fn_kwargs, args, cache_key)
        if function is None and cache_file_name is not None and not keep_in_memory and len(self) > 0:
            # HF writes the file the user named even for an identity map (scripts then count cache_files)
            kept = [c for c in columns if c not in remove]
            function, batched, batch_size = functools.partial(_select_columns, columns=kept), True, 1000
            batch_format = "arrow"
        if function is None or len(self) == 0:
            return self._map_trivial(remove, features, key.fingerprint)
        spec = MapSpec(function=function, with_indices=with_indices, with_rank=with_rank, input_columns=input_cols,
                       batched=batched, batch_size=batch_size or len(self), drop_last_batch=drop_last_batch,
                       remove_columns=remove, features=features, fn_kwargs=dict(fn_kwargs or {}),
                       batch_format=check_batch_format(batch_format), writer_batch_size=writer_batch_size or 1000,
                       parent_features=self._info.features, try_original_type=bool(try_original_type),
                       on_mixed_types=on_mixed_types, whole_rows=whole_rows)
        workers = engine_plan(engine, num_proc, len(self))
        if keep_in_memory:  # nothing is written, so nothing is looked up either
            return self._map_compute(spec, key, None, workers, desc, True)
        return run_cached(key, "map", lambda base: self._map_compute(spec, key, base, workers, desc, False),
                          self._map_build, base=cache_file_name, load_from_cache_file=load_from_cache_file,
                          explain=explain)

    def _map_trivial(self, remove: list[str], features: Any, fingerprint: str) -> "Dataset":
        """No function, or no rows: the columns change, the rows need no computing."""
        table = self._table
        if remove:  # the schema's stored features must describe the columns left (HF checks they are in sync)
            kept = Features({k: v for k, v in self.features.items() if k not in remove})
            table = table.drop_columns(remove)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), **schema_metadata(kept)})
        if features is not None and len(self) == 0:
            table = cast_table(table.slice(0, 0), features)
            return self._from_parts(table, fingerprint=fingerprint, info=self._result_info(table),
                                    split=self._split, format=self._kept_format(table.column_names))
        # Dropping columns is a column projection: _replace keeps the files, so it pickles by path.
        return self._replace(table=table, fingerprint=fingerprint, info=self._result_info(table),
                             format=self._kept_format(table.column_names))

    def _map_compute(self, spec: MapSpec, key, base, workers: "EnginePlan", desc: str | None, in_memory: bool):
        fp = key.fingerprint
        meta = {"op": "map", "parent": self._fingerprint, "kind": "table", "components": key.components,
                "cacheable": key.cacheable}
        with _progress_bar(len(self), desc, "Map") as bar:
            if workers.in_process:
                path = None if in_memory else cache_mod.entry_path(fp, base)
                sink = OutputSink(path)
                try:
                    returned = run_map(self._table, self._indices, 0, len(self), spec, sink, 0, bar.update)
                    out = sink.finish() if returned else None
                except BaseException:
                    sink.abort()
                    raise
                if out is None:
                    return self._map_trivial(spec.remove_columns, None, fp)
                if in_memory:
                    return self._map_from_table(out, fp, [])
                return cache_mod.commit(fp, [out], {**meta, "num_rows": sink.num_rows}, base)
            return self._map_parallel(spec, key, base, workers, bar, in_memory, meta)

    def _map_parallel(self, spec: MapSpec, key, base, workers: "EnginePlan", bar, in_memory: bool, meta: dict):
        fp = key.fingerprint
        ranges = chunk_ranges(len(self), workers.workers, spec.batch_size, spec.batched)
        paths = None if in_memory else [str(cache_mod.part_path(fp, i, len(ranges), base)) for i in range(len(ranges))]
        job = Job("map", spec, _source(self), paths)
        try:
            outputs = workers.run(job, ranges, bar.update)
        except BaseException:
            for p in paths or []:
                Path(p).unlink(missing_ok=True)
            raise
        produced = [o for o, _ in outputs if o is not None]
        num_rows = sum(n for o, n in outputs if o is not None)
        if not produced:
            return self._map_trivial(spec.remove_columns, None, fp)
        if len(produced) != len(outputs):
            raise TransformError("map: the function returned None for some chunks and data for others")
        if in_memory:
            tables = _unify([bytes_to_table(o) for o in produced])
            return self._map_from_table(pa.concat_tables(tables), fp, [])
        files = _unify_files(produced)
        return cache_mod.commit(fp, files, {**meta, "num_rows": num_rows}, base)

    def _map_build(self, entry: "cache_mod.CacheEntry") -> "Dataset":
        table = cache_mod.open_entry(entry)
        return self._map_from_table(table, entry.fingerprint, [str(f) for f in entry.files])

    def _map_from_table(self, table: pa.Table, fingerprint: str, data_files: list[str]) -> "Dataset":
        return self._from_parts(table, fingerprint=fingerprint, info=self._result_info(table), split=self._split,
                                format=self._kept_format(table.column_names), data_files=data_files)

    def _result_info(self, table: pa.Table):
        info = self._info.copy()
        info.features = Features.from_arrow_schema(table.schema)
        return info

    def _kept_format(self, names: list[str]):
        fmt = self._format
        if fmt.columns is None:
            return fmt
        kept = tuple(c for c in fmt.columns if c in names)
        return fmt.replace(columns=kept or None)

    # ------------------------------------------------------------------ filter
    def filter(self, function: Callable | Any = None, with_indices: bool = False, with_rank: bool = False,
               input_columns: str | list[str] | None = None, batched: bool = False, batch_size: int | None = 1000,
               keep_in_memory: bool = False, load_from_cache_file: bool = True, cache_file_name: str | None = None,
               fn_kwargs: dict | None = None, num_proc: int | None = None, desc: str | None = None,
               batch_format: str | None = None, cache_key: str | None = None, explain: bool = False,
               writer_batch_size: int | None = 1000, engine: str | None = None, new_fingerprint: str | None = None,
               suffix_template: str | None = None) -> "Dataset":
        """Keep the rows for which ``function`` is true; the result is an indices file over this dataset.

        ``function`` is a predicate ``f(row) -> bool`` (``f(batch) -> list/array of bool`` when
        ``batched``), or a ``pyarrow.compute.Expression`` such as ``pc.field("label") == 1``,
        evaluated natively by Arrow with no Python per row. The other options are those of
        :meth:`map`. No row is copied: the result gathers its rows from this dataset's table.

        Example:
            >>> from arrowdata import Dataset
            >>> import pyarrow.compute as pc
            >>> ds = Dataset.from_dict({"x": [1, 2, 3, 4]})
            >>> ds.filter(lambda row: row["x"] % 2 == 0)["x"]
            [2, 4]
            >>> ds.filter(pc.field("x") > 2)["x"]
            [3, 4]
            >>> len(ds.filter(lambda row: False))
            0
        """
        import pyarrow.compute as pc

        columns = list(self._table.column_names)
        expression = function if isinstance(function, pc.Expression) else None
        if expression is None and function is None:
            raise TransformError("filter: give a predicate function or a pyarrow.compute.Expression")
        batch_format = _default_batch_format(self, batch_format, batched)
        cache_key = cache_key if cache_key is not None else new_fingerprint
        _check_hf_names(suffix_template, cache_file_name)
        _check_common("filter", None if expression is not None else function, batched, batch_size, num_proc,
                      fn_kwargs, batch_format)
        input_cols = _names(input_columns, "input_columns", columns) if input_columns is not None else None
        args: dict[str, Any] = {"with_indices": with_indices, "with_rank": with_rank, "input_columns": input_cols,
                                "batched": batched, "batch_format": check_batch_format(batch_format)}
        if batched:
            args["batch_size"] = batch_size if batch_size and batch_size > 0 else None
        if with_rank:
            args["num_proc"] = num_proc or 1
        if expression is not None:
            args = {"expression": str(expression)}
        key = transform_key(self._fingerprint, "filter", None if expression is not None else function,
                            fn_kwargs, args, cache_key)
        spec = MapSpec(function=function if expression is None else None, with_indices=with_indices,
                       with_rank=with_rank, input_columns=input_cols, batched=batched,
                       batch_size=batch_size if batch_size and batch_size > 0 else max(len(self), 1),
                       fn_kwargs=dict(fn_kwargs or {}), batch_format=check_batch_format(batch_format),
                       expression=expression)
        # An Arrow expression runs natively in this process (no Python per row: nothing to spread).
        workers = engine_plan("local", 1, len(self)) if expression is not None else \
            engine_plan(engine, num_proc, len(self))
        if keep_in_memory:
            return self._filter_result(self._filter_positions(spec, workers, desc), key.fingerprint)
        rows = self._table.num_rows
        return run_cached(key, "filter", lambda base: self._filter_compute(spec, key, base, workers, desc),
                          self._filter_build, base=cache_file_name, load_from_cache_file=load_from_cache_file,
                          explain=explain, valid=lambda e: e.meta.get("parent_table_rows") == rows)

    def _filter_positions(self, spec: MapSpec, workers: "EnginePlan", desc: str | None) -> np.ndarray:
        """Physical table positions of the kept rows (composed with this dataset's indices)."""
        n = len(self)
        with _progress_bar(n, desc, "Filter") as bar:
            if n == 0:
                logical = np.zeros(0, dtype=np.uint64)
            elif workers.in_process:
                logical = run_filter(self._table, self._indices, 0, n, spec, 0, bar.update)
            else:
                ranges = chunk_ranges(n, workers.workers, spec.batch_size, spec.batched)
                outputs = workers.run(Job("filter", spec, _source(self), None), ranges, bar.update)
                logical = np.concatenate([np.frombuffer(o, dtype=np.uint64) for o, _ in outputs]) \
                    if outputs else np.zeros(0, dtype=np.uint64)
        if self._indices is None:
            return logical
        parent = self._indices.to_numpy(zero_copy_only=False)
        return parent[logical.astype(np.int64)].astype(np.uint64, copy=False)

    def _filter_compute(self, spec: MapSpec, key, base, workers: "EnginePlan", desc: str | None):
        positions = self._filter_positions(spec, workers, desc)
        path = cache_mod.entry_path(key.fingerprint, base)
        with ArrowWriter(path, schema=pa.schema([("indices", pa.uint64())])) as w:
            w.write(pa.table({"indices": pa.array(positions, type=pa.uint64())}))
        return cache_mod.commit(key.fingerprint, [path], {
            "op": "filter", "parent": self._fingerprint, "kind": "indices", "num_rows": int(len(positions)),
            "parent_table_rows": self._table.num_rows, "components": key.components,
            "cacheable": key.cacheable}, base)

    def _filter_build(self, entry: "cache_mod.CacheEntry") -> "Dataset":
        col = cache_mod.open_entry(entry).column(0)
        indices = col.chunk(0) if col.num_chunks == 1 else (
            col.combine_chunks() if col.num_chunks else pa.array([], type=pa.uint64()))
        return self._filter_result(indices, entry.fingerprint)

    def _filter_result(self, positions: np.ndarray | pa.Array, fingerprint: str) -> "Dataset":
        indices = positions if isinstance(positions, pa.Array) else pa.array(positions, type=pa.uint64())
        return self._replace(indices=indices, fingerprint=fingerprint)

    # ------------------------------------------------------------------ cache files
    def cleanup_cache_files(self) -> int:
        """Delete the cached transform results of this dataset's family; returns the number of files removed.

        The family is every cache entry derived, step by step, from the same source as this
        dataset (found through the entries' sidecars). Files this dataset reads are kept.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"x": [1, 2]})
            >>> _ = ds.map(lambda r: {"y": r["x"]})
            >>> ds.cleanup_cache_files()
            2
        """
        entries = {e.fingerprint: e for e in cache_mod.list_entries()}
        root = self._fingerprint
        while root in entries and entries[root].meta.get("parent") in entries:
            root = entries[root].meta["parent"]
        if root in entries:
            root = entries[root].meta.get("parent", root)
        children: dict[str, list[str]] = {}
        for fp, e in entries.items():
            children.setdefault(e.meta.get("parent", ""), []).append(fp)
        family, todo = [], [root]
        while todo:
            for child in children.get(todo.pop(), []):
                family.append(child)
                todo.append(child)
        in_use = {str(f) for f in self._data_files}
        removed = 0
        for fp in family:
            e = entries[fp]
            if fp == self._fingerprint or in_use & {str(f) for f in e.files}:
                continue
            removed += sum(1 for f in e.files if f.exists()) + 1
            cache_mod.remove_entry(fp)
        logger.info("cleanup_cache_files: removed %d file(s)", removed)
        return removed


def _unify(tables: list[pa.Table]) -> list[pa.Table]:
    wider = part_schema([t.schema for t in tables])
    return tables if wider is None else [t.cast(wider) for t in tables]


def _unify_files(paths: list[str]) -> list[str]:
    """Worker parts whose types differ (a column all null in one chunk) are rewritten under one schema."""
    schemas = [pa.ipc.open_stream(pa.memory_map(p)).schema for p in paths]
    try:
        wider = part_schema(schemas)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise TransformError(f"map: worker outputs have incompatible types ({e}); pass features= to fix them") from e
    if wider is None:
        return paths
    for path, schema in zip(paths, schemas):
        if not schema.equals(wider, check_metadata=True):
            table = pa.ipc.open_stream(pa.memory_map(path)).read_all().cast(wider)
            with ArrowWriter(path, schema=wider) as w:
                w.write(table)
    return paths
