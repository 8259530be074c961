"""``steelhil ota COMMAND``: over-the-air update bundles, and the commands others add.

A registry, not a dispatcher: each subcommand is a module with ``register(subparsers)``
that adds its parser and sets ``func`` (``func(args)`` returns the exit status), listed in
the ``steelhil.ota.commands`` entry-point group of pyproject.toml::

    [project.entry-points."steelhil.ota.commands"]
    keygen = "harness.commands.ota_keygen:register"
    sweep = "harness.commands.ota_sweep:register"     # a new one: one line, then
                                                      # pip install -e .  (refreshes the list)

So adding ``ota sweep`` or ``ota gate`` touches neither this file nor the others' modules,
and a plug-in package can add its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

GROUP = "steelhil.ota.commands"

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "ota",
        help="over-the-air updates: signing keys, bundles",
        description="Over-the-air update bundles: make signing keys, build and inspect bundles.",
    )
    commands = parser.add_subparsers(dest="ota_command", metavar="COMMAND", required=True)
    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            add: Register = ep.load()
        except Exception as exc:  # a broken plug-in must not take the other commands down
            print(f"steelhil ota: command {ep.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        add(commands)
