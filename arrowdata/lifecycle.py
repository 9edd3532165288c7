"""What a handle does at the edges of its life: ``with ds:`` and the Hub methods arrowdata lacks.

A ``Dataset`` (or ``DatasetDict``) is a context manager, as in Hugging Face ``datasets``, so
scripts written ``with Dataset.from_dict(...) as ds:`` run unchanged. Leaving the block
changes nothing: handles are immutable and share their memory maps, which go when the last
handle using them is garbage collected (HF instead deletes the handle's table, so using it
after the block fails there and works here). Methods that need the Hugging Face Hub raise
:class:`HubNotSupportedError` with what to do instead.

Example:
    >>> from arrowdata import Dataset
    >>> with Dataset.from_dict({"a": [1, 2]}) as ds:
    ...     ds["a"]
    [1, 2]
"""
from __future__ import annotations

from typing import Any

from .dataset_core import DatasetCore
from .errors import ArrowDataError


class HubNotSupportedError(ArrowDataError, NotImplementedError):
    """A Hugging Face Hub operation: arrowdata reads and writes local and fsspec files only."""


def _hub_error(method: str, instead: str) -> HubNotSupportedError:
    return HubNotSupportedError(f"{method}: arrowdata does not talk to the Hugging Face Hub; {instead}")


class LifecycleOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: the context manager and the Hub stubs."""

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None  # nothing to release early: maps are shared by handles and freed with the last one

    def push_to_hub(self, repo_id: str, *args: Any, **kwargs: Any) -> None:
        """Not supported: arrowdata has no Hub client.

        Save with ``ds.save_to_disk(path)`` (``path`` may be an fsspec URL such as ``s3://bucket/x``)
        or ``ds.to_parquet(path)``, then upload with ``huggingface_hub`` if you need the Hub.
        """
        raise _hub_error("push_to_hub", "save with save_to_disk(path) or to_parquet(path) (local or fsspec URL) "
                                        "and upload the files with huggingface_hub if you need the Hub")
