"""``arrowdata metric NAME``: score prediction and reference files from the command line; prints JSON.

Files hold one text per line, or JSON Lines (one JSON value per line: a string, a number, a
list of references, a SQuAD dict...). ``--format auto`` (the default) reads ``.jsonl``,
``.ndjson`` and ``.json`` files as JSON Lines; other files as text, except that a file whose
every line is a number is read as numbers (labels or scores). ``--format text`` keeps every
line a string.

Example:
    $ arrowdata metric sacrebleu --predictions hyp.txt --references ref.txt
    $ arrowdata metric glue --config mrpc --predictions preds.txt --references labels.txt
    $ arrowdata metric f1 --predictions p.txt --references r.txt --option average=macro
    $ arrowdata metric list
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from arrowdata.errors import DataFileError, MissingFileError

JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``metric`` subcommand to the ``arrowdata`` CLI (entry point ``arrowdata.cli``)."""
    p = subparsers.add_parser("metric", help="compute a metric on prediction/reference files",
                              description="Compute a metric on files of predictions and references "
                                          "(one per line, or JSON Lines) and print the result as JSON. "
                                          "NAME 'list' prints the known metrics.")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="metric name (e.g. accuracy, glue, sacrebleu), or 'list'")
    p.add_argument("--config", "-c", help="config name (e.g. mrpc for glue)")
    p.add_argument("--predictions", "-p", help="file of predictions")
    p.add_argument("--references", "-r", help="file of references")
    p.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                   help="metric option; VALUE is parsed as JSON when it can be (true, 3, [1,2]), "
                        "else kept as a string; repeatable")
    p.add_argument("--format", choices=["auto", "text", "jsonl"], default="auto",
                   help="how to read both files (default auto)")


def parse_option(text: str) -> tuple[str, Any]:
    """``"k=v"`` -> ``("k", parsed v)``.

    Example:
        >>> parse_option("average=macro"), parse_option("max_order=2"), parse_option("labels=[0, 1]")
        (('average', 'macro'), ('max_order', 2), ('labels', [0, 1]))
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--option {text!r}: expected KEY=VALUE")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip(), parsed


def _is_number(line: str) -> bool:
    try:
        float(line)
    except ValueError:
        return False
    return line.strip() != ""


def read_values(path: str, fmt: str = "auto") -> list[Any]:
    """The values of a predictions/references file (see the module doc for the formats)."""
    p = Path(path)
    # exists() rather than is_file(): pipes such as bash's <(...) are files to read too.
    if not p.exists() or p.is_dir():
        raise MissingFileError(str(p))
    raw = p.read_bytes()  # read once: a pipe cannot be read a second time for the error's line number
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise DataFileError(f"not UTF-8 text ({e.reason})", path=str(p), line=line) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":  # the final newline ends the last line; it does not start a new one
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if fmt == "jsonl" or (fmt == "auto" and p.suffix.lower() in JSON_SUFFIXES):
        values = []
        for i, ln in enumerate(lines, 1):
            if not ln.strip():
                continue
            try:
                values.append(json.loads(ln))
            except json.JSONDecodeError as e:
                raise DataFileError(f"invalid JSON: {e.msg}", path=str(p), line=i, column=None) from None
        return values
    if fmt == "auto" and lines and all(_is_number(ln) for ln in lines):
        nums = [float(ln) for ln in lines]
        return [int(x) if x.is_integer() and "." not in ln and "e" not in ln.lower() else x
                for x, ln in zip(nums, lines)]
    return lines


def _jsonable(x: Any) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else str(x)


def run(args: argparse.Namespace) -> int:
    """Load the metric, read both files, compute, print JSON; returns the exit code."""
    import metrics

    if args.name == "list":
        for info in metrics.list():
            configs = f" [{', '.join(info.configs)}]" if info.configs else ""
            print(f"{info.name}{configs}: {info.description}")
        return 0
    if not args.predictions:
        raise ValueError("--predictions FILE is required")
    options = dict(parse_option(o) for o in args.option)
    metric = metrics.load(args.name, args.config, **options)
    predictions = read_values(args.predictions, args.format)
    references = read_values(args.references, args.format) if args.references else None
    if references is None and metric.references_required:
        raise ValueError(f"--references FILE is required by {args.name}")
    if references is not None and len(predictions) != len(references):
        raise ValueError(f"{args.predictions} has {len(predictions)} entries but {args.references} has "
                         f"{len(references)}")
    result = metric.compute(predictions=predictions, references=references)
    json.dump(result, sys.stdout, default=_jsonable, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m metrics.cli NAME ...`` without the ``arrowdata`` front end."""
    from arrowdata.errors import ArrowDataError

    parser = argparse.ArgumentParser(prog="arrowdata metric")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ArrowDataError, ValueError, TypeError, OSError) as e:
        print(f"arrowdata metric: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
