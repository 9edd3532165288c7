"""Process-wide settings: where the cache lives and whether caching is on.

Example:
    >>> import arrowdata
    >>> arrowdata.config.cache_dir().name  # doctest: +SKIP
    'arrowdata'
"""
from __future__ import annotations

import os
from pathlib import Path

_caching_enabled = True

#: ``load_dataset(keep_in_memory=None)`` copies a split into RAM when its Arrow data is smaller than
#: this many bytes (0, the default: always memory-map), as HF's ``datasets.config.IN_MEMORY_MAX_SIZE``.
#: ``ARROWDATA_IN_MEMORY_MAX_SIZE`` sets it at start-up.
IN_MEMORY_MAX_SIZE = int(os.environ.get("ARROWDATA_IN_MEMORY_MAX_SIZE", "0") or 0)


_absolute: dict[str, Path] = {}


def cache_dir() -> Path:
    """The cache root: ``$ARROWDATA_CACHE``, else ``~/.cache/arrowdata``. Created on demand.

    A relative ``$ARROWDATA_CACHE`` is made absolute once, against the working directory of its
    first use, so paths recorded in datasets (and pickled to workers) stay valid after ``chdir``.
    """
    root = os.environ.get("ARROWDATA_CACHE")
    if root:
        path = _absolute.get(root)
        if path is None:
            path = _absolute[root] = Path(os.path.abspath(os.path.expanduser(root)))
            if str(path) != root:  # worker processes inherit the absolute form, whatever their cwd
                os.environ["ARROWDATA_CACHE"] = str(path)
                _absolute[str(path)] = path
    else:
        path = Path.home() / ".cache" / "arrowdata"
    path.mkdir(parents=True, exist_ok=True)
    return path


def disable_caching() -> None:
    """Stop reusing cached transform results; new results are still written to the cache
    but under fresh keys, as in Hugging Face ``datasets``.

    Example:
        >>> import arrowdata
        >>> arrowdata.disable_caching(); arrowdata.is_caching_enabled()
        False
        >>> arrowdata.enable_caching()
    """
    global _caching_enabled
    _caching_enabled = False


def enable_caching() -> None:
    """Turn transform caching back on (the default)."""
    global _caching_enabled
    _caching_enabled = True


def is_caching_enabled() -> bool:
    """Whether transforms look up and reuse cached results."""
    return _caching_enabled
