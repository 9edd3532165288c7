"""The ``csv`` builder: delimited text, streamed block by block with pyarrow's CSV reader.

Options (defaults in brackets): ``delimiter`` (alias ``sep``) [``","``], ``quote_char`` [``'"'``],
``escape_char`` [None], ``double_quote`` [True], ``header`` [True: the first row names the
columns], ``column_names`` [None], ``skip_rows`` [0], ``na_values`` [pyarrow's defaults: "",
"NA", "null", ...], ``encoding`` [``"utf-8"``], ``newlines_in_values`` [False], ``block_size``
[16 MiB], ``lenient`` [False].

Malformed input is an error naming the file and line, never a silent change: an unterminated
quote (which would swallow the rest of the file into one cell) and bytes that are not valid in
the encoding (which would turn a text column into ``binary``) raise :class:`DataFileError`.
``lenient=True`` opts out: the quote is read as pyarrow reads it (to the end of the file), and
invalid bytes are decoded with U+FFFD replacement characters, so text columns stay text.

Column types are inferred from the first block; when a later block holds a value that does not
fit (a float in an int column, a word in a number column), the conversion restarts with the
wider type, so no row is ever silently dropped or nulled.

Example:
    >>> import arrowdata, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv"); _ = open(p, "w").write("x,y\\n1,a\\n2,b\\n")
    >>> arrowdata.load_dataset("csv", data_files=p, split="train")["y"]
    ['a', 'b']
"""
from __future__ import annotations

import csv as _pycsv
import io
import re
from typing import Any, Callable, Iterator

import pyarrow as pa

from ..errors import CastError, DataFileError, ValueCastError
from ..features import Features, cast_table
from .builder import Builder, SchemaWidening, register_builder
from .compression import compression_of
from .files import DataFile

_CONVERSION = re.compile(r"In CSV column #(\d+): CSV conversion error to ([^:]+): invalid value '(.*)'", re.S)


def _fits(value: str, type_: pa.DataType) -> bool:
    try:
        pa.array([value]).cast(type_)
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


def _infer_cell(value: str) -> pa.Array:
    """``value`` typed as CSV inference would type it alone: int, float, bool, else text."""
    for type_ in (pa.int64(), pa.float64(), pa.bool_()):
        try:
            return pa.array([value]).cast(type_)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return pa.array([value])


def _widen(current: pa.DataType, value: str) -> pa.DataType:
    """The narrowest type at least as wide as ``current`` that holds ``value``."""
    ladder = [pa.int64(), pa.float64(), pa.string()]
    start = 0
    if pa.types.is_floating(current):
        start = 1
    elif not (pa.types.is_integer(current) or pa.types.is_null(current)):
        start = 2  # bool, timestamp, ...: only text holds both
    for candidate in ladder[start:]:
        if _fits(value, candidate):
            return candidate
    return pa.string()


@register_builder
class CsvBuilder(Builder):
    name = "csv"
    extensions = (".csv", ".tsv")
    inferred_types = True
    text_values = True
    defaults: dict[str, Any] = {
        "delimiter": ",", "quote_char": '"', "escape_char": None, "double_quote": True,
        "header": True, "column_names": None, "skip_rows": 0, "na_values": None,
        "encoding": "utf-8", "newlines_in_values": False, "block_size": 16 << 20, "lenient": False,
    }
    aliases = {"sep": "delimiter", "names": "column_names", "quotechar": "quote_char",
               "skiprows": "skip_rows", "escapechar": "escape_char"}

    def validate(self) -> None:
        o = self.options
        if not isinstance(o["delimiter"], str) or len(o["delimiter"]) != 1:
            raise ValueError(f"csv option delimiter must be one character, got {o['delimiter']!r}")
        if o["header"] in ("infer", 0):
            o["header"] = True
        elif o["header"] is None:
            o["header"] = False
        if not isinstance(o["header"], bool):
            raise ValueError(f"csv option header must be True, False, 'infer', 0 or None, got {o['header']!r}")
        if o["column_names"] is not None:
            o["column_names"] = [str(c) for c in o["column_names"]]
        if not isinstance(o["lenient"], bool):
            raise ValueError(f"csv option lenient must be True or False, got {o['lenient']!r}")
        if not isinstance(o["skip_rows"], int) or o["skip_rows"] < 0:
            raise ValueError(f"csv option skip_rows must be a non-negative int, got {o['skip_rows']!r}")

    def _delimiter_for(self, f: DataFile) -> str:
        # A .tsv file with the default delimiter is tab-separated: that is what the name promises.
        if f.inner_name.lower().endswith(".tsv") and self.options["delimiter"] == ",":
            return "\t"
        return self.options["delimiter"]

    def _pyarrow_options(self, f: DataFile, schema: pa.Schema | None):
        import pyarrow.csv as pc

        o = self.options
        skip = o["skip_rows"] + (1 if o["header"] and o["column_names"] else 0)
        read = pc.ReadOptions(block_size=o["block_size"], skip_rows=skip, column_names=o["column_names"],
                              autogenerate_column_names=not o["header"] and not o["column_names"],
                              encoding=o["encoding"], use_threads=True)
        parse = pc.ParseOptions(delimiter=self._delimiter_for(f), quote_char=o["quote_char"] or False,
                                escape_char=o["escape_char"] or False, double_quote=o["double_quote"],
                                newlines_in_values=o["newlines_in_values"])
        convert_kw: dict[str, Any] = {}
        if schema is not None:
            convert_kw["column_types"] = {fld.name: fld.type for fld in schema if _parsable(fld.type)}
        if o["na_values"] is not None:
            convert_kw["null_values"] = list(o["na_values"])
            convert_kw["strings_can_be_null"] = True
        return read, parse, pc.ConvertOptions(**convert_kw)

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.RecordBatch]:
        import pyarrow.csv as pc


        read, parse, convert = self._pyarrow_options(f, schema)
        # local uncompressed files are read natively by pyarrow, not through a Python file object
        native = f.is_local and compression_of(f.path) is None and not self.options["lenient"]
        stream = pa.memory_map(f.path) if native else f.open()
        if self.options["lenient"]:  # undecodable bytes become U+FFFD before pyarrow sees them
            import codecs

            stream = codecs.EncodedFile(stream, "utf-8", self.options["encoding"], errors="replace")
            read.encoding = "utf-8"
        wanted_binary = {fld.name for fld in schema if pa.types.is_binary(fld.type) and fld.name in fixed} \
            if schema is not None else set()
        last = None
        try:
            try:
                reader = pc.open_csv(stream, read_options=read, parse_options=parse, convert_options=convert)
                names = reader.schema.names
                if len(set(names)) != len(names):
                    dup = next(n for n in names if names.count(n) > 1)
                    raise DataFileError(f"column name {dup!r} appears twice in the header; rename it, or pass "
                                        "column_names=[...]", path=f.url, line=self.options["skip_rows"] + 1)
                for batch in reader:
                    batch = self._check_text(batch, f, wanted_binary)
                    last = batch
                    yield batch
            except pa.ArrowInvalid as e:
                raise self._explain(e, f, schema, fixed, locals().get("reader")) from None
        finally:
            stream.close()
        if last is not None and last.num_rows and not self.options["lenient"]:
            self._check_last_row(last, f)

    def _check_text(self, batch: pa.RecordBatch, f: DataFile, wanted_binary: set[str]) -> pa.RecordBatch:
        """A CSV has no binary type: a column pyarrow typed ``binary`` holds bytes invalid in the encoding."""
        bad = [i for i, fld in enumerate(batch.schema) if pa.types.is_binary(fld.type) and fld.name not in wanted_binary]
        if not bad:
            return batch
        if not self.options["lenient"]:
            name = batch.schema.field(bad[0]).name
            line, detail = self._invalid_text_line(f)
            raise DataFileError(f"bytes that are not valid {self.options['encoding']} text ({detail}); fix the file, "
                                "pass encoding=..., or lenient=True to decode them as U+FFFD", path=f.url, line=line,
                                column=name)
        columns = list(batch.columns)
        for i in bad:
            columns[i] = pa.array([None if v is None else v.decode("utf-8", "replace")
                                   for v in columns[i].to_pylist()], pa.string())
        fields = [pa.field(fld.name, pa.string()) if i in bad else fld for i, fld in enumerate(batch.schema)]
        return pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields, metadata=batch.schema.metadata))

    def _invalid_text_line(self, f: DataFile) -> tuple[int | None, str]:
        """Line of the first byte that does not decode (error path only)."""
        import codecs

        decoder = codecs.getincrementaldecoder(self.options["encoding"])()
        line, offset = 1, 0
        with f.open() as stream:
            while True:
                chunk = stream.read(1 << 20)
                try:
                    decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as e:
                    return line + chunk[:max(0, e.start)].count(b"\n"), f"byte {offset + e.start}: {e.reason}"
                if not chunk:
                    return None, "undecodable bytes"
                line += chunk.count(b"\n")
                offset += len(chunk)

    def _check_last_row(self, batch: pa.RecordBatch, f: DataFile) -> None:
        """An unterminated quote swallows the rest of the file into the last cell: a final row whose text
        holds a line break is re-read strictly to tell a legal multi-line value from a missing quote."""
        row = batch.slice(batch.num_rows - 1, 1)
        if not any(pa.types.is_string(c.type) and (c[0].as_py() or "").count("\n") for c in row.columns):
            return
        line = self._unterminated_quote_line(f)
        if line is not None:
            raise DataFileError("unterminated quoted value: the quote opened on this line is never closed, so "
                                "every later line would be read into one cell; close the quote, or pass "
                                "lenient=True to keep that reading", path=f.url, line=line)

    def _unterminated_quote_line(self, f: DataFile) -> int | None:
        o = self.options
        if not o["quote_char"]:
            return None
        with f.open() as stream:
            text = io.TextIOWrapper(stream, encoding=o["encoding"], newline="", errors="replace")
            rows = _pycsv.reader(text, delimiter=self._delimiter_for(f), quotechar=o["quote_char"],
                                 escapechar=o["escape_char"], doublequote=o["double_quote"], strict=True)
            start = 1
            try:
                for _ in rows:
                    start = rows.line_num + 1
            except _pycsv.Error as e:
                return start if "end of data" in str(e) or "EOF" in str(e) else None
        return None

    def _explain(self, e: pa.ArrowInvalid, f: DataFile, schema: pa.Schema | None,
                 fixed: frozenset[str], reader) -> Exception:
        """Turn pyarrow's message (which has no line number) into an error naming file and line,
        or into a widening of the column's type when the type was only a guess."""
        msg = str(e)
        m = _CONVERSION.search(msg)
        if m is not None:
            idx, value = int(m.group(1)), m.group(3)
            if reader is not None:
                current = reader.schema
            else:  # failed inside the first block, before the reader existed: types came from `schema`
                names = self._header(f)
                current = pa.schema([pa.field(n, schema.field(n).type if schema is not None and n in schema.names
                                              else pa.string()) for n in names])
            col = current.field(idx)
            if col.name not in fixed:
                wider = _widen(col.type, value)
                fields = [pa.field(c.name, wider if i == idx else c.type) for i, c in enumerate(current)]
                if schema is not None:  # keep every type already decided, add this one
                    base = {fld.name: fld for fld in schema}
                    base.update({fld.name: fld for fld in fields})
                    fields = list(base.values())
                return SchemaWidening(pa.schema(fields), f"{f.url}: column {col.name!r} holds {value!r}, "
                                                         f"widening {col.type} -> {wider}")
            line = self._find_line(f, lambda row, i=idx: i < len(row) and row[i] != "" and not _fits(row[i], col.type))
            return DataFileError(f"value {value!r} is not a valid {col.type} (the features say so)",
                                 path=f.url, line=line, column=col.name)
        if "invalid UTF8" in msg:
            line, detail = self._invalid_text_line(f)
            return DataFileError(f"bytes that are not valid {self.options['encoding']} text ({detail}); fix the file, "
                                 "pass encoding=..., or lenient=True", path=f.url, line=line)
        if m is None and "CSV parse error" in msg:
            line = self._find_line(f, None)
            detail = msg.split("CSV parse error: ", 1)[-1]
            return DataFileError(f"malformed CSV row: {detail}", path=f.url, line=line)
        return DataFileError(f"cannot read CSV: {msg}", path=f.url)

    def locate_cast_error(self, f: DataFile, error: CastError, features: Any) -> ValueCastError | None:
        """The line and column of the first cell of ``f`` that does not fit its feature (error path only).

        Cells are typed as the reader infers them (int, float, bool, else text), then cast, as
        the conversion does; ``None`` when no cell can be blamed.
        """
        column = getattr(error, "column", None)
        header = self._header(f)
        if column is None or features is None or column not in header or column not in features:
            return None
        idx, feats, found = header.index(column), Features({column: features[column]}), []

        def bad(row: list[str]) -> bool:
            if idx >= len(row) or row[idx] == "":
                return False
            try:
                cast_table(pa.table({column: _infer_cell(row[idx])}), feats)
                return False
            except CastError:
                found.append(row[idx])
                return True

        line = self._find_line(f, bad)
        if line is None:
            return None
        return ValueCastError(f"value {found[0]!r} does not fit {features[column]!r} (the features say so)",
                              path=f.url, line=line, column=column)

    def _header(self, f: DataFile) -> list[str]:
        """The column names, as pyarrow sees them (error path only)."""
        o = self.options
        if o["column_names"]:
            return list(o["column_names"])
        stream = f.open()
        try:
            text = io.TextIOWrapper(stream, encoding=o["encoding"], newline="", errors="replace")
            rows = _pycsv.reader(text, delimiter=self._delimiter_for(f), quotechar=o["quote_char"] or '"')
            for i, row in enumerate(rows):
                if i >= o["skip_rows"]:
                    return row if o["header"] else [f"f{j}" for j in range(len(row))]
        finally:
            stream.close()
        return []

    def _find_line(self, f: DataFile, bad: Callable[[list[str]], bool] | None) -> int | None:
        """Re-scan the file with the standard library to find the physical line of the first row
        that is malformed (wrong field count) or, with ``bad``, that ``bad`` flags. Error path only."""
        o = self.options
        stream = f.open()
        try:
            text = io.TextIOWrapper(stream, encoding=o["encoding"], newline="", errors="replace")
            rows = _pycsv.reader(text, delimiter=self._delimiter_for(f), quotechar=o["quote_char"] or '"',
                                 escapechar=o["escape_char"], doublequote=o["double_quote"])
            width = len(o["column_names"]) if o["column_names"] else None
            for i, row in enumerate(rows):
                if i < o["skip_rows"] or not row:
                    continue
                if width is None:
                    width = len(row)
                    if o["header"]:
                        continue
                elif i == o["skip_rows"] and o["header"]:
                    continue
                if len(row) != width if bad is None else bad(row):
                    return rows.line_num
        except (_pycsv.Error, UnicodeError):
            return None
        finally:
            stream.close()
        return None


def _parsable(type_: pa.DataType) -> bool:
    """Types pyarrow's CSV parser can produce directly; others are cast afterwards."""
    return (pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_boolean(type_)
            or pa.types.is_string(type_) or pa.types.is_large_string(type_) or pa.types.is_timestamp(type_)
            or pa.types.is_date(type_) or pa.types.is_decimal(type_) or pa.types.is_binary(type_))
