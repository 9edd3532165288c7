"""Validating a saved folder's ``state.json`` and ``dataset_dict.json`` before using them.

A folder may come from anywhere, so every field is checked for its type (and names for
staying inside the folder) and a bad one raises :class:`~arrowdata.errors.MetadataError`
naming the file and the field, instead of a raw ``TypeError``/``AttributeError`` later.

Example:
    >>> check_state({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}, "state.json")
    ['data-00000-of-00001.arrow']
    >>> check_state({"_data_files": "x"}, "state.json")
    Traceback (most recent call last):
    arrowdata.errors.MetadataError: state.json, field '_data_files': must be a non-empty list of {"filename": ...} objects, not a string
"""
from __future__ import annotations

from typing import Any

from .errors import MetadataError
from .metadata_files import confined_name, json_kind

#: field -> allowed JSON types (``None`` = null); fields absent from the file are fine.
_STATE_FIELDS: dict[str, tuple[type | None, ...]] = {
    "_fingerprint": (str, None),
    "_format_columns": (list, None),
    "_format_kwargs": (dict, None),
    "_format_type": (str, None),
    "_output_all_columns": (bool, None),
    "_split": (str, None),
    "_indexes": (dict, None),
    "_indices_data_files": (list, None),
    "_arrowdata_digests": (list, None),
    "_arrowdata_seal": (str, None),
}
_MAX_SHARDS = 1_000_000


def _is(value: Any, kinds: tuple[type | None, ...]) -> bool:
    if value is None:
        return None in kinds
    if isinstance(value, bool):
        return bool in kinds
    return any(k is not None and k is not bool and isinstance(value, k) for k in kinds)


def check_state(state: Any, source: str) -> list[str]:
    """The shard names of a ``state.json`` after checking every field; raises :class:`MetadataError`."""
    if not isinstance(state, dict):
        raise MetadataError(f"must hold a JSON object, not {json_kind(state)}", path=source)
    files = state.get("_data_files")
    if not isinstance(files, list) or not files:
        raise MetadataError(f'must be a non-empty list of {{"filename": ...}} objects, not {json_kind(files)}',
                            path=source, field="_data_files")
    if len(files) > _MAX_SHARDS:
        raise MetadataError(f"{len(files)} shards is more than {_MAX_SHARDS}", path=source, field="_data_files")
    names = []
    for i, entry in enumerate(files):
        if not isinstance(entry, dict):
            raise MetadataError(f"must be an object with a 'filename', not {json_kind(entry)}", path=source,
                                field=f"_data_files[{i}]")
        name = entry.get("filename")
        try:
            names.append(confined_name(name, source))
        except MetadataError as e:
            raise MetadataError(f"invalid data file name {name!r}: {str(e).rsplit(': ', 1)[-1]}", path=source,
                                field=f"_data_files[{i}].filename") from None
    for key, kinds in _STATE_FIELDS.items():
        if key in state and not _is(state[key], kinds):
            allowed = " or ".join("null" if k is None else {str: "a string", list: "a list", dict: "an object",
                                                            bool: "a boolean"}[k] for k in kinds)
            raise MetadataError(f"must be {allowed}, not {json_kind(state[key])}", path=source, field=key)
    cols = state.get("_format_columns")
    if cols is not None and not all(isinstance(c, str) for c in cols):
        raise MetadataError("must be a list of column names", path=source, field="_format_columns")
    return names


def check_dict_meta(meta: Any, source: str) -> list[str]:
    """The split names of a ``dataset_dict.json`` after checking them; raises :class:`MetadataError`."""
    if not isinstance(meta, dict):
        raise MetadataError(f"must hold a JSON object, not {json_kind(meta)}", path=source)
    splits = meta.get("splits")
    if not isinstance(splits, list):
        raise MetadataError(f"must be a list of split names, not {json_kind(splits)}", path=source, field="splits")
    for i, split in enumerate(splits):
        confined_name(split, source, field=f"splits[{i}]", plain=True)
    if len(set(splits)) != len(splits):
        raise MetadataError("lists a split twice", path=source, field="splits")
    return splits
