"""Set-up shared by the tests and the doctests (``pytest --doctest-modules``, README's test command).

- The environment the frameworks read at import (quiet TensorFlow, offline Hugging Face).
- Only the packages are searched for doctests: benchmarks, examples and tools are scripts.
- A module whose top-level imports need a package that is not installed is not collected, and a
  doctest that fails only because an optional package (torch, tensorflow, ray...) is missing is
  reported as skipped. Both are decided per run, so modules added later are covered without a list.
- Every doctest runs in its own empty arrowdata cache and an empty working folder.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent
OUR_PACKAGES = {"arrowdata", "metrics", "loaders", "tests", "conftest"}
collect_ignore_glob = ["benchmarks/*", "examples/*", "tools/*", "build/*", ".venv/*", "*/__main__.py"]


def _missing(name: str) -> bool:
    top = name.split(".")[0]
    if not top or top in OUR_PACKAGES or top in sys.builtin_module_names:
        return False
    try:
        return importlib.util.find_spec(top) is None
    except (ImportError, ValueError):
        return True


def _needs_missing_package(path: Path) -> str | None:
    """The first top-level import of ``path`` whose package is not installed (None: all there)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:  # module level only: frameworks imported inside functions are optional
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if _missing(name):
                return name
    return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.suffix == ".py" and config.getoption("doctestmodules", False):
        if _needs_missing_package(collection_path):
            return True
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed or type(item).__name__ != "DoctestItem" or call.excinfo is None:
        return
    failure = call.excinfo.value
    exc_info = getattr(failure, "exc_info", None)  # doctest.UnexpectedException
    error = exc_info[1] if exc_info else None
    if isinstance(error, ModuleNotFoundError) and error.name and _missing(error.name):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.reportinfo()[1] or 0,
                           f"optional package {error.name.split('.')[0]!r} is not installed")


@pytest.fixture(autouse=True)
def _doctest_isolation(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch):
    """Doctests get what tests/conftest.py gives tests: an empty cache (and here an empty working folder)."""
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.setenv("ARROWDATA_CACHE", str(tmp_path_factory.mktemp("arrowdata_cache")))
        monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path_factory.mktemp("hf_cache")))
        monkeypatch.chdir(tmp_path_factory.mktemp("doctest_cwd"))
    yield
