"""A small labelled sentiment dataset shipped with arrowdata, for examples and tests.

``reviews.jsonl`` holds 400 short review sentences written for this project, one JSON
object per line: ``{"text": ..., "label": "neg" | "pos"}``.

Example:
    >>> import arrowdata, os
    >>> os.path.basename(arrowdata.sample_path())
    'reviews.jsonl'
    >>> ds = arrowdata.load_sample()  # doctest: +SKIP
    >>> ds.features["label"].names  # doctest: +SKIP
    ['neg', 'pos']
"""
from __future__ import annotations

import os
from typing import Any
from ..errors import UnknownNameError
from ..features import ClassLabel, Features, Value

SAMPLES = {"reviews": "reviews.jsonl"}
LABELS = ["neg", "pos"]


def sample_path(name: str = "reviews") -> str:
    """The path of a built-in sample file (``"reviews"``: labelled sentences in JSON Lines)."""
    if name not in SAMPLES:
        raise UnknownNameError("sample dataset", name, list(SAMPLES))
    return os.path.join(os.path.dirname(__file__), SAMPLES[name])


def sample_features() -> Any:
    """The features of the sample: ``text`` (string) and ``label`` (ClassLabel neg/pos)."""
    return Features({"text": Value("string"), "label": ClassLabel(names=LABELS)})


def load_sample(name: str = "reviews", **kwargs: Any) -> Any:
    """The sample as a memory-mapped Dataset with a ClassLabel ``label`` (converted once into the cache).

    ``kwargs`` go to :meth:`arrowdata.Dataset.from_json` (e.g. ``cache_dir=``).
    """
    from ..dataset import Dataset

    return Dataset.from_json(sample_path(name), features=sample_features(), **kwargs)
