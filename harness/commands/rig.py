"""``steelhil rig check --rig FILE``: every board with its port, power driver and lock.

Exit status 0 when the rig is whole, 1 when a board's port is missing or its power driver
does not answer, 2 when the rig file itself is wrong (every problem listed with file, line
and column).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("rig", help="the rig inventory: check it")
    commands = parser.add_subparsers(dest="rig_command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check", help="every board: port found, power answering, lock holder"
    )
    check.add_argument("--rig", type=Path, required=True, help="the rig file (YAML)")
    check.add_argument("--json", action="store_true", help="the result as JSON on stdout")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from harness.rig import RigError, load
    from harness.rigcheck import check_rig, render

    try:
        rig = load(args.rig)
    except RigError as exc:
        print(f"steelhil rig check: {exc}", file=sys.stderr)
        return 2
    result = check_rig(rig)
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        print(render(result))
    return 0 if result.whole else 1
