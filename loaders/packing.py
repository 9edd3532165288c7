"""Sequence packing for causal language modelling.

Documents are concatenated into one token stream and cut into blocks of ``block_size`` tokens:
no padding at all. ``position_ids`` restart at 0 wherever a document (or a block) starts, so a
model that takes position ids sees every document from position 0; ``cu_seqlens`` (cumulative
segment boundaries over the flattened batch, int32) feeds flash-attention's varlen kernels so
attention never crosses a document boundary. ``labels`` copy ``input_ids`` with ``-100`` at each
document start: the token that opens a document is not predicted from the previous one.

Example:
    >>> import numpy as np
    >>> out = pack_documents(np.array([0, 3, 5, 8]), np.arange(1, 9), block_size=4, return_cu_seqlens=True)
    >>> out["input_ids"].tolist(), out["position_ids"].tolist()
    ([[1, 2, 3, 4], [5, 6, 7, 8]], [[0, 1, 2, 0], [0, 0, 1, 2]])
    >>> out["cu_seqlens"].tolist()
    [0, 3, 4, 5, 8]
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import LoaderError
from .sampling import BatchPlan, SamplingConfig, epoch_order, plan_from_order


def pack_blocks(tokens: np.ndarray, doc_starts: np.ndarray, block_size: int, *, return_cu_seqlens: bool = False,
                dtype: Any = np.int64) -> dict[str, np.ndarray]:
    """Reshape a token stream (a whole number of blocks) into packed model inputs.

    Args:
        tokens: the stream, ``len(tokens) % block_size == 0``.
        doc_starts: indices in ``tokens`` where a document begins (others are ignored if out of range).
        block_size: tokens per block.
        return_cu_seqlens: add ``cu_seqlens`` (int32, flattened over the batch) and ``max_seqlen``.

    Example:
        >>> import numpy as np
        >>> pack_blocks(np.array([7, 8, 9, 1]), np.array([0, 3]), 2)["labels"].tolist()
        [[-100, 8], [9, -100]]
    """
    n = len(tokens)
    if block_size <= 0 or n % block_size:
        raise LoaderError(f"block_size={block_size} must be positive and divide the stream length {n}")
    idx = np.arange(n, dtype=np.int64)
    doc_starts = np.asarray(doc_starts, dtype=np.int64)
    doc_starts = doc_starts[(doc_starts >= 0) & (doc_starts < n)]
    is_start = np.zeros(n, dtype=bool)
    is_start[doc_starts] = True
    is_start[::block_size] = True
    # Position = distance to the last segment start: a running max of the start indices.
    seg_start = np.maximum.accumulate(np.where(is_start, idx, 0))
    input_ids = tokens.astype(dtype, copy=False).reshape(-1, block_size)
    labels = input_ids.copy()
    labels.reshape(-1)[doc_starts] = -100
    out = {
        "input_ids": input_ids,
        "position_ids": (idx - seg_start).astype(dtype).reshape(-1, block_size),
        "labels": labels,
    }
    if return_cu_seqlens:
        bounds = np.append(np.flatnonzero(is_start), n).astype(np.int32)
        out["cu_seqlens"] = bounds
        out["max_seqlen"] = np.array(int(np.diff(bounds).max()) if n else 0, dtype=np.int32)
    return out


def pack_documents(offsets: np.ndarray, values: np.ndarray, block_size: int, **kwargs: Any) -> dict[str, np.ndarray]:
    """Pack whole documents (``values[offsets[i]:offsets[i+1]]``) into blocks; the trailing partial
    block is dropped, as in the usual causal-LM ``group_texts`` recipe. See :func:`pack_blocks`."""
    offsets = np.asarray(offsets, dtype=np.int64)
    usable = (int(offsets[-1] - offsets[0]) // block_size) * block_size
    tokens = values[offsets[0]:offsets[0] + usable]
    return pack_blocks(tokens, offsets[:-1] - offsets[0], block_size, **kwargs)


class PackedEpoch:
    """The packed layout of one epoch: documents in epoch order, the stream cut into blocks,
    blocks dealt to ranks in batches of ``config.batch_size`` blocks.

    ``token_ranges(k)`` gives batch ``k``'s ``[start, stop)`` ranges in the stream; ``documents(start, stop)``
    which documents (logical rows) to read, and where the range starts in the first of them.
    """

    def __init__(self, lengths: np.ndarray, config: SamplingConfig, epoch: int, block_size: int) -> None:
        if block_size <= 0:
            raise LoaderError(f"block_size must be a positive integer, got {block_size}")
        self.block_size = block_size
        shuffle_only = SamplingConfig(batch_size=config.batch_size, shuffle=config.shuffle, seed=config.seed)
        self.order = epoch_order(len(lengths), shuffle_only, epoch)
        self.cum = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.asarray(lengths, dtype=np.int64)[self.order], out=self.cum[1:])
        num_blocks = int(self.cum[-1]) // block_size
        self.plan: BatchPlan = plan_from_order(np.arange(num_blocks, dtype=np.int64), config)

    def __len__(self) -> int:
        return len(self.plan)

    def token_ranges(self, k: int) -> list[tuple[int, int]]:
        """Batch ``k`` as ``[start, stop)`` stream ranges: one, unless the plan had to repeat blocks."""
        blocks = self.plan[k]
        breaks = np.flatnonzero(np.diff(blocks) != 1) + 1
        return [(int(run[0]) * self.block_size, (int(run[-1]) + 1) * self.block_size)
                for run in np.split(blocks, breaks)]

    def documents(self, start: int, stop: int) -> tuple[np.ndarray, int, np.ndarray]:
        """``(rows, skip, doc_starts)``: the logical rows covering ``[start, stop)``, the tokens to skip in
        the first, and the document starts relative to ``start``."""
        d0 = int(np.searchsorted(self.cum, start, side="right")) - 1
        d1 = int(np.searchsorted(self.cum, stop, side="left"))
        return self.order[d0:d1], start - int(self.cum[d0]), self.cum[d0:d1] - start
