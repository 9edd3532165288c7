"""Test helper: compute a metric with file-based gathering across N 'processes' run as threads."""
from __future__ import annotations

import threading
import uuid
from typing import Any

import metrics


def shard(values: Any, rank: int, world: int) -> Any:
    """Uneven, interleaved shards (rank order is not data order)."""
    return values[rank::world]


def gather_in_threads(name: str, config: str | None, inputs: dict[str, Any], world: int = 3,
                      cache_dir: str | None = None, **options: Any) -> list[Any]:
    """Each rank loads ``name`` with ``num_process=world`` and adds its shard of every input; returns
    every rank's ``compute()``."""
    exp = f"exp-{uuid.uuid4().hex[:8]}"
    results: list[Any] = [None] * world
    errors: list[BaseException] = []

    def work(rank: int) -> None:
        try:
            m = metrics.load(name, config, num_process=world, process_id=rank, experiment_id=exp,
                             cache_dir=cache_dir, timeout=60, **options)
            m.add_batch(**{k: shard(v, rank, world) for k, v in inputs.items()})
            results[rank] = m.compute()
        except BaseException as e:  # surfaced in the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(r,)) for r in range(world)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    if errors:
        raise errors[0]
    return results
