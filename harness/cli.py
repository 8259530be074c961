"""The ``steelhil`` command line.

Subcommands are discovered through the ``steelhil.commands`` entry-point group so that a
new command (or a plug-in shipped by another package) is added by registering it, never by
editing this dispatcher.  Each registered object is a callable ``register(subparsers)``
that adds its parser and sets ``func`` on it; ``func(args)`` returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steelhil",
        description="HIL test and emulation harness for Steel-programmable ESP32-C3 boards.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for ep in sorted(entry_points(group="steelhil.commands"), key=lambda e: e.name):
        try:
            register: Register = ep.load()
        except Exception as exc:  # a broken plug-in must not take the other commands down
            print(f"steelhil: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    status: int = func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
