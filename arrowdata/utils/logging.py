"""Verbosity of arrowdata's loggers, HF ``datasets.utils.logging``'s API.

arrowdata logs through ``logging.getLogger("arrowdata.<module>")``; these functions set the level
of the ``arrowdata`` logger they all propagate to. ``ARROWDATA_VERBOSITY`` (``debug``, ``info``,
``warning``, ``error``, ``critical``) sets the starting level.

Example:
    >>> from arrowdata.utils import logging
    >>> logging.set_verbosity_info(); logging.get_verbosity() == logging.INFO
    True
    >>> logging.get_logger("arrowdata.io").getEffectiveLevel() == logging.INFO
    True
    >>> logging.set_verbosity_warning()
"""
from __future__ import annotations

import logging as _logging
import os

from .tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars, tqdm  # noqa: F401

CRITICAL = FATAL = _logging.CRITICAL
ERROR = _logging.ERROR
WARNING = WARN = _logging.WARNING
INFO = _logging.INFO
DEBUG = _logging.DEBUG
NOTSET = _logging.NOTSET
log_levels = {"debug": DEBUG, "info": INFO, "warning": WARNING, "error": ERROR, "critical": CRITICAL}
_ROOT = "arrowdata"


def _library_logger() -> _logging.Logger:
    return _logging.getLogger(_ROOT)


def _initial_level() -> None:
    env = os.environ.get("ARROWDATA_VERBOSITY", "").strip().lower()
    if env:
        if env not in log_levels:
            _logging.getLogger(__name__).warning("ARROWDATA_VERBOSITY=%r is not one of %s", env, list(log_levels))
        else:
            _library_logger().setLevel(log_levels[env])


def get_logger(name: str | None = None) -> _logging.Logger:
    """The logger ``name`` (default: arrowdata's root logger)."""
    return _logging.getLogger(name if name is not None else _ROOT)


def get_verbosity() -> int:
    """The effective level of arrowdata's loggers (``logging.WARNING`` unless changed)."""
    return _library_logger().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level of arrowdata's loggers (``arrowdata.utils.logging.INFO``...)."""
    _library_logger().setLevel(verbosity)


def set_verbosity_debug() -> None:
    set_verbosity(DEBUG)


def set_verbosity_info() -> None:
    set_verbosity(INFO)


def set_verbosity_warning() -> None:
    set_verbosity(WARNING)


def set_verbosity_error() -> None:
    set_verbosity(ERROR)


def disable_propagation() -> None:
    """Stop arrowdata's records from reaching the root logger's handlers."""
    _library_logger().propagate = False


def enable_propagation() -> None:
    """Let arrowdata's records reach the root logger's handlers (the default)."""
    _library_logger().propagate = True


def disable_progress_bar() -> None:
    """HF's singular spelling of :func:`arrowdata.disable_progress_bars`."""
    disable_progress_bars()


def enable_progress_bar() -> None:
    """HF's singular spelling of :func:`arrowdata.enable_progress_bars`."""
    enable_progress_bars()


def is_progress_bar_enabled() -> bool:
    """Whether arrowdata shows progress bars."""
    return not are_progress_bars_disabled()


_initial_level()
