"""Errors raised by the loaders; all derive from :class:`arrowdata.errors.ArrowDataError`."""
from __future__ import annotations

from arrowdata.errors import ArrowDataError


class LoaderError(ArrowDataError, ValueError):
    """A loader cannot turn the data or the arguments it was given into batches.

    The message names the argument or column at fault.

    Example:
        >>> raise LoaderError("batch_size must be a positive integer, got 0")
        Traceback (most recent call last):
        ...
        loaders.errors.LoaderError: batch_size must be a positive integer, got 0
    """


class ResumeStateError(LoaderError):
    """A ``state_dict`` does not belong to this loader (other dataset size, batch size or world size)."""
