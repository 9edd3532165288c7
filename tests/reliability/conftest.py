"""The reliability campaign (issue 11): hostile files, crash points, concurrency.

The default run is the fast subset CI runs. Tests marked ``stress`` (long fuzzing, many
processes) run only with ``ARROWDATA_STRESS=1``; ``tools/stress.py`` is the by-hand campaign.
"""
from __future__ import annotations

import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "stress: long reliability runs, only with ARROWDATA_STRESS=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("ARROWDATA_STRESS") == "1":
        return
    skip = pytest.mark.skip(reason="stress test: set ARROWDATA_STRESS=1 (or run tools/stress.py)")
    for item in items:
        if "stress" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def outside(tmp_path):
    """A file outside the cache that nothing may read or delete."""
    path = tmp_path / "outside" / "victim.arrow"
    path.parent.mkdir()
    path.write_bytes(b"precious")
    return path
