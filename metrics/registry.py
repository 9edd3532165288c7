"""Find metrics by name: built-ins (imported lazily), user registrations, entry points, local files.

Nothing here touches the network. A built-in is a row in :data:`BUILTIN_METRICS`
(name -> module); importing the module runs its ``@register`` line. Third-party
packages expose metrics through the entry-point group ``arrowdata.metrics``
(``name = "package.module:MetricClass"``). A metric in a local ``.py`` file is
executed only when the caller passes ``trust_code=True``.

Example:
    >>> import metrics
    >>> from metrics.base import Metric
    >>> @metrics.register("always_one", description="Returns 1.")
    ... class AlwaysOne(Metric):
    ...     references_required = False
    ...     def _update(self, predictions, references): pass
    ...     def _compute(self, **_): return {"one": 1.0}
    >>> metrics.load("always_one").compute(predictions=[0])
    {'one': 1.0}
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from arrowdata.errors import ArrowDataError, UnknownNameError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "arrowdata.metrics"

#: built-in metric name -> module that registers it when imported
BUILTIN_METRICS: dict[str, str] = {
    "accuracy": "metrics.classification.accuracy",
    "precision": "metrics.classification.precision",
    "recall": "metrics.classification.recall",
    "f1": "metrics.classification.f1",
    "matthews_correlation": "metrics.classification.matthews",
    "pearsonr": "metrics.classification.pearsonr",
    "spearmanr": "metrics.classification.spearmanr",
    "glue": "metrics.glue",
    "super_glue": "metrics.super_glue",
    "squad": "metrics.squad",
    "squad_v2": "metrics.squad",
    "exact_match": "metrics.exact_match",
    "perplexity": "metrics.perplexity",
    "bleu": "metrics.text.bleu",
    "sacrebleu": "metrics.text.sacrebleu",
    "chrf": "metrics.text.chrf",
    "ter": "metrics.text.ter",
    "rouge": "metrics.text.rouge",
    "meteor": "metrics.text.meteor",
    "wer": "metrics.text.wer",
    "cer": "metrics.text.cer",
    "mse": "metrics.regression.errors",
    "mae": "metrics.regression.errors",
    "mape": "metrics.regression.errors",
    "smape": "metrics.regression.errors",
    "r_squared": "metrics.regression.r_squared",
    "roc_auc": "metrics.scores.roc_auc",
    "brier_score": "metrics.scores.brier",
    "seqeval": "metrics.sequence.seqeval",
    "google_bleu": "metrics.text.gleu",
    "nist_mt": "metrics.text.nist",
    "xnli": "metrics.classification.xnli",
    "bertscore": "metrics.text.bertscore",
    "character": "metrics.text.character",
}

_REGISTRY: dict[str, type] = {}
_ENTRY_POINTS_LOADED = False

M = TypeVar("M", bound=type)


class MetricLoadError(ArrowDataError, ImportError):
    """A metric that exists by name but could not be imported, or untrusted code refused."""


@dataclass(frozen=True)
class MetricInfo:
    """One row of :func:`list_metrics`."""

    name: str
    configs: tuple[str, ...]
    description: str
    module: str


def register(name: str, *, configs: Iterable[str] = (), description: str = "",
             replace: bool = False) -> Callable[[M], M]:
    """Class decorator: make a :class:`metrics.base.Metric` subclass loadable as ``name``.

    Args:
        name: the name for :func:`load`.
        configs: the valid ``config_name`` values (the first is the default).
        description: one line shown by :func:`list_metrics`.
        replace: allow replacing a metric already registered under ``name`` by another class.

    Example:
        >>> from metrics.base import Metric
        >>> @register("my_count", description="Number of examples.")
        ... class MyCount(Metric):
        ...     def _init_states(self): self.add_state("n", 0)
        ...     def _update(self, predictions, references): self.n += len(predictions)
        ...     def _compute(self, **_): return {"n": self.n}
    """
    from .base import Metric

    def deco(cls: M) -> M:
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            raise TypeError(f"@register({name!r}) needs a subclass of metrics.base.Metric, got {cls!r}")
        old = _REGISTRY.get(name)
        if old is not None and old is not cls and not replace and (
                old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"metric {name!r} is already registered by {old.__module__}.{old.__qualname__}; "
                             f"pass replace=True to override it")
        target = cls
        if cls.__dict__.get("name") and cls.__dict__["name"] != name and _REGISTRY.get(cls.__dict__["name"]) is cls:
            # a second name for an already registered class: an alias subclass keeps both names right
            target = type(cls.__name__, (cls,), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        target.name = name
        target.configs = tuple(configs)
        target.description = description or (cls.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = target
        return cls

    return deco


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY or ep.name in BUILTIN_METRICS:
            continue
        try:
            obj = ep.load()
        except Exception as e:  # one broken plugin must not break every other metric
            logger.warning("metric entry point %r (%s) failed to load: %s", ep.name, ep.value, e)
            continue
        _register_object(ep.name, obj, source=f"entry point {ep.value}")


def _register_object(name: str, obj: Any, source: str) -> None:
    from .base import Metric

    if isinstance(obj, type) and issubclass(obj, Metric):
        if _REGISTRY.get(name) is not obj:
            if not obj.name:
                register(name, configs=obj.configs, description=obj.description)(obj)
            else:
                _REGISTRY[name] = obj
    elif name not in _REGISTRY:
        raise MetricLoadError(f"{source} provides {obj!r}, not a metrics.base.Metric subclass")


def _import_builtin(name: str) -> type:
    module = BUILTIN_METRICS[name]
    try:
        importlib.import_module(module)
    except ImportError as e:
        raise MetricLoadError(f"metric {name!r} lives in {module}, which failed to import: {e}") from e
    if name not in _REGISTRY:
        raise MetricLoadError(f"module {module} did not register metric {name!r}")
    return _REGISTRY[name]


def get_metric_class(name: str) -> type:
    """The class registered under ``name`` (built-in, user or entry point)."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name in BUILTIN_METRICS:
        return _import_builtin(name)
    _load_entry_points()
    if name in _REGISTRY:
        return _REGISTRY[name]
    raise UnknownNameError("metric", name, known_names())


def known_names() -> list[str]:
    """Every loadable name, without importing the built-ins."""
    _load_entry_points()
    return sorted(set(BUILTIN_METRICS) | set(_REGISTRY))


def _load_file(path: Path, trust_code: bool) -> type:
    from .base import Metric

    if path.is_dir():  # a folder holding <folder>.py, the layout evaluate's metric scripts use
        path = path / f"{path.name}.py"
    if not trust_code:
        raise MetricLoadError(f"{path}: loading a metric from a local file runs its code; "
                              f"pass trust_code=True if you trust it")
    if not path.is_file():
        from arrowdata.errors import MissingFileError
        raise MissingFileError(str(path))
    mod_name = f"arrowdata_user_metric_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    before = dict(_REGISTRY)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        sys.modules.pop(mod_name, None)
        raise MetricLoadError(f"{path}: failed to run: {e}") from e
    new = [cls for n, cls in _REGISTRY.items() if before.get(n) is not cls]
    if not new:
        new = [obj for obj in vars(module).values()
               if isinstance(obj, type) and issubclass(obj, Metric) and obj.__module__ == mod_name]
    if len(new) != 1:
        raise MetricLoadError(f"{path}: expected exactly one Metric subclass, found {len(new)}"
                              f" ({', '.join(c.__name__ for c in new)})")
    cls = new[0]
    if not cls.name:
        register(path.stem, configs=cls.configs, description=cls.description)(cls)
    return cls


MODULE_TYPES = ("metric", "comparison", "measurement")


def load(path: str | os.PathLike, config_name: str | None = None, module_type: str | None = None,
         process_id: int = 0, num_process: int = 1, cache_dir: str | os.PathLike | None = None,
         experiment_id: str | None = None, keep_in_memory: bool = False, download_config: Any = None,
         download_mode: Any = None, revision: Any = None, *, trust_code: bool = False, **init_kwargs: Any):
    """A fresh metric object by name (or from a local ``.py`` file with ``trust_code=True``).

    The signature is ``evaluate.load``'s, so ``import metrics as evaluate`` ports a script.

    Args:
        path: a registered name (``"accuracy"``, ``"glue"``...) or a path to a ``.py`` file (or to a
            folder holding ``<folder>.py``).
        config_name: the metric's configuration (``"mrpc"`` for glue); ``None`` takes the default.
        module_type: ``"metric"`` (the only kind here) or ``None``; ``"comparison"``/``"measurement"`` raise.
        process_id: this process's rank in ``[0, num_process)`` for file-based gathering.
        num_process: processes whose states ``compute()`` gathers through files (without torch.distributed).
        cache_dir: folder for those gather files (default: the arrowdata cache's ``metrics/``).
        experiment_id: names the gather folder; concurrent runs sharing ``cache_dir`` need different ids.
        keep_in_memory: never write state to disk; refused with ``num_process > 1``, as in evaluate.
        download_config, download_mode, revision: accepted for evaluate compatibility; nothing is
            ever downloaded, so they have no effect.
        trust_code: required to execute a local file; built-ins never need it.
        **init_kwargs: metric options (``average="macro"``) and ``timeout``/``seed``/``num_processes``.

    Example:
        >>> import metrics
        >>> metrics.load("glue", "mrpc", cache_dir=None).compute(predictions=[1, 0, 1], references=[1, 0, 0])
        {'accuracy': 0.6666666666666666, 'f1': 0.6666666666666666}
    """
    if module_type is not None and module_type not in MODULE_TYPES:
        raise ValueError(f"module_type: {module_type!r} is not one of {', '.join(MODULE_TYPES)}")
    if module_type not in (None, "metric"):
        raise UnknownNameError(f"{module_type} module", os.fspath(path), [])
    for name, value in (("download_config", download_config), ("download_mode", download_mode),
                        ("revision", revision)):
        if value is not None:
            logger.debug("metrics.load: %s=%r ignored (metrics are local code, never downloaded)", name, value)
    text = os.fspath(path)
    if text.endswith(".py") or ((os.sep in text or text.startswith(".")) and Path(text).exists()):
        cls = _load_file(Path(text), trust_code)
    else:
        cls = get_metric_class(text)
    if "num_processes" not in init_kwargs:
        init_kwargs["num_processes"] = num_process
    return cls(config_name, process_id=process_id, experiment_id=experiment_id, cache_dir=cache_dir,
               keep_in_memory=keep_in_memory, **init_kwargs)


def list_evaluation_modules(module_type: str | None = None, include_community: bool = True,
                            with_details: bool = False) -> list[str] | list[dict[str, Any]]:
    """``evaluate.list_evaluation_modules``: every metric's name, or with details a dict per metric.

    Example:
        >>> import metrics
        >>> "seqeval" in metrics.list_evaluation_modules(module_type="metric")
        True
    """
    if module_type is not None and module_type not in MODULE_TYPES:
        raise ValueError(f"module_type: {module_type!r} is not one of {', '.join(MODULE_TYPES)}")
    if module_type not in (None, "metric"):
        return []
    if not with_details:
        return known_names()
    return [{"name": i.name, "type": "metric", "community": i.module not in BUILTIN_METRICS.values(),
             "configs": list(i.configs), "description": i.description} for i in list_metrics()]


def list_metrics(with_details: bool = True) -> list[MetricInfo] | list[str]:
    """Every known metric with its configs and one-line description (imports each built-in).

    Example:
        >>> import metrics
        >>> "glue" in [m.name for m in metrics.list()]
        True
    """
    if not with_details:
        return known_names()
    out = []
    for name in known_names():
        try:
            cls = get_metric_class(name)
            out.append(MetricInfo(name, tuple(cls.configs), cls.description, cls.__module__))
        except (MetricLoadError, UnknownNameError) as e:
            logger.debug("metric %s unavailable: %s", name, e)
            out.append(MetricInfo(name, (), f"(unavailable: {e})", BUILTIN_METRICS.get(name, "?")))
    return out
