"""Mixing and splitting streams: interleave, concatenate, split_dataset_by_node, DataLoader workers."""
from __future__ import annotations

import itertools
from collections import Counter

import pyarrow as pa
import pytest

import arrowdata
from arrowdata.distributed import split_dataset_by_node
from arrowdata.streaming import IterableDataset

SIZES = [7, 12, 3]


def _streams(num_shards=1):
    return [IterableDataset.from_table(pa.table({"src": [i] * n, "row": list(range(n))}),
                                       num_shards=min(num_shards, n), batch_rows=4) for i, n in enumerate(SIZES)]


def _maps():
    return [arrowdata.Dataset.from_dict({"src": [i] * n, "row": list(range(n))}) for i, n in enumerate(SIZES)]


def _pairs(rows):
    return [(r["src"], r["row"]) for r in rows]


def _model(sources, strategy):
    """Hugging Face's streaming semantics, row by row: an input is exhausted once its last row is taken."""
    pos, exhausted, out = [0] * len(sources), [False] * len(sources), []
    for i in itertools.cycle(range(len(sources))):
        if any(exhausted) if strategy == "first_exhausted" else all(exhausted):
            return out
        if exhausted[i] and strategy == "all_exhausted_without_replacement":
            continue
        out.append(sources[i][pos[i]])
        pos[i] += 1
        if pos[i] == len(sources[i]):
            exhausted[i] = True
            if strategy == "all_exhausted":
                pos[i] = 0


@pytest.mark.parametrize("strategy", ["first_exhausted", "all_exhausted", "all_exhausted_without_replacement"])
def test_cyclic_interleave_against_model_and_map_style(strategy):
    streamed = _pairs(arrowdata.interleave_datasets(_streams(), stopping_strategy=strategy))
    assert streamed == _model([[(s, r) for r in range(n)] for s, n in enumerate(SIZES)], strategy)
    mapped = _pairs(arrowdata.interleave_datasets(_maps(), stopping_strategy=strategy).to_list())
    if strategy == "all_exhausted":  # the map-style side completes the last round
        assert mapped[:len(streamed)] == streamed and len(mapped) - len(streamed) < len(SIZES)
    else:
        assert streamed == mapped


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_interleave_semantics(seed):
    p = [0.5, 0.3, 0.2]

    def run(strategy):
        return _pairs(arrowdata.interleave_datasets(_streams(2), probabilities=p, seed=seed, stopping_strategy=strategy))

    for strategy in ("first_exhausted", "all_exhausted", "all_exhausted_without_replacement"):
        out = run(strategy)
        assert out == run(strategy)  # reproducible
        per_source = {s: [r for src, r in out if src == s] for s in range(3)}
        if strategy == "first_exhausted":  # each source read in order; stops right after one source's last row
            assert all(rows == list(range(len(rows))) for rows in per_source.values())
            assert out[-1][1] == SIZES[out[-1][0]] - 1 and len(per_source[out[-1][0]]) == SIZES[out[-1][0]]
        elif strategy == "all_exhausted":  # sources start over; every one is read whole at least once
            assert all(set(per_source[s]) == set(range(SIZES[s])) for s in range(3))
            assert all(rows[:SIZES[s]] == list(range(SIZES[s])) for s, rows in per_source.items())
        else:
            assert Counter(out) == Counter((s, r) for s in range(3) for r in range(SIZES[s]))


def test_concatenate_streams_and_mixing_kinds_is_refused():
    out = arrowdata.concatenate_datasets(_streams(2))
    assert _pairs(out) == [(s, r) for s in range(3) for r in range(SIZES[s])]
    with pytest.raises(arrowdata.ArrowDataError, match="to_iterable_dataset"):
        arrowdata.concatenate_datasets([_streams()[0], _maps()[0]])
    with pytest.raises(arrowdata.ArrowDataError, match="axis"):
        arrowdata.concatenate_datasets(_streams(), axis=1)


@pytest.mark.parametrize("num_shards,world_size", [(4, 2), (6, 3), (3, 2), (5, 4), (1, 3)])
def test_split_dataset_by_node_covers_every_row_once(num_shards, world_size):
    n = 50
    ds = IterableDataset.from_table(pa.table({"x": list(range(n))}), num_shards=num_shards, batch_rows=6)
    parts = [[r["x"] for r in split_dataset_by_node(ds, rank, world_size)] for rank in range(world_size)]
    assert sorted(sum(parts, [])) == list(range(n))
    sizes = [len(p) for p in parts]
    if num_shards % world_size == 0:  # whole shards per rank
        per_rank = num_shards // world_size
        assert all(split_dataset_by_node(ds, r, world_size).n_shards == per_rank for r in range(world_size))
        assert max(sizes) - min(sizes) <= -(-n // num_shards)
    else:  # every world_size-th row
        assert parts[0][:3] == [0, world_size, 2 * world_size] and max(sizes) - min(sizes) <= 1


def test_split_dataset_by_node_map_style_and_errors():
    ds = arrowdata.Dataset.from_dict({"x": list(range(10))})
    parts = [split_dataset_by_node(ds, r, 3)["x"] for r in range(3)]
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    with pytest.raises(arrowdata.ArrowDataError, match="rank"):
        split_dataset_by_node(ds, 3, 3)


def test_dataloader_workers_read_different_shards():
    torch = pytest.importorskip("torch")
    ds = IterableDataset.from_table(pa.table({"x": list(range(40))}), num_shards=4, batch_rows=5)
    loader = torch.utils.data.DataLoader(ds.with_format("torch"), batch_size=None, num_workers=2)
    seen = [int(r["x"]) for r in loader]
    assert sorted(seen) == list(range(40))
    # within a rank too: rank 1 of 2 gets shards 1 and 3, split between the two workers
    part = split_dataset_by_node(ds, 1, 2)
    seen = sorted(int(r["x"]) for r in torch.utils.data.DataLoader(part, batch_size=None, num_workers=2))
    assert seen == list(range(10, 20)) + list(range(30, 40))
