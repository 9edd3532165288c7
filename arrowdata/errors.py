"""Every error arrowdata raises derives from :class:`ArrowDataError`.

Errors say what went wrong *and where*: the file, the line, the column or the
argument, so the user can fix the input without reading our code.
"""
from __future__ import annotations


class ArrowDataError(Exception):
    """Base class of all arrowdata errors.

    Example:
        >>> try:
        ...     raise DataFileError("bad row", path="a.jsonl", line=3)
        ... except ArrowDataError as e:
        ...     print(e)
        a.jsonl, line 3: bad row
    """


class DataFileError(ArrowDataError, ValueError):
    """Malformed input data; names the file and, when known, line and column."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        self.path, self.line, self.column = path, line, column
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class MissingFileError(ArrowDataError, FileNotFoundError):
    """A path the user named does not exist."""

    def __init__(self, path: str, hint: str = "") -> None:
        self.path = path
        super().__init__(f"No such file or directory: {path!r}{'. ' + hint if hint else ''}")


class SchemaMismatchError(DataFileError):
    """Data files disagree on their columns or types."""


class UnknownNameError(ArrowDataError, ValueError):
    """A name (builder, format, metric...) that no registry knows; lists the known ones."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        import difflib

        self.name, self.known = name, sorted(known)
        close = difflib.get_close_matches(name, self.known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"Unknown {kind} {name!r}.{hint} Known: {', '.join(self.known)}")


class CorruptFileError(ArrowDataError, OSError):
    """An on-disk Arrow file is truncated or not Arrow at all."""


class MetadataError(CorruptFileError, ValueError):
    """A metadata file (``state.json``, ``dataset_info.json``, a cache sidecar, a lock file...) that
    is not a regular file, too large, not JSON, or holds a field of the wrong type or size.

    Names the file and, when known, the field: ``.../state.json, field '_data_files[0]': ...``.
    Both an ``OSError`` (as :class:`CorruptFileError`) and a ``ValueError``.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None) -> None:
        self.path, self.field = path, field
        where = [str(path)] if path is not None else []
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class CastError(ArrowDataError, TypeError):
    """A cast between features that cannot hold the data."""


class CacheLockTimeout(ArrowDataError, TimeoutError):
    """Waiting for another process to finish a cache entry took too long."""
