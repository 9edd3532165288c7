"""Reading data files into datasets: builders (csv, json, parquet, text, arrow), file
resolution (local, ``memory://``, ``s3://``, folders, globs), compression, and
:func:`load_dataset`, which converts input once into the cache and memory-maps the result.

Example:
    >>> import arrowdata
    >>> sorted(arrowdata.io.BUILDERS)
    ['arrow', 'csv', 'json', 'parquet', 'text']
"""
from .builder import BUILDERS, Builder, get_builder, infer_builder, register_builder
from .compression import COMPRESSIONS, register_compression

# One line per builder: importing the module registers it.
from . import csv as _csv  # noqa: E402,F401
from . import json as _json  # noqa: E402,F401
from . import parquet as _parquet  # noqa: E402,F401
from . import text as _text  # noqa: E402,F401
from . import arrow as _arrow  # noqa: E402,F401

from .convert import convert_files  # noqa: E402
from .files import DataFile, resolve_data_files  # noqa: E402


def __getattr__(name: str):
    # load_dataset builds Datasets, so io/load.py sits above the core (DESIGN.md, "Layering"); the
    # readers here sit below it. Importing it on first use keeps `import arrowdata.io.csv` off the core.
    if name == "load_dataset":
        from .load import load_dataset

        return load_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["BUILDERS", "Builder", "COMPRESSIONS", "DataFile", "convert_files", "get_builder", "infer_builder",
           "load_dataset", "register_builder", "register_compression", "resolve_data_files"]
