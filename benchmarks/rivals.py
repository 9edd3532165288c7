"""Helpers about the rival libraries the benchmarks run against."""
from __future__ import annotations


def try_evaluate(name: str) -> str:
    """Whether ``evaluate.load(name)`` works here: ``"loaded"``, or why not (offline it cannot
    fetch its metric scripts from the Hub, so the benchmarks print that instead of timing it)."""
    try:
        import evaluate

        evaluate.load(name)
        return "loaded"
    except Exception as e:  # any failure of the rival is reported, not raised
        return f"cannot load offline ({type(e).__name__})"
