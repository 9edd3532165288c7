"""Look up, or compute once and store, a transform result in the cache.

The sequence every cached step follows:

1. a cacheable key with ``load_from_cache_file``: look the entry up (a sidecar read);
2. on a miss, say why when asked (``explain=True`` or INFO logging);
3. take the key's lock; while waiting, keep looking the entry up, so a process that
   finds another one computing the same step waits for it and reuses its result;
4. compute, write the files (each atomically), commit the sidecar last, release.

``keep_in_memory=True`` skips 3 and 4 entirely: nothing is written.

Example:
    >>> import pyarrow as pa
    >>> from arrowdata.cache import entry_path, commit
    >>> from arrowdata.transforms.transform_key import TransformKey
    >>> from arrowdata.writer import ArrowWriter
    >>> def compute(base):
    ...     with ArrowWriter(entry_path("e" * 32)) as w: w.write(pa.table({"x": [1]}))
    ...     return commit("e" * 32, [entry_path("e" * 32)], {"op": "map"})
    >>> key = TransformKey("e" * 32, True, {})
    >>> run_cached(key, "map", compute, lambda entry: entry.files[0].name, base=None)
    'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee.arrow'
"""
from __future__ import annotations

import logging
import os
from typing import Callable, TypeVar

from ..cache import CacheEntry, clean_debris, explain_miss, lookup
from ..cache_lock import KeyLock
from .transform_key import TransformKey

logger = logging.getLogger("arrowdata.cache")

T = TypeVar("T")


def run_cached(key: TransformKey, op: str, compute: Callable[[str | None], CacheEntry | T],
               build: Callable[[CacheEntry], T], *, base: str | os.PathLike | None,
               load_from_cache_file: bool = True, explain: bool = False,
               valid: Callable[[CacheEntry], bool] = lambda e: True) -> T:
    """The result of a cached step: ``build(entry)`` for a found or freshly committed entry.

    ``compute(base)`` writes the files and returns the committed entry, or returns a final
    result directly (for side-effect-only maps, which have nothing to store).
    """
    fp = key.fingerprint

    def find() -> CacheEntry | None:
        entry = lookup(fp, base)
        return entry if entry is not None and valid(entry) else None

    use_cache = key.cacheable and load_from_cache_file
    if use_cache:
        entry = find()
        if entry is not None:
            _say(explain, "%s: cache hit %s", op, fp)
            return build(entry)
        if explain or logger.isEnabledFor(logging.INFO):
            _say(explain, "%s", explain_miss(fp, key.components.get("parent", ""), op, key.components))
    elif explain:
        _say(True, "%s: not looking up the cache (%s)", op,
             "load_from_cache_file=False" if key.cacheable else "caching is off or the function has no stable key")
    clean_debris()
    lock = KeyLock(fp)
    entry = lock.wait_for(find if use_cache else lambda: None)
    if entry is not None:
        _say(explain, "%s: reused %s computed by another process", op, fp)
        return build(entry)
    try:
        result = compute(base)
    finally:
        lock.release()
    return build(result) if isinstance(result, CacheEntry) else result


def _say(loud: bool, message: str, *args: object) -> None:
    logger.log(logging.WARNING if loud else logging.INFO, message, *args)
