"""The layering of DESIGN.md ("Layering"), checked on the code itself.

- every module of arrowdata (and each package of metrics and loaders) imports alone, in a fresh interpreter (an
  import-order bug, e.g. a cycle that only works when ``arrowdata`` was imported first, fails here);
- the import graph, parsed from the source (top-level and in-function imports; ``TYPE_CHECKING``
  blocks and module ``__getattr__`` re-exports left out), has one circle around ``dataset.py``,
  of at most the 3 files the HF API forces (``Dataset.train_test_split`` returns a
  ``DatasetDict`` of ``Dataset``s), and the layers below the core never reach it.
"""
from __future__ import annotations

import ast
import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("arrowdata", "metrics", "loaders")

# Layers below the core: none of them may reach dataset.py, dataset_dict.py or a mixin, even lazily.
BELOW_CORE = ("arrowdata.errors", "arrowdata.config", "arrowdata.sizes", "arrowdata.filesystems",
              "arrowdata.writer", "arrowdata.table", "arrowdata.gather", "arrowdata.features",
              "arrowdata.formatting", "arrowdata.info", "arrowdata.projection", "arrowdata.fingerprint",
              "arrowdata.folder_format", "arrowdata.dataset_core", "arrowdata.streaming", "arrowdata.cache",
              "arrowdata.io.builder", "arrowdata.io.convert", "arrowdata.io.files", "arrowdata.io.csv",
              "arrowdata.io.json", "arrowdata.io.parquet", "arrowdata.io.text", "arrowdata.io.arrow",
              "arrowdata.transforms.map_runner", "arrowdata.transforms.parallel")
CORE_TOP = {"arrowdata.dataset", "arrowdata.dataset_dict", "arrowdata.persistence",
            "arrowdata.transforms.map_ops", "arrowdata.transforms.row_ops", "arrowdata.transforms.column_ops"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            out[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return out


def _targets(module: str, path: Path, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        parts = base.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    return [base] + [f"{base}.{a.name}" for a in node.names]


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, set[str]]:
    """``module -> modules it imports`` (within the packages), parents packages included except the
    module's own ones and the root ``arrowdata`` package (which every import runs first anyway)."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))

        def visit(node: ast.AST) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef) and child.name == "__getattr__" and node is tree:
                    continue  # a lazy re-export of an old name (PEP 562), not an import of the module's code
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    for c in child.orelse:
                        visit(c)
                    continue
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    for target in _targets(module, path, child):
                        while target and target not in PACKAGES:
                            if target in mods and target != module and not module.startswith(target + "."):
                                graph[module].add(target)
                            target = target.rpartition(".")[0]
                visit(child)

        visit(tree)
    return graph


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def circle(graph: dict[str, set[str]], module: str) -> set[str]:
    """The modules that ``module`` reaches and that reach it back (its strongly connected component)."""
    reverse: dict[str, set[str]] = {}
    for a, targets in graph.items():
        for b in targets:
            reverse.setdefault(b, set()).add(a)
    return _reach(graph, module) & _reach(reverse, module)


def test_the_graph_parser_sees_lazy_imports_and_skips_type_checking():
    graph = import_graph()
    assert "arrowdata.dataset_dict" in graph["arrowdata.transforms.row_ops"]  # an in-function import
    assert "arrowdata.dataset" not in graph["arrowdata.transforms.row_ops"]  # only under TYPE_CHECKING
    assert "arrowdata.folder_format" in graph["arrowdata.persistence"]


def test_the_circle_around_dataset_is_what_the_hf_api_forces():
    graph = import_graph()
    found = circle(graph, "arrowdata.dataset")
    assert len(found) <= 3, f"import circle around dataset.py: {sorted(found)}"
    assert found <= {"arrowdata.dataset", "arrowdata.dataset_dict", "arrowdata.transforms.row_ops"}


@pytest.mark.parametrize("layer", BELOW_CORE)
def test_layers_below_the_core_never_reach_it(layer):
    graph = import_graph()
    for module in [m for m in graph if m == layer or m.startswith(layer + ".")]:
        reached = _reach(graph, module) & CORE_TOP
        assert not reached, f"{module} reaches {sorted(reached)} (DESIGN.md, Layering)"


def test_arrowdata_never_imports_metrics_or_loaders():
    for module, path in _modules().items():
        if not module.startswith("arrowdata"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not getattr(node, "level", 0):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not any(n.split(".")[0] in ("metrics", "loaders") for n in names), f"{module} imports {names}"


_FRESH_IMPORTS = r"""
import importlib, os, sys, traceback
import numpy, pyarrow, pyarrow.compute  # third-party packages every module needs: imported once, before the forks
for optional in ("xxhash", "fsspec", "tqdm"):
    try:
        importlib.import_module(optional)
    except ImportError:
        pass
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:  # a child that has imported nothing of ours: the module alone
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if (e.name or "").split(".")[0] in ("arrowdata", "metrics", "loaders"):
                traceback.print_exc()
                os._exit(1)
            os._exit(0)  # an optional third-party package that is not installed
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print("FAILED", " ".join(failed))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="uses fork to give each module a fresh interpreter cheaply")
def test_every_module_imports_alone_in_a_fresh_interpreter():
    # every arrowdata module; metrics and loaders by package (their modules import arrowdata the same way)
    names = sorted(m for m, path in _modules().items() if not m.endswith("__main__")
                   and (m.startswith("arrowdata") or path.name == "__init__.py"))
    assert len(names) > 50
    proc = subprocess.run([sys.executable, "-c", _FRESH_IMPORTS, *names], capture_output=True, text=True,
                          cwd=ROOT, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = proc.stdout.strip().rpartition("FAILED")[2].split()
    assert failed == [], f"modules that do not import alone: {failed}\n{proc.stderr[-3000:]}"


# Exceptions used only as internal control flow, never seen by users (DESIGN.md, Errors).
PRIVATE_CONTROL_FLOW = {"arrowdata.io.builder.SchemaWidening"}


def test_arrowdata_error_classes_live_in_errors_py():
    import arrowdata  # noqa: F401  (every module below is then importable by name)
    import importlib

    strays = []
    for module, path in _modules().items():
        if not module.startswith("arrowdata") or module == "arrowdata.errors":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.bases:
                try:
                    cls = getattr(importlib.import_module(module), node.name, None)
                except ImportError:  # needs an optional package that is not installed
                    continue
                if (isinstance(cls, type) and issubclass(cls, (BaseException, Warning))
                        and cls.__module__ == module and f"{module}.{node.name}" not in PRIVATE_CONTROL_FLOW):
                    strays.append(f"{module}.{node.name}")
    assert strays == [], f"error classes outside arrowdata/errors.py: {strays}"
