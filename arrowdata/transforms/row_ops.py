"""Dataset methods that choose or reorder rows: select, shuffle, sort, train_test_split,
shard, skip, take, flatten_indices.

None of them copies data: they compute new indices (``Dataset._indices``, composed with
any existing ones) and reads gather rows block-wise through :mod:`arrowdata.gather`.
Only ``flatten_indices`` writes, to materialize the gathered rows as a new cached file.
Edge cases give empty datasets, never errors: ``skip(len(ds))``, ``take(0)``, a shard of
a dataset with fewer rows than shards, selecting nothing.
"""
from __future__ import annotations

import logging
import math
import numbers
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import gather
from ..dataset_core import DatasetCore
from ..features import ClassLabel
from .derive import InvalidArgumentError, as_name_list, check_columns, digest
from .derive import new_fingerprint as derived_fingerprint  # methods take a `new_fingerprint` argument
from .derive import with_positions
from .flatten import materialize
from .stratify import stratified_split

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset
    from ..dataset_dict import DatasetDict

logger = logging.getLogger(__name__)

_NULL_PLACEMENT = {"at_end": "at_end", "last": "at_end", "at_start": "at_start", "first": "at_start"}


def _as_count(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidArgumentError(argument, f"expected an integer, got {value!r}")
    if value < 0:
        raise InvalidArgumentError(argument, f"must be >= 0, got {value}")
    return int(value)


def _split_sizes(n: int, test_size: float | int | None, train_size: float | int | None) -> tuple[int, int]:
    """``(n_train, n_test)`` as scikit-learn and HF ``datasets`` round them (test up, train down)."""
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, size in (("test_size", test_size), ("train_size", train_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise InvalidArgumentError(name, f"expected an int or a float, got {size!r}")
        if isinstance(size, numbers.Integral):
            if not 0 < size < n:
                raise InvalidArgumentError(name, f"={size} must be a positive number of rows smaller than "
                                                 f"the dataset's {n} rows, or a float in (0, 1)")
        elif not 0.0 < float(size) < 1.0:
            raise InvalidArgumentError(name, f"={size} as a float must be in (0, 1)")
    if (isinstance(test_size, float) and isinstance(train_size, float) and test_size + train_size > 1):
        raise InvalidArgumentError("train_size", f"test_size + train_size = {test_size + train_size} "
                                                 "must not exceed 1")
    n_test = math.ceil(test_size * n) if isinstance(test_size, float) else test_size
    n_train = math.floor(train_size * n) if isinstance(train_size, float) else train_size
    if train_size is None:
        n_train = n - n_test
    elif test_size is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise InvalidArgumentError("train_size", f"train_size ({n_train} rows) + test_size ({n_test} rows) "
                                                 f"exceed the dataset's {n} rows")
    if n_train == 0:
        raise InvalidArgumentError("train_size", f"with {n} rows, test_size={test_size!r} and "
                                                 f"train_size={train_size!r} the train split would be empty")
    if n_test == 0:
        raise InvalidArgumentError("test_size", f"with {n} rows, test_size={test_size!r} and "
                                                f"train_size={train_size!r} the test split would be empty")
    return int(n_train), int(n_test)


class RowOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: select, shuffle, sort, train_test_split, shard, skip,
    take, flatten_indices."""

    # -- selecting -----------------------------------------------------------------------
    def select(self, indices: Iterable[int] | np.ndarray | pa.Array, keep_in_memory: bool = False,
               indices_cache_file_name: str | None = None, writer_batch_size: int | None = 1000,
               new_fingerprint: str | None = None) -> "Dataset":
        """The rows at ``indices`` (in that order; repeats allowed), without copying data.

        Args:
            indices: row positions: a range, list, numpy or Arrow integer array; negative
                positions count from the end.
            keep_in_memory, indices_cache_file_name, writer_batch_size: accepted for Hugging
                Face compatibility; indices always live in memory (8 bytes a row).
            new_fingerprint: use this fingerprint instead of deriving one.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.select([2, 0])["a"]
            [30, 10]
        """
        if isinstance(indices, range):
            n = self.num_rows
            start, stop, step = indices.start, indices.stop, indices.step
            if step == 1 and 0 <= start <= n and 0 <= stop <= n:
                args = {"range": [start, stop]}
                return with_positions(self, np.arange(start, max(start, stop), dtype=np.int64), "select", args,
                                      new_fingerprint)
        elif not isinstance(indices, (np.ndarray, pa.Array, pa.ChunkedArray, list, tuple)):
            indices = list(indices)
        positions = gather.as_positions(indices, self.num_rows, argument="indices")
        return with_positions(self, positions, "select", {"indices": digest(positions)}, new_fingerprint)

    def skip(self, n: int) -> "Dataset":
        """All rows but the first ``n``; ``skip(len(ds))`` or more gives an empty dataset.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.skip(1)["a"]
            [20, 30]
        """
        n = _as_count(n, "n")
        total = self.num_rows
        start = min(n, total)
        return with_positions(self, np.arange(start, total, dtype=np.int64), "skip", {"n": start})

    def take(self, n: int) -> "Dataset":
        """The first ``n`` rows (all of them when ``n`` exceeds the length).

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.take(2)["a"]
            [10, 20]
        """
        n = _as_count(n, "n")
        stop = min(n, self.num_rows)
        return with_positions(self, np.arange(stop, dtype=np.int64), "take", {"n": stop})

    def shard(self, num_shards: int, index: int, contiguous: bool = True, keep_in_memory: bool = False,
              indices_cache_file_name: str | None = None, writer_batch_size: int | None = 1000) -> "Dataset":
        """Shard ``index`` of ``num_shards``: contiguous blocks (sizes differ by at most one, the
        first ones larger) or, with ``contiguous=False``, every ``num_shards``-th row from ``index``.

        A dataset with fewer rows than shards gives empty shards, not an error.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> [ds.shard(2, i)["a"] for i in range(2)]
            [[10, 20], [30]]
        """
        if isinstance(num_shards, bool) or not isinstance(num_shards, numbers.Integral) or num_shards < 1:
            raise InvalidArgumentError("num_shards", f"must be a positive integer, got {num_shards!r}")
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < num_shards:
            raise InvalidArgumentError("index", f"must be an integer in 0..{num_shards - 1}, got {index!r}")
        n = self.num_rows
        if contiguous:
            per, extra = divmod(n, num_shards)
            start = per * index + min(index, extra)
            positions = np.arange(start, start + per + (1 if index < extra else 0), dtype=np.int64)
        else:
            positions = np.arange(index, n, num_shards, dtype=np.int64)
        args = {"num_shards": int(num_shards), "index": int(index), "contiguous": bool(contiguous)}
        return with_positions(self, positions, "shard", args)

    # -- reordering ----------------------------------------------------------------------
    def shuffle(self, seed: int | None = None, generator: np.random.Generator | None = None,
                keep_in_memory: bool = False, load_from_cache_file: bool | None = None,
                indices_cache_file_name: str | None = None, writer_batch_size: int | None = 1000,
                new_fingerprint: str | None = None) -> "Dataset":
        """The rows in a random order: only a permutation of the indices, no data is copied.

        ``seed`` or ``generator`` (a :class:`numpy.random.Generator`) fixes the order; the same
        seed gives the same order as Hugging Face ``datasets``. With neither, the seed is drawn
        from numpy's global random state (so ``np.random.seed`` makes it repeatable).
        Reads after a shuffle stay fast: see :func:`arrowdata.gather.take`.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.shuffle(seed=42)["a"]  # the order HF datasets gives for this seed
            [30, 20, 10]
        """
        if seed is not None and generator is not None:
            raise InvalidArgumentError("generator", "give either seed or generator, not both")
        if generator is not None:
            if not isinstance(generator, np.random.Generator):
                raise InvalidArgumentError("generator", f"must be a numpy.random.Generator, got {type(generator).__name__}")
            args: dict[str, Any] = {"generator_state": _jsonable(generator.bit_generator.state)}
        else:
            if seed is None:
                # The same choice HF makes: repeatable under np.random.seed().
                seed = int(np.random.get_state()[1][0])
            if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
                raise InvalidArgumentError("seed", f"must be a non-negative integer, got {seed!r}")
            generator = np.random.default_rng(int(seed))
            args = {"seed": int(seed)}
        permutation = generator.permutation(self.num_rows).astype(np.int64, copy=False)
        return with_positions(self, permutation, "shuffle", args, new_fingerprint)

    def sort(self, column_names: str | Sequence[str], reverse: bool | Sequence[bool] = False,
             null_placement: str = "at_end", keep_in_memory: bool = False,
             load_from_cache_file: bool | None = None, indices_cache_file_name: str | None = None,
             writer_batch_size: int | None = 1000, new_fingerprint: str | None = None) -> "Dataset":
        """The rows sorted by one or more columns (stable: ties keep their order).

        Args:
            column_names: a column name or a list of them (the first is the primary key).
            reverse: descending order; a list gives one flag per column.
            null_placement: ``"at_end"`` (default) or ``"at_start"`` (``"last"``/``"first"`` too).

        Only the key columns are read; the result is new indices, no data is copied.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> ds.sort("a", reverse=True)["a"]
            [30, 20, 10]
        """
        names = as_name_list(column_names, "column_names")
        if not names:
            raise InvalidArgumentError("column_names", "give at least one column to sort by")
        check_columns(self._table.column_names, names, "column_names")
        if isinstance(reverse, bool):
            flags = [reverse] * len(names)
        else:
            flags = list(reverse)
            if len(flags) != len(names) or not all(isinstance(f, bool) for f in flags):
                raise InvalidArgumentError("reverse", f"must be a bool or a list of {len(names)} bools "
                                                      f"(one per column), got {reverse!r}")
        if null_placement not in _NULL_PLACEMENT:
            raise InvalidArgumentError("null_placement", f"must be 'at_end' or 'at_start', got {null_placement!r}")
        placement = _NULL_PLACEMENT[null_placement]
        positions = self._indices_np()
        keys = (self._table.select(names) if positions is None
                else gather.take(self._table, positions, columns=names))
        # Keys are renamed k0, k1... so a column listed twice still gets its own sort key.
        sort_keys = [(f"k{i}", "descending" if flag else "ascending", placement) for i, flag in enumerate(flags)]
        keyed = pa.table({f"k{i}": keys.column(i) for i in range(len(names))})
        try:
            order = pc.sort_indices(keyed, sort_keys=sort_keys)
        except (pa.ArrowNotImplementedError, pa.ArrowTypeError) as e:
            schema = self._table.schema
            bad = [n for n in names if not _sortable(schema.field(n).type)] or names
            raise InvalidArgumentError("column_names", f"cannot sort by column {bad[0]!r} of type "
                                                       f"{schema.field(bad[0]).type}: {e}") from e
        args = {"column_names": names, "reverse": flags, "null_placement": placement}
        return with_positions(self, order.to_numpy().astype(np.int64, copy=False), "sort", args, new_fingerprint)

    # -- splitting -----------------------------------------------------------------------
    def train_test_split(self, test_size: float | int | None = None, train_size: float | int | None = None,
                         shuffle: bool = True, stratify_by_column: str | None = None, seed: int | None = None,
                         generator: np.random.Generator | None = None, keep_in_memory: bool = False,
                         load_from_cache_file: bool | None = None, train_indices_cache_file_name: str | None = None,
                         test_indices_cache_file_name: str | None = None, writer_batch_size: int | None = 1000,
                         train_new_fingerprint: str | None = None,
                         test_new_fingerprint: str | None = None) -> "DatasetDict":
        """Split into ``{"train", "test"}`` as scikit-learn and Hugging Face ``datasets`` do.

        Args:
            test_size: a float in (0, 1) (a fraction, rounded up) or a row count; default 0.25
                when ``train_size`` is not given either.
            train_size: likewise (a fraction is rounded down); default: the rest.
            shuffle: draw rows at random (default) or split in order (first rows train).
            stratify_by_column: a ``ClassLabel`` column whose class proportions both sides keep
                (needs ``shuffle=True``).
            seed, generator: fix the random draw; the same seed picks the same rows as HF.

        Impossible sizes raise :class:`~arrowdata.transforms.derive.InvalidArgumentError`
        naming the argument.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> splits = ds.train_test_split(test_size=1, seed=0)
            >>> len(splits["train"]), len(splits["test"])
            (2, 1)
        """
        n = self.num_rows
        if n == 0:
            raise InvalidArgumentError("test_size", "cannot split an empty dataset: it has no rows for either side")
        n_train, n_test = _split_sizes(n, test_size, train_size)
        if seed is not None and generator is not None:
            raise InvalidArgumentError("generator", "give either seed or generator, not both")
        if generator is None:
            if shuffle and seed is None:
                seed = int(np.random.get_state()[1][0])
            generator = np.random.default_rng(seed)
            draw = {"seed": seed}
        else:
            draw = {"generator_state": _jsonable(generator.bit_generator.state)}
        if not shuffle:
            if stratify_by_column is not None:
                raise InvalidArgumentError("stratify_by_column", "stratified splitting needs shuffle=True")
            train_pos = np.arange(n_train, dtype=np.int64)
            test_pos = np.arange(n_train, n_train + n_test, dtype=np.int64)
            draw = {}
        elif stratify_by_column is not None:
            train_pos, test_pos = self._stratified_positions(stratify_by_column, n_train, n_test, generator)
        else:
            permutation = generator.permutation(n).astype(np.int64, copy=False)
            test_pos = permutation[:n_test]
            train_pos = permutation[n_test:n_test + n_train]
        args = {"n_train": n_train, "n_test": n_test, "shuffle": bool(shuffle),
                "stratify_by_column": stratify_by_column, **draw}
        train = with_positions(self, train_pos, "train_test_split", {**args, "side": "train"}, train_new_fingerprint)
        test = with_positions(self, test_pos, "train_test_split", {**args, "side": "test"}, test_new_fingerprint)
        return _dataset_dict({"train": train, "test": test})

    def _stratified_positions(self, column: str, n_train: int, n_test: int,
                              generator: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        check_columns(self._table.column_names, [column], "stratify_by_column")
        feature = self._info.features[column]
        if not isinstance(feature, ClassLabel):
            raise InvalidArgumentError("stratify_by_column", f"column {column!r} must be a ClassLabel column "
                                       f"(it is {feature!r}); use class_encode_column({column!r}) first")
        positions = self._indices_np()
        labels = (self._table.column(column) if positions is None
                  else gather.take(self._table, positions, columns=[column]).column(0))
        return stratified_split(labels.to_numpy(), n_train, n_test, generator)

    # -- materializing -------------------------------------------------------------------
    def flatten_indices(self, keep_in_memory: bool = False, cache_file_name: str | None = None,
                        writer_batch_size: int | None = 1000, features: Any = None, disable_nullable: bool = False,
                        num_proc: int | None = None, new_fingerprint: str | None = None) -> "Dataset":
        """Materialize the rows the indices point at as a new contiguous table.

        Rows are gathered block-wise (:func:`arrowdata.gather.iter_take`) and streamed to
        ``<cache>/transforms/<fingerprint>.arrow`` through an atomic writer, then memory-mapped;
        a finished file with that name is reused. ``keep_in_memory=True`` writes nothing.

        Example:
            >>> from arrowdata import Dataset
            >>> ds = Dataset.from_dict({"a": [10, 20, 30]})
            >>> flat = ds.shuffle(seed=0).flatten_indices()
            >>> flat._indices is None
            True
        """
        if self._indices is None and not keep_in_memory:
            return self
        fingerprint = derived_fingerprint(self, "flatten_indices", {}, new_fingerprint)
        return materialize(self, fingerprint, keep_in_memory=keep_in_memory, cache_file_name=cache_file_name,
                           writer_batch_size=writer_batch_size or 1000)


def _dataset_dict(splits: dict[str, "Dataset"]) -> "DatasetDict":
    # The one upward import the HF API forces: train_test_split returns a DatasetDict, which holds
    # Datasets, which inherit this mixin (DESIGN.md, "Layering").
    from ..dataset_dict import DatasetDict

    return DatasetDict(splits)


def _sortable(arrow_type: pa.DataType) -> bool:
    return not (pa.types.is_nested(arrow_type) or pa.types.is_dictionary(arrow_type))


def _jsonable(value: Any) -> Any:
    """A numpy bit-generator state as plain JSON values (for the fingerprint)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return digest(value.astype(np.int64)) if value.size > 16 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
