"""Output formats: what ``ds[i]``, ``ds[i:j]``, ``ds["col"]`` and iteration return.

A formatter turns an Arrow table into a row, a batch or a column of one type. Formatters
live in a registry, one module each; a new one is one file and one
``register_formatter(name, cls)`` line. Framework formatters import their framework only
when first used.

Example:
    >>> import pyarrow as pa
    >>> t = pa.table({"a": [1, 2]})
    >>> format_table(t, "batch", Format("numpy"))["a"]
    array([1, 2])
"""
from __future__ import annotations

from .base import Format, Formatter, format_table, get_formatter, known_formats, register_formatter
from .python import PythonFormatter
from .numpy import NumpyFormatter
from .arrow import ArrowFormatter
from .pandas import PandasFormatter
from .polars import PolarsFormatter
from .torch import TorchFormatter
from .tensorflow import TensorFlowFormatter
from .jax import JaxFormatter

register_formatter("python", PythonFormatter, aliases=[None])
register_formatter("numpy", NumpyFormatter, aliases=["np"])
register_formatter("arrow", ArrowFormatter, aliases=["pa", "pyarrow"])
register_formatter("pandas", PandasFormatter, aliases=["pd"])
register_formatter("polars", PolarsFormatter, aliases=["pl"])
register_formatter("torch", TorchFormatter, aliases=["pt", "pytorch"])
register_formatter("tensorflow", TensorFlowFormatter, aliases=["tf"])
register_formatter("jax", JaxFormatter)

__all__ = ["Format", "Formatter", "format_table", "get_formatter", "known_formats", "register_formatter"]
