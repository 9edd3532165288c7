"""A small, real text-classification dataset built from the Python standard library's docstrings.

Every Python install carries it, so the quickstart needs no download. Each example is the first
paragraph of the docstring of a public function, class or method; the label says which family of
modules it comes from: ``1`` = text and data processing, ``0`` = operating system, files and
networking. The task is binary, like GLUE's MRPC, so the quickstart scores it with
``metrics.load("glue", "mrpc")`` (accuracy and F1).

Example:
    >>> from stdlib_docstrings import docstring_examples
    >>> rows = docstring_examples()
    >>> len(rows) > 1000, sorted({r["label"] for r in rows})
    (True, [0, 1])
"""
from __future__ import annotations

import importlib
import inspect
import warnings

#: label -> modules of that family.
FAMILIES: dict[int, tuple[str, ...]] = {
    1: ("string", "re", "textwrap", "difflib", "unicodedata", "codecs", "json", "csv", "html", "html.parser",
        "xml.dom.minidom", "xml.etree.ElementTree", "email.message", "email.utils", "base64", "binascii",
        "pprint", "reprlib", "gettext", "locale", "configparser", "tomllib", "decimal", "fractions",
        "statistics", "collections", "heapq", "bisect", "itertools", "functools", "operator", "enum",
        "datetime", "calendar", "struct", "array", "copy", "dataclasses", "typing", "argparse", "shlex"),
    0: ("os", "os.path", "shutil", "pathlib", "tempfile", "glob", "fnmatch", "stat", "filecmp", "zipfile",
        "tarfile", "gzip", "bz2", "lzma", "io", "subprocess", "signal", "socket", "ssl", "select", "selectors",
        "http.client", "http.server", "http.cookies", "urllib.request", "urllib.parse", "ftplib", "smtplib",
        "imaplib", "poplib", "socketserver", "threading", "multiprocessing", "concurrent.futures", "asyncio",
        "sched", "queue", "mmap", "platform", "sysconfig", "logging", "logging.handlers", "sqlite3",
        "shelve", "dbm", "webbrowser", "uuid", "ipaddress", "getpass", "time"),
}


def _first_paragraph(doc: str | None) -> str | None:
    if not doc:
        return None
    text = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    return text if 20 <= len(text) <= 600 else None


def _members(module) -> list:
    found = []
    for name, obj in vars(module).items():
        # Only functions and classes defined here: submodules and constants would make the set
        # depend on what else happens to be imported.
        if name.startswith("_") or not callable(obj) or getattr(obj, "__module__", None) != module.__name__:
            continue
        found.append(obj)
        if inspect.isclass(obj):
            found.extend(v for k, v in vars(obj).items() if not k.startswith("_") and callable(v))
    return found


def docstring_examples() -> list[dict]:
    """``[{"text", "label", "module"}]``, deduplicated and in a fixed order (no randomness here)."""
    rows, seen = [], set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label, modules in FAMILIES.items():
            for module_name in modules:
                try:
                    module = importlib.import_module(module_name)
                except ImportError:  # a platform without this module: skip it
                    continue
                for obj in _members(module):
                    text = _first_paragraph(getattr(obj, "__doc__", None))
                    if text and text not in seen:
                        seen.add(text)
                        rows.append({"text": text, "label": label, "module": module_name})
    return rows
