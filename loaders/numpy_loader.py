"""Batches of numpy arrays: the framework-free loader the torch and JAX paths build on.

Example:
    >>> import pyarrow as pa
    >>> table = pa.table({"input_ids": [[5, 6, 7], [8], [9, 10]], "label": [0, 1, 0]})
    >>> [b["input_ids"].tolist() for b in NumpyLoader(table, batch_size=2)]
    [[[5, 6, 7], [8, 0, 0]], [[9, 10]]]
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from arrowdata.gather import average_row_bytes

from .errors import LoaderError, ResumeStateError
from .packing import PackedEpoch, pack_blocks
from .padding import PaddingCollator, list_offsets_values
from .sampling import BatchPlan, SamplingConfig, plan_epoch
from .source import RowSource

logger = logging.getLogger(__name__)

Batch = dict[str, np.ndarray]
CollateFn = Callable[[pa.Table], Mapping[str, Any]]

#: Bytes of rows gathered at once (see :meth:`BatchBuilder.group_size`).
READ_AHEAD_BYTES = 8 * 1024 * 1024
MAX_READ_AHEAD_BATCHES = 256


class BatchBuilder:
    """Everything needed to build batch ``k`` of an epoch, and nothing large: it is what a
    worker process receives (the dataset pickles by path; plans are recomputed on arrival).

    Example:
        >>> import pyarrow as pa
        >>> b = BatchBuilder(RowSource(pa.table({"x": [1, 2, 3]})), SamplingConfig(batch_size=2), PaddingCollator())
        >>> b.build(0, 1)["x"].tolist()
        [3]
    """

    def __init__(self, source: RowSource, sampling: SamplingConfig, collate_fn: CollateFn, *,
                 columns: Sequence[str] | None = None, length_column: str = "input_ids",
                 block_size: int | None = None, return_cu_seqlens: bool = False,
                 read_ahead: int | None = None) -> None:
        self.source = source
        self.sampling = sampling
        self.collate_fn = collate_fn
        self.length_column = length_column
        self.block_size = block_size
        self.return_cu_seqlens = return_cu_seqlens
        if isinstance(collate_fn, PaddingCollator) and block_size is None:
            self.columns: list[str] | None = collate_fn.select(source.schema)
        else:
            self.columns = list(columns) if columns is not None else None
        self._lengths: np.ndarray | None = None
        if read_ahead is not None and (not isinstance(read_ahead, int) or read_ahead <= 0):
            raise LoaderError(f"read_ahead must be a positive number of batches or None, got {read_ahead!r}")
        self._group_size: int | None = read_ahead
        self._plans: dict[int, BatchPlan | PackedEpoch] = {}
        if sampling.group_by_length or block_size is not None:
            self.lengths()  # fail now, naming the column, rather than at the first batch

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lengths"], state["_plans"] = None, {}  # recomputed where needed
        return state

    def lengths(self) -> np.ndarray:
        if self._lengths is None:
            self._lengths = self.source.lengths(self.length_column)
        return self._lengths

    def plan(self, epoch: int) -> BatchPlan | PackedEpoch:
        """The epoch's plan (cached: only the latest epoch is kept)."""
        plan = self._plans.get(epoch)
        if plan is None:
            if self.block_size is not None:
                plan = PackedEpoch(self.lengths(), self.sampling, epoch, self.block_size)
            else:
                lengths = self.lengths() if self.sampling.group_by_length else None
                plan = plan_epoch(len(self.source), self.sampling, epoch, lengths)
            self._plans = {epoch: plan}
        return plan

    def num_batches(self, epoch: int) -> int:
        return len(self.plan(epoch))

    def build(self, epoch: int, k: int) -> Mapping[str, Any]:
        """Batch ``k`` of ``epoch`` as the collate function returns it."""
        return next(self.iter_group(epoch, k, k + 1))

    def group_size(self) -> int:
        """Batches read together: about :data:`READ_AHEAD_BYTES` of rows, gathered in one vectorized
        take and converted to numpy once, so the per-batch work is a few numpy slices."""
        if self._group_size is None:
            table = self.source._columns(self.columns)
            per_batch = average_row_bytes(table) * self.sampling.batch_size
            self._group_size = int(min(MAX_READ_AHEAD_BATCHES, max(1, READ_AHEAD_BYTES // per_batch)))
        return self._group_size

    def groups(self, epoch: int, start: int = 0) -> list[tuple[int, int]]:
        """``[lo, hi)`` batch ranges covering batches ``start..`` of ``epoch``, aligned to :meth:`group_size`
        (so a resumed run reads the same groups as an uninterrupted one)."""
        n, size = self.num_batches(epoch), self.group_size()
        edges = list(range((start // size + 1) * size, n, size))
        return list(zip([start, *edges], [*edges, n])) if start < n else []

    def group_positions(self, epoch: int, lo: int, hi: int) -> np.ndarray:
        """Logical rows of batches ``lo..hi-1`` of ``epoch``, in order."""
        plan = self.plan(epoch)
        if self.sampling.world_size == 1:  # this rank's batches are contiguous in the epoch order
            return plan.positions[plan.bounds[lo]:plan.bounds[hi]]
        return np.concatenate([plan[k] for k in range(lo, hi)])

    def iter_group(self, epoch: int, lo: int, hi: int) -> Iterator[Mapping[str, Any]]:
        """Batches ``lo..hi-1`` of ``epoch``, reading their rows in one gather."""
        plan = self.plan(epoch)
        if isinstance(plan, PackedEpoch):
            for k in range(lo, hi):
                yield self._build_packed(plan, k)
            return
        sizes = plan.batch_sizes()[lo:hi]
        table = self.source.read(self.group_positions(epoch, lo, hi), self.columns)
        cuts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        if isinstance(self.collate_fn, PaddingCollator):
            prepared = self.collate_fn.prepare(table)
            for a, b in zip(cuts[:-1], cuts[1:]):
                yield self.collate_fn.collate_prepared(prepared, a, b)
        else:
            for a, b in zip(cuts[:-1], cuts[1:]):
                yield self.collate_fn(table.slice(a, b - a))

    def _build_packed(self, plan: PackedEpoch, k: int) -> Batch:
        pieces, starts, filled = [], [], 0
        for start, stop in plan.token_ranges(k):
            rows, skip, doc_starts = plan.documents(start, stop)
            offsets, values = list_offsets_values(self.source.read(rows, [self.length_column]).column(0))
            pieces.append(values[skip:skip + stop - start])
            starts.append(doc_starts + filled)
            filled += stop - start
        tokens = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        dtype = getattr(self.collate_fn, "dtypes", {}).get("input_ids", np.int64)
        return pack_blocks(tokens, np.concatenate(starts), plan.block_size,
                           return_cu_seqlens=self.return_cu_seqlens, dtype=dtype)


class NumpyLoader:
    """Iterate a dataset as padded numpy batches (dicts of arrays), ready for ``jax.device_put``.

    Args:
        dataset: an arrowdata ``Dataset`` or a ``pa.Table``; an ``arrowdata.streaming.IterableDataset``
            gets a :class:`~loaders.iterable_source.IterableLoader` instead (same arguments).
        batch_size: rows per batch (per rank); with ``block_size``, packed blocks per batch.
        columns: columns to output (None: every numeric column).
        shuffle, seed: shuffle each epoch with a generator seeded by ``(seed, epoch)``.
        drop_last: drop the last batch when it would be smaller than the others.
        collate_fn: turn a ``pa.Table`` batch into a dict of arrays; default a :class:`PaddingCollator`
            built from the padding arguments below.
        pad_token_id, pad_values, max_length, pad_to_multiple_of, padding, padding_side,
        truncation_side, dtypes, rename, return_attention_mask: see :class:`PaddingCollator`.
        group_by_length, mega_batch_mult: length-grouped bucketing (see :class:`SamplingConfig`).
        length_column: the list column whose lengths drive bucketing and packing (``input_ids``).
        block_size: pack documents into blocks of this many tokens (causal LM) instead of padding;
            batches hold ``input_ids``, ``position_ids``, ``labels`` (+ ``cu_seqlens``, ``max_seqlen``
            with ``return_cu_seqlens``). The trailing partial block is dropped.
        read_ahead: batches gathered together in one vectorized read (default: about 8 MB of rows,
            at most 256 batches); lower it to bound memory with very wide rows.
        rank, world_size: this process's shard (for JAX multi-host: ``jax.process_index()``,
            ``jax.process_count()``).

    The epoch advances by one after each complete pass (``set_epoch`` sets it), so every pass is
    shuffled differently. ``state_dict()`` after ``k`` batches and ``load_state_dict`` on a fresh
    loader resume with exactly the remaining batches.

    Example:
        >>> import pyarrow as pa
        >>> loader = NumpyLoader(pa.table({"input_ids": [[1], [2, 3], [4]]}), batch_size=2, shuffle=True, seed=1)
        >>> len(loader), sorted(len(b["input_ids"]) for b in loader)
        (2, [1, 2])
    """

    def __new__(cls, dataset: Any = None, *args: Any, **kwargs: Any) -> Any:
        # A stream (arrowdata.streaming.IterableDataset) has no positions to plan: its loader reads windows.
        if dataset is not None and type(dataset).__name__ == "IterableDataset":
            from .iterable_source import is_stream, loader_for

            if is_stream(dataset):
                return loader_for(cls, dataset, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, dataset: Any, batch_size: int = 32, columns: Sequence[str] | None = None,
                 shuffle: bool = False, seed: int = 0, drop_last: bool = False, *,
                 collate_fn: CollateFn | None = None, pad_token_id: int | None = None,
                 pad_values: Mapping[str, Any] | None = None, max_length: int | None = None,
                 pad_to_multiple_of: int | None = None, padding: str = "longest", padding_side: str = "right",
                 truncation_side: str = "right", dtypes: Mapping[str, Any] | None = None,
                 rename: Mapping[str, str] | None = None, return_attention_mask: bool = True,
                 group_by_length: bool = False, mega_batch_mult: int = 50, length_column: str = "input_ids",
                 block_size: int | None = None, return_cu_seqlens: bool = False,
                 read_ahead: int | None = None, rank: int | None = None, world_size: int | None = None) -> None:
        rank, world_size = self._resolve_world(rank, world_size)
        self.sampling = SamplingConfig(batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last,
                                       group_by_length=group_by_length, mega_batch_mult=mega_batch_mult,
                                       rank=rank, world_size=world_size)
        if collate_fn is None:
            collate_fn = PaddingCollator(columns=columns, pad_token_id=pad_token_id, pad_values=pad_values or {},
                                         max_length=max_length, pad_to_multiple_of=pad_to_multiple_of,
                                         padding=padding, padding_side=padding_side,
                                         truncation_side=truncation_side, dtypes=dtypes or {}, rename=rename,
                                         return_attention_mask=return_attention_mask)
        if block_size is not None and (isinstance(block_size, bool) or not isinstance(block_size, int)
                                       or block_size <= 0):
            raise LoaderError(f"block_size must be a positive integer or None, got {block_size!r}")
        self.source = RowSource(dataset)
        self.builder = BatchBuilder(self.source, self.sampling, collate_fn, columns=columns,
                                    length_column=length_column, block_size=block_size,
                                    return_cu_seqlens=return_cu_seqlens, read_ahead=read_ahead)
        self._epoch = 0
        self._yielded = 0  # batches handed to the user in the current epoch
        self._resume_at = 0  # first batch of the next pass (set by load_state_dict)

    @staticmethod
    def _resolve_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
        return (0 if rank is None else rank), (1 if world_size is None else world_size)

    # -- epochs and resumption ---------------------------------------------------------------
    @property
    def epoch(self) -> int:
        """The epoch the next pass will run."""
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        """Run epoch ``epoch`` next (its shuffle order), from its first batch."""
        self._epoch, self._yielded, self._resume_at = int(epoch), 0, 0

    def __len__(self) -> int:
        """Batches per epoch on this rank."""
        return self.builder.num_batches(self._epoch)

    def state_dict(self) -> dict[str, Any]:
        """Where iteration stands: the epoch and the batches already yielded in it, plus the settings
        a resumed loader must share (checked by :meth:`load_state_dict`)."""
        return {"epoch": self._epoch, "batches_yielded": self._yielded, **self._identity()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume: the next pass yields exactly the batches not yet yielded when ``state`` was taken."""
        mine = self._identity()
        wrong = {k: (state.get(k), v) for k, v in mine.items() if state.get(k) != v}
        if wrong:
            detail = ", ".join(f"{k}: saved {s!r}, now {v!r}" for k, (s, v) in wrong.items())
            raise ResumeStateError(f"state_dict was taken from a different loader ({detail})")
        self._epoch, self._yielded = int(state["epoch"]), int(state["batches_yielded"])
        self._resume_at = self._yielded

    def _identity(self) -> dict[str, Any]:
        s = self.sampling
        return {"num_rows": len(self.source), "batch_size": s.batch_size, "seed": s.seed, "shuffle": s.shuffle,
                "drop_last": s.drop_last, "group_by_length": s.group_by_length, "rank": s.rank,
                "world_size": s.world_size, "block_size": self.builder.block_size}

    # -- iteration --------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Batch]:
        epoch, start = self._epoch, self._resume_at
        self._resume_at, self._yielded = 0, start
        for batch in self._batches(epoch, start):
            self._yielded += 1
            yield batch
        if self._epoch == epoch:  # not moved by set_epoch during the pass
            self._epoch, self._yielded = epoch + 1, 0

    def _batches(self, epoch: int, start: int) -> Iterator[Any]:
        """Batches ``start..`` of ``epoch``; subclasses convert or parallelise."""
        for lo, hi in self.builder.groups(epoch, start):
            yield from self.builder.iter_group(epoch, lo, hi)


def iter_numpy_batches(dataset: Any, batch_size: int = 32, **kwargs: Any) -> Iterator[Batch]:
    """One pass over ``dataset`` as numpy batches; a shortcut for ``iter(NumpyLoader(...))``.

    Example:
        >>> import pyarrow as pa
        >>> [b["x"].tolist() for b in iter_numpy_batches(pa.table({"x": [1, 2, 3]}), batch_size=2)]
        [[1, 2], [3]]
    """
    return iter(NumpyLoader(dataset, batch_size, **kwargs))
