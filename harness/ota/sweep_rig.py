"""The power-cut sweep's rig: one local IoT Core, one observer, one virtual clock with its
ledger, one fleet and one board, set up once and used for every run.

Why set up once: provisioning a thing, starting Mosquitto and moto and making TLS material
take seconds, an update on virtual time a fraction of one; a sweep of thousands of runs
must pay the set-up once.  Each run starts from a snapshot of the provisioned flash
instead (:meth:`Rig.update`), so every run starts from the same factory state.

Why a ledger and no autojump threshold: with autojump the clock waits some real
milliseconds before each jump (each 4 KB chunk of a download is one), which made one
update take 9 s of wall time; the ledger (:mod:`emulator.device.ledger`) says when
nothing is in flight, so virtual time is exact and never waits on the wall clock.

What a run saw is collected on the clock's thread, where the board, the observer (gated
by the ledger) and the flash's cut callback all report, so "after the power returned" is
exact: nothing sent before the cut can be mistaken for a sign of life after it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import secrets
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emulator.board.clock import VirtualClock
from emulator.board.flash import Flash
from emulator.board.timeline import Event
from emulator.device.device import EmulatedDevice
from emulator.device.fleet import OBSERVER_POLICY, Fleet
from emulator.device.ledger import Ledger
from emulator.iotcore.bridge import REQUEST_FILTERS, SERVICES_PARTY
from emulator.iotcore.core import LocalIoTCore
from firmware.agent.storage import unframe
from firmware.boot import selector
from harness.observer import OBSERVED_FILTERS, OBSERVER_PARTY, Observed, Observer
from harness.timebase import VirtualTimeBase

THING = "steelhil-sweep-1"
PROGRAM_ID = "sweep-ticker"
#: The board's stored program: a tick every 5 s, so "its program runs" is seen, not assumed.
PROGRAM = """(define n 0)
(define (tick)
  (set! n (+ n 1))
  (mqtt-publish "tick" (json-encode `((n . ,n))))
  (set-timer "tick" 5 tick))
(tick)
"""
RUNNING = {"id": PROGRAM_ID, "state": "running"}
BUCKET = "steelhil-ota"
STATE_FILE = "/ota/state.json"  # the agent's OTA state (firmware/agent/ota.py)
#: Virtual seconds the board stays off after a cut.
OFF_SECONDS = 1.0
#: Virtual seconds from a boot to connected with the program running.
READY_SECONDS = 60.0
#: Virtual seconds from the power's return to the job's end: the agent's own longest wait
#: is the 120 s self-test deadline (download retries add 77 s), so this is stuck, not slow.
END_SECONDS = 600.0
#: Real seconds one wait may take before the run is declared hung.
REAL_LIMIT = 300.0
TERMINAL = ("SUCCEEDED", "FAILED", "REJECTED", "CANCELED", "TIMED_OUT", "REMOVED")


class SweepError(Exception):
    """The sweep cannot run at all (the rig did not come up, the uncut update fails);
    the message says why, for people."""


@dataclass
class Attempt:
    """One update in progress; the clock thread's callbacks fill it in."""

    job_id: str
    cut_at: int | None
    cut: str | None = None  # the write the cut hit
    power_on_index: int | None = None  # the observer's position when power returned
    flash: dict[str, Any] = field(default_factory=dict)
    first_boot: tuple[str | None, str | None, str | None] | None = None
    terminal: str | None = None  # first terminal status the cloud accepted
    report: dict[str, Any] | None = None  # first reported.agent after power returned
    program_reported: dict[str, Any] | None = None  # the last one's program
    running: bool = False  # a "running" status after power returned
    ticked: bool = False  # a tick of the program after power returned
    console: list[str] = field(default_factory=list)  # the board's, after the cut
    said: deque[str] = field(default_factory=lambda: deque(maxlen=3))  # its last ota lines
    boot_failures: int = 0
    full: int = 0  # writes the flash refused for want of space
    started_at: float = 0.0  # virtual: the job created
    ended_at: float = 0.0  # virtual: the job over (or given up on)


def flash_facts(flash: Flash) -> dict[str, Any]:
    """What the flash holds for the update: the boot record, the slots' markers, the OTA
    state's step (read off the flash itself: no power needed, nothing counted)."""

    class _Raw:
        def read(self, path: str) -> bytes | None:
            return flash.file(path)

    record = selector.read_record(_Raw())
    facts: dict[str, Any] = {
        "boot_record": {k: record[k] for k in ("active", "pending", "attempts")},
    }
    for slot in selector.SLOTS:
        raw = flash.file(f"{selector.slot_dir(slot)}/slot.json")
        try:
            marker = json.loads(raw) if raw is not None else None
            facts[f"slot_{slot}"] = marker.get("version") if marker else "no marker"
        except (ValueError, AttributeError):
            facts[f"slot_{slot}"] = f"torn marker ({len(raw or b'')} bytes)"
    blob = flash.file(STATE_FILE)
    data, status = unframe(blob) if blob is not None else (None, "missing")
    try:
        state = json.loads(data) if data is not None else None
    except ValueError:
        state = None
    facts["ota_state"] = state.get("step") if isinstance(state, dict) else status
    return facts


class Rig:
    """One local IoT Core, observer, virtual clock (with its ledger), fleet and board, set
    up once; :meth:`update` runs the bundle's update on the board from its factory flash,
    cut at a write or not.  A context manager."""

    def __init__(
        self, bundle: bytes, version: str, trust_pem: bytes, workdir: Path, old: str
    ) -> None:
        self.bundle = bundle
        self.version = version
        self.old = old
        self.trust_pem = trust_pem
        self.workdir = workdir
        self.sha256 = hashlib.sha256(bundle).hexdigest()
        self._stack = contextlib.ExitStack()
        self._jobs = itertools.count(1)
        self._token = secrets.token_hex(3)
        self._run: Attempt | None = None

    def __enter__(self) -> Rig:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        stack = self._stack
        core = stack.enter_context(LocalIoTCore(self.workdir / "core"))
        self.core = core
        self.iot = core.iot()
        self.clock = clock = VirtualClock()
        ledger = Ledger(clock).start()
        stack.callback(ledger.close)
        ledger.party(OBSERVER_PARTY, OBSERVED_FILTERS)
        ledger.party(SERVICES_PARTY, REQUEST_FILTERS, no_local=True)
        core.monitor_traffic(ledger)
        stack.callback(core.monitor_traffic, None)
        creds = core.provision(
            "steelhil-sweep-observer",
            policy_name="steelhil-observer",
            policy_document=OBSERVER_POLICY,
        )
        self.observer = Observer(
            core.endpoint, creds, client_id=f"steelhil-sweep-{self._token}", now=clock.now
        )
        self.observer.gate = ledger
        self.observer.listeners.append(self._observed)
        self.observer.start()
        stack.callback(self.observer.close)
        self.fleet = Fleet(core, self.workdir / "fleet", clock=clock, monitor=ledger)
        self.fleet.start()
        stack.callback(self.fleet.stop)
        self.time = VirtualTimeBase(clock, real_limit=REAL_LIMIT)
        stack.callback(self.time.close)  # first: release the clock, then stop the fleet
        position = self.observer.position
        self.device: EmulatedDevice = self.fleet.add(THING, ota_trust=(self.trust_pem,), seed=0)
        board = self.device.board
        # What each write was, so a cut is reported by what it hit (a recorder the flash has
        # for sweeps; it is off unless asked for).
        board.flash._record = True
        board.flash.on_power_cut(self._cut)
        self._watch_space(board.flash)
        board.timeline.subscribe(self._board_event)
        self._ready(position, program=False)
        position = self.observer.position
        load = {"program_id": PROGRAM_ID, "source": PROGRAM, "auto_start": True}
        self.observer.publish(f"steel-programs/{THING}/load", load)
        self._ready(position, program=True)
        self.factory = self.fleet.call(board.flash.snapshot)
        s3 = core.s3()
        with contextlib.suppress(Exception):  # there already
            s3.create_bucket(Bucket=BUCKET)
        key = f"bundles/{self.sha256}.bundle"
        s3.put_object(Bucket=BUCKET, Key=key, Body=self.bundle)
        url = quote(f"https://s3.{core.endpoint.region}.amazonaws.com/{BUCKET}/{key}", safe="")
        self.document = json.dumps(
            {
                "operation": "steel-ota",
                "version": self.version,
                "url": "${aws:iot:s3-presigned-url-v2:" + url + "}",
                "sha256": self.sha256,
                "size": len(self.bundle),
            }
        )
        self.arn = self.iot.describe_thing(thingName=THING)["thingArn"]

    def _ready(self, since: int, *, program: bool) -> None:
        """Until the board asked for its shadow (connected and subscribed) and, with
        ``program``, said its program runs."""
        shadow_get = f"$aws/things/{THING}/shadow/get"
        status = f"steel-programs/{THING}/status"

        def ready() -> bool:
            if not program:
                return bool(self.observer.since(since, shadow_get))
            return any(
                (_json(m) or {}).get("state") == "running"
                for m in self.observer.since(since, status)
            )

        if not self.time.wait_for(ready, READY_SECONDS):
            what = "run its program" if program else "connect to the local IoT Core"
            raise SweepError(f"the emulated board did not {what} within {READY_SECONDS:g}s")

    # --- one update ------------------------------------------------------------------------

    def update(self, cut_at: int | None) -> tuple[Attempt, dict[str, Any]]:
        """Run the update from the factory flash (cut at write ``cut_at``), until the job
        has ended and the board is done with it, or :data:`END_SECONDS` after the power
        returned.  Returns what was seen and the job's execution as the AWS API gives it."""
        board, flash = self.device.board, self.device.board.flash
        position = self.observer.position

        def factory() -> None:
            board.power_cut()
            flash.disarm()
            flash.restore(self.factory)
            board.power_on()

        self._run = None
        self.fleet.call(factory)
        self._ready(position, program=True)
        # fixed width: the OTA state holds the id, so every run writes the same sizes
        run = Attempt(f"sweep-{next(self._jobs):07d}-{self._token}", cut_at)

        def arm() -> None:
            flash.counters.history.clear()
            if cut_at is not None:
                flash.cut_power_at(cut_at)
            self._run = run

        self.fleet.call(arm)
        self.iot.create_job(jobId=run.job_id, targets=[self.arn], document=self.document)
        run.started_at = self.clock.now()

        def over() -> bool:
            if run.cut_at is not None and run.cut is not None and run.first_boot is None:
                return False  # off: the power comes back first
            return run.terminal is not None and not flash.is_file(STATE_FILE)

        self.time.wait_for(over, END_SECONDS)
        run.ended_at = self.clock.now()
        if run.first_boot is not None:  # seen it come back: and its program run
            self.time.wait_for(
                lambda: run.program_reported == RUNNING and run.ticked, READY_SECONDS
            )

        def done() -> None:
            flash.disarm()
            self._run = None  # what follows (the job deleted) is not this run's

        self.fleet.call(done)
        execution = self._execution(run.job_id)
        return run, execution

    def _execution(self, job_id: str) -> dict[str, Any]:
        """The job's execution on the board, from the AWS API; then the job is deleted (a
        sweep makes thousands: the jobs service stays small)."""
        try:
            found = self.iot.describe_job_execution(jobId=job_id, thingName=THING)
            execution: dict[str, Any] = dict(found.get("execution", {}))
        except Exception as exc:  # the API answered with an error: say which
            execution = {"status": None, "error": type(exc).__name__}
        with contextlib.suppress(Exception):
            self.iot.delete_job(jobId=job_id, force=True)
        return execution

    def board_state(self) -> dict[str, Any]:
        """The version the board runs and its boot record (on the clock's thread)."""

        def read() -> dict[str, Any]:
            app, flash = self.device.app, self.device.board.flash
            running = app.firmware.version if app.firmware and app.boot_error is None else None
            used = f"{flash.used_blocks()} of {flash.block_count} blocks"
            return {"version": running, "flash_used": used, **flash_facts(flash)["boot_record"]}

        return self.fleet.call(read)

    def history(self) -> list[str]:
        return self.fleet.call(lambda: list(self.device.board.flash.counters.history))

    def _watch_space(self, flash: Flash) -> None:
        """Count the writes the flash refuses as full (ENOSPC), so that a job FAILED
        no-space can be checked against what the flash did rather than what the board
        says.  Wraps this board's flash only; every write still goes to the flash."""
        write_file = flash.write_file

        def counted(path: str, data: bytes, *, append: bool = False) -> None:
            try:
                write_file(path, data, append=append)
            except OSError as exc:
                if exc.errno == errno.ENOSPC and self._run is not None:
                    self._run.full += 1
                raise

        flash.write_file = counted  # type: ignore[method-assign]

    # --- callbacks on the clock's thread ------------------------------------------------------

    def _cut(self) -> None:
        run = self._run
        if run is None:
            return
        history = self.device.board.flash.counters.history
        run.cut = history[-1] if history else "?"
        self.clock.call_later(OFF_SECONDS, self._power_on, run)

    def _power_on(self, run: Attempt) -> None:
        board, app = self.device.board, self.device.app
        run.flash = flash_facts(board.flash)
        run.power_on_index = self.observer.position
        board.power_on()
        if app.boot_error is not None or app.firmware is None:
            run.first_boot = (None, None, app.boot_error or "nothing booted")
        else:
            run.first_boot = (app.firmware.version, app.firmware.slot, None)

    def _board_event(self, event: Event) -> None:
        run = self._run
        if run is None or event.kind != "console":
            return
        text = str(event.data)
        if text.startswith("ota:") or "error" in text:
            run.said.append(text)
        if run.cut is None:
            return
        if "cannot boot" in text:
            run.boot_failures += 1
        if len(run.console) < 60:
            run.console.append(f"{event.t:.3f} {text}")

    def _observed(self, message: Observed) -> None:
        run = self._run
        if run is None:
            return
        topic = message.topic
        if topic == f"$aws/things/{THING}/jobs/{run.job_id}/update/accepted":
            state = (_json(message) or {}).get("executionState") or {}
            if run.terminal is None and state.get("status") in TERMINAL:
                run.terminal = state["status"]
            return
        if run.power_on_index is None or message.index < run.power_on_index:
            return
        if topic == f"$aws/things/{THING}/shadow/update":
            reported = ((_json(message) or {}).get("state") or {}).get("reported") or {}
            agent = reported.get("agent")
            if isinstance(agent, dict):
                run.report = agent if run.report is None else run.report
                run.program_reported = agent.get("program") or {}
        elif topic == f"steel-programs/{THING}/status":
            body = _json(message) or {}
            if body.get("program_id") == PROGRAM_ID and body.get("state") == "running":
                run.running = True
        elif topic == f"tick/{THING}":
            run.ticked = True


def _json(message: Observed) -> dict[str, Any] | None:
    try:
        body = message.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
