"""``IterableDataset``: a lazy, resumable stream of rows with Hugging Face's streaming API.

Operations build a plan (:mod:`arrowdata.streaming.plan`); nothing is read until iteration.
Inside the pipeline, rows travel as Arrow batches; they become Python (or NumPy, torch...)
objects only at the end, in the chosen format.

Example:
    >>> from arrowdata.streaming import IterableDataset
    >>> ds = IterableDataset.from_dict({"x": list(range(10))})
    >>> ds = ds.filter(lambda r: r["x"] % 2 == 0).map(lambda r: {"y": r["x"] * 10})
    >>> [r["y"] for r in ds.skip(1).take(2)]
    [20, 40]
"""
from __future__ import annotations

import copy
import logging
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from ..errors import InvalidArgumentError, check_columns
from ..formatting import Format, format_table
from ..formatting.base import ColumnFormatter, canonical_format_name, get_formatter
from . import ops, order
from .features_lazy import LazyFeatures
from .mixing import ConcatPlan, InterleavePlan, ZipPlan
from .plan import Context, Plan
from .shuffle import ShufflePlan
from .sources import GeneratorShard, SourcePlan, TableShard
from .state import Cursor, from_json, to_json

logger = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass(frozen=True)
class Distributed:
    rank: int
    world_size: int


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _maybe_torch_parent(cls: type) -> None:
    """Make the class a ``torch.utils.data.IterableDataset`` once torch is imported (as HF does),
    so a ``DataLoader`` takes it without a sampler; torch itself is never imported here."""
    if "torch" in sys.modules:
        import torch.utils.data

        base = torch.utils.data.IterableDataset
        if base not in cls.__bases__:
            cls.__bases__ += (base,)


class _Base:
    """Lets ``torch.utils.data.IterableDataset`` join the bases later (``object`` alone cannot)."""


class IterableDataset(_Base):
    """A stream of rows read lazily from shards (files, tables, generator calls).

    Build one with :func:`arrowdata.load_dataset` (``streaming=True``), :meth:`from_generator`,
    :meth:`from_dict` or ``Dataset.to_iterable_dataset``. Every operation returns a new
    dataset; iteration yields rows (``for row in ds``) or batches (``ds.iter(batch_size)``).
    ``state_dict()`` during iteration and ``load_state_dict()`` before the next one resume
    exactly where the stream stopped.

    Example:
        >>> ds = IterableDataset.from_dict({"a": [1, 2, 3]}).with_format("numpy")
        >>> next(ds.iter(batch_size=2))["a"]
        array([1, 2])
    """

    def __init__(self, plan: Plan, *, features: Any = None, split: str | None = None,
                 format: Format | None = None, distributed: Distributed | None = None,
                 info: Any = None) -> None:
        self._plan = plan
        if features is None and getattr(info, "features", None) is not None:
            features = info.features  # as HF: the features of a DatasetInfo given without features=
        self._lazy = features if isinstance(features, LazyFeatures) else LazyFeatures(features)
        self._split = split
        self._format = format or Format()
        self._distributed = distributed
        self._info = info
        self._epoch = 0
        self._starting_state: dict | None = None
        self._live: tuple[dict, int] | None = None
        _maybe_torch_parent(type(self))

    def _copy(self, plan: Plan | None = None, **changes: Any) -> "IterableDataset":
        out = copy.copy(self)
        out.__dict__.update(changes)
        if plan is not None:
            out._plan = plan
        out._live = None
        out._starting_state = None
        _maybe_torch_parent(type(out))
        return out

    # ---------------------------------------------------------------- construction
    @staticmethod
    def from_generator(generator: Callable[..., Iterator[dict]], features: Any = None,
                       gen_kwargs: dict | None = None, split: str | None = None) -> "IterableDataset":
        """A stream of the dicts ``generator(**gen_kwargs)`` yields.

        Lists in ``gen_kwargs`` (all of one length) make shards: shard ``i`` calls the generator
        with the ``i``-th element of each list (wrapped in a one-element list), as Hugging Face does.

        Example:
            >>> def gen(paths):
            ...     for p in paths:
            ...         yield {"path": p}
            >>> ds = IterableDataset.from_generator(gen, gen_kwargs={"paths": ["a", "b", "c"]})
            >>> ds.n_shards, [r["path"] for r in ds]
            (3, ['a', 'b', 'c'])
        """
        from .load import as_features

        feats = as_features(features)
        schema = feats.arrow_schema if feats is not None else None
        kwargs = dict(gen_kwargs or {})
        lists = {k: v for k, v in kwargs.items() if isinstance(v, list)}
        lengths = {len(v) for v in lists.values()}
        if len(lengths) > 1:
            raise InvalidArgumentError("gen_kwargs", f"lists of different lengths {sorted(lengths)} cannot be "
                                       "split into shards; give them one length")
        if lists and lengths != {0}:
            n = lengths.pop()
            shards = tuple(GeneratorShard(generator, {**kwargs, **{k: [v[i]] for k, v in lists.items()}}, schema)
                           for i in range(n))
        else:
            shards = (GeneratorShard(generator, kwargs, schema),)
        plan = SourcePlan(shards)
        return IterableDataset(plan, features=feats if feats is not None else LazyFeatures(plan=plan), split=split)

    @staticmethod
    def from_dict(mapping: Mapping[str, Any], features: Any = None, split: str | None = None,
                  num_shards: int = 1) -> "IterableDataset":
        """A stream over an in-memory dict of columns.

        Example:
            >>> [r for r in IterableDataset.from_dict({"a": [1, 2]})]
            [{'a': 1}, {'a': 2}]
        """
        from .load import as_features

        feats = as_features(features)
        table = pa.table(dict(mapping))
        if feats is not None:
            from ..features import cast_table

            table = cast_table(table, feats)
        return IterableDataset.from_table(table, num_shards=num_shards, features=feats, split=split)

    @staticmethod
    def from_list(rows: list[dict], features: Any = None, split: str | None = None) -> "IterableDataset":
        """A stream over a list of dict rows."""
        return IterableDataset.from_dict(pa.Table.from_pylist(rows).to_pydict(), features=features, split=split)

    @staticmethod
    def from_table(table: pa.Table, *, indices: Any = None, num_shards: int = 1, features: Any = None,
                   split: str | None = None, batch_rows: int | None = None) -> "IterableDataset":
        """A stream over a ``pyarrow.Table`` (rows through ``indices`` when given), cut into
        ``num_shards`` contiguous shards. ``Dataset.to_iterable_dataset`` calls this."""
        n = len(indices) if indices is not None else table.num_rows
        if num_shards < 1 or (n and num_shards > n):
            raise InvalidArgumentError("num_shards", f"must be between 1 and the number of rows ({n}), got {num_shards}")
        bounds = [n * i // num_shards for i in range(num_shards + 1)]
        shards = tuple(TableShard(table, indices, bounds[i], bounds[i + 1], batch_rows, name=f"<table shard {i}>")
                       for i in range(num_shards))
        if features is None:
            from ..features import Features

            features = Features.from_arrow_schema(table.schema)
        return IterableDataset(SourcePlan(shards), features=features, split=split)

    @staticmethod
    def from_files(builder: str, paths: str | Sequence[str], features: Any = None, split: str | None = None,
                   storage_options: Mapping[str, Any] | None = None, **options: Any) -> "IterableDataset":
        """A stream over data files read by ``builder`` (``"csv"``, ``"json"``, ``"parquet"``,
        ``"text"``, ``"arrow"``) with its ``options``; one shard per file.

        Example:
            >>> import os, tempfile
            >>> p = os.path.join(tempfile.mkdtemp(), "a.csv"); _ = open(p, "w").write("x\\n1\\n")
            >>> [r["x"] for r in IterableDataset.from_csv(p)]
            [1]
        """
        from ..io import get_builder, resolve_data_files
        from .load import stream_files

        configured = get_builder(builder, **options)
        files = resolve_data_files(paths, storage_options, extensions=configured.extensions)["train"]
        return stream_files(configured, files, split=split, features=features)

    @staticmethod
    def from_csv(paths: str | Sequence[str], **kwargs: Any) -> "IterableDataset":
        """``from_files("csv", paths, ...)``."""
        return IterableDataset.from_files("csv", paths, **kwargs)

    @staticmethod
    def from_json(paths: str | Sequence[str], **kwargs: Any) -> "IterableDataset":
        """``from_files("json", paths, ...)``."""
        return IterableDataset.from_files("json", paths, **kwargs)

    @staticmethod
    def from_parquet(paths: str | Sequence[str], **kwargs: Any) -> "IterableDataset":
        """``from_files("parquet", paths, ...)``."""
        return IterableDataset.from_files("parquet", paths, **kwargs)

    @staticmethod
    def from_text(paths: str | Sequence[str], **kwargs: Any) -> "IterableDataset":
        """``from_files("text", paths, ...)``."""
        return IterableDataset.from_files("text", paths, **kwargs)

    @staticmethod
    def from_file(filename: str) -> "IterableDataset":
        """A stream over one Arrow IPC file (an HF or arrowdata shard)."""
        return IterableDataset.from_files("arrow", filename)

    def __getitem__(self, column_name: str) -> Iterator[Any]:
        """The values of one column, lazily: ``for text in ds["text"]``."""
        if not isinstance(column_name, str):
            raise TypeError(f"an IterableDataset is indexed by a column name, got {type(column_name).__name__}")
        return IterableColumn(self, column_name)

    # ---------------------------------------------------------------- properties
    @property
    def features(self) -> Any:
        """The column types (``None`` when an operation such as ``map`` made them unknown)."""
        return self._lazy.resolve()

    @property
    def column_names(self) -> list[str] | None:
        feats = self.features
        return list(feats) if feats is not None else None

    @property
    def split(self) -> str | None:
        return self._split

    @property
    def info(self) -> Any:
        from ..info import DatasetInfo

        return self._info if self._info is not None else DatasetInfo(features=self.features)

    # HF's DatasetInfo fields (``ds.description``, ``ds.size_in_bytes``...), read from the info given;
    # without one they are empty, and reading them never peeks the stream for its features
    description = property(lambda self: _info_field(self, "description", ""))
    citation = property(lambda self: _info_field(self, "citation", ""))
    homepage = property(lambda self: _info_field(self, "homepage", ""))
    license = property(lambda self: _info_field(self, "license", ""))
    size_in_bytes = property(lambda self: _info_field(self, "size_in_bytes"))
    dataset_size = property(lambda self: _info_field(self, "dataset_size"))
    download_size = property(lambda self: _info_field(self, "download_size"))
    builder_name = property(lambda self: _info_field(self, "builder_name"))
    config_name = property(lambda self: _info_field(self, "config_name"))
    version = property(lambda self: _info_field(self, "version"))

    @property
    def n_shards(self) -> int:
        """How many shards (files, table pieces, generator calls) the stream has for this node."""
        n = self._plan.n_shards
        if self._distributed and n % self._distributed.world_size == 0:
            return n // self._distributed.world_size
        return n

    num_shards = n_shards

    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Draw new shard and buffer orders for ``shuffle`` (each epoch its own, reproducibly)."""
        self._epoch = int(epoch)

    def __repr__(self) -> str:
        feats = self._lazy._value if self._lazy._done else None
        cols = list(feats) if feats is not None else "unknown"
        return f"IterableDataset({{\n    features: {cols},\n    num_shards: {self.n_shards}\n}})"

    # ---------------------------------------------------------------- iteration
    def _prepared_plan(self) -> tuple[Plan | None, int]:
        """The plan this process (rank, DataLoader worker) reads, and the worker's id."""
        plan, worker = self._plan, 0
        if self._distributed is not None:
            rank, world = self._distributed.rank, self._distributed.world_size
            if plan.n_shards % world == 0:
                plan = plan.shard(world, rank, contiguous=False)
            else:
                plan = ops.StepPlan(plan, world, rank)
        if "torch" in sys.modules:
            import torch.utils.data

            info = torch.utils.data.get_worker_info()
            if info is not None and info.num_workers > 1:
                if plan.n_shards < info.num_workers:
                    if info.id == 0:
                        logger.warning("%d DataLoader workers for %d shard(s): workers beyond the shard count "
                                       "stay idle", info.num_workers, plan.n_shards)
                    if info.id >= plan.n_shards:
                        return None, info.id
                plan, worker = plan.shard(info.num_workers, info.id, contiguous=False), info.id
        return plan, worker

    def _cursor(self) -> Cursor | None:
        plan, worker = self._prepared_plan()
        if plan is None:
            return None
        ctx = Context(epoch=self._epoch, worker=worker)
        start = None
        if self._starting_state is not None and self._starting_state["epoch"] == self._epoch:
            start = self._starting_state["position"]
        cursor = Cursor(lambda s: plan.open(ctx, s), start)
        self._live = (cursor.state(), 0)
        return cursor

    def _format_rows(self, batch: pa.Table) -> list:
        fmt = self._format
        if fmt.is_default:
            return batch.to_pylist()
        if fmt.transform is None and canonical_format_name(fmt.type) not in ("arrow", "pandas", "polars"):
            formatter = get_formatter(fmt.type, self._lazy._value, **fmt.kwargs)
            if isinstance(formatter, ColumnFormatter) or fmt.type is None:
                cols = format_table(batch, "batch", fmt, self._lazy._value)
                names = list(cols)
                return [{k: cols[k][i] for k in names} for i in range(batch.num_rows)]
        return [format_table(batch.slice(i, 1), "row", fmt, self._lazy._value) for i in range(batch.num_rows)]

    def __iter__(self) -> Iterator[Any]:
        cursor = self._cursor()
        if cursor is None:
            return
        while True:
            before = cursor.state()
            batch = cursor.next_batch()
            if batch is None:
                self._live = (cursor.state(), 0)
                return
            for i, row in enumerate(self._format_rows(batch)):
                self._live = (before, i + 1)
                yield row

    def iter(self, batch_size: int, drop_last_batch: bool = False) -> Iterator[Any]:
        """Batches of ``batch_size`` rows in the dataset's format (a dict of lists by default).

        Example:
            >>> [b["a"] for b in IterableDataset.from_dict({"a": [1, 2, 3]}).iter(batch_size=2)]
            [[1, 2], [3]]
        """
        if batch_size is None or batch_size < 1:
            raise InvalidArgumentError("batch_size", f"must be >= 1, got {batch_size}")
        cursor = self._cursor()
        if cursor is None:
            return
        for table in self._arrow_batches(cursor, batch_size, drop_last_batch):
            yield format_table(table, "batch", self._format, self._lazy._value)

    def _arrow_batches(self, cursor: Cursor, batch_size: int, drop_last_batch: bool) -> Iterator[pa.Table]:
        while True:
            table = cursor.take(batch_size)
            if table is None or (drop_last_batch and table.num_rows < batch_size):
                self._live = (cursor.state(), 0)
                return
            self._live = (cursor.state(), 0)
            yield table

    def iter_arrow(self, batch_size: int | None = None, drop_last_batch: bool = False) -> Iterator[pa.Table]:
        """Arrow tables: of ``batch_size`` rows, or as the pipeline produces them (``None``)."""
        cursor = self._cursor()
        if cursor is None:
            return
        if batch_size is not None:
            yield from self._arrow_batches(cursor, batch_size, drop_last_batch)
            return
        while (table := cursor.next_batch()) is not None:
            self._live = (cursor.state(), 0)
            yield table

    # ---------------------------------------------------------------- resume
    def state_dict(self) -> dict:
        """Where the current (or last) iteration stands, as plain JSON-able data.

        Example:
            >>> import json
            >>> ds = IterableDataset.from_dict({"a": list(range(5))})
            >>> it = iter(ds); _ = next(it); _ = next(it)
            >>> state = json.loads(json.dumps(ds.state_dict()))
            >>> ds.load_state_dict(state); [r["a"] for r in ds]
            [2, 3, 4]
        """
        if self._live is None:
            if self._starting_state is not None:
                return to_json(self._starting_state)
            return {"version": STATE_VERSION, "epoch": self._epoch, "position": None}
        before, used = self._live
        position = {"before": before["before"], "offset": before["offset"] + used}
        return to_json({"version": STATE_VERSION, "epoch": self._epoch, "position": position})

    def load_state_dict(self, state_dict: dict) -> None:
        """Make the next iterations start where ``state_dict`` (from :meth:`state_dict`) was taken."""
        if not isinstance(state_dict, Mapping) or "position" not in state_dict:
            raise InvalidArgumentError("state_dict", "expected a dict returned by IterableDataset.state_dict()")
        self._starting_state = from_json(dict(state_dict))
        self._live = None

    # ---------------------------------------------------------------- format
    def with_format(self, type: str | None = None, columns: Sequence[str] | None = None,
                    output_all_columns: bool = False, **format_kwargs: Any) -> "IterableDataset":
        """Rows and batches as ``type``: ``"arrow"``, ``"numpy"``, ``"torch"``, ``"tensorflow"``,
        ``"pandas"``, ``"polars"``, ``"jax"`` or ``None`` (Python objects)."""
        name = canonical_format_name(type)
        return self._copy(_format=Format(name, tuple(columns) if columns is not None else None,
                                         output_all_columns, dict(format_kwargs)))

    def with_transform(self, transform: Callable[[dict], Any] | None) -> "IterableDataset":
        return self._copy(_format=Format(None, None, False, {}, transform))

    # ---------------------------------------------------------------- transforms
    def map(self, function: Callable | None = None, with_indices: bool = False,
            input_columns: str | Sequence[str] | None = None, batched: bool = False, batch_size: int | None = 1000,
            drop_last_batch: bool = False, remove_columns: str | Sequence[str] | None = None,
            features: Any = None, fn_kwargs: dict | None = None, batch_format: str | None = None) -> "IterableDataset":
        """Apply ``function`` to each row (or batch of ``batch_size`` rows with ``batched=True``), lazily.

        The function gets the batch in ``batch_format`` (``"python"``, ``"arrow"``, ``"numpy"``,
        ``"pandas"``, ``"polars"``; by default the dataset's format) and returns a dict of new or
        replaced columns; ``remove_columns`` are dropped after it. The features become unknown
        unless ``features`` is given (as in Hugging Face).

        Example:
            >>> ds = IterableDataset.from_dict({"a": [1, 2, 3]})
            >>> [r for r in ds.map(lambda b: {"b": [x + 1 for x in b["a"]]}, batched=True, remove_columns="a")]
            [{'b': 2}, {'b': 3}, {'b': 4}]
        """
        from .load import as_features

        feats = as_features(features)
        fmt = batch_format if batch_format is not None else (self._format.type or "python")
        plan = ops.MapPlan(self._plan, function, with_indices, _names(input_columns) or None, batched, batch_size,
                           drop_last_batch, _names(remove_columns), feats, dict(fn_kwargs or {}), fmt)
        if function is None and feats is None:
            lazy = self._lazy.derive(lambda f: type(f)({k: v for k, v in f.items()
                                                          if k not in set(_names(remove_columns))}))
        else:
            lazy = LazyFeatures(feats)
        return self._copy(plan, _lazy=lazy)

    def filter(self, function: Any = None, with_indices: bool = False,
               input_columns: str | Sequence[str] | None = None, batched: bool = False,
               batch_size: int | None = 1000, fn_kwargs: dict | None = None,
               batch_format: str | None = None) -> "IterableDataset":
        """Keep the rows where ``function`` is true; ``function`` may be a ``pyarrow.compute``
        expression, evaluated by Arrow without Python per row.

        Example:
            >>> import pyarrow.compute as pc
            >>> ds = IterableDataset.from_dict({"a": [1, 2, 3, 4]})
            >>> [r["a"] for r in ds.filter(pc.field("a") > 2)]
            [3, 4]
        """
        import pyarrow.compute as pc

        expression = function if isinstance(function, pc.Expression) else None
        fmt = batch_format if batch_format is not None else (self._format.type or "python")
        plan = ops.FilterPlan(self._plan, None if expression is not None else function, expression, with_indices,
                              _names(input_columns) or None, batched and expression is None, batch_size,
                              dict(fn_kwargs or {}), fmt)
        return self._copy(plan)

    def shuffle(self, seed: int | None = None, generator: np.random.Generator | None = None,
                buffer_size: int = 1000) -> "IterableDataset":
        """Shuffle the shard order and rows through a buffer of ``buffer_size`` rows; ``set_epoch``
        draws a new order per epoch. The order is a reproducible function of ``seed`` and epoch.

        Example:
            >>> ds = IterableDataset.from_dict({"a": list(range(6))})
            >>> sorted(r["a"] for r in ds.shuffle(seed=1, buffer_size=4))
            [0, 1, 2, 3, 4, 5]
        """
        if buffer_size is None or buffer_size < 1:
            raise InvalidArgumentError("buffer_size", f"must be >= 1, got {buffer_size}")
        if generator is not None:
            seed = int(copy.deepcopy(generator).integers(0, 2**63 - 1))
        elif seed is None:
            seed = int(np.random.default_rng().integers(0, 2**63 - 1))
        return self._copy(ShufflePlan(self._plan, int(seed), int(buffer_size)))

    def skip(self, n: int) -> "IterableDataset":
        """All rows but the first ``n``."""
        return self._copy(order.SkipPlan(self._plan, int(n)))

    def take(self, n: int) -> "IterableDataset":
        """The first ``n`` rows."""
        return self._copy(order.TakePlan(self._plan, int(n)))

    def repeat(self, num_times: int | None) -> "IterableDataset":
        """The stream ``num_times`` times over (``None``: forever)."""
        return self._copy(order.RepeatPlan(self._plan, num_times))

    def shard(self, num_shards: int, index: int, contiguous: bool = True) -> "IterableDataset":
        """Piece ``index`` of the shards split into ``num_shards`` pieces (contiguous runs of
        shards, or every ``num_shards``-th with ``contiguous=False``)."""
        if num_shards > self._plan.n_shards:
            raise InvalidArgumentError("num_shards", f"the dataset has {self._plan.n_shards} shard(s); cannot split "
                                       f"it into {num_shards}")
        return self._copy(self._plan.shard(num_shards, index, contiguous))

    def batch(self, batch_size: int | None = None, drop_last_batch: bool = False,
              by_column: str | Sequence[str] | None = None) -> "IterableDataset":
        """Rows of ``batch_size`` rows each (or, with ``by_column``, of each run of consecutive rows
        sharing that column's value): every column becomes a list.

        Example:
            >>> ds = IterableDataset.from_dict({"k": ["a", "a", "b", "a"], "v": [1, 2, 3, 4]})
            >>> [r["v"] for r in ds.batch(by_column="k")]
            [[1, 2], [3], [4]]
        """
        if by_column is not None:
            by_column = tuple(_names(by_column))
            self._check(list(by_column), "by_column")
            batch_size = batch_size or 1
        elif batch_size is None or batch_size < 1:
            raise InvalidArgumentError("batch_size", f"must be >= 1, got {batch_size}")

        def listed(f: Any) -> Any:
            from ..features import List

            return type(f)({k: List(v) for k, v in f.items()})

        return self._copy(ops.BatchPlan(self._plan, batch_size, drop_last_batch, by_column),
                          _lazy=self._lazy.derive(listed))

    # ---------------------------------------------------------------- columns
    def _check(self, names: list[str], argument: str) -> None:
        known = self._lazy._value if self._lazy._done else None
        if known is None and self._lazy._parent is None and self._lazy._plan is not None:
            known = self.features
        if known is not None:
            check_columns(list(known), names, argument)

    def rename_column(self, original_column_name: str, new_column_name: str) -> "IterableDataset":
        return self.rename_columns({original_column_name: new_column_name})

    def rename_columns(self, column_mapping: dict[str, str]) -> "IterableDataset":
        self._check(list(column_mapping), "column_mapping")
        mapping = dict(column_mapping)
        lazy = self._lazy.derive(lambda f: type(f)({mapping.get(k, k): v for k, v in f.items()}))
        return self._copy(ops.ColumnsPlan(self._plan, ops.Rename(mapping)), _lazy=lazy)

    def remove_columns(self, column_names: str | Sequence[str]) -> "IterableDataset":
        names = _names(column_names)
        self._check(names, "column_names")
        lazy = self._lazy.derive(lambda f: type(f)({k: v for k, v in f.items() if k not in names}))
        return self._copy(ops.ColumnsPlan(self._plan, ops.Remove(tuple(names))), _lazy=lazy)

    def select_columns(self, column_names: str | Sequence[str]) -> "IterableDataset":
        names = _names(column_names)
        self._check(names, "column_names")
        lazy = self._lazy.derive(lambda f: type(f)({k: f[k] for k in names}))
        return self._copy(ops.ColumnsPlan(self._plan, ops.Select(tuple(names))), _lazy=lazy)

    def cast(self, features: Any) -> "IterableDataset":
        """Cast every column to ``features`` (same column names)."""
        from .load import as_features

        feats = as_features(features)
        return self._copy(ops.ColumnsPlan(self._plan, ops.Cast(feats)), _lazy=LazyFeatures(feats))

    def cast_column(self, column: str, feature: Any) -> "IterableDataset":
        """Cast one column to ``feature``."""
        current = self.features
        if current is None:
            raise InvalidArgumentError("column", "the features are unknown after map; pass features= to map first")
        check_columns(list(current), [column], "column")
        feats = copy.deepcopy(current)
        feats[column] = feature
        return self.cast(feats)

    def _resolve_features(self) -> "IterableDataset":
        """This dataset with its features read from the first batch (when an operation hid them)."""
        return self._copy(_lazy=LazyFeatures(plan=self._plan) if self.features is None else self._lazy)

    # ---------------------------------------------------------------- conversion
    def to_list(self) -> list[dict]:
        return [dict(r) for r in self.with_format(None)]

    def to_pandas(self, batch_size: int | None = None, batched: bool = False) -> Any:
        """The whole stream as one pandas DataFrame, or (``batched=True``) DataFrames of ``batch_size`` rows."""
        from .state import concat

        plain = self.with_format(None)
        if batched:
            return (t.to_pandas() for t in plain.iter_arrow(batch_size=batch_size or 1000))
        tables = list(plain.iter_arrow())
        return concat(tables).to_pandas() if tables else pa.table({}).to_pandas()

    def add_column(self, name: str, column: Sequence[Any] | np.ndarray) -> "IterableDataset":
        """A new column ``name``: row ``i`` gets ``column[i]`` (rows past its end are an error).

        Example:
            >>> [r["b"] for r in IterableDataset.from_dict({"a": [1, 2]}).add_column("b", ["x", "y"])]
            ['x', 'y']
        """
        values = pa.array(column) if not isinstance(column, (pa.Array, pa.ChunkedArray)) else column
        from ..features import Features

        added = Features.from_arrow_schema(pa.schema([pa.field(name, values.type)]))[name]
        out = self.map(_PutColumn(name, values), with_indices=True, batched=True, batch_format="arrow")
        return out._copy(_lazy=self._lazy.derive(_AddFeature(name, added)))

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_live"] = None
        return state


def _info_field(ds: IterableDataset, name: str, default: Any = None) -> Any:
    return getattr(ds._info, name, default) if ds._info is not None else default


@dataclass(frozen=True)
class _PutColumn:
    """``add_column``'s batched function (a class, so a transformed stream stays picklable)."""

    name: str
    values: Any

    def __call__(self, batch: pa.Table, indices: np.ndarray) -> dict:
        if len(indices) and indices[-1] >= len(self.values):
            raise InvalidArgumentError("column", f"has {len(self.values)} values; the stream has more rows")
        return {self.name: self.values.take(pa.array(indices))}


@dataclass(frozen=True)
class _AddFeature:
    name: str
    feature: Any

    def __call__(self, features: Any) -> Any:
        return type(features)({**features, self.name: self.feature})


class IterableColumn:
    """One column of an :class:`IterableDataset`, iterated lazily (``ds["text"]``); indexing it
    again goes into nested values (``ds["sample"]["text"]``). Each iteration is a new pass.

    Example:
        >>> ds = IterableDataset.from_dict({"s": [{"t": "a"}, {"t": "b"}]})
        >>> list(ds["s"]["t"]), list(ds["s"]["t"])
        (['a', 'b'], ['a', 'b'])
    """

    def __init__(self, source: IterableDataset, column_name: str, path: tuple = ()) -> None:
        self.source, self.column_name, self.path = source, column_name, tuple(path)

    def __getitem__(self, key: Any) -> "IterableColumn":
        return IterableColumn(self.source, self.column_name, (*self.path, key))

    def __iter__(self) -> Iterator[Any]:
        ds = self.source.select_columns([self.column_name])
        for row in ds:
            value = row[self.column_name]
            for key in self.path:
                value = value[key]
            yield value

    def __repr__(self) -> str:
        return f"IterableColumn({self.column_name!r}{''.join(f'[{k!r}]' for k in self.path)})"


def is_stream_list(values: Any, argument: str) -> bool:
    """Whether ``values`` is a list of :class:`IterableDataset` (a mix with map-style datasets is an error)."""
    if not isinstance(values, (list, tuple)) or not values:
        return False
    streams = [isinstance(v, IterableDataset) for v in values]
    if any(streams) and not all(streams):
        raise InvalidArgumentError(argument, "mixes IterableDataset and map-style datasets; convert the map-style "
                                   "ones with .to_iterable_dataset() first")
    return all(streams)


def _aligned(datasets: Sequence[IterableDataset]) -> tuple[list[Plan], Any]:
    """The inputs' plans, each cast to the features all of them share, and those features.

    As in HF, every input's features are resolved (a stream whose features are unknown is peeked
    once), then merged column by column, a later input's feature winning (so a ``ClassLabel`` given
    to one input applies to all); an input whose own features differ is cast to the merged ones,
    its missing columns nulls. ``None`` features: some input's stay unknown.
    """
    from ..features import Features

    feats = [d.features for d in datasets]
    plans = [d._plan for d in datasets]
    if any(f is None for f in feats) or all(f == feats[0] for f in feats):
        return plans, feats[0] if all(f is not None for f in feats) else None
    merged: dict = {}
    for f in feats:
        merged.update(f)  # a later feature wins; columns keep the order they were first seen in
    target = Features(merged)
    for i, f in enumerate(feats):
        if f != target:
            plans[i] = ops.ColumnsPlan(plans[i], ops.Conform(target))
    return plans, target


def _mixed(plan: Plan, datasets: Sequence[IterableDataset], info: Any, split: str | None,
           features: Any = None) -> IterableDataset:
    first = datasets[0]
    return IterableDataset(plan, features=features if features is not None else first._lazy,
                           split=split if split is not None else first._split, format=first._format, info=info)


def interleave(datasets: Sequence[IterableDataset], probabilities: Sequence[float] | None = None,
               seed: int | None = None, stopping_strategy: str = "first_exhausted", *, info: Any = None,
               split: str | None = None) -> IterableDataset:
    """Rows taken from ``datasets`` in turn (or at random with ``probabilities``).

    Example:
        >>> a, b = IterableDataset.from_dict({"x": [0, 2]}), IterableDataset.from_dict({"x": [1, 3]})
        >>> [r["x"] for r in interleave([a, b])]  # stops once an input gave its last row
        [0, 1, 2]
    """
    if not datasets:
        raise InvalidArgumentError("datasets", "needs at least one dataset")
    if seed is None and probabilities is not None:
        seed = int(np.random.default_rng().integers(0, 2**63 - 1))
    plans, features = _aligned(datasets)
    plan = InterleavePlan(tuple(plans), tuple(probabilities) if probabilities is not None else None,
                          int(seed or 0), stopping_strategy)
    return _mixed(plan, datasets, info, split, features)


def concatenate(datasets: Sequence[IterableDataset], *, info: Any = None, split: str | None = None,
                axis: int = 0) -> IterableDataset:
    """The rows of ``datasets`` one after the other (``axis=0``), or their columns side by side
    (``axis=1``: row ``i`` of each, nulls past a shorter input's end; column names must differ).

    Example:
        >>> a, b = IterableDataset.from_dict({"x": [0, 1]}), IterableDataset.from_dict({"x": [5]})
        >>> [r["x"] for r in concatenate([a, b])]
        [0, 1, 5]
        >>> [r for r in concatenate([a, b.rename_column("x", "y")], axis=1)]
        [{'x': 0, 'y': 5}, {'x': 1, 'y': None}]
    """
    if not datasets:
        raise InvalidArgumentError("dsets", "needs at least one dataset")
    if axis == 1:
        return _zip(datasets, info, split)
    if axis != 0:
        raise InvalidArgumentError("axis", f"must be 0 (rows) or 1 (columns), got {axis!r}")
    plans, features = _aligned(datasets)
    return _mixed(ConcatPlan(tuple(plans)), datasets, info, split, features)


def _zip(datasets: Sequence[IterableDataset], info: Any, split: str | None) -> IterableDataset:
    from ..features import Features

    feats = [d.features for d in datasets]  # a stream whose features are unknown is peeked once
    merged: dict = {}
    for f in feats:
        for name, feature in (f or {}).items():
            if name in merged:
                raise InvalidArgumentError("dsets", f"column {name!r} is in more than one dataset; "
                                           "rename or remove it before concatenating along axis=1")
            merged[name] = feature
    plan = ZipPlan(tuple(d._plan for d in datasets), tuple(f.arrow_schema if f is not None else None for f in feats))
    known = all(f is not None for f in feats)
    return _mixed(plan, datasets, info, split, Features(merged) if known else LazyFeatures(plan=plan))
