"""For code that wants ``torch.utils.data.DataLoader``: a map-style view, a batch collator and a
resumable batch sampler.

``ArrowTorchDataset.__getitems__`` returns a whole batch as one Arrow table (not a list of rows
that torch would stack again), and :class:`TorchCollator` pads it columnar. :class:`BatchSampler`
follows the torchdata ``StatefulDataLoader`` contract (``state_dict``/``load_state_dict``), so
that loader resumes mid-epoch without replaying batches.

Example:
    >>> import pyarrow as pa
    >>> from torch.utils.data import DataLoader
    >>> table = pa.table({"input_ids": [[1, 2], [3], [4, 5, 6]], "label": [0, 1, 1]})
    >>> dl = DataLoader(ArrowTorchDataset(table), batch_sampler=BatchSampler(table, batch_size=2),
    ...                 collate_fn=TorchCollator())
    >>> [b["input_ids"].tolist() for b in dl]
    [[[1, 2], [3, 0]], [[4, 5, 6]]]
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pyarrow as pa
from torch.utils.data import Dataset, Sampler  # this module is only imported on demand (see loaders/__init__)

from .errors import ResumeStateError
from .padding import PaddingCollator, column_kind
from .sampling import SamplingConfig, plan_epoch
from .source import RowSource
from .torch_loader import TorchLoader, to_tensors


class ArrowBatch:
    """Rows fetched together by :meth:`ArrowTorchDataset.__getitems__`: a ``pa.Table`` waiting for a collator."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows


class ArrowTorchDataset(Dataset):
    """Map-style ``torch.utils.data.Dataset`` view of an arrowdata ``Dataset`` (or ``pa.Table``).

    ``view[i]`` is one row as a dict (numeric lists as numpy arrays); ``view.__getitems__(indices)``,
    which ``DataLoader`` calls for a whole batch, is one vectorized gather returning an
    :class:`ArrowBatch`. Pair it with :class:`TorchCollator`.
    """

    def __init__(self, dataset: Any, columns: Sequence[str] | None = None) -> None:
        self.source = RowSource(dataset)
        self.columns = list(columns) if columns is not None else None

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"row {i} out of range for {len(self)} rows")
        row = self.source.read([i % len(self)], self.columns)
        out = {}
        for name in row.column_names:
            value = row.column(name)[0].as_py()
            out[name] = np.asarray(value) if column_kind(row.schema.field(name).type) == "ragged" else value
        return out

    def __getitems__(self, indices: Sequence[int]) -> ArrowBatch:
        return ArrowBatch(self.source.read(np.asarray(indices, dtype=np.int64), self.columns))


class TorchCollator(PaddingCollator):
    """A :class:`~loaders.padding.PaddingCollator` that returns torch tensors; accepts an
    :class:`ArrowBatch`, a ``pa.Table`` or a list of row dicts (the last is the slow path other
    datasets give).

    Example:
        >>> TorchCollator()([{"input_ids": [1, 2]}, {"input_ids": [3]}])["input_ids"].tolist()
        [[1, 2], [3, 0]]
    """

    def __call__(self, batch: Any) -> dict[str, Any]:  # type: ignore[override]
        if isinstance(batch, ArrowBatch):
            batch = batch.table
        elif not isinstance(batch, (pa.Table, pa.RecordBatch)):
            batch = pa.Table.from_pylist([{k: _plain(v) for k, v in row.items()} for row in batch])
        return to_tensors(self.collate_table(batch))


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


class BatchSampler(Sampler):
    """Resumable batch sampler (lists of row indices) with the same plans as :class:`TorchLoader`:
    shuffle by ``(seed, epoch)``, length-grouped bucketing, disjoint distributed shards.

    Use as ``DataLoader(view, batch_sampler=sampler, collate_fn=TorchCollator())``; ``set_epoch``
    picks the epoch, which also advances by one after each complete pass. Implements
    ``state_dict``/``load_state_dict`` for torchdata's ``StatefulDataLoader``.

    Example:
        >>> import pyarrow as pa
        >>> list(BatchSampler(pa.table({"x": list(range(5))}), batch_size=2))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, dataset: Any, batch_size: int, shuffle: bool = False, seed: int = 0, drop_last: bool = False,
                 *, group_by_length: bool = False, mega_batch_mult: int = 50, length_column: str = "input_ids",
                 rank: int | None = None, world_size: int | None = None) -> None:
        rank, world_size = TorchLoader._resolve_world(rank, world_size)
        self.config = SamplingConfig(batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last,
                                     group_by_length=group_by_length, mega_batch_mult=mega_batch_mult,
                                     rank=rank, world_size=world_size)
        source = dataset if isinstance(dataset, RowSource) else RowSource(dataset)
        self.num_rows = len(source)
        self._lengths = source.lengths(length_column) if group_by_length else None
        self.epoch, self._yielded, self._resume_at = 0, 0, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self._yielded, self._resume_at = int(epoch), 0, 0

    def __len__(self) -> int:
        return len(plan_epoch(self.num_rows, self.config, self.epoch, self._lengths))

    def __iter__(self) -> Iterator[list[int]]:
        epoch, start = self.epoch, self._resume_at
        self._resume_at, self._yielded = 0, start
        plan = plan_epoch(self.num_rows, self.config, epoch, self._lengths)
        for k in range(start, len(plan)):
            self._yielded = k + 1
            yield plan[k].tolist()
        if self.epoch == epoch:
            self.epoch, self._yielded = epoch + 1, 0

    def state_dict(self) -> dict[str, Any]:
        c = self.config
        return {"epoch": self.epoch, "batches_yielded": self._yielded, "num_rows": self.num_rows,
                "batch_size": c.batch_size, "seed": c.seed, "world_size": c.world_size, "rank": c.rank}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        for key in ("num_rows", "batch_size", "seed", "world_size", "rank"):
            if key in state and state[key] != self.state_dict()[key]:
                raise ResumeStateError(f"state_dict was taken from a different sampler ({key}: saved "
                                       f"{state[key]!r}, now {self.state_dict()[key]!r})")
        self.epoch, self._yielded = int(state["epoch"]), int(state["batches_yielded"])
        self._resume_at = self._yielded
