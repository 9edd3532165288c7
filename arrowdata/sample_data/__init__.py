"""A small labelled sentiment dataset shipped with arrowdata, for examples and tests.

``reviews.jsonl`` holds short product/movie review sentences written for this project,
one JSON object per line: ``{"text": ..., "label": "neg" | "pos"}``.

Example:
    >>> import arrowdata, os
    >>> os.path.basename(arrowdata.sample_path())
    'reviews.jsonl'
"""
from __future__ import annotations

import os

SAMPLES = {"reviews": "reviews.jsonl"}
LABELS = ["neg", "pos"]


def sample_path(name: str = "reviews") -> str:
    """The path of a built-in sample file (``"reviews"``: labelled sentences in JSON Lines)."""
    from ..errors import UnknownNameError

    if name not in SAMPLES:
        raise UnknownNameError("sample dataset", name, list(SAMPLES))
    return os.path.join(os.path.dirname(__file__), SAMPLES[name])
