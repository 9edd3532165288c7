"""arrowdata's progress bars, and the switch that silences all of them.

Every long operation (conversion, ``map``, ``save_to_disk``...) makes its bar with :func:`tqdm`,
so :func:`disable_progress_bars` (or ``ARROWDATA_DISABLE_PROGRESS_BARS=1``) turns them all off,
as ``datasets.disable_progress_bars()`` does in Hugging Face ``datasets``.

Example:
    >>> import arrowdata
    >>> arrowdata.disable_progress_bars(); arrowdata.are_progress_bars_disabled()
    True
    >>> tqdm(range(3)).disable
    True
    >>> arrowdata.enable_progress_bars()
"""
from __future__ import annotations

import os
from typing import Any

_disabled = os.environ.get("ARROWDATA_DISABLE_PROGRESS_BARS", "").strip().lower() in ("1", "true", "yes", "on")


def disable_progress_bars() -> None:
    """Silence every arrowdata progress bar (process-wide)."""
    global _disabled
    _disabled = True


def enable_progress_bars() -> None:
    """Show arrowdata's progress bars again (tqdm still hides them when output is not a terminal)."""
    global _disabled
    _disabled = False


def are_progress_bars_disabled() -> bool:
    """Whether :func:`disable_progress_bars` is in effect."""
    return _disabled


def tqdm(*args: Any, **kwargs: Any) -> Any:
    """A ``tqdm.auto.tqdm`` bar, disabled when progress bars are off.

    ``tqdm.auto`` is imported here, on the first bar, because it probes for a notebook on import.
    """
    from tqdm.auto import tqdm as _tqdm

    if _disabled:
        kwargs["disable"] = True
    return _tqdm(*args, **kwargs)
