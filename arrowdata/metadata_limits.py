"""What metadata may ask for: bounds on the features a ``dataset_info.json`` or schema can describe.

A folder's metadata is a few bytes that we turn into objects: ``ClassLabel(num_classes=10**12)``
would build a trillion label names, an ``Array5D`` shape can promise petabytes, a list length
of ``10**18`` or features nested ten thousand deep exhaust memory or the stack. These checks run
on the JSON *before* anything is built, and raise ``ValueError`` naming the field, so a hostile
or damaged folder costs milliseconds and an error, never the machine.

The bounds are far above real datasets (ImageNet-21k has 21,841 classes); raise them with the
environment variables below if you genuinely need more.

Example:
    >>> check_feature_json({"_type": "ClassLabel", "num_classes": 10**12}, "label")
    Traceback (most recent call last):
    ValueError: features JSON at label: num_classes=1000000000000 is over the limit of 10000000 (ARROWDATA_MAX_CLASSES)
"""
from __future__ import annotations

import os
from typing import Any

#: Most classes a ClassLabel read from metadata may have.
MAX_CLASSES = int(os.environ.get("ARROWDATA_MAX_CLASSES", str(10**7)))
#: Largest fixed length of a List/Sequence, and largest number of values an ArrayND shape may describe.
MAX_LENGTH = int(os.environ.get("ARROWDATA_MAX_FEATURE_LENGTH", str(2**31 - 1)))
#: Deepest nesting of features (dicts and lists inside each other).
MAX_DEPTH = int(os.environ.get("ARROWDATA_MAX_FEATURE_DEPTH", "64"))
#: Most columns (keys) one features object may hold.
MAX_KEYS = int(os.environ.get("ARROWDATA_MAX_FEATURE_KEYS", str(10**5)))

_ARRAY_DIMS = {"Array2D": 2, "Array3D": 3, "Array4D": 4, "Array5D": 5}


def _int(value: Any) -> bool:
    return type(value) is int


def check_feature_json(data: dict, path: str) -> None:
    """Raise ``ValueError`` when the feature JSON ``data`` at ``path`` asks for more than the bounds allow,
    or holds a bounded field of the wrong type. Everything else is left to the feature's constructor."""
    where = path or "top level"

    def fail(message: str) -> None:
        raise ValueError(f"features JSON at {where}: {message}")

    depth = path.count(".") + 1 if path else 0
    if depth > MAX_DEPTH:
        fail(f"nested more than {MAX_DEPTH} levels deep (ARROWDATA_MAX_FEATURE_DEPTH)")
    if len(data) > MAX_KEYS:
        fail(f"{len(data)} keys is over the limit of {MAX_KEYS} (ARROWDATA_MAX_FEATURE_KEYS)")
    kind = data.get("_type")
    if "_type" in data and not isinstance(kind, str):
        fail(f"'_type' must be a string, got {type(kind).__name__}")
    if kind == "ClassLabel":
        n, names = data.get("num_classes"), data.get("names")
        if n is not None:
            if not _int(n) or n < 0:
                fail(f"num_classes must be a non-negative integer, got {n!r}")
            if n > MAX_CLASSES:
                fail(f"num_classes={n} is over the limit of {MAX_CLASSES} (ARROWDATA_MAX_CLASSES)")
        if names is not None:
            if not isinstance(names, list) or not all(isinstance(x, (str, int)) and not isinstance(x, bool)
                                                      for x in names):
                fail("names must be a list of strings")
            if len(names) > MAX_CLASSES:
                fail(f"{len(names)} names is over the limit of {MAX_CLASSES} (ARROWDATA_MAX_CLASSES)")
        if "names_file" in data:
            fail("names_file is not accepted in metadata (it would read a file named by the folder)")
    elif kind in ("List", "Sequence", "LargeList"):
        length = data.get("length", -1)
        if not _int(length) or length < -1 or length > MAX_LENGTH:
            fail(f"length must be -1 or an integer up to {MAX_LENGTH}, got {length!r}")
        if not isinstance(data.get("feature"), dict):
            fail(f"{kind} needs a 'feature' object")
    elif kind in _ARRAY_DIMS:
        shape = data.get("shape")
        if not isinstance(shape, list) or len(shape) != _ARRAY_DIMS[kind]:
            fail(f"{kind} needs a shape of {_ARRAY_DIMS[kind]} integers, got {shape!r}")
        total = 1
        for i, dim in enumerate(shape):
            if dim is None and i == 0:
                continue
            if not _int(dim) or dim < 1 or dim > MAX_LENGTH:
                fail(f"shape[{i}] must be a positive integer, got {dim!r}")
            total *= dim
        if total > MAX_LENGTH:
            fail(f"shape {shape} describes {total} values per row, over the limit of {MAX_LENGTH}")
    if kind in ("Value", *_ARRAY_DIMS) and not isinstance(data.get("dtype"), str):
        fail(f"{kind} needs a 'dtype' string, got {data.get('dtype')!r}")
