"""``metrics.combine([...])``: several metrics fed once, computed together into one dict.

Each member gets every batch; results are merged into one dict. When two members
return the same key, the keys are prefixed with the metric name (``"f1_f1"`` never
happens: only clashing keys are prefixed), as ``evaluate.combine`` does.

Example:
    >>> import metrics
    >>> clf = metrics.combine(["accuracy", "f1", "precision", "recall"])
    >>> clf.compute(predictions=[0, 1, 1, 0], references=[0, 1, 0, 0])
    {'accuracy': 0.75, 'f1': 0.6666666666666666, 'precision': 0.5, 'recall': 1.0}
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from .base import Metric, to_python
from .validation import MetricInputError


class CombinedMetric:
    """Several :class:`~metrics.base.Metric` objects behind one ``add``/``add_batch``/``compute``.

    Args:
        metrics: metric objects or names (loaded with ``metrics.load``).
        force_prefix: prefix every key with its metric's name (``"accuracy_accuracy"``).
    """

    def __init__(self, metrics: Iterable[Metric | str] | Mapping[str, Metric | str], force_prefix: bool = False,
                 **load_kwargs: Any) -> None:
        from .registry import load

        names: list[str] | None = None
        if isinstance(metrics, Mapping):  # evaluate: a dict names each member (prefixes use these names)
            names, metrics = [str(k) for k in metrics], list(metrics.values())
        self.metrics: list[Metric] = []
        for m in metrics:
            if isinstance(m, str):
                m = load(m, **load_kwargs)
            elif not isinstance(m, Metric):
                raise MetricInputError(f"combine: expected metric objects or names, got {type(m).__name__}")
            self.metrics.append(m)
        if not self.metrics:
            raise MetricInputError("combine: give at least one metric")
        self.names = names or [m.name for m in self.metrics]
        self.force_prefix = force_prefix

    def _inputs_for(self, m: Metric, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        # as evaluate: each member gets only the inputs it declares (roc_auc's prediction_scores...)
        wanted = {"predictions", "references", "prediction", "reference", *m._input_names()}
        return {k: v for k, v in kwargs.items() if k in wanted}

    def add(self, **kwargs: Any) -> None:
        """Add one example to every metric."""
        for m in self.metrics:
            m.add(**self._inputs_for(m, kwargs))

    def add_batch(self, **kwargs: Any) -> None:
        """Add a batch to every metric."""
        for m in self.metrics:
            m.add_batch(**self._inputs_for(m, kwargs))

    def reset(self) -> None:
        for m in self.metrics:
            m.reset()

    def compute(self, *, predictions: Any = None, references: Any = None, **options: Any) -> dict[str, Any]:
        """Compute every metric (inputs and options go to the metrics that take them) and merge the results.

        Keys are evaluate's: a key two members share becomes ``<name>_<key>``; members with the same
        name are told apart as ``<name>_<i>_<key>`` (``i`` counting among that name's members).
        """
        results = []
        for m in self.metrics:
            mine = {k: val for k, val in options.items()
                    if k in m.default_options or k in m._input_names()}
            r = m.compute(predictions=predictions, references=references, **mine)
            results.append(r if isinstance(r, dict) else {m.name: r})  # r_squared returns a bare float
        unused = set(options) - {k for m in self.metrics for k in (*m.default_options, *m._input_names())}
        if unused:
            raise MetricInputError(f"combine: no metric takes option(s) {', '.join(sorted(unused))}")
        counts = Counter(k for r in results for k in r)
        dup_names = {n for n, c in Counter(self.names).items() if c > 1}
        seen: Counter = Counter()
        out: dict[str, Any] = {}
        for name, r in zip(self.names, results):
            label = f"{name}_{seen[name]}" if name in dup_names else name
            seen[name] += 1
            for k, val in r.items():
                out[f"{label}_{k}" if self.force_prefix or counts[k] > 1 else k] = val
        return to_python(out)

    def __repr__(self) -> str:
        return f"CombinedMetric({[m.name for m in self.metrics]})"


def combine(metrics: Iterable[Metric | str] | Mapping[str, Metric | str], force_prefix: bool = False, **load_kwargs: Any) -> CombinedMetric:
    """Combine metrics (objects or names) into one; see :class:`CombinedMetric`."""
    return CombinedMetric(metrics, force_prefix=force_prefix, **load_kwargs)
