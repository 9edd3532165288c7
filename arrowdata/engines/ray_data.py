"""Ray Data in and out: :func:`to_ray` (a Ray ``Datasource`` over arrowdata's Arrow files) and
:func:`from_ray` (a Ray ``Datasink`` writing cache shards from the workers).

- ``to_ray`` plans one read task per row range. Each task memory-maps the dataset's files by path
  (in-memory tables and indices are first spilled to the cache, once, under the fingerprint) and
  yields Arrow blocks: zero-copy slices, or vectorised gathers through the indices after
  ``shuffle``/``select``/``filter``. Column projections of the dataset, ``columns=`` and Ray's
  projection pushdown are applied at read. The driver reads nothing.
- ``from_ray`` runs the Ray dataset into a ``Datasink`` whose write tasks stream their blocks into
  Arrow files in the cache; the driver only renames them in order and commits the entry. The
  fingerprint is ``cache_key=`` when given, else derived from the Ray plan when every step of it is
  known to be deterministic (an arrowdata source, then ``map_batches``/``map``/``filter``/
  ``flat_map``/``select_columns``/``limit`` with hashable functions); otherwise the step is not
  cached (as an unhashable ``map`` function would not be).

Example:
    >>> import arrowdata, ray  # doctest: +SKIP
    >>> ds = arrowdata.Dataset.from_dict({"x": list(range(1000))}).shuffle(seed=0)  # doctest: +SKIP
    >>> doubled = ds.to_ray().map_batches(lambda t: {"y": t["x"] * 2}, batch_format="numpy")  # doctest: +SKIP
    >>> arrowdata.from_ray(doubled, cache_key="doubled").num_rows  # doctest: +SKIP
    1000
"""
from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import pyarrow as pa

from .base import EngineError

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset
    from ..transforms.parallel import Source

logger = logging.getLogger(__name__)

#: Bytes per block a read task yields (Ray's own target for blocks is of this order).
BLOCK_BYTES = 64 << 20
#: Fewest rows worth a read task of its own.
MIN_TASK_ROWS = 1024


def _read_blocks(source: "Source", start: int, stop: int, columns: list[str] | None,
                 block_rows: int) -> Iterator[pa.Table]:
    """The blocks of logical rows ``[start, stop)``: runs in a Ray read task."""
    from ..transforms.map_runner import iter_batches

    table, indices = source.open()
    if columns is not None:
        table = table.select(columns)
    for _, block in iter_batches(table, indices, start, stop, block_rows):
        yield block


def _datasource_class() -> type:
    from ray.data import Datasource

    class ArrowdataDatasource(Datasource):
        """A Ray ``Datasource`` over an arrowdata dataset's Arrow files (by path)."""

        def __init__(self, source: "Source", schema: pa.Schema, fingerprint: str, row_bytes: float,
                     columns: list[str] | None) -> None:
            super().__init__()
            self._source, self._schema, self._fingerprint = source, schema, fingerprint
            self._row_bytes, self._columns = row_bytes, columns
            self._projection_map = None  # Ray's projection pushdown state (None: every column)

        def supports_projection_pushdown(self) -> bool:
            return True

        def get_name(self) -> str:
            return "Arrowdata"

        def identity(self) -> dict[str, Any]:
            """What the blocks depend on: the dataset's fingerprint and the columns read."""
            return {"fingerprint": self._fingerprint, "columns": self.read_columns()}

        def read_columns(self) -> list[str] | None:
            columns = self._columns
            pushed = self._projection_map
            if pushed is not None:
                columns = [c for c in (columns if columns is not None else self._schema.names) if c in pushed]
            return columns

        def estimate_inmemory_data_size(self) -> int | None:
            return int(self._row_bytes * self._source.num_rows)

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                           data_context: Any = None) -> list[Any]:
            from ray.data.block import BlockMetadata
            from ray.data.datasource import ReadTask

            n = self._source.num_rows
            columns = self.read_columns()
            schema = self._schema if columns is None else pa.schema([self._schema.field(c) for c in columns],
                                                                     metadata=self._schema.metadata)
            row_bytes = self._row_bytes * (len(schema) / max(len(self._schema), 1))
            block_rows = max(1, int(BLOCK_BYTES / max(row_bytes, 1.0)))
            count = max(1, min(parallelism if parallelism and parallelism > 0 else 1, -(-n // MIN_TASK_ROWS)))
            step = -(-n // count) if n else 0
            tasks = []
            for start in range(0, n, step) if n else [0]:
                stop = min(start + step, n)
                meta = BlockMetadata(num_rows=stop - start, size_bytes=int(row_bytes * (stop - start)),
                                     input_files=list(self._source.data_files), exec_stats=None)
                read = (lambda s=self._source, a=start, b=stop, c=columns, r=block_rows:
                        _read_blocks(s, a, b, c, r))
                tasks.append(ReadTask(read, meta, schema=schema, per_task_row_limit=per_task_row_limit))
            return tasks

    return ArrowdataDatasource


_CLASSES: dict[str, type] = {}


def _cls(name: str) -> type:
    if name not in _CLASSES:
        _CLASSES[name] = {"source": _datasource_class, "sink": _datasink_class}[name]()
    return _CLASSES[name]


def to_ray(ds: "Dataset", columns: Sequence[str] | None = None, *, override_num_blocks: int | None = None,
           **read_args: Any) -> Any:
    """A ``ray.data.Dataset`` reading ``ds`` in parallel, by path, in its logical row order.

    Args:
        ds: the dataset (memory-mapped, or in memory: then spilled to the cache once).
        columns: read only these columns (default: every column of ``ds``).
        override_num_blocks: number of read tasks (default: Ray's choice).
        read_args: passed to ``ray.data.read_datasource`` (``num_cpus``, ``concurrency``, ...).

    Example:
        >>> import arrowdata  # doctest: +SKIP
        >>> arrowdata.Dataset.from_dict({"x": [1, 2, 3]}).to_ray().count()  # doctest: +SKIP
        3
    """
    from ..transforms.map_ops import _source
    from .ray import check_shared_storage, ray_module

    ray = ray_module()
    if columns is not None:
        columns = [columns] if isinstance(columns, str) else list(columns)
        ds._check_columns(columns)
    table = ds.data
    row_bytes = table.nbytes / max(table.num_rows, 1)
    where = _source(ds)
    check_shared_storage(ray, [*where.data_files, *([where.indices_file] if where.indices_file else [])])
    source = _cls("source")(where, table.schema, ds.fingerprint, row_bytes, columns)
    return ray.data.read_datasource(source, override_num_blocks=override_num_blocks, **read_args)


# ----------------------------------------------------------------------------- from_ray

def _datasink_class() -> type:
    from ray.data.datasource import Datasink

    class ArrowdataCacheDatasink(Datasink):
        """Each write task streams its blocks into one Arrow file in the cache folder."""

        def __init__(self, folder: str, fingerprint: str) -> None:
            self.folder, self.fingerprint = folder, fingerprint
            self.results: list[tuple[int, str | None, int]] = []
            self.schema: pa.Schema | None = None

        def on_write_start(self, schema: pa.Schema | None = None) -> None:
            self.schema = schema

        def write(self, blocks: Any, ctx: Any) -> tuple[int, str | None, int]:
            from ray.data.block import BlockAccessor

            from ..transforms.outputs import OutputSink

            path = Path(self.folder) / f"{self.fingerprint}-ray-{ctx.task_idx:05d}-{uuid.uuid4().hex[:8]}.arrow"
            sink = OutputSink(path)
            try:
                for block in blocks:
                    table = BlockAccessor.for_block(block).to_arrow()
                    if table.num_rows:
                        sink.write(table, f"from_ray write task {ctx.task_idx}")
                out = sink.finish()
            except BaseException:
                sink.abort()
                raise
            return ctx.task_idx, (str(out) if out is not None else None), sink.num_rows

        def on_write_complete(self, write_result: Any) -> None:
            self.results = sorted(r for r in write_result.write_returns if r is not None)

        def on_write_failed(self, error: Exception) -> None:
            for path in Path(self.folder).glob(f"{self.fingerprint}-ray-*.arrow"):
                path.unlink(missing_ok=True)

    return ArrowdataCacheDatasink


#: Logical operators whose output depends only on their input and their (hashed) fields.
_DETERMINISTIC_OPS = {"MapBatches", "MapRows", "Filter", "FlatMap", "Project", "Limit"}
#: Fields that change how, or where, an operator runs, never what it returns.
_RUNTIME_FIELDS = {"input_dependencies", "_input_dependencies", "compute", "ray_remote_args", "ray_remote_args_fn",
                   "min_rows_per_bundled_input", "per_block_limit", "_common_sub_exprs", "num_outputs",
                   "parallelism", "detected_parallelism", "can_modify_num_rows", "datasource_or_legacy_reader"}


def plan_components(ray_ds: Any) -> list[Any] | None:
    """The Ray plan as hashable parts, source first; ``None`` when some step may not be deterministic
    (an unknown source or operator), so the result must not be looked up by plan."""
    steps: list[Any] = []
    op = ray_ds._logical_plan.dag
    while True:
        name = type(op).__name__
        deps = list(op.input_dependencies)
        if name == "Read":
            source = getattr(op, "datasource", None)
            if not hasattr(source, "identity") or deps:
                return None
            steps.append(("Read", source.identity()))
            return steps[::-1]
        if name not in _DETERMINISTIC_OPS or len(deps) != 1 or not dataclasses.is_dataclass(op):
            return None
        fields = {f.name: getattr(op, f.name, None) for f in dataclasses.fields(op) if f.name not in _RUNTIME_FIELDS}
        steps.append((name, fields))
        op = deps[0]


def plan_fingerprint(ray_ds: Any, cache_key: str | None) -> tuple[str, bool, dict[str, Any]]:
    """``(fingerprint, cacheable, components)`` of ``from_ray(ray_ds, cache_key)``."""
    from ..config import is_caching_enabled
    from ..fingerprint import UnhashableError, derive_fingerprint, hash_object, random_fingerprint

    if not is_caching_enabled():
        return random_fingerprint(), False, {"op": "from_ray"}
    if cache_key is not None:
        if not isinstance(cache_key, str) or not cache_key:
            raise EngineError(f"from_ray: cache_key must be a non-empty string, got {cache_key!r}")
        return derive_fingerprint("", "from_ray", {"cache_key": cache_key}), True, {"op": "from_ray",
                                                                                     "cache_key": cache_key}
    try:
        steps = plan_components(ray_ds)
        if steps is not None:
            digest = hash_object(steps, "ray plan")
            return derive_fingerprint("", "from_ray", {"plan": digest}), True, {
                "op": "from_ray", "plan": [s[0] for s in steps], "plan_hash": digest}
    except (UnhashableError, AttributeError, TypeError) as e:
        logger.info("from_ray: cannot fingerprint the Ray plan (%s)", e)
    logger.info("from_ray: the Ray plan is not known to be deterministic, so this result is not cached; pass "
                "cache_key='...' to name it yourself")
    return random_fingerprint(), False, {"op": "from_ray"}


def from_ray(ray_dataset: Any, cache_key: str | None = None, *, load_from_cache_file: bool = True,
             dataset_cls: type) -> "Dataset":
    """Write a ``ray.data.Dataset`` into the arrowdata cache from the Ray workers; a memory-mapped Dataset.

    The rows keep the Ray dataset's order. A later call with the same ``cache_key`` (or the same
    deterministic plan over an arrowdata source) is a cache hit that runs nothing on Ray.

    Args:
        ray_dataset: any Ray dataset (e.g. ``ds.to_ray().map_batches(...)``).
        cache_key: name the result yourself (replaces the plan's hash).
        load_from_cache_file: reuse a cached result (default True).
        dataset_cls: the class to return, ``arrowdata.Dataset`` (passed by :func:`arrowdata.from_ray`:
            this module sits below ``dataset.py``, which imports it for ``Dataset.to_ray``).

    Example:
        >>> import arrowdata, ray  # doctest: +SKIP
        >>> arrowdata.from_ray(ray.data.range(5), cache_key="five")["id"]  # doctest: +SKIP
        [0, 1, 2, 3, 4]
    """
    from ..transforms.cached_run import run_cached
    from ..transforms.transform_key import TransformKey

    fp, cacheable, components = plan_fingerprint(ray_dataset, cache_key)
    key = TransformKey(fp, cacheable, components)
    return run_cached(key, "from_ray", lambda base: _write(ray_dataset, fp, components),
                      lambda entry: _build(entry, dataset_cls), base=None, load_from_cache_file=load_from_cache_file)


def _ray_schema(ray_dataset: Any) -> pa.Schema:
    """The Arrow schema Ray reports for ``ray_dataset`` (empty if it reports none)."""
    try:
        schema = ray_dataset.schema()
    except Exception as e:  # noqa: BLE001 - Ray raises various errors for plans it cannot describe
        logger.debug("from_ray: no schema from Ray (%s)", e)
        return pa.schema([])
    base = getattr(schema, "base_schema", schema)
    return base if isinstance(base, pa.Schema) else pa.schema([])


def _write(ray_dataset: Any, fp: str, components: dict[str, Any]) -> Any:
    from .. import cache as cache_mod
    from ..config import cache_dir
    from ..writer import ArrowWriter
    from .ray import check_shared_storage, ray_module

    ray = ray_module()
    folder = cache_mod.transforms_dir()
    check_shared_storage(ray, [str(cache_dir())])
    sink = _cls("sink")(str(folder), fp)
    options = ray_dataset.context.execution_options
    preserve = options.preserve_order
    options.preserve_order = True  # rows in the Ray dataset's order, so the files can be concatenated
    try:
        ray_dataset.write_datasink(sink)
    finally:
        options.preserve_order = preserve
    written = [(path, rows) for _, path, rows in sink.results if path is not None]
    files = []
    for i, (path, _) in enumerate(written):
        final = cache_mod.part_path(fp, i, len(written))
        os.replace(path, final)
        files.append(final)
    if not files:  # no rows: one empty file with the schema (the Ray dataset's own when no block reached the sink)
        schema = sink.schema if isinstance(sink.schema, pa.Schema) else _ray_schema(ray_dataset)
        files = [cache_mod.entry_path(fp)]
        with ArrowWriter(files[0], schema=schema) as w:
            w.write(schema.empty_table())
    else:
        from ..transforms.map_ops import _unify_files

        _unify_files([str(f) for f in files])
    return cache_mod.commit(fp, files, {**components, "kind": "table",
                                        "num_rows": sum(rows for _, rows in written)})


def _build(entry: Any, dataset_cls: type) -> "Dataset":
    from .. import cache as cache_mod
    from ..features import Features
    from ..info import DatasetInfo

    table = cache_mod.open_entry(entry)
    info = DatasetInfo(features=Features.from_arrow_schema(table.schema))
    return dataset_cls._from_parts(table, fingerprint=entry.fingerprint, info=info,
                                   data_files=[str(f) for f in entry.files])
