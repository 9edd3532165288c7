"""Paths and URLs through fsspec: the one place arrowdata turns ``"s3://b/x"`` into a filesystem.

``fsspec`` is imported on first use, so ``import arrowdata`` stays light.

Example:
    >>> fs, path = url_to_fs("memory://folder/a.csv")
    >>> path, is_local(fs)
    ('/folder/a.csv', False)
"""
from __future__ import annotations

import os
from typing import Any, Mapping


def url_to_fs(url: str | os.PathLike, storage_options: Mapping[str, Any] | None = None) -> tuple[Any, str]:
    """``(filesystem, path inside it)`` for a local path or any fsspec URL.

    Args:
        url: a local path or a URL (``s3://``, ``gs://``, ``memory://``, ``zip://``...).
        storage_options: passed to the filesystem (credentials, ``client_kwargs``...).

    Example:
        >>> fs, path = url_to_fs("/tmp/x")
        >>> is_local(fs), path
        (True, '/tmp/x')
    """
    import fsspec.core

    return fsspec.core.url_to_fs(os.fspath(url), **dict(storage_options or {}))


def is_local(fs: Any) -> bool:
    """Whether ``fs`` is the local disk (so paths can be opened, memory-mapped and renamed directly)."""
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def display_url(fs: Any, path: str) -> str:
    """``path`` on ``fs`` as a user would write it: plain for local files, ``protocol://...`` otherwise.

    Example:
        >>> fs, path = url_to_fs("memory://a/b.csv")
        >>> display_url(fs, path)
        'memory:///a/b.csv'
    """
    if is_local(fs):
        return path
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path.lstrip('/') if protocol != 'memory' else path}"
