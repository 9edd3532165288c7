"""The README quickstart and its Keras variant run end to end (tiny settings)."""
from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


def test_docstring_dataset_is_real_and_deterministic():
    sys.path.insert(0, str(EXAMPLES))
    try:
        from stdlib_docstrings import docstring_examples
    finally:
        sys.path.remove(str(EXAMPLES))
    rows = docstring_examples()
    assert len(rows) > 1000 and rows == docstring_examples()
    assert {r["label"] for r in rows} == {0, 1}
    assert all(20 <= len(r["text"]) <= 600 for r in rows)


@pytest.mark.slow
def test_quickstart_trains_scores_and_hits_the_cache_on_rerun(caplog):
    pytest.importorskip("transformers")
    quickstart = _load("quickstart")
    caplog.set_level(logging.WARNING, logger="arrowdata")
    scores = quickstart.main(steps=1, batch_size=8, max_examples=64)
    assert set(scores) >= {"accuracy", "f1"} and 0.0 <= scores["accuracy"] <= 1.0
    assert "cache hit" not in caplog.text
    caplog.clear()
    quickstart.main(steps=0, batch_size=8, max_examples=64)
    assert caplog.text.count("cache hit") >= 2  # both splits' tokens come from the cache


@pytest.mark.slow
def test_keras_quickstart_runs():
    pytest.importorskip("tensorflow")
    scores = _load("keras_quickstart").main(epochs=1, batch_size=16, max_examples=64)
    assert 0.0 <= scores["accuracy"] <= 1.0
