"""``steelhil check``: run a program on a virtual board and print what it did.

    steelhil check --file PROGRAM.scm [--sensor temperature=31.5] [--for 130s] [--json]

One event per line: virtual time, kind (``led``, ``publish``, ``shadow``, ``log``,
``timer``, ``error``, ...) and details; ``--json`` prints one JSON object per line with
``t``, ``kind`` and that kind's fields.  Exit status 1 if the program ends in an error
(or does not compile), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .check import PROGRAM_KINDS, run_program

EXIT_OK = 0
EXIT_PROGRAM_ERROR = 1
EXIT_USAGE = 2

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``130s``, ``2m``, ``1h``, ``500ms`` or plain seconds."""
    t = text.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if t.endswith(unit):
            number = t[: -len(unit)].strip()
            break
    else:
        unit, number = "s", t
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (use e.g. 130s, 2m, 1h)"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError("a duration cannot be negative")
    return value


def parse_sensor(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: not a number: {value!r}") from None


def register_check(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "check",
        help="run a Steel program on a virtual board (offline, virtual time) and trace it",
    )
    check.add_argument("--file", type=Path, required=True, help="the Steel program")
    check.add_argument(
        "--sensor",
        action="append",
        default=[],
        type=parse_sensor,
        metavar="NAME=VALUE",
        help="a sensor value (temperature, humidity, accel_x, ...); repeatable",
    )
    check.add_argument(
        "--for",
        dest="duration",
        type=parse_duration,
        default=60.0,
        metavar="DURATION",
        help="virtual time to run (default 60s)",
    )
    check.add_argument("--json", action="store_true", help="one JSON object per event")
    check.add_argument("--all", action="store_true", help="also the agent's own events")
    check.set_defaults(func=_check)


def _details(event: dict[str, Any]) -> str:
    kind = event["kind"]
    if kind == "led":
        return "on" if event.get("state") else "off"
    if kind == "pixel":
        return f"rgb({event.get('r')}, {event.get('g')}, {event.get('b')})"
    if kind == "publish":
        return f"{event.get('topic')} {event.get('payload')}"
    if kind == "shadow":
        return f"{event.get('key')} = {event.get('value')}"
    if kind == "log":
        return f"{event.get('level')}: {event.get('message')}"
    if kind == "output":
        return str(event.get("line", event.get("text", "")))
    if kind == "timer":
        text = f"{event.get('action')} {event.get('name')}"
        if event.get("action") == "set":
            text += f" in {event.get('seconds')}s"
        return text
    if kind == "error":
        err = event.get("error") or {}
        where = f" at {err.get('line')}:{err.get('column')}" if err.get("line") else ""
        return f"{err.get('kind')}{where}: {err.get('message')}"
    if kind == "status":
        reason = f" ({event['reason']})" if event.get("reason") else ""
        return f"{event.get('program_id')} {event.get('state')}{reason}"
    rest = {k: v for k, v in event.items() if k not in ("t", "kind")}
    return json.dumps(rest, sort_keys=True, default=str)


def _check(args: argparse.Namespace) -> int:
    try:
        source = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"steelhil check: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sensors = dict(args.sensor)
    result = run_program(
        source,
        name=args.file.name,
        duration=args.duration,
        sensors=sensors,
        kinds=None if args.all else PROGRAM_KINDS,
    )
    for event in result.events:
        if args.json:
            print(json.dumps(event, default=str))
        else:
            print(f"{event['t']:10.3f}  {event['kind']:<8} {_details(event)}")
    if result.failed:
        err = result.error or {}
        where = f"{args.file}:{err.get('line')}:{err.get('column')}: " if err.get("line") else ""
        print(
            f"{where}{err.get('kind', 'Error')}: {err.get('message', result.final_state)}",
            file=sys.stderr,
        )
        return EXIT_PROGRAM_ERROR
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    register_check(subparsers)
