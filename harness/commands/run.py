"""``steelhil run`` (scenarios -> reports, exit 0/1) and ``steelhil demo``."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from harness.results import RunResult, ScenarioResult, SourceLocation
from harness.scenario.loader import display_path, iter_scenarios
from harness.scenario.model import Scenario
from harness.scenario.source import LoadError

DEMO_TAG = "demo"


def register_run(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run scenario files and write reports")
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("scenarios")])
    _options(parser)
    parser.set_defaults(func=_run)


def register_demo(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo", help="the example scenarios on three virtual boards and the local IoT Core"
    )
    parser.add_argument("--report", type=Path, default=Path("steelhil-report/demo"))
    parser.set_defaults(func=_demo)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rig", type=Path, help="rig inventory (YAML)")
    parser.add_argument("--backend", default="emulated", help="default backend (emulated)")
    parser.add_argument("--iotcore", choices=("local", "aws"), default="local")
    parser.add_argument("--aws-region")
    parser.add_argument("--report", type=Path, default=Path("steelhil-report"))
    parser.add_argument("--tags", help="only scenarios with one of these tags (comma-separated)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-color", action="store_true")


def demo_scenarios() -> Path | None:
    """The example scenarios: ``./scenarios`` when run from a checkout, else the checkout
    this package was installed from in development mode."""
    for candidate in (Path("scenarios"), Path(__file__).resolve().parents[2] / "scenarios"):
        if (candidate / "programs").is_dir():
            return candidate
    return None


def _demo(args: argparse.Namespace) -> int:
    root = demo_scenarios()
    if root is None:
        print(
            "steelhil demo: the example scenarios are not here; run it from a checkout of "
            "aws-iot-steel (they live in its scenarios/ folder)",
            file=sys.stderr,
        )
        return 2
    ns = argparse.Namespace(
        paths=[root],
        rig=None,
        backend="emulated",
        iotcore="local",
        aws_region=None,
        report=args.report,
        tags=DEMO_TAG,
        seed=0,
        no_color=False,
    )
    print("steelhil demo: the example scenarios on virtual boards, local IoT Core", file=sys.stderr)
    return _run(ns)


def load(
    paths: list[Path], tags: set[str] | None
) -> tuple[list[Scenario], list[ScenarioResult], list[Path]]:
    """The scenarios to run, the files that did not load (as error results), and every
    scenario file as the results name it (relative to the current directory)."""
    scenarios: list[Scenario] = []
    broken: list[ScenarioResult] = []
    files: list[Path] = []
    for path, loaded in iter_scenarios(paths):
        files.append(Path(display_path(path)))
        if isinstance(loaded, LoadError):
            first = loaded.first.location
            broken.append(
                ScenarioResult(
                    id=f"{first.file}::load",
                    name=Path(first.file).stem,
                    file=first.file,
                    status="error",
                    # the first problem's location is error_location; the others keep theirs
                    error="\n".join([loaded.first.message, *(str(p) for p in loaded.problems[1:])]),
                    error_location=SourceLocation(first.file, first.line, first.column, first.path),
                )
            )
            continue
        scenarios.extend(s for s in loaded if not tags or tags & set(s.tags))
    return scenarios, broken, files


def _run(args: argparse.Namespace) -> int:
    from harness.engine import Engine
    from harness.fingerprint import make_fingerprint
    from harness.iotcore import open_core
    from harness.report import summary_table, write_reports
    from harness.report.failure import banner, failure_text
    from harness.report.summary import terminal_width
    from harness.rigboards import boards_for_run

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"steelhil run: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    tags = {t.strip() for t in args.tags.split(",")} if args.tags else None
    scenarios, results, files = load(args.paths, tags)
    for broken in results:
        print(f"error: {broken.error_location}: {broken.error}", file=sys.stderr)
    if not scenarios and not results:
        print("no scenarios found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 1
    color = sys.stderr.isatty() and not args.no_color
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    wall = time.monotonic()
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="steelhil-")))
        print(f"starting the {args.iotcore} IoT Core ...", file=sys.stderr)
        core = stack.enter_context(
            open_core(args.iotcore, workdir / "iotcore", region=args.aws_region)
        )
        boards = boards_for_run(args.rig, stack)
        engine = stack.enter_context(
            Engine(core, workdir / "run", backend=args.backend, boards=boards, seed=args.seed)
        )
        for i, scenario in enumerate(scenarios, 1):
            _progress(i, len(scenarios), scenario.id, None, color)
            result = engine.run(scenario)
            results.append(result)
            _progress(i, len(scenarios), scenario.id, result, color)
    fingerprint = make_fingerprint(
        args.seed,
        getattr(core, "kind", args.iotcore),
        files,
        rig_file=args.rig,
        inputs={p: d for s in scenarios for p, d in s.inputs.items()},
    )
    run = RunResult(fingerprint, results, started_at, time.monotonic() - wall)
    paths = write_reports(run, args.report)
    width = terminal_width()
    failures = [r for r in results if r.status in ("failed", "error")]
    if failures:
        print(banner("FAILURES", "=", width))
        for failed in failures:
            print(banner(failed.id, "_", width))
            print(failure_text(failed))
        print()
    print(summary_table(run, color=color, width=width))
    print(f"report: {Path(paths.get('html', args.report)).resolve()}")
    return 0 if run.ok else 1


_MARKS = {
    "passed": ("ok", "32"),
    "failed": ("FAIL", "31"),
    "error": ("ERROR", "31"),
    "skipped": ("skip", "33"),
}


def _progress(i: int, n: int, name: str, result: ScenarioResult | None, color: bool) -> None:
    width = 24
    done = i - (0 if result else 1)
    bar = "#" * (width * done // n) + "-" * (width - width * done // n)
    if result is None:
        line = f"[{bar}] {i}/{n} {name} ..."
        if sys.stderr.isatty():
            sys.stderr.write("\r\x1b[K" + line)
            sys.stderr.flush()
        return
    mark, code = _MARKS[result.status]
    if color:
        mark = f"\x1b[{code}m{mark}\x1b[0m"
    line = f"[{bar}] {i}/{n} {mark:>5} {name} ({result.duration:.1f}s)"
    sys.stderr.write(("\r\x1b[K" if sys.stderr.isatty() else "") + line + "\n")
    sys.stderr.flush()
