"""Transparent decompression of input files, chosen by file extension.

A registry maps an extension to a function that wraps a binary stream in a decompressing
reader. Readers never see the compression: they get a plain binary file object.

Example:
    >>> import gzip, io
    >>> raw = io.BytesIO(gzip.compress(b"hello"))
    >>> open_decompressed(raw, "greeting.txt.gz").read()
    b'hello'
    >>> strip_compression_suffix("train.jsonl.zst")
    'train.jsonl'
"""
from __future__ import annotations

import io
from typing import BinaryIO, Callable

Opener = Callable[[BinaryIO], BinaryIO]


def _gzip(raw: BinaryIO) -> BinaryIO:
    import gzip

    return gzip.GzipFile(fileobj=raw, mode="rb")


def _bz2(raw: BinaryIO) -> BinaryIO:
    import bz2

    return bz2.BZ2File(raw, mode="rb")


def _xz(raw: BinaryIO) -> BinaryIO:
    import lzma

    return lzma.LZMAFile(raw, mode="rb")


def _zstd(raw: BinaryIO) -> BinaryIO:
    import zstandard

    # read_across_frames: files made by `cat a.zst b.zst` or multi-frame writers hold several frames
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
    # a buffered wrapper gives readline()/peek() that the CSV/JSON/text readers rely on
    return io.BufferedReader(reader, buffer_size=1 << 20)


#: extension (with the dot, lower case) -> opener of a decompressing stream
COMPRESSIONS: dict[str, Opener] = {
    ".gz": _gzip,
    ".gzip": _gzip,
    ".bz2": _bz2,
    ".xz": _xz,
    ".lzma": _xz,
    ".zst": _zstd,
    ".zstd": _zstd,
}


def register_compression(extension: str, opener: Opener) -> None:
    """Teach the readers a new compression: ``opener(raw_stream) -> decompressed_stream``.

    Example:
        >>> register_compression(".gz", COMPRESSIONS[".gz"])
    """
    COMPRESSIONS[extension.lower() if extension.startswith(".") else "." + extension.lower()] = opener


def compression_of(path: str) -> str | None:
    """The compression extension of ``path`` (``".gz"``...), or ``None`` for a plain file."""
    name = path.rsplit("/", 1)[-1].lower()
    for ext in COMPRESSIONS:
        if name.endswith(ext):
            return ext
    return None


def strip_compression_suffix(path: str) -> str:
    """``path`` without its compression extension: ``a.csv.gz`` -> ``a.csv``."""
    ext = compression_of(path)
    return path[: -len(ext)] if ext else path


def open_decompressed(raw: BinaryIO, path: str) -> BinaryIO:
    """Wrap the binary stream ``raw`` (opened from ``path``) in the decompressor its extension names."""
    ext = compression_of(path)
    return COMPRESSIONS[ext](raw) if ext else raw
