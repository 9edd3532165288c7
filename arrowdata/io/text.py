"""The ``text`` builder: one ``text`` column, a row per line, per paragraph, or per file.

Options: ``sample_by`` [``"line"``; or ``"paragraph"`` (blocks separated by blank lines) or
``"document"`` (the whole file)]; ``keep_linebreaks`` [False]; ``encoding`` [``"utf-8"``];
``block_size`` [8 MiB read at a time].

Example:
    >>> import arrowdata, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt"); _ = open(p, "w").write("one\\ntwo\\n\\nthree\\n")
    >>> arrowdata.load_dataset("text", data_files=p, split="train")["text"]
    ['one', 'two', '', 'three']
    >>> arrowdata.load_dataset("text", data_files=p, sample_by="paragraph", split="train")["text"]
    ['one\\ntwo', 'three']
"""
from __future__ import annotations

import codecs
from typing import Any, BinaryIO, Iterator

import pyarrow as pa

from ..errors import DataFileError
from .builder import Builder, register_builder
from .files import DataFile

_SAMPLE_BY = ("line", "paragraph", "document")


def _decoded_blocks(f: DataFile, stream: BinaryIO, encoding: str, block_size: int) -> Iterator[tuple[int, str]]:
    """Yield ``(first_line_number, text)`` blocks that end on a line break (except the last)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line, rest, first = 1, "", True
    while True:
        raw = stream.read(block_size)
        try:
            text = decoder.decode(raw, final=not raw)
        except UnicodeDecodeError as e:
            bad_line = line + (rest + raw[: e.start].decode(encoding, "replace")).count("\n")
            raise DataFileError(f"not valid {encoding} text ({e.reason}); pass encoding=...",
                                path=f.url, line=bad_line) from None
        if first:
            text = text.removeprefix("\ufeff")
            first = False
        data = rest + text
        if not raw:
            if data:
                yield line, data
            return
        cut = data.rfind("\n")
        if cut < 0:
            rest = data
            continue
        block, rest = data[: cut + 1], data[cut + 1:]
        yield line, block
        line += block.count("\n")


@register_builder
class TextBuilder(Builder):
    name = "text"
    extensions = (".txt", ".text", ".md")
    defaults: dict[str, Any] = {"sample_by": "line", "keep_linebreaks": False, "encoding": "utf-8",
                                "block_size": 8 << 20}

    def validate(self) -> None:
        if self.options["sample_by"] not in _SAMPLE_BY:
            raise ValueError(f"text option sample_by must be one of {_SAMPLE_BY}, got {self.options['sample_by']!r}")
        codecs.lookup(self.options["encoding"])  # LookupError names an unknown encoding

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.Table]:
        o = self.options
        stream = f.open()
        try:
            blocks = _decoded_blocks(f, stream, o["encoding"], o["block_size"])
            if o["sample_by"] == "document":
                yield pa.table({"text": pa.array(["".join(text for _, text in blocks)], pa.string())})
                return
            tables = ((pa.table({"text": pa.array(self._lines(text), pa.string())}) for _, text in blocks)
                      if o["sample_by"] == "line" else self._paragraphs(blocks))
            empty = True
            for table in tables:
                empty = False
                yield table
            if empty:  # an empty file still has the `text` column
                yield pa.table({"text": pa.array([], pa.string())})
        finally:
            stream.close()

    def _lines(self, text: str) -> list[str]:
        # Split on "\n" only: "\r\n" files lose the "\r" too, but a lone "\r" or a Unicode line
        # separator inside a line is data, not a row break.
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if self.options["keep_linebreaks"]:
            out = [ln + "\n" for ln in lines]
            if not text.endswith("\n") and out:
                out[-1] = out[-1][:-1]
            return out
        return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]

    def _paragraphs(self, blocks: Iterator[tuple[int, str]]) -> Iterator[pa.Table]:
        current: list[str] = []
        out: list[str] = []
        keep = self.options["keep_linebreaks"]
        for _, text in blocks:
            parts = text.split("\n")
            if parts[-1] == "":  # the block ended on a line break; that is not a blank line
                parts.pop()
            for ln in parts:
                ln = ln[:-1] if ln.endswith("\r") else ln
                if ln.strip():
                    current.append(ln)
                elif current:
                    out.append("\n".join(current) + ("\n" if keep else ""))
                    current = []
            if out:
                yield pa.table({"text": pa.array(out, pa.string())})
                out = []
        if current:
            out.append("\n".join(current) + ("\n" if keep else ""))
        if out:
            yield pa.table({"text": pa.array(out, pa.string())})
