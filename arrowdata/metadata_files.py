"""Reading small JSON metadata files from folders we do not trust.

``state.json``, ``dataset_info.json``, ``dataset_dict.json``, cache sidecars and lock files
may come from anywhere: a downloaded folder, a cache shared between users, a process killed
half-way. So every such read here:

- refuses anything but a regular file *before* reading it (a FIFO would block ``open()``
  forever, a directory gives a raw ``IsADirectoryError``, a device could be endless);
  the file is opened with ``O_NONBLOCK`` and checked again with ``fstat`` so a swap between
  the check and the open cannot make it hang either;
- refuses files over a size bound (metadata is kilobytes; a 10 GB "state.json" is an attack);
- turns malformed JSON and deep nesting (``RecursionError``) into one error naming the file.

Paths read from such files go through :func:`confined_name`, which accepts a plain relative
path inside the folder only (no absolute path, no ``..``).

Example:
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "state.json"); _ = open(p, "w").write('{"a": 1}')
    >>> read_json_file(p)
    {'a': 1}
    >>> confined_name("data-00000-of-00001.arrow", "state.json")
    'data-00000-of-00001.arrow'
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import PurePosixPath
from typing import Any

from .errors import MetadataError

#: The largest metadata file read (features of a wide dataset with long ClassLabel lists fit easily).
MAX_METADATA_BYTES = int(os.environ.get("ARROWDATA_MAX_METADATA_BYTES", str(64 << 20)))


def check_regular(path: str | os.PathLike, *, what: str = "file") -> os.stat_result:
    """``os.stat(path)``, raising :class:`MetadataError` unless it is a regular file (symlinks followed)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise MetadataError(f"cannot stat {what}: {e.strerror or e}", path=os.fspath(path)) from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else \
            "a socket" if stat.S_ISSOCK(st.st_mode) else "a device" if (stat.S_ISCHR(st.st_mode)
                                                                        or stat.S_ISBLK(st.st_mode)) else "special"
        raise MetadataError(f"{what} is {kind}, not a regular file; refusing to read it", path=os.fspath(path))
    return st


def read_bytes(path: str | os.PathLike, *, max_bytes: int = MAX_METADATA_BYTES, what: str = "metadata file") -> bytes:
    """The bytes of a small regular file; never blocks on a FIFO, never reads past ``max_bytes``.

    Raises ``FileNotFoundError`` when absent, :class:`MetadataError` naming the file otherwise.
    """
    path = os.fspath(path)
    check_regular(path, what=what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as e:
        raise MetadataError(f"cannot open {what}: {e.strerror or e}", path=path) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped after the check above
            raise MetadataError(f"{what} is not a regular file; refusing to read it", path=path)
        if st.st_size > max_bytes:
            raise MetadataError(f"{what} is {st.st_size} bytes, more than the {max_bytes} allowed for metadata "
                                "(raise $ARROWDATA_MAX_METADATA_BYTES if it is genuine)", path=path)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise MetadataError(f"{what} grew past {max_bytes} bytes while being read", path=path)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        if isinstance(e, MetadataError):
            raise
        raise MetadataError(f"cannot read {what}: {e.strerror or e}", path=path) from None
    finally:
        os.close(fd)


def parse_json(data: bytes | str, *, path: str | None = None, what: str = "metadata file") -> Any:
    """``json.loads`` with every failure (bad UTF-8, bad JSON, too deep) as :class:`MetadataError`."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return json.loads(text)
    except UnicodeDecodeError as e:
        raise MetadataError(f"{what} is not UTF-8 text (byte {e.start})", path=path) from None
    except json.JSONDecodeError as e:
        raise MetadataError(f"{what} is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})",
                            path=path) from None
    except RecursionError:
        raise MetadataError(f"{what} is nested too deeply to be metadata", path=path) from None
    except ValueError as e:  # e.g. an integer with more digits than Python allows
        raise MetadataError(f"{what} is not valid JSON: {e}", path=path) from None


def read_json_file(path: str | os.PathLike, *, max_bytes: int = MAX_METADATA_BYTES,
                   what: str = "metadata file") -> Any:
    """Parse a small JSON file safely (see the module docstring)."""
    return parse_json(read_bytes(path, max_bytes=max_bytes, what=what), path=os.fspath(path), what=what)


def read_json_object(path: str | os.PathLike, *, what: str = "metadata file") -> dict:
    """:func:`read_json_file`, requiring a JSON object at the top level."""
    value = read_json_file(path, what=what)
    if not isinstance(value, dict):
        raise MetadataError(f"{what} must hold a JSON object, not {json_kind(value)}", path=os.fspath(path))
    return value


def confined_name(name: Any, source: str, *, field: str | None = None, plain: bool = False) -> str:
    """``name`` when it is a relative path that stays inside its folder; else :class:`MetadataError`.

    ``plain`` also refuses sub-folders (a bare file name). Backslashes count as separators,
    so a name written on one system cannot escape on another.
    """
    bad = None
    if not isinstance(name, str) or not name:
        bad = f"must be a non-empty string, not {json_kind(name)}"
    elif "\x00" in name:
        bad = "contains a NUL byte"
    else:
        posix = name.replace("\\", "/")
        parts = PurePosixPath(posix).parts
        if posix.startswith("/") or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
            bad = "is an absolute path"
        elif any(p in ("..", ".") for p in parts) or not parts:
            bad = "leaves its folder"
        elif plain and len(parts) != 1:
            bad = "must be a bare file name"
    if bad is not None:
        raise MetadataError(f"path {name!r} {bad}; refusing it", path=source, field=field)
    return name


def json_kind(value: Any) -> str:
    """How a JSON value's type reads in an error message (``'an array'``, ``'null'``...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)



