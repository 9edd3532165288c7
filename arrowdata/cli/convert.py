"""``arrowdata convert IN... OUT``: data files (or a saved folder) into a ``save_to_disk`` folder.

Example:
    $ arrowdata convert logs/*.jsonl.gz out/            # builder from the extension
    $ arrowdata convert data.tsv out/ --builder csv -o delimiter=$'\\t'
    $ arrowdata convert s3://bucket/train.parquet out/ --split train
"""
from __future__ import annotations

import argparse
import logging

from ..errors import UnknownNameError
from ..io import BUILDERS, get_builder, infer_builder, resolve_data_files
from ..io.convert import convert_files
from ..sizes import parse_size
from .opening import parse_options

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("convert", help="convert data files into a saved dataset folder",
                              description="Convert CSV/JSON(L)/Parquet/text/Arrow files (compressed or not, "
                                          "local or any fsspec URL) into a save_to_disk folder.")
    p.add_argument("inputs", nargs="+", metavar="IN", help="input files, folders, globs or URLs")
    p.add_argument("output", metavar="OUT", help="the folder to write")
    p.add_argument("--builder", "-b", help="csv, json, parquet, text or arrow (default: from the extension)")
    p.add_argument("--option", "-o", action="append", metavar="KEY=VALUE",
                   help="a builder option, e.g. -o delimiter=';' -o sample_by=paragraph (repeatable)")
    p.add_argument("--split", default=None, help="split name recorded in the folder")
    p.add_argument("--max-shard-size", default="500MB",
                   help="bytes per .arrow shard: 500MB = 500*1000^2 (decimal), 2GiB = 2*1024^3 (binary)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = parse_options(args.option)
    name = args.builder
    builder_probe = get_builder(name) if name else None
    resolved = resolve_data_files(list(args.inputs), extensions=builder_probe.extensions if builder_probe else None)
    files = resolved["train"]
    if name is None:
        name = infer_builder([f.inner_name for f in files])
        if name is None:
            raise UnknownNameError("builder for files like", files[0].url, list(BUILDERS))
    builder = get_builder(name, **options)
    out = convert_files(builder, files, args.output, split=args.split,
                        max_shard_size=parse_size(args.max_shard_size, "--max-shard-size"),
                        progress=not args.no_progress, overwrite=args.overwrite)
    print(f"{out.num_rows} rows from {len(files)} file(s) -> {out.folder}")
    return 0
