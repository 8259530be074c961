"""The power-cut sweep: an update is cut at every flash write it makes, and each time the
board must come back on a version that works, with the job ended truthfully.

Why: "brick-proof under power cuts" is only a claim until every write of an update has
been cut (brickproof-fw's method).  The sweep updates an emulated board once to count the
flash writes N of the whole update (download, install, boot record, commit, the last
report), then repeats the same update from the same factory flash, cutting the power at
write 1, 2, ... N.  After each cut the power returns, and the board must

* boot the version the cut leaves: the old one up to the write that arms the trial, the
  new one after it (the version it boots, and then reports in its shadow);
* connect, and run its stored program again (its status says running, its ticks arrive);
* end the job SUCCEEDED (on the new version, committed) or FAILED with a reason that
  matches what happened (on the old version), never left IN_PROGRESS.

How it stays fast: one local IoT Core, one observer, one fleet and one board serve every
run; each run starts from a snapshot of the provisioned flash (no provisioning, no TLS
material made again) and runs on exact virtual time with no autojump threshold: the
ledger (:mod:`emulator.device.ledger`) says when nothing is in flight, so no run waits on
the wall clock (the rig is :mod:`.sweep_rig`).  docs/ota.md ("Power cuts") gives the
figures and what bounds them.

Everything is real: Mosquitto with mutual TLS, the jobs and shadow services, moto's S3
behind the presigned URL, and the firmware agent of the board's own slot.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from firmware.boot import selector

from .sweep_rig import END_SECONDS, READY_SECONDS, RUNNING, Attempt, Rig, SweepError

__all__ = [
    "Count",
    "Cut",
    "Landmarks",
    "Rig",
    "Sweep",
    "SweepError",
    "count_writes",
    "plan",
    "sweep",
]


# --- what a run saw --------------------------------------------------------------------------


@dataclass
class Landmarks:
    """Where the update's commit points fall among its writes (1-based indices)."""

    marker: int | None = None  # the new slot's slot.json
    armed: int | None = None  # the boot record's rename that arms the trial
    committed: int | None = None  # the boot record's rename that commits it

    @classmethod
    def find(cls, history: list[str], target: str) -> Landmarks:
        """From the uncut update's writes: the first marker write of slot ``target``, then
        the boot record's renames after it (the arming, the trial boot's count, the commit)."""
        marker = f"write {selector.slot_dir(target)}/slot.json"
        record = f"rename {selector.RECORD}.tmp {selector.RECORD}"
        found = cls()
        renames = []
        for i, what in enumerate(history, 1):
            if found.marker is None and what.startswith(marker):
                found.marker = i
            elif found.marker is not None and what == record:
                renames.append(i)
        if renames:  # arm, the trial boot's attempt, commit
            found.armed, found.committed = renames[0], renames[-1]
        return found

    def stretch(self, write: int) -> str:
        """What the update was doing at ``write``."""
        if self.marker is None or write < self.marker:
            return "download"
        if write == self.marker:
            return "marker"
        if self.armed is None or write <= self.armed:
            return "install"
        if self.committed is None or write <= self.committed:
            return "trial"
        return "committed"

    def boots_new(self, write: int) -> bool | None:
        """Whether a cut at ``write`` leaves the new version to boot (None: unknown).  A cut
        write does not land, so the arming rename itself leaves the old one."""
        return None if self.armed is None else write > self.armed


@dataclass
class Count:
    """The uncut update: its writes, in order, and how long it took."""

    writes: int
    history: list[str]
    landmarks: Landmarks
    virtual_seconds: float
    wall_seconds: float


@dataclass
class Cut:
    """One run cut at ``write``: what it hit, what the board did, what was wrong."""

    write: int
    stretch: str
    what: str | None = None  # the flash write the cut hit
    expected: str | None = None  # the version the first boot should run
    booted: str | None = None  # what it booted (None: the boot failed)
    boot_error: str | None = None
    reported: str | None = None  # the version in its first shadow report
    status: str | None = None  # the job's status, from the AWS API
    reason: str | None = None
    message: str | None = None
    final: str | None = None  # the version running at the end
    flash: dict[str, Any] = field(default_factory=dict)  # what it held when power returned
    console: list[str] = field(default_factory=list)  # the board's console after the cut
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self, full: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "write": self.write,
            "stretch": self.stretch,
            "ok": self.ok,
            "booted": self.booted,
            "status": self.status,
        }
        if self.status == "FAILED":
            out.update(reason=self.reason, message=self.message)
        if full or not self.ok:
            out.update(
                what=self.what,
                expected=self.expected,
                boot_error=self.boot_error,
                reported=self.reported,
                reason=self.reason,
                message=self.message,
                final=self.final,
                flash=self.flash,
                console=self.console,
                problems=self.problems,
            )
        if self.notes:
            out["notes"] = self.notes
        return out


# --- judging a run ---------------------------------------------------------------------------


def judge(rig: Rig, count: Count, write: int) -> Cut:
    """Cut the update at ``write`` and say what, if anything, was wrong after."""
    started = time.monotonic()
    landmarks = count.landmarks
    cut = Cut(write, landmarks.stretch(write))
    new = landmarks.boots_new(write)
    cut.expected = None if new is None else (rig.version if new else rig.old)
    run, execution = rig.update(write)
    cut.what, cut.flash, cut.console = run.cut, run.flash, run.console
    if run.cut is None:
        cut.problems.append(
            f"the cut never came: this update made fewer than {write} flash writes "
            f"({count.writes} without a cut)"
        )
    elif write <= len(count.history) and run.cut != count.history[write - 1]:
        cut.notes.append(f"the uncut update's write {write} was {count.history[write - 1]}")
    if run.first_boot is not None:
        cut.booted, _, error = run.first_boot
        cut.boot_error = None if error is None else plain(error)
        _first_boot(cut, run)
    details = (execution.get("statusDetails") or {}).get("detailsMap") or {}
    cut.status = execution.get("status")
    cut.reason, cut.message = details.get("reason"), details.get("message")
    state = rig.board_state()
    cut.final = state["version"]
    _outcome(cut, run, state, details, rig)
    cut.wall_seconds = time.monotonic() - started
    return cut


def _first_boot(cut: Cut, run: Attempt) -> None:
    """The boot when the power came back: the right version, connected, the program run."""
    if cut.boot_error is not None:
        cut.problems.append(f"the first boot after the cut failed: {cut.boot_error}")
    elif cut.expected is not None and cut.booted != cut.expected:
        cut.problems.append(f"the first boot ran {cut.booted}, not {cut.expected}")
    report = run.report
    if report is None:
        cut.problems.append(f"no shadow report within {READY_SECONDS:g}s of the power's return")
    else:
        cut.reported = str(report.get("firmware"))
        if cut.booted is not None and cut.reported != cut.booted:
            cut.problems.append(f"it booted {cut.booted} but reports {cut.reported}")
        if run.program_reported != RUNNING:
            cut.problems.append(
                f"its shadow does not say its program runs ({run.program_reported})"
            )
    if not run.running or not run.ticked:
        cut.problems.append(
            f"its stored program did not run within {READY_SECONDS:g}s "
            f"({'no running status' if not run.running else 'no tick'})"
        )


def _outcome(
    cut: Cut, run: Attempt, state: dict[str, Any], details: dict[str, Any], rig: Rig
) -> None:
    """The job's end and the board's last state must tell the same, true, story."""
    status = cut.status
    if state.get("pending") is not None:
        cut.problems.append(
            f"the trial of slot {state['pending']} is neither committed nor rolled back "
            f"(boot record: active {state['active']}, attempts {state['attempts']})"
        )
    if status not in ("SUCCEEDED", "FAILED"):
        last = ", ".join(f"{k} {v}" for k, v in details.items())
        cut.problems.append(
            f"the job is left {status} {END_SECONDS:g}s after the power returned"
            + (f" (its last report: {last})" if last else "")
            + f"; when the power returned its OTA state was at {cut.flash.get('ota_state')}"
        )
        return
    if status == "SUCCEEDED":
        if cut.final != rig.version:
            cut.problems.append(f"the job SUCCEEDED but the board runs {cut.final}")
        return
    if cut.final != rig.old:
        cut.problems.append(f"the job FAILED but the board runs {cut.final}, not {rig.old}")
    said = f'FAILED {cut.reason} ("{cut.message}")'
    evidence = {
        selector.BOOT_FAILED: run.boot_failures > 0,  # the new slot did not boot
        "no-space": run.full > 0,  # the flash did refuse a write
    }
    if evidence.get(cut.reason or ""):
        cut.notes.append(f"{said}: true, and only because of the cut (the uncut update fits)")
        return
    cut.problems.append(
        f"{said}: not what happened -- the bundle is good and only the power was cut"
    )


def plain(text: str) -> str:
    """A board's message without the Python exception names the emulator puts in it."""
    return re.sub(r"\b[A-Z]\w*(?:Error|Exception): ", "", text)


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class Sweep:
    """A whole sweep's result."""

    version: str  # the bundle's
    old: str  # the factory image's
    count: Count
    planned: list[int]
    cuts: list[Cut] = field(default_factory=list)
    wall_seconds: float = 0.0
    stopped_early: bool = False

    @property
    def failures(self) -> list[Cut]:
        return [c for c in self.cuts if not c.ok]

    @property
    def recovered(self) -> int:
        return len(self.cuts) - len(self.failures)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.stopped_early

    def to_json(self) -> dict[str, Any]:
        landmarks = self.count.landmarks
        return {
            "ok": self.ok,
            "bundle_version": self.version,
            "factory_version": self.old,
            "writes": self.count.writes,
            "landmarks": {
                "marker": landmarks.marker,
                "armed": landmarks.armed,
                "committed": landmarks.committed,
            },
            "uncut_update": {
                "virtual_seconds": round(self.count.virtual_seconds, 3),
                "wall_seconds": round(self.count.wall_seconds, 3),
            },
            "planned": len(self.planned),
            "cut": len(self.cuts),
            "recovered": self.recovered,
            "stopped_early": self.stopped_early,
            "wall_seconds": round(self.wall_seconds, 1),
            "failures": [c.to_json(full=True) for c in self.failures],
            "cuts": [c.to_json() for c in self.cuts],
        }


def plan(writes: int, first: int = 1, last: int | None = None, every: int = 1) -> list[int]:
    """The writes to cut: ``first`` to ``last`` (default all ``writes``), every ``every``-th."""
    last = writes if last is None else min(last, writes)
    return list(range(first, last + 1, every))


def count_writes(rig: Rig) -> Count:
    """The uncut update, once: N and where its commit points fall."""
    started = time.monotonic()
    run, execution = rig.update(None)
    wall = time.monotonic() - started
    status = execution.get("status")
    state = rig.board_state()
    if status != "SUCCEEDED" or state["version"] != rig.version:
        details = (execution.get("statusDetails") or {}).get("detailsMap") or {}
        said = "; ".join(run.said)
        raise SweepError(
            f"the update does not succeed even without a power cut, so there is nothing to "
            f"sweep: the job is {status}"
            + (f" ({', '.join(f'{k} {v}' for k, v in details.items())})" if details else "")
            + f"; the board runs {state['version']}, its flash holds {state['flash_used']}"
            + (f"; its console said: {said}" if said else "")
        )
    history = rig.history()
    ours = ("/ota/", selector.RECORD, selector.SLOTS_DIR + "/")
    last = max((i for i, w in enumerate(history, 1) if any(p in w for p in ours)), default=0)
    history = history[:last]
    target = selector.other("a")
    virtual = run.ended_at - run.started_at
    return Count(last, history, Landmarks.find(history, target), virtual, wall)


def sweep(
    rig: Rig,
    *,
    first: int = 1,
    last: int | None = None,
    every: int = 1,
    keep_going: bool = False,
    progress: Callable[[str], None] | None = None,
    count: Count | None = None,
) -> Sweep:
    """Count the update's writes (unless ``count`` is given), then cut each planned one."""
    started = time.monotonic()
    say = progress or (lambda _: None)
    if count is None:
        say("counting the flash writes of one uncut update ...")
        count = count_writes(rig)
    lm = count.landmarks
    say(
        f"{count.writes} flash writes (marker at {lm.marker}, trial armed at {lm.armed}, "
        f"committed at {lm.committed}); one update took {count.wall_seconds:.1f}s"
    )
    result = Sweep(rig.version, rig.old, count, plan(count.writes, first, last, every))
    for done, write in enumerate(result.planned, 1):
        cut = judge(rig, count, write)
        result.cuts.append(cut)
        say(_progress_line(result, cut, done, started))
        if not cut.ok and not keep_going:
            result.stopped_early = done < len(result.planned)
            break
    result.wall_seconds = time.monotonic() - started
    return result


def _progress_line(result: Sweep, cut: Cut, done: int, started: float) -> str:
    spent = sum(c.wall_seconds for c in result.cuts)
    left = (len(result.planned) - done) * spent / done
    verdict = "recovered" if cut.ok else "FAILED: " + "; ".join(cut.problems)
    return (
        f"[{done}/{len(result.planned)}] write {cut.write} ({cut.stretch}): {verdict} "
        f"({cut.wall_seconds:.1f}s; about {_duration(left)} left)"
    )


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
