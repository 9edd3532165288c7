"""arrowdata: Arrow-backed, memory-mapped datasets for machine learning.

Example:
    >>> import arrowdata
    >>> ds = arrowdata.Dataset.from_dict({"text": ["hi", "yo"], "label": [0, 1]})
    >>> ds.with_format("numpy")["label"]
    array([0, 1])
"""
from __future__ import annotations

from typing import Any

from . import config
from .config import disable_caching, enable_caching, is_caching_enabled
from .dataset import Dataset
from .dataset_dict import DatasetDict, load_from_disk
from .engines import get_engine, set_engine
from .errors import (ArrowDataError, CacheLockTimeout, CastError, CorruptFileError, DataFileError, MissingFileError,
                     SchemaMismatchError, UnknownNameError)
from .features import (Array2D, Array3D, Array4D, Array5D, ClassLabel, Features, Json, LargeList, List, Sequence,
                       Translation, TranslationVariableLanguages, Value)
from .info import DatasetInfo
from .sample_data import load_sample, sample_path
from .splits import NamedSplit, ReadInstruction, Split
from .utils import (are_progress_bars_disabled, disable_progress_bar, disable_progress_bars, enable_progress_bar,
                    enable_progress_bars, is_progress_bar_enabled)

__version__ = "0.1.0"


def load_dataset(*args: Any, **kwargs: Any) -> Any:
    """Read data files into a Dataset/DatasetDict (see :func:`arrowdata.io.load_dataset`).

    Example:
        >>> import arrowdata
        >>> ds = arrowdata.load_dataset("json", data_files=arrowdata.sample_path(), split="train")  # doctest: +SKIP
    """
    from .io import load_dataset as _load

    return _load(*args, **kwargs)


def from_ray(ray_dataset: Any, cache_key: str | None = None, **kwargs: Any) -> Any:
    """A memory-mapped Dataset from a ``ray.data.Dataset``, written into the cache by the Ray workers
    (see :func:`arrowdata.engines.ray_data.from_ray`).

    Example:
        >>> import arrowdata, ray  # doctest: +SKIP
        >>> arrowdata.from_ray(ray.data.range(3), cache_key="three")["id"]  # doctest: +SKIP
        [0, 1, 2]
    """
    from .engines.ray_data import from_ray as _from_ray

    return _from_ray(ray_dataset, cache_key, dataset_cls=Dataset, **kwargs)


def concatenate_datasets(*args: Any, **kwargs: Any) -> Any:
    """Concatenate datasets row-wise (axis=0) or column-wise (axis=1); see ``arrowdata.transforms.combine``."""
    from .transforms.combine import concatenate_datasets as _concat

    return _concat(*args, **kwargs)


def interleave_datasets(*args: Any, **kwargs: Any) -> Any:
    """Interleave rows of several datasets; see ``arrowdata.transforms.combine``."""
    from .transforms.combine import interleave_datasets as _interleave

    return _interleave(*args, **kwargs)


__all__ = ["NamedSplit", "ReadInstruction", "Split", "are_progress_bars_disabled", "disable_progress_bar",
           "disable_progress_bars", "enable_progress_bar", "enable_progress_bars", "is_progress_bar_enabled",
           "Array2D", "Array3D", "Array4D", "Array5D", "ArrowDataError", "CacheLockTimeout", "CastError",
           "ClassLabel", "CorruptFileError", "DataFileError", "Dataset", "DatasetDict", "DatasetInfo", "Features",
           "Json", "LargeList", "List", "MissingFileError", "SchemaMismatchError", "Sequence", "Translation",
           "TranslationVariableLanguages", "UnknownNameError", "Value",
           "concatenate_datasets", "config", "disable_caching", "enable_caching", "from_ray", "get_engine",
           "interleave_datasets", "is_caching_enabled", "load_dataset", "load_from_disk", "load_sample", "sample_path",
           "set_engine"]
