"""The :class:`Metric` base class: accumulate sufficient statistics, merge them, compute.

How to write a metric
---------------------
One file, one class, one registration line. Declare the state in ``_init_states``
with :meth:`Metric.add_state`, fold each batch into it in ``_update``, and turn the
state into numbers in ``_compute``. Options have defaults in ``default_options``;
the ones ``_update`` reads must be listed in ``state_options`` (they are frozen
once data has been added; passing a different value to ``compute()`` together
with fresh predictions recomputes on a new copy, as ``evaluate`` users expect)::

    import numpy as np
    from metrics.base import Metric
    from metrics.registry import register
    from metrics import validation as v

    @register("token_accuracy", configs=["default", "strict"],
              description="Share of tokens predicted exactly.")
    class TokenAccuracy(Metric):
        default_options = {"lowercase": False, "normalize": True}
        state_options = ("lowercase",)            # used by _update, fixed while data is held

        def _init_states(self):
            self.add_state("correct", 0, reduce="sum")      # additive count
            self.add_state("total", 0, reduce="sum")
            self.add_state("lengths", None, reduce="cat")   # every value kept, in Arrow

        def _update(self, predictions, references):
            preds = v.texts("predictions", predictions)
            refs = v.texts("references", references)
            v.check_lengths(preds, refs)
            if self.options["lowercase"] or self.config_name == "strict":
                preds, refs = [p.lower() for p in preds], [r.lower() for r in refs]
            self.correct += sum(p == r for p, r in zip(preds, refs))
            self.total += len(preds)
            self.lengths.append([len(p) for p in preds])

        def _compute(self, *, normalize, **_):
            if normalize:
                return {"token_accuracy": self.correct / self.total if self.total else 0.0}
            return {"token_accuracy": float(self.correct)}

Then ``metrics.load("token_accuracy")`` finds it (built-ins are listed in
:data:`metrics.registry.BUILTIN_METRICS`, third-party ones through the entry-point
group ``arrowdata.metrics``).

State kinds (``reduce=``): ``"sum"`` (ints, floats, numpy arrays), ``"max"``, ``"min"``,
``"cat"`` (a :class:`metrics.state.CatState` of Arrow chunks: ``.append(values)``,
``.to_numpy()``, ``.to_arrow()``, ``.to_pylist()``) and ``"counts"`` (a
:class:`metrics.state.CountState`: ``.add({"pred": p, "ref": r}, weights=None)``,
``.to_table()`` -> one row per distinct key with its ``count``). States are plain
attributes (``self.correct``), so ``+=`` works on sums.

Using a metric
--------------
>>> import metrics
>>> acc = metrics.load("accuracy")
>>> acc.add_batch(predictions=[1, 0], references=[1, 1])
>>> acc.add(prediction=1, reference=1)
>>> acc.compute()
{'accuracy': 0.6666666666666666}

``compute()`` clears the state afterwards, as ``evaluate`` does; ``merge(other)``
folds another instance's state in, and ``state_dict()`` / ``load_state_dict()``
(or ``to_bytes()`` / ``from_bytes()``) carry it between processes without pickle.
With ``torch.distributed`` initialised, or with ``num_processes``/``process_id``
given, ``compute()`` gathers every process's state first (see
:mod:`metrics.distributed`).
"""
from __future__ import annotations

import copy
import logging
import os
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np

from arrowdata.errors import UnknownNameError

from . import state as _state
from .validation import MetricInputError

logger = logging.getLogger(__name__)


class Metric:
    """Base of every metric: additive state, validated inputs, mergeable, gatherable.

    Args:
        config_name: one of the class's ``configs`` (``None`` takes the first, or no config).
        num_processes: processes taking part in a file-based gather (without torch.distributed);
            ``num_process``, evaluate's spelling, is accepted too.
        process_id: this process's rank in ``[0, num_processes)``.
        experiment_id: names the gather folder ``cache_dir()/metrics/<experiment_id>/``; runs
            sharing a cache at the same time need different ids.
        timeout: seconds a file-based gather waits for the other processes before raising.
        **options: metric options overriding ``default_options`` (also accepted by ``compute``).

    Example:
        >>> import metrics
        >>> f1 = metrics.load("f1", average="macro")
        >>> f1.compute(predictions=[0, 1, 2, 2], references=[0, 1, 1, 2])["f1"]
        0.7777777777777777
    """

    #: set by :func:`metrics.registry.register`
    name: ClassVar[str] = ""
    configs: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    #: options and their defaults; anything else passed in is an error naming the valid ones
    default_options: ClassVar[Mapping[str, Any]] = {}
    #: options ``_update`` reads: fixed while the metric holds data
    state_options: ClassVar[Sequence[str]] = ()
    #: whether a config must be named (GLUE has no sensible default task)
    config_required: ClassVar[bool] = False
    #: whether ``references`` may be omitted (perplexity takes predictions only)
    references_required: ClassVar[bool] = True
    #: per-example inputs besides predictions/references that ``_update`` accepts (e.g. sample_weight)
    extra_inputs: ClassVar[Sequence[str]] = ()
    #: the name evaluate gives the predictions input (roc_auc: ``"prediction_scores"``); always also
    #: accepted as ``predictions``
    prediction_input: ClassVar[str] = "predictions"
    #: evaluate's module attributes: citation (BibTeX), the inputs' features, the argument documentation
    citation: ClassVar[str] = ""
    feature_types: ClassVar[Mapping[str, Any]] = {}
    module_type: ClassVar[str] = "metric"

    def __init__(self, config_name: str | None = None, *, num_processes: int = 1, process_id: int = 0,
                 experiment_id: str | None = None, timeout: float = 100.0, cache_dir: str | os.PathLike | None = None,
                 keep_in_memory: bool = False, seed: int | None = None, **options: Any) -> None:
        if "num_process" in options and "num_process" not in self.default_options:
            num_processes = options.pop("num_process")  # evaluate's spelling, accepted as an alias
        self.config_name = self._check_config(config_name)
        self.options = self._check_options(options)
        if not isinstance(num_processes, int) or num_processes < 1:
            raise MetricInputError(f"num_processes: expected a positive int, got {num_processes!r}")
        if not isinstance(process_id, int) or not 0 <= process_id < num_processes:
            raise MetricInputError(f"process_id: expected an int in [0, {num_processes}), got {process_id!r}")
        if keep_in_memory and num_processes > 1:
            raise MetricInputError("keep_in_memory: cannot be True with num_process > 1 (processes exchange their "
                                   "states through files in cache_dir)")
        self.num_processes, self.process_id = num_processes, process_id
        self.experiment_id = experiment_id or "default_experiment"
        #: where file-based gathering writes (``None``: ``arrowdata`` cache ``/metrics``); evaluate's ``cache_dir``
        self.cache_dir = None if cache_dir is None else os.path.expanduser(os.fspath(cache_dir))
        # the state never leaves memory outside a gather, so keep_in_memory only forbids file-based gathering
        self.keep_in_memory, self.seed = bool(keep_in_memory), seed
        self.timeout = float(timeout)
        self._specs: dict[str, tuple[Any, str]] = {}
        self._num_updates = 0
        self._init_states()

    # --- to override ------------------------------------------------------------------------------

    def _init_states(self) -> None:
        """Declare the state with :meth:`add_state`; ``self.options`` and ``self.config_name`` are set."""

    def _update(self, predictions: Any, references: Any, **extra: Any) -> None:
        """Validate one batch and fold it into the state."""
        raise NotImplementedError

    def _compute(self, **options: Any) -> dict[str, Any]:
        """The result from the (gathered) state; ``options`` are the effective options."""
        raise NotImplementedError

    # --- state ------------------------------------------------------------------------------------

    def add_state(self, name: str, default: Any, reduce: str = "sum") -> None:
        """Declare a state attribute and how it merges (``"sum"``, ``"max"``, ``"min"``, ``"cat"``,
        ``"counts"``). For ``"cat"`` the default is an Arrow type or ``None``; for ``"counts"`` the
        list of key column names."""
        reducer = _state.get_reducer(reduce)
        if name in self._specs or (hasattr(type(self), name)):
            raise ValueError(f"state {name!r} clashes with an existing state or attribute of {type(self).__name__}")
        self._specs[name] = (default, reduce)
        setattr(self, name, reducer.fresh(default))

    def reset(self) -> None:
        """Drop everything added so far."""
        for name, (default, reduce) in self._specs.items():
            setattr(self, name, _state.get_reducer(reduce).fresh(default))
        self._num_updates = 0

    def state_dict(self) -> dict[str, Any]:
        """The state as ``{name: value}`` (copies), plus nothing else; see :meth:`load_state_dict`."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self._specs}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the state with ``state`` (as returned by :meth:`state_dict`)."""
        missing, unknown = set(self._specs) - set(state), set(state) - set(self._specs)
        if missing or unknown:
            raise _state.MetricStateError(f"{self.name}: state keys do not match: missing {sorted(missing)}, "
                                          f"unknown {sorted(unknown)}")
        for name, value in state.items():
            setattr(self, name, copy.deepcopy(value))
        self._num_updates = max(self._num_updates, 1)

    def merge(self, other: "Metric") -> "Metric":
        """Fold ``other``'s state into this one (same metric, config and state options); returns self."""
        if type(other) is not type(self) or other.config_name != self.config_name:
            raise _state.MetricStateError(f"cannot merge {other.name}/{other.config_name} into "
                                          f"{self.name}/{self.config_name}")
        for opt in self.state_options:
            if other.options.get(opt) != self.options.get(opt):
                raise _state.MetricStateError(f"cannot merge: option {opt!r} differs "
                                              f"({self.options.get(opt)!r} vs {other.options.get(opt)!r})")
        self._merge_states(other.state_dict())
        self._num_updates += other._num_updates
        return self

    def _merge_states(self, states: Mapping[str, Any]) -> None:
        for name, (_, reduce) in self._specs.items():
            setattr(self, name, _state.get_reducer(reduce).merge(getattr(self, name), states[name]))

    def to_bytes(self) -> bytes:
        """The state serialised with Arrow IPC (never pickle); see :meth:`from_bytes`."""
        return _state.encode_states(self.state_dict(), {n: r for n, (_, r) in self._specs.items()},
                                    extra={"metric": self.name, "config": self.config_name,
                                           "state_options": {k: _jsonable(self.options.get(k))
                                                             for k in self.state_options},
                                           "num_updates": self._num_updates})

    def _decode(self, data: bytes, source: str = "<bytes>") -> tuple[dict, dict]:
        states, extra = _state.decode_states(data, {n: d for n, (d, _) in self._specs.items()}, source)
        if extra.get("metric") != self.name or extra.get("config") != self.config_name:
            raise _state.MetricStateError(f"{source}: state of {extra.get('metric')}/{extra.get('config')}, "
                                          f"expected {self.name}/{self.config_name}")
        return states, extra

    def from_bytes(self, data: bytes) -> "Metric":
        """Load a state written by :meth:`to_bytes` (replacing the current one); returns self."""
        states, extra = self._decode(data)
        self.load_state_dict(states)
        self._num_updates = int(extra.get("num_updates", 1))
        return self

    # --- public API -------------------------------------------------------------------------------

    @property
    def features(self) -> Any:
        """The inputs' :class:`arrowdata.features.Features` (evaluate's ``features`` attribute)."""
        from arrowdata.features import Features, Value

        types = self.feature_types or {self.prediction_input: Value("null"), "references": Value("null")}
        return Features(dict(types))

    @property
    def inputs_description(self) -> str:
        """What ``add``/``add_batch``/``compute`` take and return (the class docstring)."""
        import inspect

        return inspect.getdoc(type(self)) or ""

    def _input_names(self) -> tuple[str, ...]:
        """The per-example inputs, with evaluate's names (for :func:`metrics.combine`)."""
        refs = ("references",) if self.references_required else ()
        return (self.prediction_input, *refs, *self.extra_inputs)

    def _take_prediction_alias(self, predictions: Any, extra: dict) -> Any:
        if self.prediction_input != "predictions" and self.prediction_input in extra:
            alias = extra.pop(self.prediction_input)
            if predictions is not None and alias is not None:
                raise MetricInputError(f"{self.name}: give either predictions or {self.prediction_input}, not both")
            return alias
        return predictions

    def add(self, *, prediction: Any = None, reference: Any = None, **extra: Any) -> None:
        """Add one example (evaluate's plural keywords, ``references=`` or ``prediction_scores=``, work too)."""
        if reference is None and "references" in extra:
            reference = extra.pop("references")
        if prediction is None and "predictions" in extra:
            prediction = extra.pop("predictions")
        prediction = self._take_prediction_alias(prediction, extra)
        if prediction is None:
            raise MetricInputError(f"{self.name}: prediction is missing")
        if reference is None and self.references_required:
            raise MetricInputError(f"{self.name}: reference is missing")
        self.add_batch(predictions=[prediction],
                       references=None if reference is None and not self.references_required else [reference],
                       **{k: [v] for k, v in extra.items()})

    def add_batch(self, *, predictions: Any = None, references: Any = None, **extra: Any) -> None:
        """Add a batch of examples (lists, numpy, pandas, pyarrow or torch)."""
        predictions = self._take_prediction_alias(predictions, extra)
        self._check_extra(extra)
        if predictions is None:
            raise MetricInputError(f"{self.name}: predictions are missing")
        if references is None and self.references_required:
            raise MetricInputError(f"{self.name}: references are missing")
        if isinstance(predictions, (str, bytes)):
            raise MetricInputError("predictions: expected a list, got one string; wrap it in a list "
                                   "(or use add(prediction=...))")
        if isinstance(references, (str, bytes)):
            raise MetricInputError("references: expected a list, got one string; wrap it in a list "
                                   "(or use add(reference=...))")
        self._update(predictions, references, **extra)
        self._num_updates += 1

    def compute(self, *, predictions: Any = None, references: Any = None, **options: Any) -> dict[str, Any] | None:
        """Add ``predictions``/``references`` if given, gather across processes, compute, then reset.

        Returns a dict of plain Python numbers (lists for per-example values).
        """
        predictions = self._take_prediction_alias(predictions, options)
        extra = {k: options.pop(k) for k in list(options) if k in self.extra_inputs}
        opts = self._check_options(options, base=self.options)
        changed = [k for k in self.state_options if _differs(opts.get(k), self.options.get(k))]
        if changed:
            if self._num_updates:
                raise MetricInputError(
                    f"{self.name}: option(s) {', '.join(changed)} shape the accumulated state; pass them "
                    f"to metrics.load(...) before adding data")
            fresh = type(self)(self.config_name, num_processes=self.num_processes, process_id=self.process_id,
                               experiment_id=self.experiment_id, timeout=self.timeout, cache_dir=self.cache_dir,
                               **opts)
            return fresh.compute(predictions=predictions, references=references, **extra)
        if predictions is not None or references is not None:
            self.add_batch(predictions=predictions, references=references, **extra)
        from . import distributed

        try:
            distributed.gather_into(self)
            result = self._compute(**opts)
        finally:
            self.reset()
        return to_python(result)

    def __repr__(self) -> str:
        cfg = f", config={self.config_name!r}" if self.config_name else ""
        return f"{type(self).__name__}(name={self.name!r}{cfg}, options={self.options})"

    # --- helpers ----------------------------------------------------------------------------------

    def _check_config(self, config_name: str | None) -> str | None:
        if not self.configs:
            if config_name not in (None, "default"):
                raise UnknownNameError(f"{self.name} config (it has no configs)", config_name, ["default"])
            return None
        if config_name is None:
            if self.config_required:
                raise MetricInputError(f"metric {self.name!r} needs a config_name, one of: {', '.join(self.configs)}"
                                       f" (e.g. metrics.load({self.name!r}, {self.configs[0]!r}))")
            return self.configs[0]
        if config_name not in self.configs:
            raise UnknownNameError(f"{self.name} config", config_name, list(self.configs))
        return config_name

    def _check_options(self, options: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
        unknown = sorted(set(options) - set(self.default_options))
        if unknown:
            valid = ", ".join(sorted(self.default_options)) or "none"
            raise MetricInputError(f"{self.name}: unknown option(s) {', '.join(unknown)}; valid options: {valid}")
        merged = dict(self.default_options if base is None else base)
        merged.update(options)
        return merged

    def _check_extra(self, extra: Mapping[str, Any]) -> None:
        unknown = sorted(set(extra) - set(self.extra_inputs))
        if unknown:
            valid = ", ".join(["predictions", "references", *self.extra_inputs])
            raise MetricInputError(f"{self.name}: unknown input(s) {', '.join(unknown)}; inputs are {valid}")


def _differs(a: Any, b: Any) -> bool:
    try:
        return bool(a != b)
    except (ValueError, TypeError, RuntimeError):  # arrays/tensors: no single truth value; compare by value
        return not np.array_equal(np.asarray(a), np.asarray(b))


def _jsonable(x: Any) -> Any:
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    if isinstance(x, (list, tuple)):
        return [_jsonable(i) for i in x]
    return repr(x)


def to_python(result: Any) -> Any:
    """numpy/torch scalars and arrays inside a result as plain Python floats, ints, lists."""
    if isinstance(result, dict):
        return {k: to_python(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return [to_python(v) for v in result]
    if isinstance(result, np.ndarray):
        return to_python(result.tolist())
    if isinstance(result, np.generic):
        return result.item()
    if hasattr(result, "item") and hasattr(result, "detach"):
        return result.item() if result.ndim == 0 else to_python(result.tolist())
    return result


__all__ = ["Metric", "MetricInputError", "to_python"]
