"""Dataset methods that change columns: rename, remove, select, add, cast, flatten, unique,
class_encode_column, align_labels_with_mapping.

They work on the whole underlying table (the rows chosen by indices are unchanged), and
most are zero-copy Arrow operations. The features travel with the table: they are
updated in ``DatasetInfo`` and in the table's schema metadata together. Naming a column
that does not exist raises :class:`~arrowdata.transforms.derive.ColumnNotFoundError`,
which lists the columns that do.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat
import xxhash

from .. import gather
from ..dataset_core import DatasetCore
from ..errors import CastError
from ..features import (ClassLabel, Features, Value, arrow_type_of, cast_array, cast_table, feature_from_arrow_type,
                        feature_to_json, features_from_schema, schema_metadata, storage_type)
from .derive import InvalidArgumentError, as_name_list, check_columns, new_fingerprint

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset
    from ..features import FeatureType


def _features_of(ds: "Dataset") -> "Features":
    return ds._info.features  # the handle's _init makes them describe exactly its table's columns


def _with_table(ds: "Dataset", table: pa.Table, features: "Features", op: str, args: dict[str, Any],
                fingerprint: str | None = None, **changes: Any) -> "Dataset":
    """``ds`` on a new table whose columns ``features`` describe (schema metadata and info updated)."""
    features = Features(features)
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != b"huggingface"}
    meta.update(schema_metadata(features))
    table = table.replace_schema_metadata(meta)
    info = ds._info.copy()
    info.features = features
    # _replace keeps the files (pickling by path) when the new table is a column projection
    # of them (rename/remove/select, feature or metadata changes); a table with changed values
    # becomes in-memory: it pickles by value and transforms spill it before using workers.
    return ds._replace(_table=table, _info=info, _fingerprint=new_fingerprint(ds, op, args, fingerprint), **changes)


def _content_digest(data: pa.Table | pa.Array | pa.ChunkedArray) -> str:
    """Hash of Arrow data by its IPC bytes (the same values give the same digest)."""
    if not isinstance(data, pa.Table):
        data = pa.table({"c": data})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema.remove_metadata()) as w:
        w.write_table(data.replace_schema_metadata(None))
    return xxhash.xxh3_128_hexdigest(sink.getvalue().to_pybytes())


def _cast_chunked(column: pa.ChunkedArray, feature: "FeatureType", name: str) -> pa.ChunkedArray:
    target = storage_type(arrow_type_of(feature))
    return pa.chunked_array([cast_array(c, feature, name) for c in column.chunks], type=target)


def _label_strings(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Class names of a label column: its values as strings, booleans as ``"False"``/``"True"`` (HF's names)."""
    if pa.types.is_boolean(column.type):
        return pc.if_else(column, pa.scalar("True"), pa.scalar("False"))
    return pc.cast(column, pa.string())


def _flatten_features(features: Mapping[str, Any], max_depth: int) -> tuple[dict[str, Any], bool]:
    out: dict[str, Any] = {}
    changed = False
    for name, feature in features.items():
        if isinstance(feature, dict) and max_depth > 0:
            changed = True
            for sub, sub_feature in feature.items():
                out[f"{name}.{sub}"] = sub_feature
        else:
            out[name] = feature
    return out, changed


class ColumnOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: rename/remove/select/add columns, cast, flatten,
    unique, class_encode_column, align_labels_with_mapping."""

    # -- names ---------------------------------------------------------------------------
    def rename_column(self, original_column_name: str, new_column_name: str,
                      new_fingerprint: str | None = None) -> "Dataset":
        """The dataset with one column renamed (zero-copy).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1, 2]})
            >>> ds.rename_column("a", "b").column_names
            ['b']
        """
        return self.rename_columns({original_column_name: new_column_name}, new_fingerprint=new_fingerprint)

    def rename_columns(self, column_mapping: Mapping[str, str], new_fingerprint: str | None = None) -> "Dataset":
        """The dataset with columns renamed by ``{old: new}`` (zero-copy; swaps allowed).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1], "b": [2]})
            >>> ds.rename_columns({"a": "x", "b": "y"}).column_names
            ['x', 'y']
        """
        if not isinstance(column_mapping, Mapping):
            raise InvalidArgumentError("column_mapping", f"expected a dict {{old: new}}, got {column_mapping!r}")
        names = self._table.column_names
        check_columns(names, list(column_mapping), "column_mapping")
        for new in column_mapping.values():
            if not isinstance(new, str) or not new:
                raise InvalidArgumentError("column_mapping", f"new column names must be non-empty strings, got {new!r}")
        targets = list(column_mapping.values())
        if len(set(targets)) != len(targets):
            raise InvalidArgumentError("column_mapping", f"two columns would get the same name: {targets}")
        kept = set(names) - set(column_mapping)
        clash = sorted(set(targets) & kept)
        if clash:
            raise InvalidArgumentError("column_mapping", f"column {clash[0]!r} already exists; remove or rename it first")
        new_names = [column_mapping.get(n, n) for n in names]
        features = _features_of(self)
        renamed = {column_mapping.get(n, n): features[n] for n in names}
        args = {"mapping": sorted(column_mapping.items())}
        return _with_table(self, self._table.rename_columns(new_names), renamed, "rename_columns", args, new_fingerprint)

    def remove_columns(self, column_names: str | list[str], new_fingerprint: str | None = None) -> "Dataset":
        """The dataset without ``column_names`` (zero-copy).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1], "b": [2]})
            >>> ds.remove_columns(["b"]).column_names
            ['a']
        """
        drop = as_name_list(column_names, "column_names")
        check_columns(self._table.column_names, drop, "column_names")
        keep = [n for n in self._table.column_names if n not in set(drop)]
        return self._select_column_list(keep, "remove_columns", {"column_names": sorted(set(drop))}, new_fingerprint)

    def select_columns(self, column_names: str | list[str], new_fingerprint: str | None = None) -> "Dataset":
        """Only ``column_names``, in the order given (zero-copy).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1], "b": [2]})
            >>> ds.select_columns(["b", "a"]).column_names
            ['b', 'a']
        """
        keep = as_name_list(column_names, "column_names")
        check_columns(self._table.column_names, keep, "column_names")
        if len(set(keep)) != len(keep):
            raise InvalidArgumentError("column_names", f"a column is named twice in {keep}")
        return self._select_column_list(keep, "select_columns", {"column_names": keep}, new_fingerprint)

    def _select_column_list(self, keep: list[str], op: str, args: dict[str, Any],
                            fingerprint: str | None) -> "Dataset":
        features = _features_of(self)
        return _with_table(self, self._table.select(keep), {n: features[n] for n in keep}, op, args, fingerprint)

    # -- adding --------------------------------------------------------------------------
    def add_column(self, name: str, column: Iterable[Any] | np.ndarray | pa.Array | pa.ChunkedArray,
                   new_fingerprint: str | None = None, feature: "FeatureType | None" = None) -> "Dataset":
        """The dataset with a new column ``name`` holding ``column`` (one value per row).

        When the dataset has indices (after ``shuffle``, ``select``...), they are applied first
        (:meth:`flatten_indices`), since ``column`` is given in the dataset's row order.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.add_column("b", [1, 2, 3]).column_names
            ['a', 'b']
        """
        if not isinstance(name, str) or not name:
            raise InvalidArgumentError("name", f"must be a non-empty string, got {name!r}")
        if name in self._table.column_names:
            raise InvalidArgumentError("name", f"column {name!r} already exists")
        if isinstance(column, pa.ChunkedArray):
            array = column.combine_chunks()
        elif isinstance(column, pa.Array):
            array = column
        else:
            values = column if isinstance(column, np.ndarray) else list(column)
            try:
                array = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise InvalidArgumentError("column", f"values for column {name!r} have no common type: {e}") from e
        n = self.num_rows
        if len(array) != n:
            raise InvalidArgumentError("column", f"has {len(array)} values but the dataset has {n} rows")
        base = self.flatten_indices() if self._indices is not None else self
        if feature is not None:
            array = _cast_chunked(pa.chunked_array([array]), feature, name)
        else:
            feature = feature_from_arrow_type(array.type)
        features = dict(_features_of(base))
        features[name] = feature
        table = base._table.append_column(name, array if isinstance(array, pa.ChunkedArray)
                                          else pa.chunked_array([array]))
        args = {"name": name, "column": _content_digest(array)}
        return _with_table(base, table, features, "add_column", args, new_fingerprint)

    def add_item(self, item: Mapping[str, Any], new_fingerprint: str | None = None) -> "Dataset":
        """The dataset with one more row, ``item``, at the end.

        As in HF ``datasets``, a column the item lacks gets ``None`` in the new row, and a key
        that is not a column yet becomes a new column (``None`` in the earlier rows).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.add_item({"a": 40})["a"]
            [10, 20, 30, 40]
            >>> ds.add_item({"a": 40, "b": "x"})["b"]
            [None, None, None, 'x']
        """
        if not isinstance(item, Mapping):
            raise InvalidArgumentError("item", f"expected a dict of column values, got {type(item).__name__}")

        features = dict(_features_of(self))
        base = self._table
        names = base.column_names
        extra = [k for k in item if k not in names]
        if extra:
            if not all(isinstance(k, str) for k in extra):
                raise InvalidArgumentError("item", f"column names must be strings, got {extra!r}")
            for k in extra:  # new columns: null in the existing rows (type null until the item's value types it)
                base = base.append_column(k, pa.nulls(base.num_rows))
                features[k] = feature_from_arrow_type(pa.null())
            names = base.column_names
        item = {n: item.get(n) for n in names}
        try:
            values = {n: pa.array([item[n]]) if item[n] is not None else pa.nulls(1) for n in names}
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise CastError(f"item does not fit the dataset's features: {e}") from e
        # A column with no values yet (type null) takes the type of the first real value.
        for n in names:
            if pat.is_null(base.schema.field(n).type) and not pat.is_null(values[n].type):
                base = base.set_column(names.index(n), n, base.column(n).cast(values[n].type))
                features[n] = feature_from_arrow_type(values[n].type)
        try:
            row = cast_table(pa.table(values), Features(features))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            raise CastError(f"item does not fit the dataset's features: {e}") from e
        schema = base.schema.with_metadata(self._table.schema.metadata or {})
        row = row.replace_schema_metadata(schema.metadata).cast(schema)
        table = pa.concat_tables([base.replace_schema_metadata(schema.metadata), row])
        indices = self._indices
        if indices is not None:
            indices = pa.concat_arrays([indices, pa.array([self._table.num_rows], pa.uint64())])
        args = {"item": _content_digest(row)}
        return _with_table(self, table, features, "add_item", args, new_fingerprint, _indices=indices)

    # -- types ---------------------------------------------------------------------------
    def cast(self, features: "Features | Mapping[str, Any]", batch_size: int | None = 1000,
             keep_in_memory: bool = False, load_from_cache_file: bool | None = None,
             cache_file_name: str | None = None, writer_batch_size: int | None = 1000,
             num_proc: int | None = None) -> "Dataset":
        """The dataset with every column cast to ``features`` (same column names).

        Raises :class:`~arrowdata.errors.CastError` naming the column when a value cannot be cast.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [1, 2]})
            >>> from arrowdata.features import Features, Value
            >>> ds.cast(Features({"a": Value("float32")})).features["a"]
            Value(dtype='float32')
        """
        features = Features(features)
        names = self._table.column_names
        if sorted(features) != sorted(names):
            raise InvalidArgumentError("features", f"must name exactly the columns {names}, got {list(features)}")
        table = cast_table(self._table, features)
        ordered = Features({n: features[n] for n in features})
        return _with_table(self, table, ordered, "cast", {"features": ordered.to_dict()})

    def cast_column(self, column: str, feature: "FeatureType", new_fingerprint: str | None = None) -> "Dataset":
        """The dataset with one column cast to ``feature``.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"label": [1, 0]})
            >>> from arrowdata.features import ClassLabel
            >>> ds.cast_column("label", ClassLabel(names=["neg", "pos"])).features["label"]
            ClassLabel(num_classes=2, names=['neg', 'pos'])
        """
        check_columns(self._table.column_names, [column], "column")
        cast = _cast_chunked(self._table.column(column), feature, column)
        table = self._table.set_column(self._table.column_names.index(column), column, cast)
        features = dict(_features_of(self))
        features[column] = feature
        args = {"column": column, "feature": feature_to_json(feature)}
        return _with_table(self, table, features, "cast_column", args, new_fingerprint)

    def flatten(self, new_fingerprint: str | None = None, max_depth: int = 16) -> "Dataset":
        """Struct columns split into one column per field, named ``parent.child`` (zero-copy).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [{"b": 1, "c": "x"}]})
            >>> ds.flatten().column_names
            ['a.b', 'a.c']
        """
        table = self._table
        features: dict[str, Any] = dict(_features_of(self))
        depth = 0
        while depth < max_depth and any(pa.types.is_struct(f.type) for f in table.schema):
            table = table.flatten()
            features, _ = _flatten_features(features, 1)
            depth += 1
        if list(features) != table.column_names:
            features = dict(features_from_schema(table.schema))
        return _with_table(self, table, features, "flatten", {"max_depth": max_depth}, new_fingerprint)

    # -- values --------------------------------------------------------------------------
    def _logical_column(self, column: str, argument: str = "column") -> pa.ChunkedArray:
        check_columns(self._table.column_names, [column], argument)
        positions = self._indices_np()
        if positions is None:
            return self._table.column(column)
        return gather.take(self._table, positions, columns=[column]).column(0)

    def unique(self, column: str) -> list[Any]:
        """The distinct values of ``column``, in order of first appearance.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"label": [1, 0, 1]})
            >>> ds.unique("label")
            [1, 0]
        """
        return pc.unique(self._logical_column(column)).to_pylist()

    def class_encode_column(self, column: str, include_nulls: bool = False) -> "Dataset":
        """Turn a column of labels into a ``ClassLabel`` column; class names are the sorted
        distinct values (as strings), as in Hugging Face ``datasets``.

        Args:
            include_nulls: keep missing values as a class named ``"None"`` (else they stay null).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"y": ["pos", "neg", "pos"]})
            >>> enc = ds.class_encode_column("y"); enc["y"], enc.features["y"].names
            ([1, 0, 1], ['neg', 'pos'])
        """
        check_columns(self._table.column_names, [column], "column")
        features = dict(_features_of(self))
        if not isinstance(features[column], Value):
            raise InvalidArgumentError("column", f"class encoding needs a plain Value column; {column!r} is "
                                                 f"{features[column]!r}")
        # Classes come from the rows the dataset shows, but the mapping applies row-wise, so
        # the whole physical column is re-coded and the indices are kept.
        try:
            labels = _label_strings(self._table.column(column))
            shown = _label_strings(self._logical_column(column))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise CastError(f"column {column!r}: cannot turn values of type "
                            f"{self._table.schema.field(column).type} into class names: {e}") from e
        values = [v for v in pc.unique(shown).to_pylist()]
        names = sorted(("None" if v is None else v) for v in values if include_nulls or v is not None)
        feature = ClassLabel(names=names)
        codes = pc.index_in(labels, value_set=pa.array(names, pa.string()))
        if include_nulls and "None" in names:
            codes = pc.if_else(pc.is_null(labels), pa.scalar(names.index("None"), pa.int32()), codes)
        codes = codes.cast(pa.int64())
        table = self._table.set_column(self._table.column_names.index(column), column, codes)
        features[column] = feature
        args = {"column": column, "include_nulls": bool(include_nulls)}
        return _with_table(self, table, features, "class_encode_column", args, _indices=self._indices)

    def align_labels_with_mapping(self, label2id: Mapping[str, int], label_column: str) -> "Dataset":
        """Re-number a ``ClassLabel`` column to follow a model's ``label2id`` (names compared
        case-insensitively), e.g. to evaluate a model trained with another label order.

        Example:
            >>> from arrowdata import ClassLabel, Dataset, Features
            >>> ds = Dataset.from_dict({"label": [0, 1]},
            ...                       features=Features({"label": ClassLabel(names=["neg", "pos"])}))
            >>> aligned = ds.align_labels_with_mapping({"pos": 0, "neg": 1}, "label")
            >>> aligned["label"], aligned.features["label"].names
            ([1, 0], ['pos', 'neg'])
        """
        check_columns(self._table.column_names, [label_column], "label_column")
        features = dict(_features_of(self))
        old = features[label_column]
        if not isinstance(old, ClassLabel):
            raise InvalidArgumentError("label_column", f"{label_column!r} must be a ClassLabel column, "
                                                       f"it is {old!r}")
        if not isinstance(label2id, Mapping) or not label2id:
            raise InvalidArgumentError("label2id", f"expected a non-empty dict {{label: id}}, got {label2id!r}")
        mapping = {str(k).lower(): int(v) for k, v in label2id.items()}
        if len(mapping) != len(label2id):
            raise InvalidArgumentError("label2id", "two labels differ only by case")
        ids = sorted(mapping.values())
        if ids != list(range(len(ids))):
            raise InvalidArgumentError("label2id", f"ids must be 0..{len(ids) - 1}, each once; got {ids}")
        unknown = [n for n in old.names if n.lower() not in mapping]
        if unknown:
            raise InvalidArgumentError("label2id", f"labels {unknown} of column {label_column!r} are not in label2id")
        # New names keep the model's spelling; only the matching ignores case.
        names = [str(name) for name, _ in sorted(label2id.items(), key=lambda kv: int(kv[1]))]
        # old id -> new id; -1 (unknown label) stays -1.
        lookup = pa.array([mapping[n.lower()] for n in old.names] + [-1], pa.int64())
        column = self._table.column(label_column).cast(pa.int64())
        position = pc.if_else(pc.equal(column, -1), len(old.names), column)
        recoded = pc.take(lookup, position)
        table = self._table.set_column(self._table.column_names.index(label_column), label_column, recoded)
        features[label_column] = ClassLabel(names=names)
        args = {"label_column": label_column, "label2id": sorted(mapping.items())}
        return _with_table(self, table, features, "align_labels_with_mapping", args)
