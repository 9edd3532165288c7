"""The ``arrowdata`` command line: ``convert``, ``info``, ``head``, ``cache`` and plugins.

Example:
    $ arrowdata convert train.jsonl.gz out/
    $ arrowdata info out/
    $ arrowdata head out/ -n 3
"""
from __future__ import annotations

import logging
import sys
from typing import Sequence

from ..errors import ArrowDataError
from .registry import COMMANDS, build_parser, register_command

__all__ = ["main", "COMMANDS", "register_command", "build_parser"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    Errors about the input or the arguments are printed as one line to stderr (exit code 1),
    not a traceback (``-v`` shows it).

    Example:
        >>> main(["--help"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        code = args.func(args)
    except BrokenPipeError:  # `arrowdata head ... | head -1`
        return 0
    except (ArrowDataError, ValueError, TypeError, OSError) as e:
        # bad input or arguments: one clear line; -v shows the traceback for bug reports
        if args.verbose:
            raise
        print(f"arrowdata {args.command}: error: {e}", file=sys.stderr)
        return 1
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
