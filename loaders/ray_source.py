"""Training batches from a stream of Arrow tables: a Ray Data ``streaming_split`` shard on each rank.

:class:`StreamLoader` pulls windows of rows (``pa.Table``) from the stream and hands each one to a
:class:`~loaders.torch_loader.TorchLoader` (or any loader class of this package), so padding,
``group_by_length`` bucketing, packing (``block_size``) and shuffling work exactly as on a dataset,
within a window. Rows left over at the end of a window (fewer than ``batch_size``) are carried
into the next one, so only the last batch of a pass is short. With packing, each window is packed
on its own (its trailing partial block is dropped).

Resumption: ``state_dict()`` records the epoch, the windows finished and the batches yielded from
the current window; ``load_state_dict`` on a fresh loader over the same stream skips those
(windows are re-read, not rebuilt into batches). That replays exactly when the stream yields the
same rows in the same order each pass: per-rank shards read in order (for Ray,
``DataContext.execution_options.preserve_order = True``). ``streaming_split`` hands out blocks
dynamically; resuming it skips as many rows as were consumed, not necessarily the same ones.

The stream is a Ray ``DataIterator`` or ``Dataset`` (anything with ``iter_batches``), a callable
returning a fresh iterable of tables for each pass, or a one-pass iterable of tables.

Example:
    >>> import pyarrow as pa
    >>> windows = [pa.table({"input_ids": [[1], [2, 3], [4]]}), pa.table({"input_ids": [[5, 6, 7]]})]
    >>> loader = StreamLoader(lambda: iter(windows), batch_size=2, loader="numpy")
    >>> [b["input_ids"].tolist() for b in loader]
    [[[1, 0], [2, 3]], [[4, 0, 0], [5, 6, 7]]]
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

import pyarrow as pa

from .errors import LoaderError, ResumeStateError

#: Loader classes by name; imported when used (``torch`` imports torch).
_LOADERS = {"torch": ("loaders.torch_loader", "TorchLoader"), "numpy": ("loaders.numpy_loader", "NumpyLoader")}


def _loader_class(name: str) -> type:
    from importlib import import_module

    if name not in _LOADERS:
        raise LoaderError(f"loader must be one of {sorted(_LOADERS)}, got {name!r}")
    module, attribute = _LOADERS[name]
    return getattr(import_module(module), attribute)


class StreamLoader:
    """Padded, packed or bucketed batches from a stream of Arrow tables, resumable.

    Args:
        stream: a Ray ``DataIterator``/``Dataset`` (read with ``iter_batches(batch_format="pyarrow")``),
            a callable returning an iterable of ``pa.Table`` per pass, or a one-pass iterable.
        batch_size: rows per batch (packed blocks per batch with ``block_size``).
        window_rows: rows pulled from the stream at a time and shuffled/bucketed/packed together
            (default ``64 * batch_size``).
        shuffle, seed: shuffle within each window, differently per window and epoch.
        drop_last: drop the short last batch of a pass.
        loader: ``"torch"`` (tensors, default) or ``"numpy"``.
        loader_kwargs: the loader's other arguments (``pad_token_id``, ``max_length``, ``block_size``,
            ``group_by_length``, ``device``...).

    Example:
        >>> import pyarrow as pa
        >>> stream = lambda: iter([pa.table({"x": [1, 2, 3]}), pa.table({"x": [4, 5]})])
        >>> loader = StreamLoader(stream, batch_size=2, loader="numpy")
        >>> first = next(iter(loader)); state = loader.state_dict()
        >>> resumed = StreamLoader(stream, batch_size=2, loader="numpy"); resumed.load_state_dict(state)
        >>> [b["x"].tolist() for b in resumed]
        [[3, 4], [5]]
    """

    def __init__(self, stream: Any, batch_size: int = 32, *, window_rows: int | None = None, shuffle: bool = False,
                 seed: int = 0, drop_last: bool = False, loader: str = "torch", **loader_kwargs: Any) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise LoaderError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.window_rows = int(window_rows or 64 * batch_size)
        if self.window_rows < batch_size:
            raise LoaderError(f"window_rows ({self.window_rows}) must be at least batch_size ({batch_size})")
        self.stream, self.batch_size, self.shuffle, self.seed = stream, batch_size, shuffle, seed
        self.drop_last, self.loader_kwargs = drop_last, loader_kwargs
        self.loader_cls = _loader_class(loader)
        self.packing = loader_kwargs.get("block_size") is not None
        self._epoch, self._windows_done, self._in_window = 0, 0, 0
        self._resume: tuple[int, int] | None = None

    # -- the stream ------------------------------------------------------------------------------
    def _tables(self) -> Iterable[pa.Table]:
        stream = self.stream
        if hasattr(stream, "iter_batches"):
            return stream.iter_batches(batch_size=self.window_rows, batch_format="pyarrow")
        return stream() if callable(stream) else stream

    def _windows(self) -> Iterator[pa.Table]:
        """Windows of whole batches; the rows that do not fill one move on to the next window."""
        carry: pa.Table | None = None
        for table in self._tables():
            if isinstance(table, pa.RecordBatch):
                table = pa.Table.from_batches([table])
            if self.packing:
                if table.num_rows:
                    yield table
                continue
            if carry is not None and carry.num_rows:
                table = pa.concat_tables([carry, table.cast(carry.schema)]).combine_chunks()
            whole = table.num_rows - table.num_rows % self.batch_size
            carry = table.slice(whole)
            if whole:
                yield table.slice(0, whole)
        if carry is not None and carry.num_rows and not self.drop_last:
            yield carry

    # -- resumption ------------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return self._epoch

    def set_epoch(self, epoch: int) -> None:
        self._epoch, self._windows_done, self._in_window, self._resume = int(epoch), 0, 0, None

    def state_dict(self) -> dict[str, Any]:
        """The epoch, windows finished and batches yielded from the current one, and the settings."""
        return {"epoch": self._epoch, "windows_done": self._windows_done, "batches_in_window": self._in_window,
                **self._identity()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume: the next pass skips what was yielded when ``state`` was taken."""
        mine = self._identity()
        wrong = {k: (state.get(k), v) for k, v in mine.items() if state.get(k) != v}
        if wrong:
            detail = ", ".join(f"{k}: saved {s!r}, now {v!r}" for k, (s, v) in wrong.items())
            raise ResumeStateError(f"state_dict was taken from a different stream loader ({detail})")
        self._epoch = int(state["epoch"])
        self._resume = (int(state["windows_done"]), int(state["batches_in_window"]))

    def _identity(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size, "window_rows": self.window_rows, "seed": self.seed,
                "shuffle": self.shuffle, "drop_last": self.drop_last,
                "block_size": self.loader_kwargs.get("block_size")}

    # -- iteration -------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        epoch = self._epoch
        skip_windows, skip_batches = self._resume or (0, 0)
        self._resume = None
        self._windows_done, self._in_window = skip_windows, 0
        for i, window in enumerate(self._windows()):
            if i < skip_windows:
                continue
            loader = self.loader_cls(window, self.batch_size, shuffle=self.shuffle,
                                     seed=self.seed * 1_000_003 + i, drop_last=self.drop_last and self.packing,
                                     rank=0, world_size=1, **self.loader_kwargs)
            loader.set_epoch(epoch)
            if i == skip_windows and skip_batches:
                loader.load_state_dict({**loader.state_dict(), "batches_yielded": skip_batches})
            self._in_window = skip_batches if i == skip_windows else 0
            for batch in loader:
                self._in_window += 1
                yield batch
            self._windows_done, self._in_window = i + 1, 0
        if self._epoch == epoch:
            self._epoch, self._windows_done, self._in_window = epoch + 1, 0, 0


def stream_loader(stream: Any, batch_size: int = 32, **kwargs: Any) -> StreamLoader:
    """Shortcut for :class:`StreamLoader` (torch tensors) over a Ray ``streaming_split`` shard.

    Example:
        >>> import ray  # doctest: +SKIP
        >>> shards = arrowdata_ds.to_ray().streaming_split(2, equal=True)  # doctest: +SKIP
        >>> loader = stream_loader(shards[rank], batch_size=32, pad_token_id=0)  # doctest: +SKIP
    """
    return StreamLoader(stream, batch_size, **kwargs)


__all__ = ["StreamLoader", "stream_loader"]
