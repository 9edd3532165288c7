"""Background device prefetch: copy the next batches to the accelerator while the model trains.

A producer thread pulls batches, pins them (optional) and starts ``non_blocking`` copies on a side
CUDA stream; the consumer makes its stream wait on that copy's event before using the tensors,
and marks them as used there (``record_stream``) so the caching allocator does not reuse their
memory early. On CPU devices the same thread simply runs ahead of the loop.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Iterable, Iterator

logger = logging.getLogger(__name__)

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def resolve_device(device: Any) -> Any:
    """``"cuda:0"``, ``0``, a ``torch.device``... → ``torch.device``.

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    import torch

    if isinstance(device, int):
        return torch.device("cuda", device)
    return torch.device(device)


def _move(batch: dict[str, Any], device: Any, non_blocking: bool) -> dict[str, Any]:
    return {k: v.to(device, non_blocking=non_blocking) if hasattr(v, "to") else v for k, v in batch.items()}


def prefetch_to_device(batches: Iterable[dict[str, Any]], device: Any, *, depth: int = 2,
                       pin_memory: bool = False) -> Iterator[dict[str, Any]]:
    """Yield ``batches`` moved to ``device``, with up to ``depth`` batches prepared ahead in a thread.

    Errors raised while producing a batch are re-raised in the consumer. Stopping early (``break``)
    stops the thread.

    Example:
        >>> import torch
        >>> [b["x"].device.type for b in prefetch_to_device([{"x": torch.ones(2)}], "cpu")]
        ['cpu']
    """
    import torch

    device = resolve_device(device)
    cuda = device.type == "cuda"
    stream = torch.cuda.Stream(device) if cuda else None
    slots: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(batches)
        try:
            for batch in iterator:
                if pin_memory:
                    batch = {k: v.pin_memory() if hasattr(v, "pin_memory") else v for k, v in batch.items()}
                if cuda:
                    with torch.cuda.stream(stream):
                        moved = _move(batch, device, non_blocking=True)
                        event = torch.cuda.Event()
                        event.record(stream)
                else:
                    moved, event = _move(batch, device, non_blocking=False), None
                if not put((moved, event)):
                    break
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            put(_DONE)

    thread = threading.Thread(target=produce, name="arrowdata-device-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                break
            if isinstance(item, _Failure):
                raise item.error
            batch, event = item
            if event is not None:
                current = torch.cuda.current_stream(device)
                current.wait_event(event)
                for value in batch.values():
                    if hasattr(value, "record_stream"):
                        value.record_stream(current)
            yield batch
    finally:
        stop.set()
        thread.join(timeout=10)
