"""The builder registry: one reader per input format, found by name.

A builder turns one input file into a stream of Arrow tables, in bounded memory. Adding a
format is one module with a :class:`Builder` subclass decorated by :func:`register_builder`.

Example:
    >>> from arrowdata.io import get_builder
    >>> get_builder("csv", delimiter=";").options["delimiter"]
    ';'
"""
from __future__ import annotations

import logging
from typing import Any, ClassVar, Iterator

import pyarrow as pa

from ..errors import UnknownNameError
from .compression import strip_compression_suffix
from .files import DataFile

logger = logging.getLogger(__name__)

#: builder name -> Builder subclass
BUILDERS: dict[str, type["Builder"]] = {}


class SchemaWidening(Exception):
    """Internal signal: a later block needs wider column types than the ones chosen so far.

    The conversion restarts with ``schema`` as the target (text formats only guess types from the
    data they have seen, so an int column may turn out to hold floats or words further down).
    """

    def __init__(self, schema: pa.Schema, reason: str) -> None:
        super().__init__(reason)
        self.schema, self.reason = schema, reason


class Builder:
    """Base class of the readers. Subclasses set the class attributes and implement :meth:`read`.

    Class attributes:
        name: the registry name (``"csv"``).
        extensions: file extensions the builder reads (used to pick files inside folders and to
            infer the builder from a path).
        defaults: every option the builder accepts, with its default value.
        inferred_types: column types are guessed from text, so they may be widened across blocks.
        optional_columns: rows may omit columns (JSON objects); missing ones become nulls.
        text_values: cells are untyped text (CSV), see :func:`arrowdata.io.conform.read_schema`.
    """

    name: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    aliases: ClassVar[dict[str, str]] = {}
    inferred_types: ClassVar[bool] = False
    optional_columns: ClassVar[bool] = False
    #: values are untyped text (CSV cells): only string features are parsed directly, the other
    #: features are cast from what the reader inferred (so "1.0" fits an int feature, as in HF)
    text_values: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        opts = dict(self.defaults)
        for key, value in options.items():
            key = self.aliases.get(key, key)
            if key not in self.defaults:
                raise UnknownNameError(f"{self.name} option", key, list(self.defaults) + list(self.aliases))
            opts[key] = value
        self.options = opts
        self.validate()

    def validate(self) -> None:
        """Check option values; raise ``ValueError``/``TypeError`` naming the option."""

    def read(self, f: DataFile, schema: pa.Schema | None,
             fixed: frozenset[str] = frozenset()) -> Iterator[pa.Table | pa.RecordBatch]:
        """Yield the content of ``f`` as tables.

        ``schema``, when given, is the target schema (from user features or a widening): read
        columns as those types where the format allows. ``fixed`` names the columns whose type the
        user chose; a value that does not fit them is an error, not a reason to widen.
        """
        raise NotImplementedError

    def key(self) -> dict[str, Any]:
        """The options as they enter the conversion key (only options that change the output)."""
        return {k: v for k, v in sorted(self.options.items()) if k not in self.speed_options}

    #: options that only tune speed or memory: changing them must not throw a conversion away
    speed_options: ClassVar[frozenset[str]] = frozenset({"block_size", "batch_size"})


def register_builder(cls: type[Builder]) -> type[Builder]:
    """Class decorator adding a builder to the registry under ``cls.name``.

    Example:
        >>> @register_builder
        ... class Tsv(Builder):
        ...     name, extensions = "tsv-example", (".tsv",)
        >>> "tsv-example" in BUILDERS
        True
        >>> del BUILDERS["tsv-example"]
    """
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a `name`")
    BUILDERS[cls.name] = cls
    return cls


def get_builder(name: str, **options: Any) -> Builder:
    """The builder ``name`` configured with ``options``.

    Raises:
        UnknownNameError: listing the known builders when ``name`` is not one.
    """
    try:
        cls = BUILDERS[name]
    except KeyError:
        raise UnknownNameError("builder", name, list(BUILDERS)) from None
    return cls(**options)


def infer_builder(paths: list[str]) -> str | None:
    """The builder whose extensions match ``paths`` (compression suffix ignored), or ``None``.

    Example:
        >>> infer_builder(["a/train.jsonl.gz"])
        'json'
    """
    votes: dict[str, int] = {}
    for p in paths:
        inner = strip_compression_suffix(p).lower()
        for name, cls in BUILDERS.items():
            if inner.endswith(cls.extensions):
                votes[name] = votes.get(name, 0) + 1
    return max(votes, key=votes.__getitem__) if votes else None
