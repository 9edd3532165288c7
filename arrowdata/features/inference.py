"""Features inferred from Arrow types, and reconciled with features stored in metadata.

Example:
    >>> import pyarrow as pa
    >>> features_from_schema(pa.schema([("x", pa.list_(pa.int32()))]))
    Features({'x': List(feature=Value(dtype='int32'), length=-1)})
"""
from __future__ import annotations

import json
import logging

import pyarrow as pa
import pyarrow.types as pat

from .dtypes import arrow_to_dtype
from .serialization import Opaque, feature_from_json, features_json_from_metadata
from .types import ARRAY_TYPES, Features, FeatureType, LargeList, List, Value, arrow_type_of

logger = logging.getLogger(__name__)

EXT_NAME_KEY = b"ARROW:extension:name"
EXT_META_KEY = b"ARROW:extension:metadata"


def _array_feature(ext_name: str, serialized: bytes) -> FeatureType | None:
    """An ArrayND feature from an HF extension type's name and serialized ``(shape, dtype)``."""
    for ndims, cls in ARRAY_TYPES.items():
        if ext_name.endswith(f"{cls._type}ExtensionType"):
            shape, dtype = json.loads(serialized)
            return cls(shape=tuple(shape), dtype=dtype)
    return None


def feature_from_arrow_type(arrow_type: pa.DataType, field_metadata: dict | None = None) -> FeatureType:
    """The natural feature of an Arrow type (struct → dict, list → List, primitive → Value).

    Example:
        >>> feature_from_arrow_type(pa.list_(pa.float32(), 3))
        List(feature=Value(dtype='float32'), length=3)
    """
    if field_metadata and EXT_NAME_KEY in field_metadata:
        found = _array_feature(field_metadata[EXT_NAME_KEY].decode(), field_metadata.get(EXT_META_KEY, b"null"))
        if found is not None:
            return found
    if isinstance(arrow_type, pa.ExtensionType):
        found = _array_feature(arrow_type.extension_name, arrow_type.__arrow_ext_serialize__())
        return found if found is not None else Opaque({"_type": arrow_type.extension_name}, arrow_type)
    if pat.is_struct(arrow_type):
        return {arrow_type.field(i).name: feature_from_arrow_type(arrow_type.field(i).type, arrow_type.field(i).metadata)
                for i in range(arrow_type.num_fields)}
    if pat.is_fixed_size_list(arrow_type):
        return List(feature_from_arrow_type(arrow_type.value_type), length=arrow_type.list_size)
    if pat.is_list(arrow_type):
        return List(feature_from_arrow_type(arrow_type.value_type))
    if pat.is_large_list(arrow_type):
        return LargeList(feature_from_arrow_type(arrow_type.value_type))
    try:
        return Value(arrow_to_dtype(arrow_type))
    except ValueError:
        return Opaque({"_type": "Opaque", "arrow_type": str(arrow_type)}, arrow_type)


def storage_type(arrow_type: pa.DataType) -> pa.DataType:
    """``arrow_type`` with extension types replaced by their storage (recursively)."""
    if isinstance(arrow_type, pa.ExtensionType):
        return storage_type(arrow_type.storage_type)
    if pat.is_struct(arrow_type):
        return pa.struct([pa.field(f.name, storage_type(f.type), f.nullable) for f in arrow_type])
    if pat.is_fixed_size_list(arrow_type):
        return pa.list_(storage_type(arrow_type.value_type), arrow_type.list_size)
    if pat.is_list(arrow_type):
        return pa.list_(storage_type(arrow_type.value_type))
    if pat.is_large_list(arrow_type):
        return pa.large_list(storage_type(arrow_type.value_type))
    return arrow_type


def fill_opaque(feature: FeatureType, arrow_type: pa.DataType) -> FeatureType:
    """``feature`` with the Arrow type of each :class:`Opaque` part taken from ``arrow_type``."""
    return _fill_opaque(feature, arrow_type)


def _fill_opaque(feature: FeatureType, arrow_type: pa.DataType) -> FeatureType:
    if isinstance(feature, Opaque):
        return Opaque(feature.spec, arrow_type)
    if isinstance(feature, dict) and pat.is_struct(arrow_type):
        names = {f.name: f.type for f in arrow_type}
        return {k: _fill_opaque(v, names[k]) if k in names else v for k, v in feature.items()}
    if isinstance(feature, (List, LargeList)) and hasattr(arrow_type, "value_type"):
        kwargs = {"length": feature.length} if isinstance(feature, List) else {}
        return type(feature)(_fill_opaque(feature.feature, arrow_type.value_type), **kwargs)
    return feature


def matches_arrow_type(feature: FeatureType, arrow_type: pa.DataType) -> bool:
    """Whether ``feature`` is stored as ``arrow_type`` (extension types compared by storage)."""
    try:
        return storage_type(arrow_type_of(feature)) == storage_type(arrow_type)
    except (TypeError, ValueError):
        return False


_matches = matches_arrow_type


def features_from_schema(schema: pa.Schema) -> Features:
    """Features of a schema: the stored JSON where it agrees with the Arrow types, else inferred.

    Example:
        >>> import pyarrow as pa
        >>> features_from_schema(pa.schema([("t", pa.timestamp("us"))]))["t"]
        Value(dtype='timestamp[us]')
    """
    stored = features_json_from_metadata(schema.metadata) or {}
    out = Features()
    for fld in schema:
        inferred = feature_from_arrow_type(fld.type, fld.metadata)
        feature = inferred
        if fld.name in stored:
            try:
                candidate = _fill_opaque(feature_from_json(stored[fld.name], path=fld.name), storage_type(fld.type))
            except ValueError as e:
                logger.warning("ignoring stored feature of column %r: %s", fld.name, e)
            else:
                if _matches(candidate, fld.type):
                    feature = candidate
                else:
                    logger.debug("stored feature of %r disagrees with its Arrow type %s; inferring", fld.name, fld.type)
        out[fld.name] = feature
    return out
