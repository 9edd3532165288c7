"""Exports to training frameworks that live outside arrowdata (``Dataset.to_tf_dataset``).

arrowdata never imports the ``loaders`` package (dependencies flow one way). A framework export
is found by name in a registry, which is filled on first use from the entry-point group
``arrowdata.exporters`` (``loaders`` declares ``tf_dataset = "loaders.tf_method:to_tf_dataset"``
in ``pyproject.toml``) or by :func:`register_exporter`. A missing exporter, or a missing framework,
raises :class:`MissingExporterError`, which says what to install.

Example:
    >>> from arrowdata.exporters import register_exporter, find_exporter
    >>> register_exporter("rows", lambda ds: ds.num_rows)
    >>> from arrowdata import Dataset
    >>> find_exporter("rows")(Dataset.from_dict({"a": [1, 2]}))
    2
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from .dataset_core import DatasetCore
from .errors import MissingExporterError

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "arrowdata.exporters"

#: name -> function(dataset, *args, **kwargs); filled by register_exporter and the entry points.
EXPORTERS: dict[str, Callable[..., Any]] = {}

#: what to install for each exporter arrowdata knows of (for the error message).
INSTALL_HINTS = {"tf_dataset": "pip install 'arrowdata[tf]' (the loaders package and tensorflow)"}


def register_exporter(name: str, function: Callable[..., Any]) -> None:
    """Make ``function(dataset, ...)`` the exporter called ``name`` (replacing any earlier one)."""
    EXPORTERS[name] = function


def find_exporter(name: str) -> Callable[..., Any]:
    """The exporter called ``name``: registered, or loaded from the ``arrowdata.exporters`` entry points.

    Raises:
        MissingExporterError: nothing provides ``name`` (the message says what to install).
    """
    if name not in EXPORTERS:
        _load_entry_point(name)
    if name not in EXPORTERS:
        hint = INSTALL_HINTS.get(name, f"a package declaring the {ENTRY_POINT_GROUP!r} entry point {name!r}")
        raise MissingExporterError(f"no exporter {name!r} is installed; install {hint}")
    return EXPORTERS[name]


def _load_entry_point(name: str) -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        try:
            EXPORTERS[name] = ep.load()
            return
        except ImportError as e:  # declared by an installed distribution, but not importable here
            hint = INSTALL_HINTS.get(name, "the package that provides it")
            raise MissingExporterError(f"exporter {name!r} ({ep.value}) cannot be imported ({e}); "
                                       f"install {hint}") from e


class FrameworkExportOps(DatasetCore):
    """Dataset methods that hand the data to a training framework through an exporter."""

    def to_tf_dataset(self, batch_size: int | None = None, columns: str | list[str] | None = None,
                      shuffle: bool = False, collate_fn: Callable | None = None, drop_remainder: bool = False,
                      collate_fn_args: dict[str, Any] | None = None, label_cols: str | list[str] | None = None,
                      prefetch: bool = True, num_workers: int = 0, num_test_batches: int = 20,
                      **loader_options: Any) -> Any:
        """A ``tf.data.Dataset`` of batches, with Hugging Face ``datasets``' signature and semantics.

        Without ``collate_fn``, list columns are padded per batch inside the tf.data graph (no Python
        per batch); with one, it receives a list of row dicts (plus ``collate_fn_args``), as in HF,
        and a ``transformers.DataCollatorWithPadding`` is recognised and run natively. Elements are
        ``(features, labels)`` when ``label_cols`` is given; a single column comes out as a tensor,
        several as a dict. Provided by the ``loaders`` package (see ``docs/loaders.md``);
        ``loader_options`` are ``loaders.to_tf_dataset``'s extra options (``group_by_length``...).

        Example:
            >>> ds = Dataset.from_dict({"input_ids": [[1, 2, 3], [4]], "label": [0, 1]})  # doctest: +SKIP
            >>> features, labels = next(iter(ds.to_tf_dataset(batch_size=2, columns="input_ids",
            ...                                               label_cols="label")))  # doctest: +SKIP
            >>> features.numpy().tolist(), labels.numpy().tolist()  # doctest: +SKIP
            ([[1, 2, 3], [4, 0, 0]], [0, 1])
        """
        export = find_exporter("tf_dataset")
        return export(self, batch_size=batch_size, columns=columns, shuffle=shuffle, collate_fn=collate_fn,
                      drop_remainder=drop_remainder, collate_fn_args=collate_fn_args, label_cols=label_cols,
                      prefetch=prefetch, num_workers=num_workers, num_test_batches=num_test_batches,
                      **loader_options)
