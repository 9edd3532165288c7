"""The subcommand registry of the ``arrowdata`` command line.

A subcommand is one module with a ``register(subparsers)`` function that adds its parser and
sets ``func`` (called with the parsed ``argparse.Namespace``, returning an exit code). Built-in
commands are listed in :data:`COMMANDS`; third-party packages add theirs through the entry-point
group ``arrowdata.cli`` (each entry point names a ``register(subparsers)`` function).

Example:
    >>> from arrowdata.cli.registry import COMMANDS
    >>> "convert" in COMMANDS
    True
"""
from __future__ import annotations

import argparse
import importlib
import logging
from typing import Callable

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "arrowdata.cli"

Register = Callable[[argparse._SubParsersAction], None]

#: Built-in subcommand name -> module (relative to ``arrowdata.cli``) holding ``register``.
#: Modules are imported lazily so a broken or slow command never delays the others.
COMMANDS: dict[str, str] = {
    "convert": ".convert",
    "info": ".info",
    "head": ".head",
    "cache": ".cache",
}


def register_command(name: str, module: str) -> None:
    """Add a built-in subcommand: ``module`` is an importable path with a ``register(subparsers)``.

    Example:
        >>> register_command("convert", "arrowdata.cli.convert")
    """
    COMMANDS[name] = module


def _load_builtin(name: str, module: str) -> Register | None:
    try:
        mod = importlib.import_module(module, package="arrowdata.cli")
    except ImportError as e:  # a command still being written must not break the others
        logger.debug("arrowdata CLI: skipping %r (%s)", name, e)
        return None
    return getattr(mod, "register", None)


def _plugins() -> list[tuple[str, Register]]:
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found.append((ep.name, ep.load()))
        except ModuleNotFoundError as e:  # declared but not installed: the other commands still work
            logger.info("arrowdata CLI: plugin %r (%s) is not importable: %s", ep.name, ep.value, e)
        except Exception as e:  # a broken plugin must not take the whole CLI down
            logger.warning("arrowdata CLI: plugin %r (%s) failed to load: %s", ep.name, ep.value, e)
    return found


def build_parser() -> argparse.ArgumentParser:
    """The full ``arrowdata`` parser: built-in commands plus every plugin that loads."""
    parser = argparse.ArgumentParser(prog="arrowdata", description="Arrow-backed ML datasets.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for name, module in COMMANDS.items():
        register = _load_builtin(name, module)
        if register is not None:
            register(sub)
            seen.add(name)
    for name, register in _plugins():
        if name in seen:
            logger.warning("arrowdata CLI: plugin %r shadows a built-in command; ignored", name)
            continue
        try:
            register(sub)
        except Exception as e:
            logger.warning("arrowdata CLI: plugin %r failed to register: %s", name, e)
    return parser
