"""Input checks shared by every metric, with errors that say which argument is wrong and why.

Metrics call these at the top of ``_update`` so a bad batch fails before it
touches the state.

Example:
    >>> labels("predictions", [1, 0, 1]).tolist()
    [1, 0, 1]
    >>> texts("predictions", "a sentence")
    Traceback (most recent call last):
    ...
    metrics.validation.MetricInputError: predictions: expected a list of strings, got one string; wrap it in a list
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from arrowdata.errors import ArrowDataError


class MetricInputError(ArrowDataError, ValueError):
    """Predictions, references or options a metric cannot use; names the argument."""


def _is_tensor(x: Any) -> bool:
    return hasattr(x, "detach") and hasattr(x, "cpu") or type(x).__module__.startswith(("tensorflow", "jax"))


def as_sequence(name: str, values: Any) -> Sequence:
    """``values`` as something with a length and indexing; rejects scalars and bare strings."""
    if isinstance(values, (str, bytes)):
        raise MetricInputError(f"{name}: expected a list, got one string; wrap it in a list")
    if values is None:
        raise MetricInputError(f"{name}: missing (got None)")
    if isinstance(values, dict):
        raise MetricInputError(f"{name}: expected a list, got a dict")
    if _is_tensor(values):
        values = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values)
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):  # pandas, polars, pyarrow
        try:
            values = values.to_numpy(zero_copy_only=False)
        except TypeError:
            values = values.to_numpy()
    if isinstance(values, np.ndarray):
        if values.ndim == 0:
            raise MetricInputError(f"{name}: expected a list, got a scalar {values.item()!r}")
        return values
    if not hasattr(values, "__len__") or not hasattr(values, "__getitem__"):
        try:
            return list(values)
        except TypeError:
            raise MetricInputError(f"{name}: expected a list, got {type(values).__name__}") from None
    return values


def check_lengths(predictions: Sequence, references: Sequence, pred_name: str = "predictions",
                  ref_name: str = "references") -> None:
    """Raise unless both have the same length, giving both lengths."""
    if len(predictions) != len(references):
        raise MetricInputError(f"{pred_name} and {ref_name} differ in length: "
                               f"{len(predictions)} {pred_name} vs {len(references)} {ref_name}")


def labels(name: str, values: Any) -> np.ndarray:
    """Class labels (ints, bools or strings) as a 1-D numpy array.

    Floats are accepted only when integral (``1.0``), as scikit-learn does; NaN is refused.
    """
    seq = as_sequence(name, values)
    try:
        arr = np.asarray(seq) if not isinstance(seq, np.ndarray) else seq
    except ValueError:  # ragged nesting
        raise MetricInputError(f"{name}: expected a flat list of labels, got nested lists") from None
    if arr.ndim != 1:
        raise MetricInputError(f"{name}: expected a flat list of labels, got shape {arr.shape}")
    if arr.dtype == object:
        kinds = {type(v) for v in arr.tolist()}
        if kinds <= {int, bool} or kinds <= {str}:
            arr = np.asarray(arr.tolist())
        elif kinds:
            raise MetricInputError(f"{name}: labels must be ints, bools or strings of one kind, "
                                   f"got {sorted(k.__name__ for k in kinds)}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise MetricInputError(f"{name}: labels contain NaN or inf at index {int(np.argmin(np.isfinite(arr)))}")
        if not np.all(arr == np.round(arr)):
            bad = int(np.argmax(arr != np.round(arr)))
            raise MetricInputError(f"{name}: labels must be integers, got {arr[bad].item()!r} at index {bad} "
                                   f"(use pearsonr/spearmanr for continuous values)")
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuUS":
        raise MetricInputError(f"{name}: labels must be ints, bools or strings, got dtype {arr.dtype}")
    return arr


def floats(name: str, values: Any, *, finite: bool = True) -> np.ndarray:
    """Real numbers as a 1-D float64 array; NaN or inf refused (with the first index) unless ``finite=False``."""
    seq = as_sequence(name, values)
    try:
        arr = np.asarray(seq, dtype=np.float64)
    except (TypeError, ValueError):
        raise MetricInputError(f"{name}: expected numbers, got {type(seq[0]).__name__ if len(seq) else '?'}") from None
    if arr.ndim != 1:
        raise MetricInputError(f"{name}: expected a flat list of numbers, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.argmin(np.isfinite(arr)))
        raise MetricInputError(f"{name}: NaN or inf at index {bad} ({float(arr[bad])!r})")
    return arr


def texts(name: str, values: Any) -> list[str]:
    """A list of strings; refuses one bare string and non-string items (naming the index)."""
    if isinstance(values, str):
        raise MetricInputError(f"{name}: expected a list of strings, got one string; wrap it in a list")
    seq = as_sequence(name, values)
    out = list(seq.tolist() if isinstance(seq, np.ndarray) else seq)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise MetricInputError(f"{name}[{i}]: expected a string, got {type(v).__name__}")
    return out


def reference_lists(name: str, values: Any) -> list[list[str]]:
    """References as one list of strings per prediction.

    A plain list of strings means one reference each (``["a", "b"]`` -> ``[["a"], ["b"]]``);
    prediction counts may vary.
    """
    if isinstance(values, str):
        raise MetricInputError(f"{name}: expected a list, got one string; wrap it in a list")
    seq = as_sequence(name, values)
    out: list[list[str]] = []
    for i, v in enumerate(seq.tolist() if isinstance(seq, np.ndarray) else seq):
        if isinstance(v, str):
            out.append([v])
        elif isinstance(v, (list, tuple)) or isinstance(v, np.ndarray):
            refs = list(v.tolist() if isinstance(v, np.ndarray) else v)
            for j, r in enumerate(refs):
                if not isinstance(r, str):
                    raise MetricInputError(f"{name}[{i}][{j}]: expected a string, got {type(r).__name__}")
            out.append(refs)
        else:
            raise MetricInputError(f"{name}[{i}]: expected a string or a list of strings, got {type(v).__name__}")
    return out


def choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """``value`` if it is one of ``allowed``; otherwise an error listing them."""
    if value not in allowed:
        raise MetricInputError(f"{name}: {value!r} is not one of {', '.join(repr(a) for a in allowed)}")
    return value


def finite_number(name: str, value: Any) -> float:
    """A finite real number option."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise MetricInputError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise MetricInputError(f"{name}: expected a finite number, got {value!r}")
    return x


def positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` if it is an int ≥ ``minimum`` (bools refused), else a :class:`MetricInputError` naming ``name``.

    Example:
        >>> positive_int("max_order", 4), positive_int("word_order", 0, minimum=0)
        (4, 0)
    """
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise MetricInputError(f"{name}: expected {wanted}, got {value!r}")
    return int(value)


def real_matrix(name: str, values: Any) -> np.ndarray:
    """Real numbers of shape ``(n,)`` or ``(n, outputs)`` as a 2-D float64 array ``(n, outputs)``.

    NaN and inf are refused with the first bad position, naming ``name``.

    Example:
        >>> real_matrix("predictions", [1, 2.5]).shape
        (2, 1)
    """
    seq = as_sequence(name, values)
    try:
        arr = np.asarray(seq, dtype=np.float64)
    except (TypeError, ValueError):
        raise MetricInputError(f"{name}: expected numbers or equal-length lists of numbers") from None
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise MetricInputError(f"{name}: expected shape (n,) or (n, outputs), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        row, col = map(int, np.argwhere(~np.isfinite(arr))[0])
        where = f"index {row}" if arr.shape[1] == 1 else f"index [{row}, {col}]"
        raise MetricInputError(f"{name}: NaN or inf at {where} ({float(arr[row, col])!r})")
    return arr
