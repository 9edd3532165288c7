"""Features to JSON and back, in exactly the form Hugging Face ``datasets`` writes.

``dataset_info.json`` and the ``huggingface`` key of Arrow schema metadata hold this JSON,
so folders written by either library open in the other. Feature types we do not model
(HF ``Image``, ``Audio``...) are kept as :class:`Opaque`: their JSON round-trips untouched
and their column reads as its Arrow type.

Example:
    >>> from arrowdata.features import Features, Value, ClassLabel
    >>> feature_to_json(ClassLabel(names=["a", "b"]))
    {'names': ['a', 'b'], '_type': 'ClassLabel'}
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import pyarrow as pa

from ..metadata_limits import check_feature_json
from .types import (ARRAY_TYPES, ClassLabel, FeatureType, Json, LargeList, List, Sequence, Translation,
                    TranslationVariableLanguages, Value, _ArrayND)

SCHEMA_METADATA_KEY = b"huggingface"


@dataclass
class Opaque:
    """A feature type arrowdata does not interpret (e.g. HF ``Image``); its JSON is kept as is.

    Example:
        >>> Opaque({"_type": "Image"}).to_json()
        {'_type': 'Image'}
    """

    spec: dict
    arrow_type: pa.DataType | None = field(default=None, compare=False)
    _type: ClassVar[str] = "Opaque"

    def to_json(self) -> dict:
        return dict(self.spec)


def _value_json(f: Value) -> dict:
    out: dict[str, Any] = {"dtype": f.dtype}
    if f.id is not None:
        out["id"] = f.id
    return out


def _classlabel_json(f: ClassLabel) -> dict:
    out: dict[str, Any] = {"names": list(f.names)}
    if f.id is not None:
        out["id"] = f.id
    return out


def _list_json(f: List) -> dict:
    out: dict[str, Any] = {"feature": feature_to_json(f.feature)}
    if f.length != -1:
        out["length"] = f.length
    return out


def _large_list_json(f: LargeList) -> dict:
    return {"feature": feature_to_json(f.feature)}


def _array_json(f: _ArrayND) -> dict:
    return {"shape": list(f.shape), "dtype": f.dtype}


def _with_id(out: dict, f: Any) -> dict:
    if f.id is not None:
        out["id"] = f.id
    return out


_TO_JSON: dict[type, Callable[[Any], dict]] = {
    Value: _value_json, ClassLabel: _classlabel_json, List: _list_json, LargeList: _large_list_json,
    **{cls: _array_json for cls in ARRAY_TYPES.values()},
    Translation: lambda f: _with_id({"languages": list(f.languages)}, f),
    TranslationVariableLanguages: lambda f: _with_id({"languages": f.languages, "num_languages": f.num_languages}, f),
    Json: lambda f: _with_id({} if f.decode else {"decode": False}, f),
}


def feature_to_json(feature: FeatureType) -> dict:
    """The JSON-ready dict of one feature (``_type`` last, as HF writes it)."""
    if isinstance(feature, dict):
        return {k: feature_to_json(v) for k, v in feature.items()}
    if isinstance(feature, Opaque):
        return feature.to_json()
    try:
        out = _TO_JSON[type(feature)](feature)
    except KeyError:
        raise TypeError(f"{feature!r} is not a feature type") from None
    out["_type"] = feature._type
    return out


def _value_from(d: dict, path: str) -> Value:
    return Value(d["dtype"], id=d.get("id"))


def _classlabel_from(d: dict, path: str) -> ClassLabel:
    if d.get("names") is not None:
        return ClassLabel(names=d["names"], id=d.get("id"))
    return ClassLabel(num_classes=d["num_classes"], id=d.get("id"))


def _list_from(d: dict, path: str) -> List:
    return List(feature_from_json(d["feature"], path=f"{path}.feature"), length=d.get("length", -1), id=d.get("id"))


def _sequence_from(d: dict, path: str) -> Any:
    # Older `datasets` folders say "Sequence"; it means List, with dicts turned into dicts of lists.
    return Sequence(feature_from_json(d["feature"], path=f"{path}.feature"), length=d.get("length", -1))


def _large_list_from(d: dict, path: str) -> LargeList:
    return LargeList(feature_from_json(d["feature"], path=f"{path}.feature"), id=d.get("id"))


def _array_from(cls: type) -> Callable[[dict, str], _ArrayND]:
    return lambda d, path: cls(shape=tuple(d["shape"]), dtype=d["dtype"], id=d.get("id"))


_FROM_JSON: dict[str, Callable[[dict, str], Any]] = {
    "Value": _value_from, "ClassLabel": _classlabel_from, "List": _list_from, "Sequence": _sequence_from,
    "LargeList": _large_list_from, **{cls._type: _array_from(cls) for cls in ARRAY_TYPES.values()},
    "Translation": lambda d, path: Translation(languages=d["languages"], id=d.get("id")),
    "TranslationVariableLanguages": lambda d, path: TranslationVariableLanguages(
        languages=d.get("languages"), num_languages=d.get("num_languages"), id=d.get("id")),
    "Json": lambda d, path: Json(decode=d.get("decode", True), id=d.get("id")),
}


def feature_from_json(data: Any, path: str = "") -> FeatureType:
    """One feature from its JSON form; unknown ``_type`` values become :class:`Opaque`."""
    if not isinstance(data, dict):
        raise ValueError(f"features JSON at {path or 'top level'}: expected an object, got {str(data)[:80]!r}")
    check_feature_json(data, path)  # bounds what metadata may demand, before anything is built
    if "_type" not in data:
        return {k: feature_from_json(v, path=f"{path}.{k}" if path else k) for k, v in data.items()}
    kind = data["_type"]
    if isinstance(kind, str) and kind in _FROM_JSON:
        try:
            return _FROM_JSON[kind](data, path)
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"features JSON at {path or 'top level'}: invalid {kind}: {e}") from e
    return Opaque(dict(data))


def schema_metadata(features: dict) -> dict[bytes, bytes]:
    """The schema metadata entry that stores ``features`` (HF layout: ``{"info": {"features": ...}}``)."""
    payload = {"info": {"features": {k: feature_to_json(v) for k, v in features.items()}}}
    return {SCHEMA_METADATA_KEY: json.dumps(payload).encode()}


def features_json_from_metadata(metadata: dict[bytes, bytes] | None) -> dict | None:
    """The features JSON stored in schema metadata, or ``None`` when absent or unreadable."""
    if not metadata or SCHEMA_METADATA_KEY not in metadata:
        return None
    try:
        info = json.loads(metadata[SCHEMA_METADATA_KEY].decode())
        features = info.get("info", {}).get("features")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return features if isinstance(features, dict) else None
