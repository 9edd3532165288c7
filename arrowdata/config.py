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


#: ``<NAME>_AVAILABLE`` flags and ``<NAME>_VERSION`` values that HF scripts read from
#: ``datasets.config`` (``config.TORCH_AVAILABLE``, ``config.PYARROW_VERSION``...). They are computed
#: on first access from installed package metadata: nothing is imported, so asking whether torch is
#: available does not cost torch's import time.
_OPTIONAL_PACKAGES = {
    "TORCH": "torch", "TF": "tensorflow", "JAX": "jax", "POLARS": "polars", "PANDAS": "pandas",
    "PYARROW": "pyarrow", "NUMPY": "numpy", "FSSPEC": "fsspec", "S3FS": "s3fs", "RAY": "ray",
    "ZSTANDARD": "zstandard", "TORCHVISION": "torchvision", "PIL": "pillow",
}


def _package_version(distribution: str):
    """The installed version of ``distribution`` as a comparable ``packaging`` Version, or None."""
    from importlib import metadata

    try:
        raw = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        if distribution == "tensorflow":  # the CPU wheel is a separate distribution
            return _package_version("tensorflow-cpu")
        return None
    try:
        from packaging.version import Version

        return Version(raw)
    except Exception:  # packaging missing or an unparsable local version: keep the raw string
        return raw


def __getattr__(name: str):
    """Lazy ``<NAME>_AVAILABLE`` / ``<NAME>_VERSION`` (also ``PY_VERSION``, ``IS_TF_AVAILABLE``).

    Example:
        >>> from arrowdata import config
        >>> config.PYARROW_AVAILABLE
        True
        >>> config.PYARROW_VERSION.major >= 15
        True
    """
    key = name.removeprefix("IS_")
    for suffix in ("_AVAILABLE", "_VERSION"):
        if key.endswith(suffix) and key[: -len(suffix)] in _OPTIONAL_PACKAGES:
            found = _package_version(_OPTIONAL_PACKAGES[key[: -len(suffix)]])
            value = found is not None if suffix == "_AVAILABLE" else found
            globals()[name] = value
            return value
    if name == "PY_VERSION":
        import platform

        from packaging.version import Version

        return Version(platform.python_version())
    raise AttributeError(f"module 'arrowdata.config' has no attribute {name!r}")
