"""The ``json`` builder: JSON Lines streamed in blocks, or one JSON document (an array of
objects, or an object whose ``field`` holds the rows).

Options: ``field`` [None: the file is JSON Lines, or a top-level array of objects];
``block_size`` [16 MiB of lines parsed at a time].

JSON Lines are parsed by pyarrow block by block, so memory stays bounded; a block that fails is
re-scanned line by line to name the exact line. Rows may omit keys (missing values become null),
and a key first seen far down the file widens the schema.

Example:
    >>> import arrowdata, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.jsonl")
    >>> _ = open(p, "w").write('{"x": 1}\\n{"x": 2, "y": "b"}\\n')
    >>> arrowdata.load_dataset("json", data_files=p, split="train").to_list()
    [{'x': 1, 'y': None}, {'x': 2, 'y': 'b'}]
"""
from __future__ import annotations

import io
import json as _pyjson
import re
from typing import Any, BinaryIO, Iterator

import pyarrow as pa

from ..errors import ArrowDataError, DataFileError
from ..features import Features, cast_table
from .builder import Builder, register_builder
from .files import DataFile

_ROWS_PER_DOC_CHUNK = 20_000
_CONFLICT = re.compile(r"Column\((/[^)]*)\) changed from (\w+) to (\w+)")
_NOT_CONVERTED = re.compile(r"Failed to convert JSON to (\w+), couldn't parse:(\S+)")
_TOO_DEEP = "value nested too deeply to read safely; flatten the record"


#: Deepest nesting of arrays/objects read. pyarrow's JSON parser recurses per level and overflows the C
#: stack (a segfault, not an exception) somewhere past 10,000 levels; Arrow's conversions stop near 100
#: levels and features recurse in Python past ~500; so deeper input is refused first, naming its line.
MAX_JSON_DEPTH = 100
_STRING = re.compile(rb'"(?:[^"\\\\]|\\\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _max_depth(data: bytes) -> int:
    """Deepest bracket nesting in ``data`` (brackets inside strings counted too: an upper bound)."""
    import numpy as np

    brackets = np.frombuffer(data.translate(None, _NOT_BRACKETS), dtype=np.uint8)
    if not len(brackets):
        return 0
    return int(np.where((brackets | 32) == 123, 1, -1).astype(np.int32).cumsum().max())


def _too_deep_line(block: bytes) -> int | None:
    """0-based index of the first line of ``block`` nested deeper than :data:`MAX_JSON_DEPTH`, else ``None``.

    A count of opening brackets rules most blocks out at memchr speed; otherwise one pass over the
    brackets alone (a few percent of a JSON Lines read), and only a suspicious block is split by line.
    """
    if block.count(b"[") + block.count(b"{") <= MAX_JSON_DEPTH or _max_depth(block) <= MAX_JSON_DEPTH:
        return None
    for i, line in enumerate(block.split(b"\n")):
        if line.count(b"[") + line.count(b"{") > MAX_JSON_DEPTH and _max_depth(line) > MAX_JSON_DEPTH \
                and _max_depth(_STRING.sub(b'""', line)) > MAX_JSON_DEPTH:  # brackets in text do not nest
            return i
    return None


def _holding(row: dict, token: str) -> str | None:
    """The top-level column of ``row`` whose value is written ``token`` in JSON (error path only)."""
    for key, value in row.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and _pyjson.dumps(value) == token:
            return key
    return None


def _blocks(stream: BinaryIO, block_size: int) -> Iterator[tuple[int, bytes]]:
    """Yield ``(byte_offset, block)`` with every block ending on a line break.

    Line numbers are not counted here (that would cost a pass over every byte); an error
    counts them once, up to the failing block (:func:`_lines_before`).
    """
    offset = 0
    rest = b""
    first = True
    while True:
        chunk = stream.read(block_size)
        if first:
            if chunk.startswith(b"\xef\xbb\xbf"):  # a UTF-8 BOM is not data
                chunk, offset = chunk[3:], 3
            first = False
        if not chunk:
            if rest.strip():
                yield offset, rest
            return
        cut = chunk.rfind(b"\n")
        if cut < 0:
            rest += chunk
            continue
        block = rest + chunk[: cut + 1] if rest else chunk[: cut + 1] if cut + 1 < len(chunk) else chunk
        rest = chunk[cut + 1:]
        yield offset, block
        offset += len(block)


def _lines_before(f: DataFile, byte_offset: int) -> int:
    """How many line breaks the (decompressed) file holds before ``byte_offset``."""
    count, left = 0, byte_offset
    with f.open() as stream:
        while left > 0:
            data = stream.read(min(left, 16 << 20))
            if not data:
                break
            count += data.count(b"\n")
            left -= len(data)
    return count


def _is_document(stream: BinaryIO) -> bool:
    """Whether the file is one JSON document (an array, or a pretty-printed object) rather than
    JSON Lines; decided from the first line, without consuming the stream."""
    head = stream.peek(1 << 20).removeprefix(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"[":
        return True
    if head[:1] != b"{":
        return False
    first, newline, _ = head.partition(b"\n")
    if not newline:
        return False  # one very long line: JSON Lines (or a one-line document, handled the same)
    try:
        _pyjson.loads(first)
        return False
    except RecursionError:  # a complete (if absurdly deep) first line: JSON Lines; the reader names the line
        return False
    except ValueError:
        return True  # "{" alone on the first line: a multi-line object


def _is_columns(doc: dict) -> bool:
    return bool(doc) and all(isinstance(v, list) for v in doc.values()) and len({len(v) for v in doc.values()}) == 1


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(type(value), "other")


def _lookup(row: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(row, dict):
            return None
        row = row.get(key)
    return row


@register_builder
class JsonBuilder(Builder):
    name = "json"
    extensions = (".jsonl", ".json", ".ndjson", ".jsonlines")
    inferred_types = True
    optional_columns = True
    defaults: dict[str, Any] = {"field": None, "block_size": 16 << 20}

    def validate(self) -> None:
        if self.options["field"] is not None and not isinstance(self.options["field"], str):
            raise ValueError(f"json option field must be a string, got {self.options['field']!r}")

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.Table]:
        explicit = pa.schema([fld for fld in schema if fld.name in fixed]) if schema is not None and fixed else None
        stream = f.open()
        try:
            if not hasattr(stream, "peek"):
                stream = io.BufferedReader(stream, 1 << 20)
            if self.options["field"] is not None or _is_document(stream):
                yield from self._read_document(f, stream, explicit)
            else:
                yield from self._read_lines(f, stream, explicit)
        finally:
            stream.close()

    # -- JSON Lines ---------------------------------------------------------------------------
    def _read_lines(self, f: DataFile, stream: BinaryIO, explicit: pa.Schema | None) -> Iterator[pa.Table]:
        for offset, block in _blocks(stream, self.options["block_size"]):
            deep = _too_deep_line(block)
            if deep is not None:
                raise DataFileError(f"{_TOO_DEEP} (over {MAX_JSON_DEPTH} levels)", path=f.url,
                                    line=1 + _lines_before(f, offset) + deep)
            try:
                yield self._parse(block, explicit)
            except pa.ArrowInvalid as e:
                raise self._explain(e, f, block, 1 + _lines_before(f, offset)) from None

    @staticmethod
    def _parse(block: bytes, explicit: pa.Schema | None) -> pa.Table:
        import pyarrow.json as pj

        parse = pj.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer")
        try:
            return pj.read_json(io.BytesIO(block), read_options=pj.ReadOptions(block_size=1 << 20),
                                parse_options=parse)
        except pa.ArrowInvalid as e:
            if "straddl" not in str(e):
                raise
            # one line longer than pyarrow's parse block: parse this block in a single piece
            return pj.read_json(io.BytesIO(block), read_options=pj.ReadOptions(block_size=len(block) + 1),
                                parse_options=parse)

    def _explain(self, e: pa.ArrowInvalid, f: DataFile, block: bytes, first_line: int) -> DataFileError:
        msg = str(e)
        conflict = _CONFLICT.search(msg)
        overflow = _NOT_CONVERTED.search(msg)
        seen: str | None = None
        for offset, raw in enumerate(block.split(b"\n")):
            if not raw.strip():
                continue
            line = first_line + offset
            try:
                row = _pyjson.loads(raw)
            except ValueError as err:
                return DataFileError(f"malformed JSON: {err.msg if hasattr(err, 'msg') else err}",
                                     path=f.url, line=line)
            except RecursionError:
                return DataFileError(_TOO_DEEP, path=f.url, line=line)
            if not isinstance(row, dict):
                return DataFileError(f"expected a JSON object per line, got {_kind(row)}", path=f.url, line=line)
            if overflow is not None:
                column = _holding(row, overflow.group(2))
                if column is not None:
                    return DataFileError(f"value {overflow.group(2)} does not fit {overflow.group(1)} (the features "
                                         "say so)", path=f.url, line=line, column=column)
                continue
            if conflict is not None:
                path = conflict.group(1).strip("/").split("/")
                kind = _kind(_lookup(row, path))
                if kind != "null":
                    if seen is None:
                        seen = kind
                    elif kind != seen:
                        return DataFileError(f"value is a {kind} but earlier rows hold a {seen}; cast it or "
                                             f"pass features", path=f.url, line=line, column=".".join(path))
        return DataFileError(f"cannot read JSON Lines: {msg}", path=f.url, line=first_line)

    def locate_cast_error(self, f: DataFile, error: Exception, features: Any) -> DataFileError | None:
        """The line of the first value of ``error.column`` that does not fit its feature (error path only;
        JSON Lines only: a document has no useful line per row)."""
        column = getattr(error, "column", None)
        if column is None or features is None or column not in features:
            return None
        target = Features({column: features[column]})
        with f.open() as stream:
            buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream, 1 << 20)
            if self.options["field"] is not None or _is_document(buffered):
                return None
            for line, raw in enumerate(buffered, 1):
                try:
                    row = _pyjson.loads(raw)
                except (ValueError, RecursionError):
                    continue
                if not isinstance(row, dict) or row.get(column) is None:
                    continue
                try:
                    cast_table(pa.table({column: [row[column]]}), target)
                except (ArrowDataError, pa.ArrowException, TypeError, ValueError, OverflowError):
                    value = _pyjson.dumps(row[column])
                    return DataFileError(f"value {value[:80]} does not fit {features[column]} (the features say so)",
                                         path=f.url, line=line, column=column)
        return None

    # -- one JSON document ----------------------------------------------------------------------
    def _read_document(self, f: DataFile, stream: BinaryIO, explicit: pa.Schema | None) -> Iterator[pa.Table]:
        try:
            doc = _pyjson.load(io.TextIOWrapper(stream, encoding="utf-8-sig"))
        except RecursionError:
            raise DataFileError(_TOO_DEEP, path=f.url) from None
        except ValueError as e:
            line = getattr(e, "lineno", None)
            raise DataFileError(f"malformed JSON: {getattr(e, 'msg', e)}", path=f.url, line=line) from None
        field = self.options["field"]
        if field is None and isinstance(doc, dict) and not _is_columns(doc):
            keys = ", ".join(map(repr, list(doc)[:10]))
            raise DataFileError(f"the file is one JSON object, not JSON Lines nor a dict of columns; pass "
                                f"field=<key> naming the key that holds the rows (keys: {keys})", path=f.url)
        if field is not None:
            if not isinstance(doc, dict) or field not in doc:
                keys = ", ".join(map(repr, list(doc)[:10])) if isinstance(doc, dict) else f"a {_kind(doc)}"
                raise DataFileError(f"field {field!r} not found at the top level (found: {keys})", path=f.url)
            doc = doc[field]
        yield from self._rows_to_tables(f, doc, explicit)

    def _rows_to_tables(self, f: DataFile, doc: Any, explicit: pa.Schema | None) -> Iterator[pa.Table]:
        if isinstance(doc, dict):  # columns: {"a": [...], "b": [...]}
            lengths = {k: len(v) if isinstance(v, list) else -1 for k, v in doc.items()}
            if len(set(lengths.values())) != 1 or -1 in lengths.values():
                raise DataFileError(f"a dict of columns needs lists of equal length, got lengths {lengths}",
                                    path=f.url)
            n = next(iter(lengths.values()), 0)
            rows: Any = ({k: v[i] for k, v in doc.items()} for i in range(n))
        elif isinstance(doc, list):
            rows = iter(doc)
        else:
            raise DataFileError(f"expected a list of objects or a dict of columns, got a {_kind(doc)}", path=f.url)
        # Rows go through the same pyarrow parser as JSON Lines, so a column gets the same type
        # whichever layout the file uses.
        chunk: list[bytes] = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise DataFileError(f"row {i} is a {_kind(row)}, expected an object", path=f.url)
            try:
                chunk.append(_pyjson.dumps(row, ensure_ascii=False).encode())
            except RecursionError:
                raise DataFileError(f"row {i}: {_TOO_DEEP}", path=f.url) from None
            if len(chunk) == _ROWS_PER_DOC_CHUNK:
                yield self._parse(self._shallow(f, chunk, i + 1 - len(chunk)), explicit)
                chunk = []
        if chunk:
            yield self._parse(self._shallow(f, chunk, i + 1 - len(chunk)), explicit)

    @staticmethod
    def _shallow(f: DataFile, chunk: list[bytes], first_row: int) -> bytes:
        """The rows of a document as JSON Lines, once none is nested deeper than :data:`MAX_JSON_DEPTH`."""
        block = b"\n".join(chunk)
        deep = _too_deep_line(block)
        if deep is not None:
            raise DataFileError(f"row {first_row + deep}: {_TOO_DEEP} (over {MAX_JSON_DEPTH} levels)", path=f.url)
        return block
