"""A whole night: build, check, lock, power, flash, run, record, compare, exit status.

Every stage prints what it is doing (a night on hardware takes an hour; the CI log is
where people look), and a stage that cannot go on stops the night with its own exit
status: 2 for bad input (a rig file, a candidate, a history from a newer steelhil), 3 when
the rig is not whole or a board could not be powered or flashed.  Otherwise the status is
1 when a scenario's verdict is in ``fail_on`` (by default ``failed`` and ``error``; add
``flaky`` to fail on flaky scenarios too, or give nothing to never fail) and 0 otherwise.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from harness.backends.base import BackendError, BoardSpec
from harness.history.model import Night, night_from_dict
from harness.history.store import HistoryError, keep_night, night_dir, open_history

from .candidate import Candidate, CandidateError, stage

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_RIG = 0, 1, 2, 3
DEFAULT_FAIL_ON = frozenset({"failed", "error"})


@dataclass
class NightOptions:
    rig: Path
    history: Path
    report: Path | None = None
    candidate: Path | None = None
    paths: list[Path] = field(default_factory=lambda: [Path("scenarios")])
    tags: list[str] = field(default_factory=list)
    retries: int = 2
    fail_on: frozenset[str] = DEFAULT_FAIL_ON
    night_id: str | None = None
    db: str | None = None
    seed: int = 0
    iotcore: str = "local"
    aws_region: str | None = None
    lock_timeout: float = 600.0
    keep_reports: int = 30
    micropython: Path | None = None
    force_flash: bool = False


class NightStopped(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class NightRun:
    """One night's run; ``say`` is where progress goes (stderr)."""

    def __init__(self, options: NightOptions, out: TextIO | None = None) -> None:
        self.options = options
        self.out = out or sys.stderr
        stamp = dt.datetime.now(dt.UTC)
        self.started_at = stamp.isoformat(timespec="seconds")
        self.id = options.night_id or stamp.strftime("%Y%m%dT%H%M%SZ")

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def stage(self, n: int, title: str) -> None:
        self.say(f"== {n}/7 {title}")

    # --- the pipeline --------------------------------------------------------------------

    def run(self) -> int:
        try:
            return self._run()
        except NightStopped as stop:
            self.say(f"nightly {self.id}: stopped: {stop}")
            return stop.status

    def _run(self) -> int:
        o = self.options
        from harness.rig import RigError
        from harness.rig import load as load_rig

        missing = [str(p) for p in o.paths if not p.exists()]
        if missing:
            raise NightStopped(EXIT_BAD_INPUT, f"no such scenario path: {', '.join(missing)}")
        try:
            rig = load_rig(o.rig)
        except RigError as exc:
            raise NightStopped(EXIT_BAD_INPUT, str(exc)) from None
        try:  # open the history first: a newer schema must stop the night before it starts
            store = open_history(o.history, o.db)
        except HistoryError as exc:
            raise NightStopped(EXIT_BAD_INPUT, str(exc)) from None
        with store, tempfile.TemporaryDirectory(prefix="steelhil-night-") as tmp:
            for warning in store.warnings:
                self.say(f"warning: {warning}")
            work = Path(tmp)
            report = o.report or night_dir(o.history, self.id) / "report"

            self.stage(1, "build the candidate")
            try:
                candidate = stage(o.candidate, work)
            except CandidateError as exc:
                raise NightStopped(EXIT_BAD_INPUT, str(exc)) from None
            self.say(
                f"candidate {candidate.given}: firmware {candidate.version} "
                f"sha256 {candidate.sha256[:16]}"
            )
            image = self._build(candidate, report / "image", rig.boards)

            self.stage(2, "check the rig")
            from harness.rigcheck import check_rig, render

            checked = check_rig(rig)
            self.say(render(checked))
            if not checked.whole:
                raise NightStopped(EXIT_RIG, "the rig is not whole (see the table above)")

            with contextlib.ExitStack() as held:
                self.stage(3, "lock and power the boards")
                self._lock(rig, held)
                self._power(rig.boards)

                self.stage(4, "flash the real boards")
                flashed = self._flash(rig, image)

                self.stage(5, "run the scenarios")
                outcome = self._scenarios(o, candidate, report, work, flashed)

            self.stage(6, "record the night")
            night = self._record(store, candidate, report, outcome, rig.path)

            self.stage(7, "compare with the night before")
            status = self._compare(store, night)
        return status

    # --- stages --------------------------------------------------------------------------

    def _build(self, candidate: Candidate, out: Path, boards: list[BoardSpec]) -> Path | None:
        from harness.image import ImageError, build_image

        try:
            manifest = build_image(candidate.firmware, out, micropython=self.options.micropython)
        except ImageError as exc:
            raise NightStopped(EXIT_BAD_INPUT, str(exc)) from None
        self.say(
            f"image {manifest.image[:16]}: {manifest.file_count} files, "
            f"{manifest.used_bytes} bytes in a {manifest.fs_size // 1024} KiB filesystem"
        )
        return out

    def _lock(self, rig: object, held: contextlib.ExitStack) -> None:
        from harness.rig import EXCLUSIVE_BACKENDS, BoardBusy, Rig, acquire

        assert isinstance(rig, Rig)
        for spec in rig.boards:
            if spec.backend not in EXCLUSIVE_BACKENDS:
                continue
            self.say(f"locking {spec.name} (waiting up to {self.options.lock_timeout:g}s) ...")
            try:
                held.enter_context(acquire(spec, self.options.lock_timeout, rig.lock_dir))
            except BoardBusy as exc:
                raise NightStopped(EXIT_RIG, str(exc)) from None

    def _power(self, boards: list[BoardSpec]) -> None:
        from harness.backends.power import power_from_config

        for spec in boards:
            config = spec.options.get("power")
            if not config or config.get("driver") == "none":
                continue
            self.say(f"power on {spec.name} ({config.get('driver')})")
            try:
                power_from_config(config).on()
            except BackendError as exc:
                raise NightStopped(EXIT_RIG, f"{spec.name}: {exc}") from None

    def _flash(self, rig: object, image: Path | None) -> list[str]:
        from harness.rig import Rig

        assert isinstance(rig, Rig)
        serial = [s for s in rig.boards if s.backend == "serial" and s.options.get("flash", True)]
        if not serial:
            self.say("no real boards to flash")
            return []
        from harness.flash import FlashError, flash_board
        from harness.image import ImageError

        done = []
        for spec in serial:
            try:
                outcome = flash_board(
                    spec, image, rig.lock_dir, say=self.say, force=self.options.force_flash
                )
            except ImageError as exc:
                raise NightStopped(EXIT_BAD_INPUT, f"{spec.name}: {exc}") from None
            except FlashError as exc:
                raise NightStopped(EXIT_RIG, f"{spec.name}: {exc}") from None
            self.say(f"{spec.name}: {outcome}")
            done.append(spec.name)
        return done

    def _scenarios(
        self, o: NightOptions, candidate: Candidate, report: Path, work: Path, flashed: list[str]
    ) -> dict[str, object]:
        plan = {
            "paths": [str(p.resolve()) for p in o.paths],
            "tags": o.tags,
            "rig": str(o.rig.resolve()),
            "retries": o.retries,
            "report": str(report.resolve()),
            "work": str(work),
            "seed": o.seed,
            "iotcore": o.iotcore,
            "aws_region": o.aws_region,
            "flashed": flashed,
            "candidate_root": str(candidate.root),
        }
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan))
        env = dict(os.environ, PYTHONSAFEPATH="1")
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(candidate.root), os.environ.get("PYTHONPATH", "")) if p
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.nightly.worker", str(plan_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=os.getcwd(),
        )
        assert process.stdout is not None
        tail: list[str] = []
        for line in process.stdout:
            self.say("  " + line.rstrip("\n"))
            tail = [*tail[-30:], line.rstrip("\n")]
        status = process.wait()
        outcome_file = work / "outcome.json"
        if status != 0 or not outcome_file.is_file():
            raise NightStopped(
                EXIT_RIG,
                f"the scenario run ended with status {status} before its results were "
                "written; its last lines are above",
            )
        loaded: dict[str, object] = json.loads(outcome_file.read_text())
        return loaded

    def _record(
        self,
        store: object,
        candidate: Candidate,
        report: Path,
        outcome: dict[str, object],
        rig_path: Path,
    ) -> Night:
        from harness.history.store import HistoryStore

        assert isinstance(store, HistoryStore)
        o = self.options
        fingerprint = outcome["fingerprint"]
        assert isinstance(fingerprint, dict)
        kept = night_dir(o.history, self.id) / "report"
        if report.resolve() != kept.resolve():
            if kept.exists():
                shutil.rmtree(kept)
            shutil.copytree(report, kept)
        night = night_from_dict(
            {
                "format": 1,
                "id": self.id,
                "started_at": self.started_at,
                "duration": outcome["duration"],
                "firmware_version": candidate.version,
                "firmware_sha256": candidate.sha256,
                "rig": fingerprint.get("rig") or str(rig_path),
                "candidate": candidate.given,
                "report": os.path.relpath(kept, o.history),
                "scenarios": outcome["scenarios"],
                "fingerprint": fingerprint,
            }
        )
        path = keep_night(o.history, night)
        store.add(night)
        self.say(f"night {night.id}: {_counts(night)}; recorded in {store.where} and {path}")
        _retain(o.history, store.nights(), o.keep_reports, self.say)
        return night

    def _compare(self, store: object, night: Night) -> int:
        from harness.history.changes import compare, render
        from harness.history.store import HistoryStore
        from harness.history.trend import write_trend

        assert isinstance(store, HistoryStore)
        nights = store.nights()
        before = nights[-2] if len(nights) > 1 and nights[-1].id == night.id else None
        print(render(compare(night, before)), flush=True)
        page = write_trend(nights, self.options.history, self.options.history / "trend")
        self.say(f"trend: {page}")
        bad = [r for r in night.scenarios if r.verdict in self.options.fail_on]
        if bad:
            self.say(
                f"nightly {night.id}: FAILED: {len(bad)} scenario(s) "
                f"{'/'.join(sorted(self.options.fail_on))}"
            )
            return EXIT_FAILED
        ignored = sorted({r.verdict for r in night.scenarios} & {"failed", "error", "flaky"})
        shown = ",".join(sorted(self.options.fail_on)) or "none"
        note = f"; {'/'.join(ignored)} not failing it (--fail-on {shown})" if ignored else ""
        self.say(f"nightly {night.id}: PASSED ({_counts(night)}){note}")
        return EXIT_OK


def _counts(night: Night) -> str:
    return ", ".join(f"{n} {v}" for v, n in night.counts().items() if n)


def _retain(history: Path, nights: list[Night], keep: int, say: Callable[[str], None]) -> None:
    """Remove the reports (not the night.json) of all but the last ``keep`` nights."""
    if keep <= 0:
        return
    for night in nights[:-keep]:
        folder = history / night.report if night.report else None
        if (
            folder is not None
            and folder.is_dir()
            and folder.resolve().is_relative_to(history.resolve())
        ):
            shutil.rmtree(folder)
            say(f"removed the report of night {night.id} (keeping the last {keep})")
