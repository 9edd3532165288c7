"""The Dataset handle: an immutable view of an Arrow table (memory-mapped or in memory).

State (see DESIGN.md): ``_table`` (the whole table), ``_indices`` (optional logical→physical
row map), ``_format``, ``_fingerprint``, ``_info``, ``_split``, ``_data_files``, ``_projection``. Every
transform returns a new handle; only the presentation (``set_format``) changes in place,
as in Hugging Face ``datasets``.

Methods live where their concept lives: transforms in ``arrowdata/transforms/`` mixins,
constructors in ``construct.py``, saving/loading in ``persistence.py``, exports in
``exports.py``, output types in ``formatting/``.

Example:
    >>> from arrowdata import Dataset
    >>> ds = Dataset.from_dict({"text": ["a", "b", "c"], "label": [0, 1, 0]})
    >>> len(ds), ds[1], ds[-1]["text"], ds["label"]
    (3, {'text': 'b', 'label': 1}, 'c', [0, 1, 0])
    >>> ds.with_format("numpy")[0:2]["label"]
    array([0, 1])
"""
from __future__ import annotations

import contextlib
import copy
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from . import construct
from .content_hash import table_fingerprint
from .errors import ColumnNotFoundError as MissingColumnError  # noqa: F401  (the name this module gave it)
from .exports import ExportOps
from .exporters import FrameworkExportOps
from .formatting import Format, format_table
from .formatting.base import canonical_format_name
from .info import DatasetInfo
from .persistence import PersistenceOps
from .projection import Projection, ProjectionState
from .table import normalize_table, open_arrow_files
from .features.json_values import decode_rows, json_features
from .lifecycle import LifecycleOps
from .transforms.column_ops import ColumnOps
from .transforms.map_ops import MapOps
from .transforms.row_ops import RowOps
from .transforms.group_ops import GroupOps

# Formats whose batch is a dict of indexable columns, so rows can be cut from a converted batch.
_DICT_ROW_FORMATS = (None, "numpy", "torch", "tensorflow", "jax")


def _reopen(data_files: list[str], indices: np.ndarray | None, fmt: Format, fingerprint: str,
            info: dict, split: str | None, projection: ProjectionState | None = None) -> "Dataset":
    """Unpickling target: re-open the memory map (and re-apply the column projection)
    instead of carrying the data."""
    table = open_arrow_files(data_files)
    proj = None if projection is None else Projection.from_state(projection)
    return Dataset._from_parts(proj.apply(table) if proj is not None else table, fingerprint=fingerprint,
                               indices=None if indices is None else pa.array(indices, pa.uint64()),
                               info=DatasetInfo.from_dict(info), split=split, format=fmt, data_files=data_files,
                               projection=proj)


class Dataset(MapOps, RowOps, ColumnOps, GroupOps, ExportOps, FrameworkExportOps, PersistenceOps, LifecycleOps):
    """A table of examples, memory-mapped from Arrow files or held in memory.

    Build one with :meth:`from_dict`, :meth:`from_list`, :meth:`from_pandas`, :meth:`from_polars`,
    :meth:`from_arrow`, :meth:`from_generator`, :meth:`from_csv`, :meth:`from_json`,
    :meth:`from_parquet`, :meth:`from_text`, or :func:`arrowdata.load_from_disk`.

    Args:
        table: the Arrow table.
        info: descriptive metadata and features (features are inferred when absent).
        split: the split name.
        indices: optional ``uint64`` logical→physical row map.
        fingerprint: content key; computed from the table when omitted.

    Example:
        >>> ds = Dataset(pa.table({"x": [1, 2]}))
        >>> ds.num_rows, ds.column_names
        (2, ['x'])
    """

    def __init__(self, table: pa.Table, info: DatasetInfo | None = None, split: str | None = None,
                 indices: pa.Array | None = None, fingerprint: str | None = None) -> None:
        if not isinstance(table, pa.Table):
            raise TypeError(f"Dataset(table=...) takes a pyarrow.Table, got {type(table).__name__}")
        table = normalize_table(table)
        self._init(table, fingerprint or table_fingerprint(table), indices, info, split, Format(), [], None)

    # ------------------------------------------------------------------ attributes
    @property
    def info(self) -> DatasetInfo:
        return self._info

    @property
    def description(self) -> str:
        return self._info.description

    @property
    def citation(self) -> str:
        return self._info.citation

    @property
    def homepage(self) -> str:
        return self._info.homepage

    @property
    def license(self) -> str:
        return self._info.license

    @property
    def split(self) -> str | None:
        return self._split

    @property
    def dataset_size(self) -> int:
        """Bytes of Arrow data in this dataset's table (HF's ``dataset_size``; mapped, not read)."""
        return self._table.nbytes

    @property
    def fingerprint(self) -> str:
        """The content key of this dataset (32 hex characters)."""
        return self._fingerprint

    @property
    def cache_files(self) -> list[dict[str, str]]:
        """The files this dataset is memory-mapped from, as ``[{"filename": path}, ...]``."""
        return [{"filename": f} for f in self._data_files]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_rows, self.num_columns)

    @property
    def format(self) -> dict[str, Any]:
        """The current format, as HF ``datasets`` shows it."""
        f = self._format
        return {"type": "custom" if f.transform is not None else f.type,
                "format_kwargs": dict(f.kwargs, **({"transform": f.transform} if f.transform else {})),
                "columns": list(f.columns) if f.columns is not None else self.column_names,
                "output_all_columns": f.output_all_columns}

    def __repr__(self) -> str:
        return f"Dataset({{\n    features: {self.column_names},\n    num_rows: {self.num_rows}\n}})"

    # ------------------------------------------------------------------ reads
    def _format_table(self, table: pa.Table, kind: str) -> Any:
        with self._damage_named():
            return format_table(table, kind, self._format, self.features)

    def _normalize_index(self, i: int) -> int:
        n = self.num_rows
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"row index {i} out of range for a dataset of {n} rows")
        return j

    def _positions_of(self, key: Any) -> np.ndarray:
        arr = np.asarray(key)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if arr.dtype == bool:
            if arr.shape != (self.num_rows,):
                raise IndexError(f"boolean mask of shape {arr.shape} for a dataset of {self.num_rows} rows")
            return np.flatnonzero(arr)
        if arr.dtype.kind not in "iu" or arr.ndim != 1:
            raise TypeError(f"row indices must be a 1-D list/array of integers, got dtype {arr.dtype} "
                            f"with shape {arr.shape}")
        arr = arr.astype(np.int64, copy=False)
        n = self.num_rows
        bad = (arr < -n) | (arr >= n)
        if bad.any():
            raise IndexError(f"row index {int(arr[bad][0])} out of range for a dataset of {n} rows")
        return np.where(arr < 0, arr + n, arr)

    def __getitem__(self, key: Any) -> Any:
        """``ds[i]`` a row, ``ds[i:j]``/``ds[[i, j]]``/``ds[np_array]`` a batch, ``ds["col"]`` a column.

        Example:
            >>> ds = Dataset.from_dict({"a": [1, 2, 3]})
            >>> ds[-1], ds[::2], ds[[2, 0]]["a"]
            ({'a': 3}, {'a': [1, 3]}, [3, 1])
        """
        if isinstance(key, str):
            self._check_columns([key])
            table = self._rows(0, self.num_rows, [key]) if self._indices is not None else self._table.select([key])
            return self._format_table(table, "column")
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            i = self._normalize_index(int(key))
            return self._format_table(self._rows(i, i + 1), "row")
        if isinstance(key, slice):
            start, stop, step = key.indices(self.num_rows)
            if step == 1:
                return self._format_table(self._rows(start, max(start, stop)), "batch")
            return self._format_table(self._take(np.arange(start, stop, step, dtype=np.int64)), "batch")
        if isinstance(key, (list, tuple, range, np.ndarray, pa.Array, pa.ChunkedArray)):
            if isinstance(key, (pa.Array, pa.ChunkedArray)):
                key = key.to_numpy()
            return self._format_table(self._take(self._positions_of(key)), "batch")
        if hasattr(key, "__array__") and np.ndim(key) == 1:  # pandas Series/Index, tensors: as in HF
            return self._format_table(self._take(self._positions_of(np.asarray(key))), "batch")
        raise TypeError(f"dataset indices must be int, slice, list/array of ints, or a column name; "
                        f"got {type(key).__name__}")

    def __getitems__(self, keys: list[int]) -> list[Any]:
        """A list of rows (what torch's DataLoader asks for), gathered in one vectorized read."""
        batch = self._take(self._positions_of(keys))
        return [self._format_table(batch.slice(i, 1), "row") for i in range(batch.num_rows)]

    def __iter__(self) -> Iterator[Any]:
        """Rows in the current format, read (and converted) in batches of 1000."""
        fmt = self._format
        for table in self.iter_arrow(1000):
            if fmt.is_default:
                with self._damage_named():
                    rows = table.to_pylist()
                yield from decode_rows(rows, json_features(self.features))
            elif fmt.transform is None and fmt.type in _DICT_ROW_FORMATS:
                # Convert a whole batch once, then index it: the same values as ds[i], far fewer calls.
                batch = self._format_table(table, "batch")
                keys = list(batch)
                for i in range(table.num_rows):
                    yield {k: batch[k][i] for k in keys}
            else:
                for i in range(table.num_rows):
                    yield self._format_table(table.slice(i, 1), "row")

    def iter(self, batch_size: int, drop_last_batch: bool = False) -> Iterator[Any]:
        """Batches of ``batch_size`` rows in the current format.

        Example:
            >>> [b["a"] for b in Dataset.from_dict({"a": [1, 2, 3]}).iter(batch_size=2)]
            [[1, 2], [3]]
        """
        for table in self.iter_arrow(batch_size, drop_last_batch=drop_last_batch):
            yield self._format_table(table, "batch")

    # ------------------------------------------------------------------ formats
    def with_format(self, type: str | None = None, columns: Sequence[str] | None = None,
                    output_all_columns: bool = False, **format_kwargs: Any) -> "Dataset":
        """A handle returning ``type`` objects (python, numpy, pandas, polars, arrow, torch, tensorflow, jax).

        Args:
            type: the format name (``None`` = python).
            columns: only these columns are returned (``None`` = all).
            output_all_columns: also return the other columns, as python objects.
            **format_kwargs: options for the formatter, e.g. ``dtype``.

        Example:
            >>> Dataset.from_dict({"a": [1, 2]}).with_format("numpy")["a"]
            array([1, 2])
        """
        format_kwargs = {**format_kwargs.pop("format_kwargs", {}), **format_kwargs}  # set_format(**ds.format)
        if type == "custom":  # what ds.format says for a transform: make the same transform again
            return self.with_transform(format_kwargs.pop("transform", None), columns, output_all_columns)
        name = canonical_format_name(type)
        if columns is not None:
            columns = [columns] if isinstance(columns, str) else list(columns)
            self._check_columns(columns, "columns")
        fmt = Format(name, tuple(columns) if columns is not None else None, output_all_columns, dict(format_kwargs))
        return self._replace(format=fmt)

    def set_format(self, type: str | None = None, columns: Sequence[str] | None = None,
                   output_all_columns: bool = False, **format_kwargs: Any) -> None:
        """In-place :meth:`with_format` (the data and fingerprint do not change)."""
        self._format = self.with_format(type, columns, output_all_columns, **format_kwargs)._format

    def reset_format(self) -> None:
        """Back to python objects, all columns."""
        self._format = Format()

    def with_transform(self, transform: Callable[[dict], Any] | None, columns: Sequence[str] | None = None,
                       output_all_columns: bool = False) -> "Dataset":
        """A handle applying ``transform`` to every python batch on access (not cached).

        Example:
            >>> ds = Dataset.from_dict({"a": [1, 2]}).with_transform(lambda b: {"a2": [x * 2 for x in b["a"]]})
            >>> ds[1], ds[:]["a2"]
            ({'a2': 4}, [2, 4])
        """
        if transform is None:
            return self._replace(format=Format())
        if columns is not None:
            columns = [columns] if isinstance(columns, str) else list(columns)
            self._check_columns(columns, "columns")
        return self._replace(format=Format("custom", tuple(columns) if columns is not None else None,
                                           output_all_columns, {}, transform))

    def set_transform(self, transform: Callable[[dict], Any] | None, columns: Sequence[str] | None = None,
                      output_all_columns: bool = False) -> None:
        """In-place :meth:`with_transform`."""
        self._format = self.with_transform(transform, columns, output_all_columns)._format

    @contextlib.contextmanager
    def formatted_as(self, type: str | None = None, columns: Sequence[str] | None = None,
                     output_all_columns: bool = False, **format_kwargs: Any) -> Iterator[None]:
        """Temporarily ``set_format`` inside a ``with`` block."""
        old = self._format
        self.set_format(type, columns, output_all_columns, **format_kwargs)
        try:
            yield
        finally:
            self._format = old

    # ------------------------------------------------------------------ Ray Data
    def to_ray(self, columns: Sequence[str] | None = None, **read_args: Any) -> Any:
        """A ``ray.data.Dataset`` whose read tasks memory-map this dataset's files by path, in row order
        (indices and column projections honoured); see :func:`arrowdata.engines.ray_data.to_ray`.

        Example:
            >>> Dataset.from_dict({"x": [1, 2, 3]}).to_ray().count()  # doctest: +SKIP
            3
        """
        from .engines.ray_data import to_ray

        return to_ray(self, columns, **read_args)

    # ------------------------------------------------------------------ pickling, copying
    def __reduce__(self) -> tuple:
        if self._data_files:
            idx = self._indices_np()
            proj = None if self._projection is None else self._projection.to_state()
            return (_reopen, (list(self._data_files), None if idx is None else np.array(idx), self._format,
                              self._fingerprint, self._info.to_dict(), self._split, proj))
        return (_rebuild_in_memory, (self._table, self._indices, self._format, self._fingerprint,
                                     self._info.to_dict(), self._split))

    def __copy__(self) -> "Dataset":
        return self._replace()

    def __deepcopy__(self, memo: dict) -> "Dataset":
        return self._replace(info=copy.deepcopy(self._info, memo))

    # ------------------------------------------------------------------ constructors
    from_dict = classmethod(construct.from_dict)
    from_list = classmethod(construct.from_list)
    from_pandas = classmethod(construct.from_pandas)
    from_polars = classmethod(construct.from_polars)
    from_arrow = classmethod(construct.from_arrow)
    from_generator = classmethod(construct.from_generator)
    from_csv = classmethod(construct.from_csv)
    from_json = classmethod(construct.from_json)
    from_parquet = classmethod(construct.from_parquet)
    from_text = classmethod(construct.from_text)
    from_file = classmethod(construct.from_file)


def _rebuild_in_memory(table: pa.Table, indices: pa.Array | None, fmt: Format, fingerprint: str, info: dict,
                       split: str | None) -> Dataset:
    return Dataset._from_parts(table, fingerprint=fingerprint, indices=indices, info=DatasetInfo.from_dict(info),
                               split=split, format=fmt)
