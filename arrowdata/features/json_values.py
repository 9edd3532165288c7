"""``Json`` columns: Python values encoded to JSON text on the way in, decoded on the way out.

A ``Json`` feature (alone, in a ``List``, or in a struct) is stored as JSON text, so rows may
hold objects with different keys or values of mixed types. :func:`encode_values` turns the
Python values of a column into what Arrow stores; :func:`decode_values` turns read values
back (``ds[i]``, ``to_list``, ``map``'s input...). :func:`json_features` finds the columns
that need either, cached per features object or schema metadata, so datasets without
``Json`` columns pay one dictionary lookup.

Example:
    >>> from arrowdata.features import Json, List
    >>> encode_values([{"a": 1}, [1, "x"]], Json())
    ['{"a":1}', '[1,"x"]']
    >>> decode_values([['{"a": 1}', "2"]], List(Json()))
    [[{'a': 1}, 2]]
"""
from __future__ import annotations

import functools
import json
from typing import Any

import pyarrow as pa

from .serialization import SCHEMA_METADATA_KEY, feature_from_json
from .types import FeatureType, Json, LargeList, List


def has_json(feature: FeatureType) -> bool:
    """Whether ``feature`` is or contains a ``Json`` feature."""
    if isinstance(feature, Json):
        return True
    if isinstance(feature, dict):
        return any(has_json(v) for v in feature.values())
    if isinstance(feature, (List, LargeList)):
        return has_json(feature.feature)
    return False


def has_struct(arrow_type: Any) -> bool:
    """Whether an Arrow type is, or holds in its lists, a struct."""
    if pa.types.is_struct(arrow_type):
        return True
    return hasattr(arrow_type, "value_type") and has_struct(arrow_type.value_type)


def mixed_keys(values: Any) -> bool:
    """Whether the dicts of a column (its values, or the items of its list values) differ in keys:
    Arrow would fill the missing keys with nulls, HF's ``on_mixed_types="use_json"`` keeps each dict
    as it was (a ``Json`` column). An empty dict counts as mixed too."""
    if not isinstance(values, (list, tuple)):
        return False
    keys = None
    stack = list(values)
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            these = set(item)
            if not these:
                return True  # an empty dict has no struct type (HF: Json)
            if keys is None:
                keys = these
            elif these != keys:
                return True
    return False


def _walk(value: Any, feature: FeatureType, leaf: Any) -> Any:
    if value is None:
        return None
    if isinstance(feature, Json):
        return leaf(value)
    if isinstance(feature, (List, LargeList)) and isinstance(value, (list, tuple)):
        return [_walk(v, feature.feature, leaf) for v in value]
    if isinstance(feature, dict) and isinstance(value, dict):
        return {k: _walk(v, feature[k], leaf) if k in feature else v for k, v in value.items()}
    return value


def encode_values(values: Any, feature: FeatureType) -> list:
    """The values of a column as stored: each ``Json`` part turned into JSON text."""
    encode = Json().encode_example
    return [_walk(v, feature, encode) for v in values]


def decode_values(values: list, feature: FeatureType) -> list:
    """Stored values of a column as Python values: each ``Json`` part parsed."""
    return [_walk(v, feature, json.loads) for v in values]


_BY_FEATURES: dict[int, tuple[Any, dict]] = {}


def json_features(features: Any) -> dict[str, FeatureType]:
    """``{column: feature}`` for the columns of ``features`` that hold ``Json`` (cached per object)."""
    if not features:
        return {}
    hit = _BY_FEATURES.get(id(features))
    if hit is not None and hit[0] is features:
        return hit[1]
    found = {name: f for name, f in features.items() if has_json(f)}
    if len(_BY_FEATURES) > 256:
        _BY_FEATURES.clear()
    _BY_FEATURES[id(features)] = (features, found)
    return found


@functools.lru_cache(maxsize=64)
def _json_features_of_metadata(payload: bytes) -> dict[str, FeatureType]:
    try:
        stored = json.loads(payload.decode()).get("info", {}).get("features") or {}
        return {name: f for name, f in ((n, feature_from_json(v, n)) for n, v in stored.items()) if has_json(f)}
    except (ValueError, AttributeError, TypeError):
        return {}


def json_features_of_schema(schema: Any) -> dict[str, FeatureType]:
    """Like :func:`json_features`, from the features stored in an Arrow schema's metadata."""
    metadata = schema.metadata
    if not metadata or SCHEMA_METADATA_KEY not in metadata or b"Json" not in metadata[SCHEMA_METADATA_KEY]:
        return {}
    return _json_features_of_metadata(metadata[SCHEMA_METADATA_KEY])


def decode_columns(batch: dict[str, list], found: dict[str, FeatureType]) -> dict[str, list]:
    """A dict of columns with its ``Json`` columns decoded (in place)."""
    for name, feature in found.items():
        if name in batch:
            batch[name] = decode_values(batch[name], feature)
    return batch


def decode_rows(rows: list[dict], found: dict[str, FeatureType]) -> list[dict]:
    """Row dicts with their ``Json`` columns decoded (in place)."""
    for name, feature in found.items():
        for row in rows:
            if name in row:
                row[name] = _walk(row[name], feature, json.loads)
    return rows
