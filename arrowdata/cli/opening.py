"""Opening whatever path a CLI user names: a saved folder (Dataset or DatasetDict), or data files.

Example:
    >>> open_path("saved/")  # doctest: +SKIP
    Dataset(num_rows=..., features=...)
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import MissingFileError, UnknownNameError
from ..folder_format import is_saved_folder
from ..dataset_dict import load_from_disk


def open_path(path: str, *, builder: str | None = None, builder_options: dict | None = None) -> Any:
    """A Dataset or DatasetDict for ``path``: a ``save_to_disk`` folder is opened memory-mapped;
    anything else is read with :func:`arrowdata.io.load_dataset` (builder from the extension)."""
    if builder is None and is_saved_folder(path):
        return load_from_disk(path)
    if builder is None and "://" not in path and not os.path.exists(path) and not any(c in path for c in "*?["):
        raise MissingFileError(path)
    from ..io import load_dataset

    return load_dataset(builder, data_files=path, progress=True, **(builder_options or {}), split="train")


def pick_split(obj: Any, split: str | None) -> tuple[str | None, Any]:
    """``(split_name, dataset)``: the named split of a DatasetDict, its first split by default."""
    if not hasattr(obj, "keys") or not callable(obj.keys):
        return getattr(obj, "split", None), obj
    names = list(obj.keys())
    if split is None:
        if not names:
            raise UnknownNameError("split", "<first>", [])
        split = names[0]
    if split not in names:
        raise UnknownNameError("split", split, names)
    return split, obj[split]


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["delimiter=;", "header=false"]`` -> ``{"delimiter": ";", "header": False}`` (JSON values
    where they parse, strings otherwise)."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise ValueError(f"--option takes KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value if value not in ("True", "False", "None") else value.lower()
                                  .replace("none", "null"))
        except ValueError:
            out[key] = value
    return out
