"""Casting tables to features, with errors that name the column.

``ClassLabel`` columns accept label names (encoded to integers) or integers (range-checked);
``Array2D``.. columns check every row has the declared shape; everything else is an Arrow
``safe`` cast, so overflow and lossy float→int casts fail instead of corrupting data.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.features import Features, ClassLabel
    >>> t = cast_table(pa.table({"y": ["pos", "neg"]}), Features({"y": ClassLabel(names=["neg", "pos"])}))
    >>> t.column("y").to_pylist()
    [1, 0]
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat

from ..errors import CastError
from .inference import storage_type
from .serialization import Opaque, schema_metadata
from .types import (ClassLabel, Features, FeatureType, Json, LargeList, List, TranslationVariableLanguages, _ArrayND,
                    arrow_type_of)


def _unwrap(array: pa.Array) -> pa.Array:
    return array.storage if isinstance(array, pa.ExtensionArray) else array


def _cast_plain(array: pa.Array, target: pa.DataType, column: str) -> pa.Array:
    if array.type == target:
        return array
    try:
        return pc.cast(array, target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
        raise CastError(f"column {column!r}: cannot cast {array.type} to {target}: {e}") from e


def _cast_classlabel(array: pa.Array, feature: ClassLabel, column: str) -> pa.Array:
    if pat.is_string(array.type) or pat.is_large_string(array.type) or pat.is_string_view(array.type):
        codes = pc.index_in(array, value_set=pa.array(feature.names, pa.string()))
        missing = pc.and_(pc.is_null(codes), pc.is_valid(array))
        if pc.any(missing).as_py():
            # Digit strings of a valid index are labels too (as in HF `datasets`).
            values = array.to_pylist()
            try:
                return pa.array([None if v is None else feature.str2int(v) for v in values], pa.int64())
            except ValueError as e:
                bad = pc.filter(array, missing)[0].as_py()
                raise CastError(f"column {column!r}: label {bad!r} is not one of {feature.names}") from e
        return codes.cast(pa.int64())
    if pat.is_integer(array.type) or pat.is_null(array.type):
        out = _cast_plain(array, pa.int64(), column)
        if len(out) and out.null_count < len(out):
            lo, hi = pc.min_max(out).values()
            if lo.as_py() < -1 or hi.as_py() >= feature.num_classes:
                raise CastError(f"column {column!r}: class label {hi.as_py() if hi.as_py() >= feature.num_classes else lo.as_py()}"
                                f" outside -1..{feature.num_classes - 1} (names {feature.names})")
        return out
    if pat.is_floating(array.type):
        return _cast_classlabel(_cast_plain(array, pa.int64(), column), feature, column)
    raise CastError(f"column {column!r}: cannot cast {array.type} to ClassLabel (give label names or integers)")


def _cast_encoded(array: pa.Array, feature: Json | TranslationVariableLanguages, column: str) -> pa.Array:
    """Values re-encoded in Python by the feature (JSON text; sorted language/translation lists)."""
    target = arrow_type_of(feature)
    if array.type == target and not isinstance(feature, Json):
        return array
    try:
        return pa.array([feature.encode_example(v) for v in array.to_pylist()], target)
    except (TypeError, ValueError, pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise CastError(f"column {column!r}: cannot encode values as {feature._type}: {e}") from e


def _check_shape(array: pa.Array, shape: tuple, column: str, depth: int = 0) -> None:
    if depth == len(shape) or pat.is_null(array.type):
        return  # all-null (or empty, untyped) values fit any shape
    if not (pat.is_list(array.type) or pat.is_large_list(array.type) or pat.is_fixed_size_list(array.type)):
        raise CastError(f"column {column!r}: expected {len(shape)} nested dimensions, found {depth}")
    want = shape[depth]
    if want is not None:
        lengths = pc.list_value_length(array)
        valid = pc.drop_null(lengths)
        if len(valid) and not pc.all(pc.equal(valid, want)).as_py():
            got = pc.filter(valid, pc.not_equal(valid, want))[0].as_py()
            raise CastError(f"column {column!r}: dimension {depth} has length {got}, expected {want} (shape {shape})")
    _check_shape(pc.list_flatten(array), shape, column, depth + 1)


def _needs_walk(feature: FeatureType) -> bool:
    if isinstance(feature, (ClassLabel, _ArrayND, Json, TranslationVariableLanguages)):
        return True
    if isinstance(feature, dict):
        return any(_needs_walk(v) for v in feature.values())
    if isinstance(feature, (List, LargeList)):
        return _needs_walk(feature.feature)
    return False


def cast_array(array: pa.Array, feature: FeatureType, column: str) -> pa.Array:
    """One Arrow array cast to ``feature``'s storage type; ``CastError`` names ``column``."""
    array = _unwrap(array)
    if isinstance(feature, Opaque):
        return array if feature.arrow_type is None else _cast_plain(array, storage_type(feature.arrow_type), column)
    if isinstance(feature, ClassLabel):
        return _cast_classlabel(array, feature, column)
    if isinstance(feature, (Json, TranslationVariableLanguages)):
        return _cast_encoded(array, feature, column)
    if isinstance(feature, _ArrayND):
        _check_shape(array, feature.shape, column)
        return _cast_plain(array, arrow_type_of(feature), column)
    if isinstance(feature, dict) and _needs_walk(feature):
        if not pat.is_struct(array.type):
            raise CastError(f"column {column!r}: cannot cast {array.type} to a struct of {list(feature)}")
        names = [array.type.field(i).name for i in range(array.type.num_fields)]
        missing = set(feature) - set(names)
        if missing:
            raise CastError(f"column {column!r}: struct lacks fields {sorted(missing)}")
        # flatten(): children with the parent's nulls applied, so null rows are not shape-checked.
        flat = dict(zip(names, array.flatten()))
        children = [cast_array(flat[k], v, f"{column}.{k}") for k, v in feature.items()]
        return pa.StructArray.from_arrays(children, names=list(feature), mask=array.is_null() if array.null_count else None)
    if isinstance(feature, (List, LargeList)) and _needs_walk(feature.feature):
        if not (pat.is_list(array.type) or pat.is_large_list(array.type) or pat.is_fixed_size_list(array.type)):
            raise CastError(f"column {column!r}: cannot cast {array.type} to a list")
        if pat.is_fixed_size_list(array.type):
            array = _cast_plain(array, pa.list_(array.type.value_type), column)
        values = cast_array(array.values, feature.feature, f"{column}[]")
        offsets = array.offsets
        mask = array.is_null() if array.null_count else None
        cls = pa.LargeListArray if isinstance(feature, LargeList) else pa.ListArray
        if isinstance(feature, LargeList):
            offsets = offsets.cast(pa.int64())
        out = cls.from_arrays(offsets, values, mask=mask)
        target = arrow_type_of(feature)
        return out if out.type == target else _cast_plain(out, target, column)
    return _cast_plain(array, arrow_type_of(feature), column)


def conform_table(table: pa.Table, features: Features) -> pa.Table:
    """``table`` with the columns of ``features``, in their order and storage types: a column the
    table lacks is all nulls (concatenating datasets whose columns differ). Metadata records ``features``.

    Example:
        >>> import pyarrow as pa
        >>> from arrowdata.features import Features, Value
        >>> conform_table(pa.table({"b": [1]}), Features({"a": Value("string"), "b": Value("int32")})).to_pydict()
        {'a': [None], 'b': [1]}
    """
    for name, feature in features.items():
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, storage_type(arrow_type_of(feature))))
    table = table.select(list(features))
    target = pa.schema([pa.field(n, storage_type(arrow_type_of(f))) for n, f in features.items()],
                       metadata=schema_metadata(features))
    if table.schema.remove_metadata() != target.remove_metadata():
        table = table.cast(target)
    return table.replace_schema_metadata(target.metadata)


def cast_table(table: pa.Table, features: Features) -> pa.Table:
    """``table`` with each column cast to its feature; schema metadata records ``features``.

    Columns are matched by name; a column missing from ``table`` or extra in it raises
    ``CastError`` listing both sets of names.

    Example:
        >>> import pyarrow as pa
        >>> from arrowdata.features import Features, Value
        >>> cast_table(pa.table({"a": [1, 2]}), Features({"a": Value("float32")})).schema.field("a").type
        DataType(float)
    """
    if set(table.column_names) != set(features):
        raise CastError(f"cannot cast columns {table.column_names} to features with columns {list(features)}: "
                        "the names must match")
    columns = []
    for name, feature in features.items():
        col = table.column(name)
        chunks = [cast_array(chunk, feature, name) for chunk in col.chunks]
        target = storage_type(arrow_type_of(feature))
        columns.append(pa.chunked_array(chunks, type=target))
    schema = pa.schema([pa.field(n, c.type) for n, c in zip(features, columns)]).with_metadata(
        {**(table.schema.metadata or {}), **schema_metadata(features)})
    return pa.Table.from_arrays(columns, schema=schema)
