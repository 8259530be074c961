"""``steelhil nightly``: a whole night on the rig (see :mod:`harness.nightly`)."""

from __future__ import annotations

import argparse
from pathlib import Path

VERDICT_CHOICES = ("failed", "error", "flaky", "skipped")


def fail_on(text: str) -> frozenset[str]:
    """``failed,error`` -> the set; ``none`` -> empty (never fail on results)."""
    if text.strip().lower() == "none":
        return frozenset()
    items = {t.strip() for t in text.split(",") if t.strip()}
    wrong = sorted(items - set(VERDICT_CHOICES))
    if wrong or not items:
        raise argparse.ArgumentTypeError(
            f"expected verdicts from {', '.join(VERDICT_CHOICES)} (comma-separated) or none, "
            f"got {text!r}"
        )
    return frozenset(items)


def non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "nightly",
        help="a night on the rig: build, check, flash, run, re-run, record, compare",
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    parser.add_argument("--rig", type=Path, required=True, help="the rig file (YAML)")
    parser.add_argument("--candidate", type=Path, help="firmware directory (default: this one's)")
    parser.add_argument("--history", type=Path, required=True, help="the history directory")
    parser.add_argument("--db", help="keep the history in this database instead (URL)")
    parser.add_argument("--report", type=Path, help="tonight's report (default: in the history)")
    parser.add_argument("--tags", help="only scenarios with one of these tags (comma-separated)")
    parser.add_argument(
        "--retries", type=non_negative, default=2, help="re-runs of a failed scenario (2)"
    )
    parser.add_argument(
        "--fail-on",
        type=fail_on,
        default=frozenset({"failed", "error"}),
        help="verdicts that fail the pipeline (default failed,error; add flaky; or none)",
    )
    parser.add_argument("--night-id", help="the night's id (default: the UTC time; CI: its run id)")
    parser.add_argument("--micropython", type=Path, help="the pinned MicroPython image")
    parser.add_argument("--force-flash", action="store_true", help="flash even a current board")
    parser.add_argument("--lock-timeout", type=float, default=600.0, metavar="SECONDS")
    parser.add_argument(
        "--keep-reports", type=non_negative, default=30, help="nights whose reports are kept"
    )
    parser.add_argument("--iotcore", choices=("local", "aws"), default="local")
    parser.add_argument("--aws-region", help="with --iotcore aws")
    parser.add_argument("--seed", type=int, default=0)
    parser.set_defaults(func=_nightly)


def _nightly(args: argparse.Namespace) -> int:
    from harness.nightly.night import NightOptions, NightRun

    options = NightOptions(
        rig=args.rig,
        history=args.history,
        report=args.report,
        candidate=args.candidate,
        paths=list(args.paths),
        tags=[t.strip() for t in args.tags.split(",")] if args.tags else [],
        retries=args.retries,
        fail_on=args.fail_on,
        night_id=args.night_id,
        db=args.db,
        seed=args.seed,
        iotcore=args.iotcore,
        aws_region=args.aws_region,
        lock_timeout=args.lock_timeout,
        keep_reports=args.keep_reports,
        micropython=args.micropython,
        force_flash=args.force_flash,
    )
    return NightRun(options).run()
