"""Making every block of every input file agree on one schema.

Text formats guess types block by block, JSON rows may omit keys, and users may pass features.
:class:`Conformer` checks each incoming table against the target schema: it fills columns a
JSON block lacks, casts where the target type holds the data, asks for a restart with a wider
schema when a guessed type was too narrow, and otherwise raises an error naming the file and
the column.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.io.builder import get_builder
    >>> c = Conformer(get_builder("json"), target=pa.schema([("a", pa.float64()), ("b", pa.string())]))
    >>> c.conform(pa.table({"a": [1]}), url="x.jsonl", file_index=0).to_pylist()
    [{'a': 1.0, 'b': None}]
"""
from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..errors import CastError, SchemaMismatchError
from ..features import Features, LargeList, List, Value, arrow_type_of, cast_table
from .builder import Builder, SchemaWidening


def _unify(a: pa.DataType, b: pa.DataType) -> pa.DataType | None:
    try:
        s = pa.unify_schemas([pa.schema([("x", a)]), pa.schema([("x", b)])], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return s.field("x").type


def read_schema(features: Any, builder: Builder | None = None) -> pa.Schema:
    """The columns of ``features`` a reader parses directly as their final type.

    The others are read as the file says and cast afterwards, the way HF ``datasets`` casts what
    its readers produced: ClassLabel (strings in the file, ints in the dataset), tensor features,
    every column of a typed format (JSON numbers to a string feature) and, for text cells (CSV),
    every non-string feature ("0.0" is read as a float, then cast to an int feature where exact).
    String features of text cells are read directly so that "007" stays "007".
    """
    if builder is not None and not builder.text_values:
        return pa.schema([])

    def direct(feat: Any) -> bool:
        if isinstance(feat, Value):
            t = arrow_type_of(feat)
            return builder is None or pa.types.is_string(t) or pa.types.is_large_string(t)
        if isinstance(feat, (List, LargeList)):
            return direct(feat.feature)
        if isinstance(feat, dict):
            return all(direct(v) for v in feat.values())
        return False

    return pa.schema([pa.field(k, arrow_type_of(v)) for k, v in features.items() if direct(v)])


class Conformer:
    """Check and adapt each table of a conversion to one schema.

    Args:
        builder: the builder reading the files (its ``inferred_types``/``optional_columns`` say
            what may be widened or filled).
        target: the schema decided so far (``None``: the first table decides).
        features: user features; when given they are the schema, and every table is cast to them.
    """

    def __init__(self, builder: Builder, target: pa.Schema | None = None, features: Any = None) -> None:
        self.builder = builder
        self.features = features
        self.target = features.arrow_schema if features is not None else target
        self.first_url: str | None = None

    def conform(self, table: pa.Table | pa.RecordBatch, *, url: str, file_index: int) -> pa.Table:
        """``table`` in the target schema, or an error naming ``url`` and the column."""
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        if self.first_url is None:
            self.first_url = url
        if self.target is None:
            self.target = table.schema
            return table
        table = self._columns(table, url, file_index)
        if self.features is not None:
            try:
                return cast_table(table, self.features)
            except CastError as e:
                err = CastError(f"{url}: {e}")
                err.column = self._failing_column(table)
                raise err from None
        return self._types(table, url)

    def _failing_column(self, table: pa.Table) -> str | None:
        """The first column that does not cast to its feature (error path only)."""
        for name in table.column_names:
            try:
                cast_table(table.select([name]), Features({name: self.features[name]}))
            except CastError:
                return name
        return None

    def _columns(self, table: pa.Table, url: str, file_index: int) -> pa.Table:
        names = self.target.names
        extra = [n for n in table.column_names if n not in names]
        if extra:
            if self.features is not None:
                raise SchemaMismatchError(f"column is not in the features ({names})", path=url, column=extra[0])
            if self.builder.optional_columns and file_index == 0:
                wider = pa.schema(list(self.target) + [table.schema.field(n) for n in extra],
                                  metadata=self.target.metadata)
                raise SchemaWidening(wider, f"{url}: new column(s) {extra}")
            raise SchemaMismatchError(f"column is not in {self.first_url} (which has {names})",
                                      path=url, column=extra[0])
        missing = [n for n in names if n not in table.column_names]
        if missing:
            if not self.builder.optional_columns:
                where = "the features" if self.features is not None else self.first_url
                raise SchemaMismatchError(f"column is missing (it is in {where})", path=url, column=missing[0])
            for n in missing:
                table = table.append_column(self.target.field(n).name,
                                            pa.nulls(table.num_rows, self.target.field(n).type))
        return table.select(names)

    def _types(self, table: pa.Table, url: str) -> pa.Table:
        if table.schema.equals(self.target, check_metadata=False):
            return table.replace_schema_metadata(self.target.metadata)
        for i, want in enumerate(self.target):
            have = table.schema.field(i).type
            if have == want.type or pa.types.is_null(have):
                continue
            unified = _unify(want.type, have)
            if unified == want.type:
                continue
            if unified is not None and self.builder.inferred_types:
                fields = list(self.target)
                fields[i] = pa.field(want.name, unified)
                raise SchemaWidening(pa.schema(fields, metadata=self.target.metadata),
                                     f"{url}: column {want.name!r} needs {unified} (was {want.type})")
            raise SchemaMismatchError(f"column has type {have} but {want.type} in {self.first_url}",
                                      path=url, column=want.name)
        try:
            return table.cast(self.target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            raise SchemaMismatchError(f"cannot convert to the schema of {self.first_url}: {e}", path=url) from None
