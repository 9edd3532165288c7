"""Loaders over an :class:`arrowdata.streaming.IterableDataset`: padded, bucketed or packed batches
from a stream, resumable through ``state_dict``.

A stream has no length and no random access, so the map-style plan (an epoch's order of row
positions) gives way to windows: the loader reads ``batch_size * mega_batch_mult`` rows at a
time as one Arrow table, cuts it into batches (sorted by length within the window with
``group_by_length``; packed into ``block_size`` blocks with ``block_size``, tokens left over
carried to the next window) and collates each batch with the same collator as the map-style
loaders. ``shuffle=True`` shuffles the stream (``IterableDataset.shuffle`` with a buffer of
``shuffle_buffer`` rows; each epoch its own order). Ranks (``rank``/``world_size``) read their
part through :func:`arrowdata.distributed.split_dataset_by_node`; DataLoader workers
(``TorchLoader(num_workers=...)``) read different shards.

State: the stream's state before the current window, the packing carry, and the batches of
the window already yielded; a fresh loader given it yields exactly the remaining batches.

Example:
    >>> from arrowdata.streaming import IterableDataset
    >>> ds = IterableDataset.from_dict({"input_ids": [[1, 2], [3], [4, 5, 6]]})
    >>> [b["input_ids"].tolist() for b in IterableLoader(ds, batch_size=2)]
    [[[1, 2], [3, 0]], [[4, 5, 6]]]
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa

from .errors import LoaderError, ResumeStateError
from .packing import pack_blocks
from .padding import PaddingCollator, list_offsets_values

logger = logging.getLogger(__name__)

#: rows per window when neither bucketing nor packing asks for more
DEFAULT_WINDOW_BATCHES = 8


def is_stream(dataset: Any) -> bool:
    """Whether ``dataset`` is an ``arrowdata.streaming.IterableDataset``."""
    from arrowdata.streaming import IterableDataset

    return isinstance(dataset, IterableDataset)


class _Carry:
    """Tokens of the packing stream not yet in a full batch of blocks, and where documents start in them."""

    def __init__(self, tokens: np.ndarray | None = None, starts: np.ndarray | None = None) -> None:
        self.tokens = tokens if tokens is not None else np.zeros(0, dtype=np.int64)
        self.starts = starts if starts is not None else np.zeros(0, dtype=np.int64)


@dataclass
class StreamBatcher:
    """Cuts a stream into collated batches, window by window (framework-free)."""

    dataset: Any
    batch_size: int
    collate_fn: Callable[[pa.Table], Mapping[str, Any]]
    drop_last: bool = False
    group_by_length: bool = False
    mega_batch_mult: int = 50
    length_column: str = "input_ids"
    block_size: int | None = None
    return_cu_seqlens: bool = False
    seed: int = 0

    @property
    def window_rows(self) -> int:
        mult = self.mega_batch_mult if (self.group_by_length or self.block_size) else DEFAULT_WINDOW_BATCHES
        return self.batch_size * max(1, mult)

    def _columns(self, table: pa.Table) -> pa.Table:
        if isinstance(self.collate_fn, PaddingCollator):
            return table.select(self.collate_fn.select(table.schema))
        return table

    def _lengths(self, table: pa.Table) -> np.ndarray:
        import pyarrow.compute as pc

        if self.length_column not in table.column_names:
            raise LoaderError(f"length column {self.length_column!r} is not in the stream; it has {table.column_names}")
        return np.asarray(pc.fill_null(pc.list_value_length(table.column(self.length_column)), 0).to_numpy(),
                          dtype=np.int64)

    def cut(self, table: pa.Table, epoch: int, window: int, last: bool) -> list[pa.Table]:
        """The batches of one window of rows (padding path)."""
        n = table.num_rows
        if self.group_by_length:
            order = np.argsort(-self._lengths(table), kind="stable")
            table = table.take(pa.array(order))
        batches = [table.slice(i, self.batch_size) for i in range(0, n, self.batch_size)]
        if batches and self.drop_last and batches[-1].num_rows < self.batch_size:
            batches.pop()
        if self.group_by_length and len(batches) > 1:
            # longest batch first within the window, then the others in a seeded order
            rng = np.random.default_rng([self.seed, epoch, window])
            rest = [batches[i] for i in 1 + rng.permutation(len(batches) - 1)]
            batches = batches[:1] + rest
        return batches

    def pack(self, table: pa.Table | None, carry: _Carry, last: bool) -> tuple[list[dict], _Carry]:
        """Full batches of packed blocks from ``carry`` plus ``table``'s documents, and the new carry."""
        tokens, starts = carry.tokens, carry.starts
        if table is not None and table.num_rows:
            offsets, values = list_offsets_values(table.column(self.length_column))
            tokens = np.concatenate([tokens, values.astype(np.int64, copy=False)])
            starts = np.concatenate([starts, len(carry.tokens) + offsets[:-1]])
        per_batch = self.block_size * self.batch_size
        usable = (len(tokens) // per_batch) * per_batch
        if last and not self.drop_last:
            usable = (len(tokens) // self.block_size) * self.block_size  # a last, smaller batch of whole blocks
        out = []
        for lo in range(0, usable, per_batch):
            hi = min(lo + per_batch, usable)
            part = starts[(starts >= lo) & (starts < hi)] - lo
            out.append(pack_blocks(tokens[lo:hi], part, self.block_size, return_cu_seqlens=self.return_cu_seqlens))
        rest = _Carry(tokens[usable:].copy(), starts[starts >= usable] - usable)
        return out, rest

    def batches(self, epoch: int, state: Mapping[str, Any] | None) -> Iterator[tuple[Any, dict]]:
        """``(batch, state after it)`` for an epoch, from ``state`` (``None``: the start)."""
        from arrowdata.streaming.state import from_json, to_json

        ds = self.dataset
        ds.set_epoch(epoch)
        skip, window, carry = 0, 0, _Carry()
        if state is not None:
            ds.load_state_dict(state["stream"])
            skip, window = int(state["skip"]), int(state["window"])
            c = from_json(state["carry"])
            carry = _Carry(np.asarray(c["tokens"], dtype=np.int64), np.asarray(c["starts"], dtype=np.int64))
        before = ds.state_dict()  # the stream's state before the window in hand
        windows = ds.iter_arrow(batch_size=self.window_rows)
        table = next(windows, None)
        after = ds.state_dict()
        while table is not None or (self.block_size and len(carry.tokens)):
            following = next(windows, None) if table is not None else None
            after_following = ds.state_dict()
            last = following is None
            if self.block_size:
                batches, new_carry = self.pack(table, carry, last)
            else:
                batches, new_carry = [self.collate_fn(b) for b in self.cut(self._columns(table), epoch, window, last)], carry
            saved_carry = to_json({"tokens": carry.tokens, "starts": carry.starts})
            for k in range(skip, len(batches)):
                yield batches[k], {"stream": before, "window": window, "skip": k + 1, "carry": saved_carry}
            if last:
                return
            skip, window, carry = 0, window + 1, new_carry
            before, table, after = after, following, after_following


class IterableLoader:
    """Numpy batches from an ``IterableDataset``; what ``NumpyLoader(stream, ...)`` returns.

    Takes :class:`~loaders.numpy_loader.NumpyLoader`'s arguments (padding, ``group_by_length``
    within a window of ``batch_size * mega_batch_mult`` rows, ``block_size`` packing, ``rank`` and
    ``world_size``, ``state_dict``), plus ``shuffle_buffer``: rows in the stream's shuffle buffer
    when ``shuffle=True``. A stream has no length: ``len()`` is an error.

    Example:
        >>> from arrowdata.streaming import IterableDataset
        >>> ds = IterableDataset.from_dict({"x": list(range(5))})
        >>> [b["x"].tolist() for b in IterableLoader(ds, batch_size=2, drop_last=True)]
        [[0, 1], [2, 3]]
    """

    def __init__(self, dataset: Any, batch_size: int = 32, columns: Sequence[str] | None = None,
                 shuffle: bool = False, seed: int = 0, drop_last: bool = False, *,
                 collate_fn: Callable[[pa.Table], Mapping[str, Any]] | None = None, group_by_length: bool = False,
                 mega_batch_mult: int = 50, length_column: str = "input_ids", block_size: int | None = None,
                 return_cu_seqlens: bool = False, read_ahead: int | None = None, rank: int | None = None,
                 world_size: int | None = None, shuffle_buffer: int = 10_000, **padding: Any) -> None:
        from arrowdata.distributed import split_dataset_by_node

        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise LoaderError(f"batch_size must be a positive integer, got {batch_size!r}")
        if block_size is not None and (isinstance(block_size, bool) or not isinstance(block_size, int)
                                       or block_size <= 0):
            raise LoaderError(f"block_size must be a positive integer or None, got {block_size!r}")
        rank, world_size = self._resolve_world(rank, world_size)
        ds = dataset.with_format(None)
        if world_size > 1:
            ds = split_dataset_by_node(ds, rank, world_size)
        if shuffle:
            ds = ds.shuffle(seed=seed, buffer_size=shuffle_buffer)
        if collate_fn is None:
            # the padding options (pad_token_id, max_length, padding_side, rename...) as NumpyLoader takes them
            collate_fn = PaddingCollator(columns=columns, **{k: v for k, v in padding.items() if v is not None})
        self.batcher = StreamBatcher(ds, batch_size, collate_fn, drop_last, group_by_length, mega_batch_mult,
                                     length_column, block_size, return_cu_seqlens, seed)
        self._settings = {"batch_size": batch_size, "seed": seed, "shuffle": shuffle, "drop_last": drop_last,
                          "group_by_length": group_by_length, "rank": rank, "world_size": world_size,
                          "block_size": block_size}
        self._epoch = 0
        self._position: dict | None = None  # state after the last batch yielded in this epoch
        self._resume: dict | None = None

    @staticmethod
    def _resolve_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
        return (0 if rank is None else rank), (1 if world_size is None else world_size)

    @property
    def dataset(self) -> Any:
        return self.batcher.dataset

    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        self._epoch, self._position, self._resume = int(epoch), None, None

    def __len__(self) -> int:
        raise TypeError("a loader over a stream (IterableDataset) has no length")

    def state_dict(self) -> dict[str, Any]:
        """Plain JSON-able: the epoch, where the stream stands, and the settings a resumed loader must share."""
        return {"epoch": self._epoch, "position": self._position, **self._settings}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        wrong = {k: (state.get(k), v) for k, v in self._settings.items() if state.get(k) != v}
        if wrong:
            detail = ", ".join(f"{k}: saved {s!r}, now {v!r}" for k, (s, v) in wrong.items())
            raise ResumeStateError(f"state_dict was taken from a different loader ({detail})")
        self._epoch, self._position = int(state["epoch"]), state.get("position")
        self._resume = self._position

    def _numpy_batches(self) -> Iterator[Any]:
        epoch, start = self._epoch, self._resume
        self._resume = None
        for batch, position in self.batcher.batches(epoch, start):
            self._position = position
            yield batch
        if self._epoch == epoch:
            self._epoch, self._position = epoch + 1, None

    def _convert(self, batches: Iterator[Any]) -> Iterator[Any]:
        return batches

    def __iter__(self) -> Iterator[Any]:
        return self._convert(self._numpy_batches())


class _WorkerStream:
    """What each DataLoader worker iterates: the batches of its shards (the stream picks them)."""

    def __init__(self, batcher: StreamBatcher, epoch: int) -> None:
        self.batcher, self.epoch = batcher, epoch

    def __iter__(self) -> Iterator[Any]:
        for batch, _ in self.batcher.batches(self.epoch, None):
            yield batch


class TorchIterableLoader(IterableLoader):
    """Torch tensors from an ``IterableDataset``; what ``TorchLoader(stream, ...)`` returns.

    ``num_workers`` DataLoader workers each read different shards of the stream (as many workers
    as shards at most are useful). Resuming through ``state_dict`` needs ``num_workers=0``.
    """

    def __init__(self, dataset: Any, batch_size: int = 32, columns: Sequence[str] | None = None,
                 shuffle: bool = False, seed: int = 0, drop_last: bool = False, *, num_workers: int = 0,
                 pin_memory: bool = False, device: Any = None, prefetch: int = 2,
                 multiprocessing_context: Any = None, **kwargs: Any) -> None:
        super().__init__(dataset, batch_size, columns, shuffle, seed, drop_last, **kwargs)
        if not isinstance(num_workers, int) or num_workers < 0:
            raise LoaderError(f"num_workers must be a non-negative integer, got {num_workers!r}")
        self.num_workers, self.pin_memory, self.prefetch = num_workers, pin_memory, max(1, int(prefetch))
        self.device = device
        self.multiprocessing_context = multiprocessing_context

    @staticmethod
    def _resolve_world(rank: int | None, world_size: int | None) -> tuple[int, int]:
        from .torch_loader import TorchLoader

        return TorchLoader._resolve_world(rank, world_size)  # torch.distributed's when initialised

    def state_dict(self) -> dict[str, Any]:
        if self.num_workers:
            raise LoaderError("state_dict: a stream read by num_workers > 0 workers cannot be resumed exactly; "
                              "use num_workers=0 (batches are built columnar, so one process keeps up)")
        return super().state_dict()

    def __iter__(self) -> Iterator[Any]:
        from .torch_loader import to_tensors

        if self.num_workers:
            import torch.utils.data

            class _Stream(_WorkerStream, torch.utils.data.IterableDataset):
                pass

            epoch = self._epoch
            loader = torch.utils.data.DataLoader(_Stream(self.batcher, epoch), batch_size=None,
                                                 num_workers=self.num_workers, prefetch_factor=self.prefetch,
                                                 multiprocessing_context=self.multiprocessing_context,
                                                 collate_fn=to_tensors)
            batches: Iterator[Any] = iter(loader)
            self._epoch = epoch + 1
        else:
            batches = (to_tensors(b) for b in self._numpy_batches())
        if self.device is not None:
            from .device import prefetch_to_device, resolve_device

            return prefetch_to_device(batches, resolve_device(self.device), depth=self.prefetch,
                                      pin_memory=self.pin_memory)
        return batches


def loader_for(cls: type, dataset: Any, *args: Any, **kwargs: Any) -> IterableLoader:
    """The stream loader standing in for ``cls`` (``NumpyLoader`` or ``TorchLoader``)."""
    from .torch_loader import TorchLoader

    return (TorchIterableLoader if issubclass(cls, TorchLoader) else IterableLoader)(dataset, *args, **kwargs)


def stream_tf_dataset(dataset: Any, columns: str | Sequence[str] | None = None,
                      label_cols: str | Sequence[str] | None = None, batch_size: int = 32, shuffle: bool = False,
                      seed: int = 0, drop_remainder: bool = False, **kwargs: Any) -> Any:
    """``to_tf_dataset`` for a stream: a ``tf.data.Dataset`` of padded batches from a generator.

    Each pass over it (each Keras epoch) is the next epoch of the stream.
    """
    import tensorflow as tf

    for ignored in ("pad_in_graph", "prefetch", "read_ahead", "output_signature", "structure"):
        kwargs.pop(ignored, None)
    cols = [columns] if isinstance(columns, str) else list(columns) if columns is not None else None
    labels = [label_cols] if isinstance(label_cols, str) else list(label_cols or [])
    wanted = None if cols is None else cols + [c for c in labels if c not in cols]
    loader = IterableLoader(dataset, batch_size, wanted, shuffle, seed, drop_remainder, **kwargs)

    collator = loader.batcher.collate_fn
    renamed = getattr(collator, "rename", None) or {}
    label_keys = [renamed.get(c, c) for c in labels]  # a label may be named as in the source or as output

    def split(batch: Mapping[str, Any]) -> Any:
        if not labels:
            return dict(batch)
        keys = [k for k in label_keys if k in batch] or [k for k in labels if k in batch]
        feats = {k: v for k, v in batch.items() if k not in keys}
        lab = {k: batch[k] for k in keys}
        return feats, (next(iter(lab.values())) if len(lab) == 1 else lab)

    first = next(iter(IterableLoader(dataset.take(batch_size), batch_size, wanted, **{
        k: v for k, v in kwargs.items() if k not in ("group_by_length", "block_size", "mega_batch_mult")})), None)
    if first is None:
        raise LoaderError("to_tf_dataset: the stream is empty")

    def spec(value: np.ndarray) -> Any:
        return tf.TensorSpec(shape=(None,) * np.asarray(value).ndim, dtype=tf.as_dtype(np.asarray(value).dtype))

    signature = tf.nest.map_structure(spec, split(first))
    return tf.data.Dataset.from_generator(lambda: (split(b) for b in loader), output_signature=signature)
