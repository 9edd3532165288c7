"""The cache key of a ``map``/``filter`` call, with its parts kept for explaining misses.

The key covers what can change the result: the parent's fingerprint, the operation, its
canonical arguments, the function's identity (see :mod:`arrowdata.fingerprint`) and
``fn_kwargs``. Knobs that cannot change the data stay out: ``num_proc`` (unless the
function takes ``with_rank``), ``writer_batch_size``, ``desc``, ``keep_in_memory``,
``cache_file_name``, and ``batch_size`` for a row-wise function.

When the function cannot be hashed, a :class:`~arrowdata.fingerprint.FingerprintWarning`
names the path to the culprit and only this step gets a random key (it is recomputed
next time); the steps after it derive their keys from that one as usual. ``cache_key=``
replaces the function's and ``fn_kwargs``' part of the key with the user's string.

Example:
    >>> k1 = transform_key("0" * 32, "map", lambda b: b, None, {"batched": True}, None)
    >>> k2 = transform_key("0" * 32, "map", lambda b: b, None, {"batched": True}, None)
    >>> k1.fingerprint == k2.fingerprint and k1.cacheable
    True
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import config
from ..fingerprint import (FingerprintWarning, UnhashableError, derive_fingerprint, function_components,
                           hash_object, random_fingerprint)
from .outputs import TransformError

logger = logging.getLogger(__name__)


@dataclass
class TransformKey:
    """A transform's fingerprint; ``cacheable`` is False when it is random (no lookup is worth doing)."""

    fingerprint: str
    cacheable: bool
    components: dict[str, Any] = field(default_factory=dict)


def transform_key(parent: str, op: str, function: Callable | None, fn_kwargs: dict | None,
                  args: dict[str, Any], cache_key: str | None) -> TransformKey:
    """The key of ``op(parent, function, **args)``; see the module docstring."""
    components: dict[str, Any] = {"parent": parent, "op": op, "args": dict(args)}
    if not config.is_caching_enabled():
        return TransformKey(random_fingerprint(), False, components)
    try:
        if cache_key is not None:
            if not isinstance(cache_key, str) or not cache_key:
                raise TransformError(f"{op}: cache_key must be a non-empty string, got {cache_key!r}")
            components["cache_key"] = cache_key
            payload = {"args": args, "cache_key": cache_key}
        else:
            fn_parts = function_components(function, "function") if function is not None else {}
            kw = hash_object(fn_kwargs or {}, "fn_kwargs")
            components["function"] = fn_parts
            components["fn_kwargs"] = kw
            payload = {"args": args, "function": fn_parts, "fn_kwargs": kw}
        return TransformKey(derive_fingerprint(parent, op, payload), True, components)
    except UnhashableError as e:
        message = (f"{op}: cannot fingerprint {e}. This step will not be cached (the steps after it still "
                   f"are); pass cache_key='...' to name this step yourself, or teach arrowdata the type with "
                   f"arrowdata.fingerprint.register_hasher")
        warnings.warn(message, FingerprintWarning, stacklevel=3)
        logger.info(message)
        return TransformKey(random_fingerprint(), False, components)
