"""Streaming: datasets read lazily from files, tables or generators, batch by batch, resumable.

The package depends on the readers in :mod:`arrowdata.io`, on :mod:`arrowdata.features`,
:mod:`arrowdata.formatting` and the map/filter kernels of
:mod:`arrowdata.transforms.map_runner`; it never imports ``arrowdata.dataset`` (the map-style
side reaches it through ``Dataset.to_iterable_dataset`` only).

Modules, one idea each: ``plan`` (plans and runners), ``sources`` (shards), ``ops`` (map,
filter, columns, batch), ``order`` (skip, take, repeat), ``shuffle`` (the buffer),
``mixing`` (interleave, concatenate), ``state`` (cursors, JSON states), ``iterable``
(:class:`IterableDataset`), ``dataset_dict``, ``load`` (``load_dataset(streaming=True)``),
``remote`` (retries and timeouts).

Example:
    >>> from arrowdata.streaming import IterableDataset
    >>> [r["a"] for r in IterableDataset.from_dict({"a": [3, 1, 2]}).take(2)]
    [3, 1]
"""
from .dataset_dict import IterableDatasetDict
from .iterable import IterableColumn, IterableDataset, concatenate, interleave
from .load import load_streaming, stream_files

__all__ = ["IterableColumn", "IterableDataset", "IterableDatasetDict", "concatenate", "interleave", "load_streaming", "stream_files"]
