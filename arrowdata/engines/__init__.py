"""Execution engines for ``map``/``filter``: who runs the chunks of rows.

``local`` (the default) is the process pool behind ``num_proc``; ``ray`` runs the same chunks as
Ray tasks on a Ray cluster (``pip install arrowdata[ray]``). Both read their input by path from the
memory-mapped files and write their output shards straight into the cache, so the results, and
their fingerprints, are the same whichever engine computed them.

Example:
    >>> import arrowdata
    >>> arrowdata.get_engine()
    'local'
    >>> sorted(arrowdata.engines.available_engines())
    ['local', 'ray']
"""
from __future__ import annotations

from .base import (Engine, EngineError, EnginePlan, available_engines, get_engine, plan, register_engine,
                   resolve_engine, set_engine)

__all__ = ["Engine", "EngineError", "EnginePlan", "available_engines", "get_engine", "plan", "register_engine",
           "resolve_engine", "set_engine"]
