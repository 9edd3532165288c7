"""Column projections: how a dataset's table is derived from its memory-mapped files.

A dataset keeps pickling by path (DESIGN.md) after it renames, removes, selects or reorders
columns, or changes only their features or schema metadata: its table is then a
*projection* of the table its files open to, and the projection is all a worker needs to
rebuild it. A :class:`Projection` is plain data (column names and the Arrow IPC bytes of
the output schema), never a pickled object, so re-applying it on a load path runs no code
from the payload.

Projections are derived, not declared: :func:`derive` compares the columns of a new table
with those of the table(s) it came from. One generic check in ``Dataset._replace`` covers
every operation (and any future one) instead of each operation stating what it did, and an
operation that changes values can never be mistaken for a projection.

Example:
    >>> import pyarrow as pa
    >>> files_table = pa.table({"a": [1, 2], "b": ["x", "y"]})
    >>> derived = files_table.select(["b"]).rename_columns(["text"])
    >>> ok, projection = derive([(files_table, None)], derived)
    >>> ok, projection.columns
    (True, (('text', 'b'),))
    >>> projection.apply(files_table).equals(derived)
    True
    >>> derive([(files_table, None)], pa.table({"a": [3, 4]}))
    (False, None)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa

from .errors import SchemaMismatchError

#: The state a Projection pickles as: ((output name, source name), ...) and IPC schema bytes.
ProjectionState = tuple[tuple[tuple[str, str], ...], bytes]


@dataclass(frozen=True)
class Projection:
    """A table made of columns of the files' table, renamed and reordered, with its own schema.

    Attributes:
        columns: ``(output name, source name)`` per output column, in output order; a source
            column may appear more than once.
        schema: the output schema (names, types, field and schema metadata) as Arrow IPC bytes.
            Each type equals its source column's type: only names and metadata may differ.

    Example:
        >>> t = pa.table({"a": [1]})
        >>> Projection.of(t.rename_columns(["z"]), ["a"]).apply(t).column_names
        ['z']
    """

    columns: tuple[tuple[str, str], ...]
    schema: bytes

    @classmethod
    def of(cls, table: pa.Table, sources: Sequence[str]) -> "Projection":
        """The projection giving ``table`` whose column i is the files' column ``sources[i]``."""
        return cls(tuple(zip(table.column_names, sources)), table.schema.serialize().to_pybytes())

    def apply(self, files_table: pa.Table) -> pa.Table:
        """Re-derive the table from the freshly opened files' table (zero-copy).

        Raises :class:`~arrowdata.errors.SchemaMismatchError` when the files no longer hold the
        source columns with the same types (they were replaced since the dataset was derived).
        """
        schema = pa.ipc.read_schema(pa.py_buffer(self.schema))
        columns = []
        for field, (_, source) in zip(schema, self.columns):
            if source not in files_table.column_names or files_table.schema.field(source).type != field.type:
                raise SchemaMismatchError(f"the dataset's files no longer hold column {source!r} as "
                                          f"{field.type}; they changed after the dataset was derived from "
                                          "them: load the dataset again", column=source)
            columns.append(files_table.column(source))
        return pa.Table.from_arrays(columns, schema=schema)

    def to_state(self) -> ProjectionState:
        """Plain tuples and bytes, for pickling."""
        return self.columns, self.schema

    @classmethod
    def from_state(cls, state: ProjectionState) -> "Projection":
        columns, schema = state
        return cls(tuple((str(out), str(src)) for out, src in columns), bytes(schema))


def derive(parents: Sequence[tuple[pa.Table, Projection | None]],
           table: pa.Table) -> tuple[bool, Projection | None]:
    """Whether ``table`` is a column projection of the files behind ``parents``, and which.

    Args:
        parents: ``(table, projection)`` of each dataset ``table`` was built from, all over
            the same files (``projection`` ``None``: that table is the files' table itself).
        table: the new table.

    Returns:
        ``(True, None)`` when ``table`` is exactly the files' table (same columns, same schema);
        ``(True, projection)`` when it is a projection; ``(False, None)`` when some column's
        values are not those of any parent column (it must then be pickled by value).
    """
    sources: list[str] = []
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        found = None
        for parent, projection in parents:
            match = _matching_column(parent, name, column)
            if match is not None:
                found = projection.columns[match][1] if projection is not None else parent.column_names[match]
                break
        if found is None:
            return False, None
        sources.append(found)
    if len(parents) == 1 and parents[0][1] is None and sources == parents[0][0].column_names \
            and table.schema.equals(parents[0][0].schema, check_metadata=True):
        return True, None
    return True, Projection.of(table, sources)


def _matching_column(parent: pa.Table, name: str, column: pa.ChunkedArray) -> int | None:
    """The position of a ``parent`` column holding exactly ``column``'s values (same name tried first)."""
    if parent.num_rows != len(column):
        return None
    names = parent.column_names
    order = sorted(range(len(names)), key=lambda j: names[j] != name)
    for j in order:
        other = parent.column(j)
        if other.type == column.type and _same_values(other, column):
            return j
    return None


def _same_values(a: pa.ChunkedArray, b: pa.ChunkedArray) -> bool:
    """Whether re-reading ``a`` is indistinguishable from ``b`` (same type, same length).

    ``equals`` runs in C++ and returns at once for shared chunks, which is what a projection
    holds. It compares floats by value, though: 0.0 equals -0.0 and NaN equals nothing. So
    columns holding floats must share their buffers instead: identity implies equal bits.
    """
    if not _has_floats(a.type):
        return a.equals(b)
    if a.num_chunks != b.num_chunks:
        return False
    for x, y in zip(a.iterchunks(), b.iterchunks()):  # returns at the first chunk that differs
        if x.offset != y.offset or len(x) != len(y) or _addresses(x) != _addresses(y):
            return False
    return True


def _addresses(array: pa.Array) -> list[tuple[int, int] | None]:
    buffers = array.buffers()  # every buffer of the array and its children
    if pa.types.is_dictionary(array.type):
        buffers += array.dictionary.buffers()
    return [None if b is None else (b.address, b.size) for b in buffers]


def _has_floats(t: pa.DataType) -> bool:
    if pa.types.is_floating(t):
        return True
    if isinstance(t, pa.ExtensionType):
        return _has_floats(t.storage_type)
    if pa.types.is_dictionary(t):
        return _has_floats(t.value_type)
    return any(_has_floats(t.field(i).type) for i in range(t.num_fields))
