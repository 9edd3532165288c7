"""Combining datasets: ``concatenate_datasets`` (rows or columns) and ``interleave_datasets``.

Concatenating rows never copies data: the tables' record batches are chained and any
indices are shifted and joined. Interleaving is a concatenation plus an index order, with
the semantics (and, for a given seed, the very rows) of Hugging Face ``datasets``.

Example:
    >>> from arrowdata import Dataset, concatenate_datasets, interleave_datasets
    >>> a, b = Dataset.from_dict({"x": [0, 1, 2]}), Dataset.from_dict({"x": [10, 11]})
    >>> concatenate_datasets([a, b])["x"]
    [0, 1, 2, 10, 11]
    >>> interleave_datasets([a, b])["x"]
    [0, 10, 1, 11]
"""
from __future__ import annotations

import logging
import numbers
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pyarrow as pa

from ..errors import SchemaMismatchError
from ..features import Features, Value, conform_table
from ..fingerprint import derive_fingerprint
from ..projection import derive
from ..table import concat_tables
from .derive import InvalidArgumentError, with_positions

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset
    from ..info import DatasetInfo

logger = logging.getLogger(__name__)

STOPPING_STRATEGIES = ("first_exhausted", "all_exhausted", "all_exhausted_without_replacement")


def _check_list(dsets: Any, argument: str) -> list["Dataset"]:
    from ..dataset import Dataset

    if not isinstance(dsets, (list, tuple)) or not dsets:
        raise InvalidArgumentError(argument, f"expected a non-empty list of datasets, got {dsets!r}")
    for i, d in enumerate(dsets):
        if not isinstance(d, Dataset):
            raise InvalidArgumentError(argument, f"item {i} is a {type(d).__name__}, not an arrowdata Dataset")
    return list(dsets)


def _aligned_features(dsets: list["Dataset"]) -> Any:
    """The common features of ``dsets`` for a row-wise concatenation, or a clear error.

    Column order may differ (the first dataset's wins, then new columns in order of appearance);
    a column that is all nulls in one dataset, or missing from it, takes the type it has in the
    others (its rows there are null), as in HF ``datasets``.
    """
    first = dsets[0].features
    merged = dict(first)
    for d in dsets[1:]:
        for name in d.column_names:
            merged.setdefault(name, Value("null"))
    names = list(merged)
    for i, d in enumerate(dsets[1:], start=1):
        for name in names:
            if name not in d.column_names:
                continue
            a, b = merged[name], d.features[name]
            if a == b:
                continue
            if a == Value("null"):
                merged[name] = b
            elif b != Value("null"):
                raise SchemaMismatchError(f"dataset {i} has feature {b!r} but dataset 0 has {a!r}; "
                                          "cast one of them first", column=name)
    return Features(merged)


def _conform(ds: "Dataset", features: Any) -> pa.Table:
    """``ds``'s whole table with the columns in ``features``' order and types (null columns cast)."""
    return conform_table(ds._table, features)


def _common(values: list[Any]) -> Any:
    return values[0] if all(v == values[0] for v in values[1:]) else None


def _merged_info(dsets: list["Dataset"]) -> "DatasetInfo":
    """The first dataset's info with the distinct non-empty descriptions, citations, homepages and
    licenses of all of them joined by a blank line, as HF ``datasets`` merges them."""
    out = dsets[0]._info.copy()
    for key in ("description", "citation", "homepage", "license"):
        texts = list(dict.fromkeys(t for t in (getattr(d._info, key) for d in dsets) if t))
        setattr(out, key, "\n\n".join(texts))
    return out


def _concat_rows(dsets: list["Dataset"], info: "DatasetInfo | None", split: str | None) -> "Dataset":
    from ..dataset import Dataset

    features = _aligned_features(dsets)
    tables = [_conform(d, features) for d in dsets]
    table = concat_tables(tables)
    if all(d._indices is None for d in dsets):
        indices = None
    else:
        offset = 0
        parts = []
        for d, t in zip(dsets, tables):
            pos = d._indices_np()
            parts.append((np.arange(t.num_rows, dtype=np.int64) if pos is None else pos) + offset)
            offset += t.num_rows
        indices = pa.array(np.concatenate(parts).astype(np.uint64), pa.uint64())
    # Pickling by path stays valid only when every part is exactly its files (columns
    # re-ordered, or a null column cast to the common type, or a column projection are not:
    # one projection cannot describe rows of files with different layouts).
    exact = all(d._data_files and d._projection is None
                and t.schema.remove_metadata() == d._table.schema.remove_metadata()
                for d, t in zip(dsets, tables))
    data_files = [f for d in dsets for f in d._data_files] if exact else []
    fmt = _common([d._format for d in dsets])
    if fmt is None:
        logger.info("concatenate_datasets: the datasets have different formats; the result has the default format")
    out_info = info.copy() if info is not None else _merged_info(dsets)
    out_info.features = features
    fingerprint = derive_fingerprint(dsets[0]._fingerprint, "concatenate_datasets",
                                     {"axis": 0, "fingerprints": [d._fingerprint for d in dsets]})
    return Dataset._from_parts(table, fingerprint=fingerprint, indices=indices, info=out_info,
                               split=split if split is not None else _common([d._split for d in dsets]),
                               format=fmt, data_files=data_files)


def _concat_columns(dsets: list["Dataset"], info: "DatasetInfo | None", split: str | None) -> "Dataset":
    from ..dataset import Dataset

    lengths = [len(d) for d in dsets]
    if len(set(lengths)) > 1:
        raise InvalidArgumentError("dsets", f"concatenating along axis=1 needs datasets of the same length; "
                                            f"got lengths {lengths}")
    seen: dict[str, int] = {}
    for i, d in enumerate(dsets):
        for name in d.column_names:
            if name in seen:
                raise SchemaMismatchError(f"column {name!r} is in both dataset {seen[name]} and dataset {i} "
                                          "(duplicated columns); rename one of them first", column=name)
            seen[name] = i
    # Columns must line up row by row, so datasets with indices are materialized first.
    flat = [d.flatten_indices() if d._indices is not None else d for d in dsets]
    columns, names = [], []
    features = Features()
    for d in flat:
        for name in d.column_names:
            columns.append(d._table.column(name))
            names.append(name)
            features[name] = d.features[name]
    table = pa.Table.from_arrays(columns, names=names) if columns else pa.table({})
    out_info = info.copy() if info is not None else dsets[0]._info.copy()
    out_info.features = features
    fingerprint = derive_fingerprint(dsets[0]._fingerprint, "concatenate_datasets",
                                     {"axis": 1, "fingerprints": [d._fingerprint for d in dsets]})
    # Column sets of the same files (e.g. two select_columns of one dataset) stay a column
    # projection of those files, so the result still pickles by path.
    data_files, projection = [], None
    if flat and flat[0]._data_files and all(d._data_files == flat[0]._data_files for d in flat):
        ok, projection = derive([(d._table, d._projection) for d in flat], table)
        data_files = list(flat[0]._data_files) if ok else []
    return Dataset._from_parts(table, fingerprint=fingerprint, info=out_info,
                               split=split if split is not None else _common([d._split for d in dsets]),
                               format=_common([d._format for d in dsets]), data_files=data_files,
                               projection=projection)


def concatenate_datasets(dsets: Sequence["Dataset"], info: "DatasetInfo | None" = None, split: str | None = None,
                         axis: int = 0) -> "Dataset":
    """Join datasets row-wise (``axis=0``) or column-wise (``axis=1``).

    Row-wise, the datasets must have the same columns (in any order) and features; no data
    is copied, and indices (after ``shuffle``...) are kept. Column-wise, they must have the
    same number of rows and distinct column names. Mismatches raise
    :class:`~arrowdata.errors.SchemaMismatchError` naming the column.

    Example:
        >>> from arrowdata import Dataset
        >>> a, b = Dataset.from_dict({"x": [0, 1, 2]}), Dataset.from_dict({"x": [10, 11]})
        >>> concatenate_datasets([a, b])["x"]
        [0, 1, 2, 10, 11]
    """
    from ..streaming.iterable import concatenate, is_stream_list

    if is_stream_list(dsets, "dsets"):
        return concatenate(list(dsets), info=info, split=split, axis=axis)
    dsets = _check_list(dsets, "dsets")
    if axis not in (0, 1):
        raise InvalidArgumentError("axis", f"must be 0 (rows) or 1 (columns), got {axis!r}")
    return _concat_rows(dsets, info, split) if axis == 0 else _concat_columns(dsets, info, split)


def _cycle_positions(lengths: list[int], strategy: str) -> np.ndarray:
    """Round-robin order over the concatenation of sources of ``lengths`` rows."""
    lengths_arr = np.asarray(lengths, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths_arr)[:-1]))
    if strategy == "first_exhausted":
        rounds = int(lengths_arr.min())
        return (np.arange(rounds)[:, None] + offsets[None, :]).reshape(-1)
    if strategy == "all_exhausted":
        live = lengths_arr > 0
        if not live.any():
            return np.zeros(0, dtype=np.int64)
        rounds = int(lengths_arr.max())
        # Shorter sources start over; empty ones are left out rather than divided by.
        grid = np.arange(rounds)[:, None] % lengths_arr[None, live] + offsets[None, live]
        return grid.reshape(-1)
    # Without replacement: each row once, sources drop out of the cycle as they run dry.
    rounds = int(lengths_arr.max()) if len(lengths_arr) else 0
    grid = np.arange(rounds)[:, None] + offsets[None, :]
    keep = np.arange(rounds)[:, None] < lengths_arr[None, :]
    return grid[keep]


def _random_positions(lengths: list[int], probabilities: np.ndarray, seed: int | None,
                      strategy: str) -> np.ndarray:
    """Random-source order: sources drawn by ``probabilities`` in blocks of 1000, as HF draws them."""
    lengths_arr = np.asarray(lengths, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths_arr)[:-1]))
    n = len(lengths_arr)
    drawable = probabilities > 0
    empty = np.flatnonzero((lengths_arr == 0) & drawable)
    if len(empty):
        raise InvalidArgumentError("probabilities", f"datasets {empty.tolist()} are empty but have a probability > 0")
    if strategy != "first_exhausted" and not drawable.all():
        raise InvalidArgumentError("probabilities", f"stopping_strategy={strategy!r} never ends when a dataset "
                                                    f"has probability 0 (datasets {np.flatnonzero(~drawable).tolist()})")
    rng = np.random.default_rng(seed)
    blocks: list[np.ndarray] = []
    counts = np.zeros(n, dtype=np.int64)
    while True:
        reached = counts >= lengths_arr
        done = reached[drawable].any() if strategy == "first_exhausted" else reached[drawable].all()
        if done:
            break
        block = rng.choice(n, size=1000, p=probabilities)
        blocks.append(block)
        counts += np.bincount(block, minlength=n)
    draws = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int64)
    # Rank of each draw among the draws of the same source (0 for its first draw).
    order = np.argsort(draws, kind="stable")
    starts = np.concatenate(([0], np.cumsum(np.bincount(draws, minlength=n))[:-1]))
    rank = np.empty(len(draws), dtype=np.int64)
    rank[order] = np.arange(len(draws)) - starts[draws[order]]
    # A source is exhausted right after its length-th draw; the output stops there.
    exhausted_at = np.array([np.flatnonzero((draws == s) & (rank == lengths_arr[s] - 1))[0]
                             if drawable[s] and counts[s] >= lengths_arr[s] else -1 for s in range(n)])
    valid = exhausted_at[exhausted_at >= 0]
    if strategy == "first_exhausted":
        used = slice(0, int(valid.min()) + 1)
        return (rank[used] % lengths_arr[draws[used]]) + offsets[draws[used]]
    stop = int(valid.max()) + 1
    src, r = draws[:stop], rank[:stop]
    if strategy == "all_exhausted":
        return (r % lengths_arr[src]) + offsets[src]
    keep = r < lengths_arr[src]
    return r[keep] + offsets[src[keep]]


def interleave_datasets(datasets: Sequence["Dataset"], probabilities: Sequence[float] | None = None,
                        seed: int | None = None, info: "DatasetInfo | None" = None, split: str | None = None,
                        stopping_strategy: str = "first_exhausted") -> "Dataset":
    """Alternate rows from several datasets, in turn or at random.

    Args:
        datasets: datasets with the same columns and features.
        probabilities: pick the source of each row at random with these weights (summing to 1);
            ``None`` cycles through the sources in order.
        seed: seed of the random picks (the same rows as HF ``datasets`` for the same seed).
        stopping_strategy: ``"first_exhausted"`` (stop when a source runs out: undersampling),
            ``"all_exhausted"`` (stop when every source has given every row at least once,
            restarting the short ones: oversampling) or ``"all_exhausted_without_replacement"``
            (every row exactly once).

    Example:
        >>> from arrowdata import Dataset
        >>> a, b = Dataset.from_dict({"x": [0, 1, 2]}), Dataset.from_dict({"x": [10, 11]})
        >>> interleave_datasets([a, b], stopping_strategy="all_exhausted")["x"]
        [0, 10, 1, 11, 2, 10]
    """
    from ..streaming.iterable import interleave, is_stream_list

    if is_stream_list(datasets, "datasets"):
        return interleave(list(datasets), probabilities, seed, stopping_strategy, info=info, split=split)
    datasets = _check_list(datasets, "datasets")
    if stopping_strategy not in STOPPING_STRATEGIES:
        raise InvalidArgumentError("stopping_strategy", f"must be one of {list(STOPPING_STRATEGIES)}, "
                                                        f"got {stopping_strategy!r}")
    lengths = [d.num_rows for d in datasets]
    if probabilities is None:
        positions = _cycle_positions(lengths, stopping_strategy)
        args: dict[str, Any] = {"probabilities": None}
    else:
        p = np.asarray(list(probabilities), dtype=np.float64)
        if p.shape != (len(datasets),) or (p < 0).any() or not np.isclose(p.sum(), 1.0):
            raise InvalidArgumentError("probabilities", f"must be {len(datasets)} non-negative numbers summing to 1, "
                                                        f"got {list(probabilities)}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise InvalidArgumentError("seed", f"must be an integer, got {seed!r}")
        if seed is None:
            seed = int(np.random.get_state()[1][0])
        positions = _random_positions(lengths, p, seed, stopping_strategy)
        args = {"probabilities": p.tolist(), "seed": int(seed)}
    combined = concatenate_datasets(datasets, info=info, split=split)
    args.update(stopping_strategy=stopping_strategy, lengths=lengths)
    return with_positions(combined, positions.astype(np.int64, copy=False), "interleave_datasets", args)
