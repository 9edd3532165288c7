"""Model-based tests: random sequences of row and column operations on random tables
(empty ones included), checked after every step against a plain-Python model, a list of dicts.
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arrowdata.dataset import Dataset
from arrowdata.transforms.combine import concatenate_datasets, interleave_datasets
from arrowdata.transforms.derive import InvalidArgumentError

KINDS = {"i": "int", "s": "str", "f": "float"}

ints = st.one_of(st.none(), st.integers(-50, 50))
strs = st.one_of(st.none(), st.text(alphabet="abcé😀", max_size=4))
floats = st.one_of(st.none(), st.floats(-100, 100, allow_nan=False, allow_infinity=False))
VALUES = {"int": ints, "str": strs, "float": floats}
ARROW = {"int": pa.int64(), "str": pa.string(), "float": pa.float64()}


class Model:
    """The reference: rows as dicts, columns in order, and the kind of each column."""

    def __init__(self, rows: list[dict], kinds: dict[str, str]) -> None:
        self.rows, self.kinds = rows, dict(kinds)

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)

    def pick(self, positions) -> None:
        self.rows = [self.rows[p] for p in positions]


def _dataset(rows: list[dict], kinds: dict[str, str], chunk: int, tmp_path, mmap: bool) -> Dataset:
    schema = pa.schema([(c, ARROW[k]) for c, k in kinds.items()])
    batches = [pa.RecordBatch.from_pylist(rows[s:s + chunk], schema=schema) for s in range(0, len(rows), chunk)]
    table = pa.Table.from_batches(batches, schema=schema)
    if not mmap:
        return Dataset(table)
    from arrowdata.table import open_arrow_files
    from arrowdata.writer import ArrowWriter

    path = tmp_path / f"src-{np.random.default_rng().integers(1 << 30)}.arrow"
    with ArrowWriter(path, schema=schema) as w:
        for b in batches:
            w.write(b)
    from arrowdata.content_hash import table_fingerprint

    # A content fingerprint, as a real load gives: derived cache files must never collide.
    mapped = open_arrow_files([str(path)])
    return Dataset._from_parts(mapped, fingerprint=table_fingerprint(mapped), data_files=[str(path)])


def _read(ds: Dataset) -> list[dict]:
    tables = list(ds.iter_arrow(3))
    return [row for t in tables for row in t.to_pylist()]


def _sort_model(rows, col, reverse, placement):
    present = [r for r in rows if r[col] is not None]
    nulls = [r for r in rows if r[col] is None]
    present = sorted(present, key=lambda r: r[col], reverse=reverse)
    return nulls + present if placement == "at_start" else present + nulls


# -- operations: each draws its arguments, applies them to both, and returns the new dataset --

def op_select(ds, m, data):
    n = len(m.rows)
    pos = data.draw(st.lists(st.integers(-n, n - 1), max_size=12) if n else st.just([]), label="select")
    m.pick([p % n for p in pos] if n else [])
    return ds.select(pos)


def op_shuffle(ds, m, data):
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    m.pick(np.random.default_rng(seed).permutation(len(m.rows)).tolist())
    return ds.shuffle(seed=seed)


def op_sort(ds, m, data):
    col = data.draw(st.sampled_from(m.columns), label="sort column")
    reverse = data.draw(st.booleans(), label="reverse")
    placement = data.draw(st.sampled_from(["at_end", "at_start"]), label="nulls")
    m.rows = _sort_model(m.rows, col, reverse, placement)
    return ds.sort(col, reverse=reverse, null_placement=placement)


def op_shard(ds, m, data):
    k = data.draw(st.integers(1, 5), label="num_shards")
    i = data.draw(st.integers(0, k - 1), label="index")
    contiguous = data.draw(st.booleans(), label="contiguous")
    n = len(m.rows)
    if contiguous:
        sizes = [n // k + (1 if j < n % k else 0) for j in range(k)]
        start = sum(sizes[:i])
        m.pick(range(start, start + sizes[i]))
    else:
        m.pick(range(i, n, k))
    return ds.shard(k, i, contiguous=contiguous)


def op_skip(ds, m, data):
    k = data.draw(st.integers(0, len(m.rows) + 2), label="skip")
    m.rows = m.rows[k:]
    return ds.skip(k)


def op_take(ds, m, data):
    k = data.draw(st.integers(0, len(m.rows) + 2), label="take")
    m.rows = m.rows[:k]
    return ds.take(k)


def op_rename(ds, m, data):
    col = data.draw(st.sampled_from(m.columns), label="rename")
    new = col + "r"
    if new in m.kinds:
        return ds
    m.kinds = {(new if c == col else c): k for c, k in m.kinds.items()}
    m.rows = [{(new if c == col else c): v for c, v in r.items()} for r in m.rows]
    return ds.rename_column(col, new)


def op_remove(ds, m, data):
    if len(m.columns) < 2:
        return ds
    col = data.draw(st.sampled_from(m.columns), label="remove")
    del m.kinds[col]
    m.rows = [{c: v for c, v in r.items() if c != col} for r in m.rows]
    return ds.remove_columns([col])


def op_select_columns(ds, m, data):
    cols = data.draw(st.permutations(m.columns), label="order")[:max(1, len(m.columns) - 1)]
    m.kinds = {c: m.kinds[c] for c in cols}
    m.rows = [{c: r[c] for c in cols} for r in m.rows]
    return ds.select_columns(cols)


def op_add_column(ds, m, data):
    name = f"c{len(m.kinds)}"
    if name in m.kinds:
        return ds
    values = data.draw(st.lists(st.integers(-9, 9), min_size=len(m.rows), max_size=len(m.rows)), label="column")
    m.kinds[name] = "int"
    m.rows = [{**r, name: v} for r, v in zip(m.rows, values)]
    return ds.add_column(name, values)


def op_add_item(ds, m, data):
    item = {c: data.draw(VALUES[k], label=f"item {c}") for c, k in m.kinds.items()}
    m.rows = m.rows + [item]
    return ds.add_item(item)


def op_cast_float(ds, m, data):
    ints_ = [c for c, k in m.kinds.items() if k == "int"]
    if not ints_:
        return ds
    from arrowdata.features import Value

    col = data.draw(st.sampled_from(ints_), label="cast")
    m.kinds[col] = "float"
    m.rows = [{**r, col: None if r[col] is None else float(r[col])} for r in m.rows]
    return ds.cast_column(col, Value("float64"))


def op_concat_self(ds, m, data):
    seed = data.draw(st.integers(0, 1000), label="concat seed")
    other = ds.shuffle(seed=seed)
    perm = np.random.default_rng(seed).permutation(len(m.rows)).tolist()
    m.rows = m.rows + [m.rows[p] for p in perm]
    return concatenate_datasets([ds, other])


def op_concat_columns(ds, m, data):
    name = f"z{len(m.kinds)}"
    if name in m.kinds:
        return ds
    values = data.draw(st.lists(strs, min_size=len(m.rows), max_size=len(m.rows)), label="side column")
    side = Dataset(pa.table({name: pa.array(values, pa.string())}))
    m.kinds[name] = "str"
    m.rows = [{**r, name: v} for r, v in zip(m.rows, values)]
    return concatenate_datasets([ds, side], axis=1)


def op_interleave_self(ds, m, data):
    seed = data.draw(st.integers(0, 1000), label="interleave seed")
    head = data.draw(st.integers(0, len(m.rows)), label="other length")
    other = ds.shuffle(seed=seed).take(head)
    perm = np.random.default_rng(seed).permutation(len(m.rows)).tolist()[:head]
    mine, theirs = list(m.rows), [m.rows[p] for p in perm]
    rounds = min(len(mine), len(theirs))
    m.rows = [r for k in range(rounds) for r in (mine[k], theirs[k])]
    return interleave_datasets([ds, other])


def op_sort_two(ds, m, data):
    if len(m.columns) < 2:
        return ds
    first, second = data.draw(st.permutations(m.columns), label="sort keys")[:2]
    reverse = data.draw(st.lists(st.booleans(), min_size=2, max_size=2), label="reverse pair")
    # Stable sorts applied from the last key to the first give the multi-key order.
    rows = _sort_model(m.rows, second, reverse[1], "at_end")
    m.rows = _sort_model(rows, first, reverse[0], "at_end")
    return ds.sort([first, second], reverse=reverse)


def op_flatten_indices(ds, m, data):
    keep = data.draw(st.booleans(), label="keep_in_memory")
    out = ds.flatten_indices(keep_in_memory=keep)
    assert out._indices is None
    return out


def op_split(ds, m, data):
    frac = data.draw(st.sampled_from([0.1, 0.25, 0.5, 0.8]), label="test_size")
    seed = data.draw(st.integers(0, 1000), label="split seed")
    side = data.draw(st.sampled_from(["train", "test"]), label="side")
    n = len(m.rows)
    n_test = math.ceil(frac * n)
    n_train = n - n_test
    if n == 0 or n_test == 0 or n_train == 0:
        with pytest.raises(InvalidArgumentError):
            ds.train_test_split(test_size=frac, seed=seed)
        return ds
    perm = np.random.default_rng(seed).permutation(n).tolist()
    m.pick(perm[:n_test] if side == "test" else perm[n_test:])
    return ds.train_test_split(test_size=frac, seed=seed)[side]


def op_filter(ds, m, data):
    ints_ = [c for c, k in m.kinds.items() if k == "int"]
    if not ints_ or not hasattr(ds, "filter"):
        return ds
    col = data.draw(st.sampled_from(ints_), label="filter")
    m.rows = [r for r in m.rows if r[col] is not None and r[col] % 2 == 0]
    return ds.filter(lambda row: row[col] is not None and row[col] % 2 == 0)


OPS = [op_select, op_shuffle, op_sort, op_shard, op_skip, op_take, op_rename, op_remove, op_select_columns,
       op_add_column, op_add_item, op_cast_float, op_concat_self, op_concat_columns, op_flatten_indices,
       op_split, op_filter, op_interleave_self, op_sort_two]

row_strategy = st.fixed_dictionaries({"i": ints, "s": strs, "f": floats})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(rows=st.lists(row_strategy, max_size=25), chunk=st.integers(1, 8), mmap=st.booleans(),
       ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=8), data=st.data())
def test_random_operation_sequences_match_model(rows, chunk, mmap, ops, data, tmp_path):
    model = Model(list(rows), KINDS)
    ds = _dataset(rows, KINDS, chunk, tmp_path, mmap)
    for op in ops:
        before = ds.fingerprint
        ds = op(ds, model, data)
        assert ds.column_names == model.columns, op.__name__
        assert len(ds) == len(model.rows), op.__name__
        assert _read(ds) == model.rows, op.__name__
        assert isinstance(ds.fingerprint, str) and len(ds.fingerprint) == 32
        del before
    # Random access agrees with the pass, and features describe every column.
    if len(model.rows):
        j = data.draw(st.integers(0, len(model.rows) - 1), label="probe")
        assert ds[j] == model.rows[j]
    assert list(ds.features) == model.columns


@settings(max_examples=25, deadline=None)
@given(rows=st.lists(row_strategy, max_size=20), seeds=st.lists(st.integers(0, 99), min_size=2, max_size=2))
def test_fingerprints_are_deterministic_and_distinguish_arguments(rows, seeds):
    ds = Dataset(pa.Table.from_pylist(rows, schema=pa.schema([(c, ARROW[k]) for c, k in KINDS.items()])))
    a, b = ds.shuffle(seed=seeds[0]), ds.shuffle(seed=seeds[0])
    assert a.fingerprint == b.fingerprint != ds.fingerprint
    if seeds[0] != seeds[1]:
        assert ds.shuffle(seed=seeds[1]).fingerprint != a.fingerprint
    if rows:
        assert ds.select([0, 0]).fingerprint != ds.select([0]).fingerprint
    assert ds.sort("i").fingerprint != ds.sort("i", reverse=True).fingerprint
    assert ds.rename_column("i", "x").fingerprint != ds.rename_column("i", "y").fingerprint
