"""The module paths Hugging Face ``datasets`` scripts import (``datasets.utils.logging``...).

Only HF-named modules live here: ``logging`` (verbosity, loggers, progress bars) and ``tqdm``
(the progress bars every long arrowdata operation shows).

Example:
    >>> from arrowdata.utils import logging
    >>> logging.set_verbosity_error(); logging.get_verbosity() == logging.ERROR
    True
    >>> logging.set_verbosity_warning()
"""
from .tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars  # noqa: F401
from .logging import disable_progress_bar, enable_progress_bar, is_progress_bar_enabled  # noqa: F401
from . import logging  # noqa: F401

__all__ = ["are_progress_bars_disabled", "disable_progress_bar", "disable_progress_bars", "enable_progress_bar",
           "enable_progress_bars", "is_progress_bar_enabled", "logging"]
