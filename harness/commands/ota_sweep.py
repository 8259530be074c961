"""``steelhil ota sweep --bundle FILE --trust PUB.pem``: cut the power at every flash write
of an update on an emulated board, and check that it comes back each time.

Exit status 0 when every cut recovered, 1 when one did not (each is printed with its write
index and what was wrong) or the sweep could not run, 2 when the input is bad (a bundle or
key that cannot be read, a bundle the key does not sign, one the board would not install,
a range that is empty).  Progress goes to stderr; the result to stdout (``--json``: as
JSON).  What the sweep checks and what limits its speed: docs/ota.md, "Power cuts".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.ota.sweep import Sweep

PROG = "steelhil ota sweep"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "sweep",
        help="cut the power at every flash write of an update; check each recovers",
        description="Install the bundle on an emulated board once to count the flash writes "
        "N of the update, then repeat it from the same factory state cutting the power at "
        "write 1, 2, ... N. After each cut the board must boot a working version and the "
        "job must end SUCCEEDED or FAILED truthfully.",
    )
    parser.add_argument("--bundle", type=Path, required=True, metavar="FILE")
    parser.add_argument(
        "--trust", type=Path, required=True, metavar="PUB.pem", help="the key the board trusts"
    )
    parser.add_argument("--from-write", type=int, default=1, metavar="I", help="first write cut")
    parser.add_argument("--to-write", type=int, metavar="J", help="last write cut (default N)")
    parser.add_argument("--every", type=int, default=1, metavar="K", help="every K-th write")
    parser.add_argument(
        "--keep-going", action="store_true", help="go on after a failing cut (default: stop)"
    )
    parser.add_argument("--workdir", type=Path, help="the local IoT Core's files (default: temp)")
    parser.add_argument("--json", action="store_true", help="the result as JSON on stdout")
    parser.set_defaults(func=_sweep)


class InputError(Exception):
    """Bad input: the message says which file or option, and why (exit status 2)."""


@dataclass(frozen=True)
class Inputs:
    data: bytes
    version: str
    trust_pem: bytes


def read_inputs(bundle: Path, trust: Path, old: str) -> Inputs:
    """The bundle and the key, checked as the board will check them: a sweep of a bundle the
    board refuses would measure nothing but the refusal."""
    from firmware.ota import version as versions
    from harness.ota.inspect import inspect_bundle
    from harness.ota.keys import KeyFileError, load_trusted_keys
    from harness.ota.targets import emulated_problem

    try:
        keys = load_trusted_keys(trust)
        pem = trust.read_bytes()
    except KeyFileError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{trust}: cannot read it ({exc.strerror})") from None
    try:
        found = inspect_bundle(bundle, keys)
        data = bundle.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{bundle}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{bundle} is a directory, not a bundle") from None
    except OSError as exc:
        raise InputError(f"{bundle}: cannot read it ({exc.strerror})") from None
    if found.errors:
        reason, message = found.errors[0]
        raise InputError(f"{bundle}: the board would refuse it ({reason}: {message})")
    manifest: dict[str, Any] = found.manifest or {}
    problem = emulated_problem(manifest)
    if problem is not None:
        raise InputError(
            f"{bundle} is {problem}, and the sweep runs on an emulated board: build the "
            "bundle with steelhil ota bundle --target emulated"
        )
    version = str(manifest.get("version"))
    if not versions.newer(version, old):
        raise InputError(
            f"{bundle} is version {version}; the board's factory firmware is {old}, so "
            "there is nothing to install (build a newer one: steelhil ota bundle --version)"
        )
    minimum = manifest.get("min_version")
    if minimum is not None and not versions.at_least(old, str(minimum)):
        raise InputError(f"{bundle} replaces {minimum} or newer, not the factory {old}")
    return Inputs(data, version, pem)


def _sweep(args: argparse.Namespace) -> int:
    from firmware.agent.version import FIRMWARE_VERSION
    from harness.ota import sweep

    if args.from_write < 1 or args.every < 1:
        print(f"{PROG}: --from-write and --every count from 1", file=sys.stderr)
        return 2
    if args.to_write is not None and args.to_write < args.from_write:
        print(f"{PROG}: --to-write {args.to_write} is before --from-write", file=sys.stderr)
        return 2
    try:
        inputs = read_inputs(args.bundle, args.trust, FIRMWARE_VERSION)
    except InputError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2

    def progress(line: str) -> None:
        print(f"sweep: {line}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="steelhil-sweep-") as tmp:
        workdir = args.workdir or Path(tmp)
        try:
            progress("starting the local IoT Core and the emulated board ...")
            with sweep.Rig(
                inputs.data, inputs.version, inputs.trust_pem, workdir, FIRMWARE_VERSION
            ) as rig:
                count = sweep.count_writes(rig)
                if args.from_write > count.writes:
                    print(
                        f"{PROG}: --from-write {args.from_write} is past the update's "
                        f"{count.writes} flash writes",
                        file=sys.stderr,
                    )
                    return 2
                result = sweep.sweep(
                    rig,
                    first=args.from_write,
                    last=args.to_write,
                    every=args.every,
                    keep_going=args.keep_going,
                    progress=progress,
                    count=count,
                )
        except sweep.SweepError as exc:
            print(f"{PROG}: {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        print(render(result))
    return 0 if result.ok else 1


def render(result: Sweep) -> str:
    """The sweep's result for a person: each failure in full, each cut after which the job
    ended FAILED truthfully, then the tally."""
    lines = []
    for cut in result.failures:
        lines.append(f"write {cut.write} ({cut.stretch}: {cut.what}): NOT RECOVERED")
        for problem in cut.problems:
            lines.append(f"  - {problem}")
        lines.append(
            f"  flash when power returned: {json.dumps(cut.flash)}; first boot ran "
            f"{cut.booted or 'nothing'}; job {cut.status}"
            + (f" ({cut.reason}: {cut.message})" if cut.reason else "")
        )
    failed = [c for c in result.cuts if c.ok and c.status == "FAILED"]
    for cut in failed:
        lines.append(
            f"write {cut.write} ({cut.stretch}: {cut.what}): recovered on {cut.final}, but the "
            f"job ended FAILED {cut.reason} (true: {cut.message})"
        )
    count = result.count
    lines.append(
        f"{result.recovered}/{len(result.cuts)} cuts recovered "
        f"(update {result.old} -> {result.version}: {count.writes} flash writes; "
        f"{_scope(result)}; {result.wall_seconds:.0f}s)"
        + (f"; {len(failed)} of them ended FAILED truthfully" if failed else "")
    )
    if result.stopped_early:
        lines.append(
            f"stopped at the first failure, {len(result.planned) - len(result.cuts)} planned "
            "cuts not run (--keep-going sweeps on)"
        )
    return "\n".join(lines)


def _scope(result: Sweep) -> str:
    planned = result.planned
    if len(planned) == result.count.writes:
        return "every write cut"
    step = planned[1] - planned[0] if len(planned) > 1 else 1
    every = f", every {step}-th" if step > 1 else ""
    return f"writes {planned[0]}..{planned[-1]}{every}"
