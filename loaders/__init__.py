"""Training loaders: padded, bucketed or packed batches from arrowdata datasets into PyTorch,
TensorFlow and JAX/numpy, built columnar from Arrow offsets (no Python per row).

Framework modules load on first use, so ``import loaders`` imports neither torch nor tensorflow.

Example:
    >>> import pyarrow as pa, loaders
    >>> batch = next(iter(loaders.NumpyLoader(pa.table({"input_ids": [[1, 2], [3]]}), batch_size=2)))
    >>> batch["input_ids"].tolist(), batch["attention_mask"].tolist()
    ([[1, 2], [3, 0]], [[1, 1], [1, 0]])
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import LoaderError, ResumeStateError
from .numpy_loader import NumpyLoader, iter_numpy_batches
from .packing import pack_blocks, pack_documents
from .padding import DEFAULT_PAD_VALUES, PaddingCollator, list_offsets_values, pad_ragged
from .sampling import SamplingConfig, plan_epoch

# name -> module holding it; imported when first asked for (the module imports its framework).
_LAZY = {
    "TorchLoader": ".torch_loader",
    "prefetch_to_device": ".device",
    "ArrowTorchDataset": ".torch_view",
    "ArrowBatch": ".torch_view",
    "TorchCollator": ".torch_view",
    "BatchSampler": ".torch_view",
    "to_tf_dataset": ".tf_loader",
    "StreamLoader": ".ray_source",
}

__all__ = [
    "LoaderError", "ResumeStateError", "NumpyLoader", "iter_numpy_batches", "pack_blocks", "pack_documents",
    "DEFAULT_PAD_VALUES", "PaddingCollator", "list_offsets_values", "pad_ragged", "SamplingConfig", "plan_epoch",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'loaders' has no attribute {name!r}")
