"""``steelhil history``: what changed since the last night, and the trend page.

Reads the history a nightly run keeps (``--history DIR``, or ``--db URL``), prints the
changes between the last night and the one before (new failures, fixed, newly flaky,
slower), and writes the trend page (``--trend DIR``, default ``HISTORY/trend``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from harness.history.changes import DEFAULT_MIN_SECONDS, DEFAULT_SLOWER, compare, render
from harness.history.store import HistoryError, open_history


def percent(text: str) -> float:
    """``50%`` or ``0.5`` -> 0.5; argparse shows the message on a bad value."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a percentage such as 50%, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a percentage of 0 or more, got {text!r}")
    return value


def add_history_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", type=Path, help="the history directory")
    parser.add_argument("--db", help="a database URL instead (sqlite:///PATH, postgresql://...)")
    parser.add_argument(
        "--slower",
        type=percent,
        default=DEFAULT_SLOWER,
        help=f"report scenarios slower by more than this (default {DEFAULT_SLOWER:.0%})",
    )
    parser.add_argument(
        "--slower-min",
        type=float,
        default=DEFAULT_MIN_SECONDS,
        metavar="SECONDS",
        help=f"... and by at least this many seconds (default {DEFAULT_MIN_SECONDS:g})",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "history", help="what changed since the last night; the trend page"
    )
    add_history_options(parser)
    parser.add_argument("--trend", type=Path, help="where to write the trend page")
    parser.add_argument("--no-trend", action="store_true", help="print the changes only")
    parser.add_argument("--json", action="store_true", help="the changes as JSON on stdout")
    parser.add_argument("--last", type=int, help="only the last N nights on the trend page")
    parser.set_defaults(func=_history)


def _history(args: argparse.Namespace) -> int:
    if args.history is None and args.db is None:
        print("steelhil history: give --history DIR (or --db URL)", file=sys.stderr)
        return 2
    if args.history is not None and not args.history.is_dir() and args.db is None:
        print(f"steelhil history: {args.history}: no such history directory", file=sys.stderr)
        return 2
    try:
        store = open_history(args.history, args.db)
    except HistoryError as exc:
        print(f"steelhil history: {exc}", file=sys.stderr)
        return 2
    with store:
        for warning in store.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        nights = store.nights()
    if not nights:
        print("the history has no nights yet")
        return 0
    changes = compare(
        nights[-1],
        nights[-2] if len(nights) > 1 else None,
        slower=args.slower,
        min_seconds=args.slower_min,
    )
    if args.json:
        print(json.dumps(asdict(changes), indent=1, sort_keys=True))
    else:
        print(render(changes))
    if not args.no_trend:
        from harness.history.trend import write_trend

        out = args.trend or ((args.history or Path(".")) / "trend")
        shown = nights[-args.last :] if args.last else nights
        page = write_trend(shown, args.history or Path("."), out)
        print(f"trend: {page.resolve()}", file=sys.stderr if args.json else sys.stdout)
    return 0
