"""The :class:`Engine` protocol, the engine registry and the process-wide default engine.

An engine runs a parallel ``map``/``filter`` :class:`~arrowdata.transforms.parallel.Job` over
row ranges and returns each range's result in order: for ``map``, the path of the Arrow file
the range was written to (or its Arrow IPC bytes with ``keep_in_memory``) and its row count; for
``filter``, the kept row positions as uint64 bytes. That is the whole seam: ``map``/``filter``
build the job, the cache key and the final dataset, and never know which engine ran.

Engines are found by name in a registry (``register_engine``); the built-in ones are imported
only when first used, so ``import arrowdata`` never imports ray.

Example:
    >>> from arrowdata.engines import plan, resolve_engine
    >>> resolve_engine("local").name
    'local'
    >>> p = plan(None, num_proc=4, num_rows=10)
    >>> p.engine.name, p.in_process, p.workers
    ('local', False, 4)
    >>> plan("local", None, 10).in_process
    True
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol, Union, runtime_checkable

from ..errors import EngineError, UnknownNameError  # noqa: F401  (EngineError: its old home)

if TYPE_CHECKING:  # pragma: no cover
    from ..transforms.parallel import Job


@runtime_checkable
class Engine(Protocol):
    """What ``map``/``filter`` need from an engine.

    Attributes:
        name: the registry name.
        in_process: whether one worker means "run in the calling process" (the local pool);
            a cluster engine sends even a single chunk to the cluster.
    """

    name: str
    in_process: bool

    def workers(self, num_proc: int | None, num_rows: int) -> int:
        """How many chunks run at once, from the user's ``num_proc`` hint (``None``: engine default).
        Called only on a cache miss, so an engine may connect to its cluster here."""
        ...

    def run(self, job: "Job", workers: int, ranges: list[tuple[int, int]],
            progress: Callable[[int], None]) -> list[Any]:
        """Run ``job`` over ``ranges`` (logical rows ``[start, stop)``); each range's result, in order.
        A failure raises :class:`~arrowdata.transforms.outputs.TransformError` naming the row range
        and the original exception type and message."""
        ...


EngineFactory = Callable[[], Engine]

#: name -> factory, or "module:attribute" imported on first use (keeps ray out of ``import arrowdata``).
_REGISTRY: dict[str, Union[str, EngineFactory]] = {
    "local": "arrowdata.engines.local:LocalEngine",
    "ray": "arrowdata.engines.ray:RayEngine",
}
_instances: dict[str, Engine] = {}
_default: str | None = None


def register_engine(name: str, factory: EngineFactory | str) -> None:
    """Make an engine available as ``engine=name`` (a zero-argument factory, or ``"module:attr"``).

    Example:
        >>> from arrowdata.engines.local import LocalEngine
        >>> register_engine("my-pool", LocalEngine)
        >>> resolve_engine("my-pool").name
        'local'
        >>> _ = _REGISTRY.pop("my-pool"), _instances.pop("my-pool")
    """
    _REGISTRY[name] = factory
    _instances.pop(name, None)


def available_engines() -> list[str]:
    """The registered engine names (their packages may still be missing)."""
    return list(_REGISTRY)


def _check_name(name: Any, argument: str) -> str:
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownNameError("engine", str(name), available_engines())
    return name


def set_engine(name: str | None) -> None:
    """Set the engine ``map``/``filter`` use when they get no ``engine=`` (``None``: back to the default,
    ``$ARROWDATA_ENGINE`` or ``"local"``). Nothing is imported or started until a transform runs.

    Example:
        >>> import arrowdata
        >>> arrowdata.set_engine("ray"); arrowdata.get_engine()
        'ray'
        >>> arrowdata.set_engine(None); arrowdata.get_engine()
        'local'
    """
    global _default
    _default = None if name is None else _check_name(name, "set_engine")


def get_engine() -> str:
    """The name of the engine used when ``map``/``filter`` get no ``engine=``."""
    if _default is not None:
        return _default
    return _check_name(os.environ.get("ARROWDATA_ENGINE", "local"), "$ARROWDATA_ENGINE")


def resolve_engine(name: str | None = None) -> Engine:
    """The engine called ``name`` (``None``: :func:`get_engine`); one instance per name and process."""
    name = _check_name(name, "engine") if name is not None else get_engine()
    engine = _instances.get(name)
    if engine is None:
        factory = _REGISTRY[name]
        if isinstance(factory, str):
            module, _, attribute = factory.partition(":")
            factory = getattr(importlib.import_module(module), attribute)
        engine = _instances[name] = factory()
    return engine


@dataclass
class EnginePlan:
    """One transform's engine with its parallelism hint; the worker count is resolved lazily (on a
    cache miss), so a cache hit neither imports nor starts a cluster engine."""

    engine: Engine
    num_proc: int | None
    num_rows: int
    _workers: int | None = field(default=None, repr=False)

    @property
    def in_process(self) -> bool:
        """Run in the calling process, with no workers at all."""
        return self.engine.in_process and self.workers == 1

    @property
    def workers(self) -> int:
        if self._workers is None:
            self._workers = self.engine.workers(self.num_proc, self.num_rows)
        return self._workers

    def run(self, job: "Job", ranges: list[tuple[int, int]], progress: Callable[[int], None]) -> list[Any]:
        return self.engine.run(job, self.workers, ranges, progress)


def plan(engine: str | None, num_proc: int | None, num_rows: int) -> EnginePlan:
    """The :class:`EnginePlan` for ``engine=`` (``None``: the default) and ``num_proc``."""
    return EnginePlan(resolve_engine(engine), num_proc, num_rows)
