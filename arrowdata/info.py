"""DatasetInfo: what a dataset is (description, citation, license, homepage) and its features.

Serialised as ``dataset_info.json``, in the same keys Hugging Face ``datasets`` uses, so
the file is readable by both. Unknown keys found in a file are kept and written back.

Example:
    >>> from arrowdata.features import Features, Value
    >>> info = DatasetInfo(description="toy", features=Features({"a": Value("int64")}))
    >>> DatasetInfo.from_dict(info.to_dict()).description
    'toy'
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import MetadataError
from .features import Features
from .metadata_files import json_kind


#: Hugging Face ``DatasetInfo`` fields arrowdata keeps as given (in ``extra``) without using them
HF_FIELDS = ("post_processed", "supervised_keys", "builder_name", "dataset_name", "config_name", "version",
             "splits", "download_checksums", "download_size", "post_processing_size", "dataset_size",
             "size_in_bytes")


@dataclass(init=False)
class DatasetInfo:
    """Descriptive metadata of a dataset.

    Attributes:
        description, citation, homepage, license: free text.
        features: the column types, or ``None`` until known.
        extra: other keys read from a ``dataset_info.json`` (e.g. HF ``splits``), written back as is.
            Hugging Face's other fields (``size_in_bytes``, ``dataset_size``, ``splits``,
            ``builder_name``...) are accepted as keywords, kept here and read as attributes.

    Example:
        >>> DatasetInfo(description="d", size_in_bytes=42).size_in_bytes
        42
    """

    description: str = ""
    citation: str = ""
    homepage: str = ""
    license: str = ""
    features: Features | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _KEYS = ("citation", "description", "features", "homepage", "license")

    def __init__(self, description: str = "", citation: str = "", homepage: str = "", license: str = "",
                 features: Features | None = None, extra: dict[str, Any] | None = None, **hf_fields: Any) -> None:
        unknown = [k for k in hf_fields if k not in HF_FIELDS]
        if unknown:
            raise TypeError(f"DatasetInfo() got an unexpected keyword argument {unknown[0]!r}")
        self.description, self.citation, self.homepage, self.license = description, citation, homepage, license
        self.features = features
        self.extra = {**(extra or {}), **{k: v for k, v in hf_fields.items() if v is not None}}

    def __getattr__(self, name: str) -> Any:
        if name in HF_FIELDS:  # only reached when not a real attribute
            return self.__dict__.get("extra", {}).get(name)
        raise AttributeError(f"'DatasetInfo' object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (keys as HF ``datasets`` writes them)."""
        out: dict[str, Any] = dict(copy.deepcopy(self.extra))
        out.update({"citation": self.citation, "description": self.description,
                    "features": self.features.to_dict() if self.features is not None else None,
                    "homepage": self.homepage, "license": self.license})
        return dict(sorted(out.items()))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None) -> "DatasetInfo":
        """From the dict form (a parsed ``dataset_info.json``).

        Every field is checked: a wrong type, features that are not an object, or features
        asking for more than :mod:`arrowdata.metadata_limits` allows raise
        :class:`~arrowdata.errors.MetadataError` naming ``source`` (the file) and the field.

        Example:
            >>> DatasetInfo.from_dict({"description": 3}, source="dataset_info.json")
            Traceback (most recent call last):
            arrowdata.errors.MetadataError: dataset_info.json, field 'description': must be a string or null, not a number
        """
        if not isinstance(data, dict):
            raise MetadataError(f"must hold a JSON object, not {json_kind(data)}", path=source)
        for key in ("description", "citation", "homepage", "license"):
            if data.get(key) is not None and not isinstance(data[key], str):
                raise MetadataError(f"must be a string or null, not {json_kind(data[key])}", path=source, field=key)
        feats = data.get("features")
        if feats is not None and not isinstance(feats, dict):
            raise MetadataError(f"must be an object of column -> feature, not {json_kind(feats)}", path=source,
                                field="features")
        try:
            features = Features.from_dict(feats) if feats else None
        except RecursionError:
            raise MetadataError("nested too deeply", path=source, field="features") from None
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            message = str(e)
            where = "features"
            if message.startswith("features JSON at "):
                at, _, message = message[len("features JSON at "):].partition(": ")
                where = f"features.{at}" if at != "top level" else "features"
            raise MetadataError(message, path=source, field=where) from None
        extra = {k: v for k, v in data.items() if k not in cls._KEYS}
        return cls(description=data.get("description") or "", citation=data.get("citation") or "",
                   homepage=data.get("homepage") or "", license=data.get("license") or "",
                   features=features, extra=extra)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "DatasetInfo":
        return cls.from_dict(json.loads(text))

    def copy(self) -> "DatasetInfo":
        return copy.deepcopy(self)
