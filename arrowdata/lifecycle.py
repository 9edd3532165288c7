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
from .errors import HubNotSupportedError, IndexNotSupportedError


def _hub_error(method: str, instead: str) -> HubNotSupportedError:
    return HubNotSupportedError(f"{method}: arrowdata does not talk to the Hugging Face Hub; {instead}")


def _no_index(method: str) -> Any:
    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise IndexNotSupportedError(
            f"{method}: arrowdata keeps no FAISS/Elasticsearch index; build one from the column yourself, "
            "e.g. faiss.IndexFlatIP on ds.with_format('numpy')['embeddings'], and map its ids back with ds.select(ids)")
    refuse.__name__ = method
    refuse.__doc__ = f"Not supported (HF's ``{method}``): raises :class:`IndexNotSupportedError` saying what to do."
    return refuse


#: HF ``Dataset`` info attributes that arrowdata does not record (no builder, no download): always ``None``.
_UNTRACKED_INFO = ("builder_name", "config_name", "version", "supervised_keys", "download_checksums",
                   "download_size")

_INDEX_METHODS = ("add_faiss_index", "add_faiss_index_from_external_arrays", "add_elasticsearch_index",
                  "load_faiss_index", "save_faiss_index", "load_elasticsearch_index", "get_index", "drop_index",
                  "search", "search_batch", "get_nearest_examples", "get_nearest_examples_batch")


class LifecycleOps(DatasetCore):
    """Mixin of :class:`arrowdata.Dataset`: the context manager, and what HF has that arrowdata does not
    (Hub, vector indexes, builder/download info) answering clearly instead of ``AttributeError``."""

    def list_indexes(self) -> list[str]:
        """Always ``[]``: arrowdata keeps no FAISS/Elasticsearch index (HF's ``list_indexes``)."""
        return []

    def is_index_initialized(self, index_name: str) -> bool:
        """Always ``False`` (see :meth:`list_indexes`)."""
        return False

    @property
    def size_in_bytes(self) -> int:
        """Bytes of the data (``dataset_size``; nothing is downloaded, so no download size is added)."""
        return self.dataset_size

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


for _name in _INDEX_METHODS:
    setattr(LifecycleOps, _name, _no_index(_name))
for _name in _UNTRACKED_INFO:
    setattr(LifecycleOps, _name, property(lambda self: None, doc=f"Always ``None`` (HF's ``{_name}``: "
                                          "arrowdata records no builder or download)."))
