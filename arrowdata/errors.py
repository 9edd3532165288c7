"""Every error arrowdata raises derives from :class:`ArrowDataError`.

Errors say what went wrong *and where*: the file, the line, the column or the
argument, so the user can fix the input without reading our code.
"""
from __future__ import annotations

import pyarrow as _pa  # ColumnLengthError is also a pyarrow.ArrowInvalid


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


class InvalidArgumentError(ArrowDataError, ValueError):
    """An argument is out of its allowed range or of the wrong kind; the message starts with its name.

    Example:
        >>> str(InvalidArgumentError("num_shards", "must be >= 1, got 0"))
        'num_shards: must be >= 1, got 0'
    """

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class ColumnNotFoundError(UnknownNameError, KeyError):
    """A column the user named does not exist; names the argument, suggests close names, lists the columns.

    One class for every place a column is looked up (``ds["zz"]``, ``remove_columns``,
    ``map(remove_columns=)``, ``select_columns``, ``sort``...). It is a ``KeyError`` (what
    ``ds["zz"]`` raises in HF ``datasets``) and, as an :class:`UnknownNameError`, a ``ValueError``
    (what ``remove_columns`` raises there), so code written against either keeps catching it. Raise it through
    :func:`check_columns`.

    Example:
        >>> try:
        ...     check_columns(["text", "label"], ["lable"], "remove_columns")
        ... except KeyError as e:
        ...     print(e)
        remove_columns: unknown column 'lable' (did you mean 'label'?); available columns: ['text', 'label']
    """

    def __init__(self, missing: list[str], available: list[str], argument: str | None = None) -> None:
        import difflib

        self.missing, self.available, self.argument = list(missing), list(available), argument
        self.name, self.known = self.missing[0], sorted(map(str, self.available))  # as UnknownNameError
        names = ", ".join(repr(m) for m in self.missing)
        close = difflib.get_close_matches(str(self.missing[0]), [str(a) for a in self.available], n=1, cutoff=0.6) \
            if len(self.missing) == 1 else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        what = f"column{'s' if len(self.missing) > 1 else ''} {names}{hint}; available columns: {self.available}"
        ArrowDataError.__init__(self, f"{argument}: unknown {what}" if argument else f"Unknown {what}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


def check_columns(available: list[str], wanted: list[str], argument: str | None = None) -> None:
    """Raise :class:`ColumnNotFoundError` (naming ``argument``) when a wanted column is not available.

    Example:
        >>> check_columns(["a", "b"], ["b"])  # all there: nothing happens
    """
    missing = [c for c in wanted if c not in available]
    if missing:
        raise ColumnNotFoundError(missing, list(available), argument)


class DatasetNotFoundError(UnknownNameError, FileNotFoundError):
    """``load_dataset`` got a name that is no builder, file or folder.

    A ``FileNotFoundError`` (what HF ``datasets`` raises for a dataset it cannot find) and an
    :class:`UnknownNameError` suggesting close builder names.
    """

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__("builder, file or folder", name, known)
        self.args = (self.args[0] + ". arrowdata reads local and fsspec files (s3://, gs://, memory://...), not "
                     "Hugging Face Hub datasets: download the data files and pass them as data_files= (or their "
                     "folder as the path or data_dir=)",)


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


class GatherIndexError(ArrowDataError, IndexError):
    """A row position asked of :func:`arrowdata.gather.take` lies outside the table."""


class TransformError(ArrowDataError, ValueError):
    """A ``map``/``filter`` function returned something that cannot become a dataset, or raised."""


class ColumnLengthError(TransformError, _pa.ArrowInvalid):
    """A batched function returned a number of rows that the input columns it keeps cannot follow.

    Also a ``pyarrow.ArrowInvalid``, which is what Hugging Face ``datasets`` raises there: code
    that catches it keeps working.

    Example:
        >>> import pyarrow as pa
        >>> isinstance(ColumnLengthError("Column lengths mismatch"), (pa.ArrowInvalid, TransformError))
        True
    """


class UnhashableError(ArrowDataError, TypeError):
    """An object reached from a transform's arguments cannot be hashed by content.

    ``path`` is the chain that led to it, e.g. ``function -> closure 'model' -> torch.nn.Module``.

    Example:
        >>> str(UnhashableError(["function", "closure 'f'"], object, "no content"))
        "function -> closure 'f' -> builtins.object (no content)"
    """

    def __init__(self, path: list[str], culprit: type, reason: str = "") -> None:
        self.path = list(path)
        self.culprit = culprit
        qualname = getattr(culprit, "__qualname__", getattr(culprit, "__name__", "?"))
        name = f"{getattr(culprit, '__module__', '?')}.{qualname}"
        chain = " -> ".join([*self.path, name])
        super().__init__(chain + (f" ({reason})" if reason else ""))


class EngineError(ArrowDataError, RuntimeError):
    """An engine cannot run here as configured (e.g. a multi-node Ray cluster over an unshared cache)."""


class HubNotSupportedError(ArrowDataError, NotImplementedError):
    """A Hugging Face Hub operation: arrowdata reads and writes local and fsspec files only."""


class MissingExporterError(ArrowDataError, ImportError):
    """A framework export was asked for, but the package that provides it is not installed."""


class IndexNotSupportedError(ArrowDataError, NotImplementedError):
    """A FAISS/Elasticsearch index method of HF ``datasets``: arrowdata keeps no vector index."""


class FingerprintWarning(UserWarning):
    """A transform could not be fingerprinted, so that one step is not cached."""


class CastError(ArrowDataError, TypeError, ValueError):
    """A cast between features that cannot hold the data.

    Both a ``TypeError`` and a ``ValueError``: HF ``datasets`` raises either (or pyarrow's
    ``ArrowInvalid``, a ``ValueError``) for a failed cast, depending on where it fails.
    """


class CacheLockTimeout(ArrowDataError, TimeoutError):
    """Waiting for another process to finish a cache entry took too long."""


class StreamReadError(ArrowDataError, OSError):
    """Reading a shard of a stream failed (corrupt data, a dropped connection...); names the
    shard (file URL) and the row offset inside it where the stream stopped. The rows before it
    were already yielded.

    Example:
        >>> str(StreamReadError("s3://b/x.parquet", 2000, ValueError("bad page")))
        's3://b/x.parquet, row offset 2000: bad page'
    """

    def __init__(self, path: str, row: int, cause: BaseException | str) -> None:
        self.path, self.row = path, row
        super().__init__(f"{path}, row offset {row}: {cause}")


class RemoteStorageError(ArrowDataError, OSError):
    """Remote storage failed for good (not found, access denied, retries used up); names the URL."""


class RemoteTimeoutError(RemoteStorageError, TimeoutError):
    """A remote read gave no answer in time (a dead connection); names the URL."""


class ValueCastError(DataFileError, CastError):
    """A value read from a data file does not fit its feature; names the file, line and column.

    Both a :class:`DataFileError` (bad input, a ``ValueError``) and a :class:`CastError`.
    """
