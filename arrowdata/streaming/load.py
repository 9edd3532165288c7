"""``load_dataset(..., streaming=True)``: data files become an :class:`IterableDataset` per split,
one shard per file, read directly (local or any fsspec URL) without converting anything.

Example:
    >>> import os, tempfile
    >>> from arrowdata.io import get_builder, resolve_data_files
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv"); _ = open(p, "w").write("x\\n1\\n2\\n")
    >>> ds = stream_files(get_builder("csv"), resolve_data_files(p)["train"], split="train")
    >>> [r["x"] for r in ds]
    [1, 2]
"""
from __future__ import annotations

from typing import Any, Mapping

from .dataset_dict import IterableDatasetDict
from .features_lazy import LazyFeatures
from .iterable import IterableDataset
from .sources import FileShard, SourcePlan

#: rows per decoded batch when streaming, by builder (unless the user set ``batch_size``)
STREAM_BATCH_ROWS = {"parquet": 4096}


def as_features(features: Any) -> Any:
    """``features`` as :class:`arrowdata.Features` (from a dict of feature objects or their JSON form)."""
    from ..features import Features

    if features is None or isinstance(features, Features):
        return features
    if not isinstance(features, Mapping):
        raise TypeError(f"features must be arrowdata.Features or a dict of features, got {type(features).__name__}")
    json_form = bool(features) and all(isinstance(v, Mapping) and "_type" in v for v in features.values())
    return Features.from_dict(dict(features)) if json_form else Features(dict(features))


def stream_files(builder: Any, files: list, *, split: str | None = None, features: Any = None) -> IterableDataset:
    """An :class:`IterableDataset` reading ``files`` (``arrowdata.io.DataFile``) with ``builder``."""
    from .remote import resilient

    defaults = type(builder).defaults
    if "batch_size" in defaults and builder.options.get("batch_size") == defaults["batch_size"] \
            and builder.name in STREAM_BATCH_ROWS:
        # A stream hands batches on at once: smaller decoded batches stay in the CPU caches.
        builder = type(builder)(**{**builder.options, "batch_size": STREAM_BATCH_ROWS[builder.name]})
    feats = as_features(features)
    plan = SourcePlan(tuple(FileShard(builder, resilient(f), feats) for f in files))
    lazy = LazyFeatures(feats) if feats is not None else LazyFeatures(plan=plan)
    return IterableDataset(plan, features=lazy, split=split)


def load_streaming(builder: Any, resolved: Mapping[str, list], *, split: str | None, single: bool,
                   features: Any = None) -> IterableDataset | IterableDatasetDict:
    """What ``load_dataset(..., streaming=True)`` returns for files already resolved per split.

    Args:
        builder: a configured builder (``arrowdata.io.get_builder``).
        resolved: split name -> data files.
        split: the split to return as one :class:`IterableDataset` (slices such as
            ``"train[:10%]"`` need the row count, so streams refuse them).
        single: ``data_files`` was one path or list (not a dict): return the one split.
        features: types to cast every block to.
    """
    from ..errors import InvalidArgumentError, UnknownNameError

    if split is not None:
        if "[" in split:
            raise InvalidArgumentError("split", f"{split!r}: slices need the row count, which a stream does not "
                                       "know; use .skip()/.take() instead")
        if split not in resolved:
            raise UnknownNameError("split", split, list(resolved))
        return stream_files(builder, resolved[split], split=split, features=features)
    streams = {s: stream_files(builder, files, split=s, features=features) for s, files in resolved.items()}
    if single and len(streams) == 1:
        return next(iter(streams.values()))
    return IterableDatasetDict(streams)
