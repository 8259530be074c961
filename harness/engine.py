"""Runs scenarios: opens the fleet on the chosen backends, performs each step, and turns
what happened into a :class:`~harness.results.ScenarioResult`.

One :class:`Engine` per run (one IoT Core, one observer, one backend session); one
:class:`ScenarioRun` per scenario.  Steps get everything they need from the ScenarioRun, so
a new step type never needs the engine changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import backends
from .backends.base import BackendError, BackendSession, BoardSpec, Device, LogLine, TimeBase
from .facts import final_facts
from .fingerprint import input_key
from .iotcore import HarnessCore
from .observer import Observed, Observer
from .results import DeviceInfo, ScenarioResult, StepResult, TimelineEvent
from .scenario.model import Scenario, Step
from .scenario.registry import StepFailed
from .timebase import ScenarioTime, WallTimeBase

READY_TIMEOUT = 60.0


class ScenarioRun:
    """One scenario in progress: its devices, time base, the observer, and its record."""

    def __init__(self, engine: Engine, scenario: Scenario) -> None:
        self.engine = engine
        self.scenario = scenario
        self.core = engine.core
        self.observer = engine.observer
        #: what the run's backends and steps keep for the whole run (run signing keys, ...)
        self.session_state: dict[str, Any] = engine.session.state
        self.devices: dict[str, Device] = {}
        self.things: dict[str, str] = {}  # device name in the scenario -> thing name
        self.timeline: list[TimelineEvent] = []
        self.mark = engine.observer.position
        self.mark_time = 0.0
        self.consumed: set[int] = set()
        self.sent: set[tuple[str, bytes]] = set()  # what the harness published
        self.start_index = engine.observer.position
        self.open_index = self.start_index  # before the fleet came up (its boot reports)
        self.time: TimeBase = engine.default_time()
        self.wall_start = time.monotonic()

    # --- names ---------------------------------------------------------------------------

    def device(self, name: str) -> Device:
        return self.devices[name]

    def thing(self, name: str) -> str:
        return self.things[name]

    def targets(self, spec: Any) -> list[str]:
        """``all`` or a list of device names -> device names."""
        if spec is None or spec == "all":
            return list(self.devices)
        return list(spec)

    def device_topic(self, device: str, program_topic: str) -> str:
        """A program topic as the device's agent maps it (docs/protocol.md):
        ``sensors/data`` -> ``sensors/T/data``."""
        first, _, rest = program_topic.partition("/")
        thing = self.things[device] if device != "broadcast" else "broadcast"
        return f"{first}/{thing}/{rest}" if rest else f"{first}/{thing}"

    @property
    def origin(self) -> float:
        """Where the scenario's time starts in the devices' own time base."""
        return float(getattr(self.time, "origin", 0.0))

    def log_of(self, name: str) -> list[LogLine]:
        """A device's console lines, stamped with scenario time."""
        origin = self.origin
        return [
            LogLine(line.t - origin, line.device, line.text) for line in self.devices[name].log()
        ]

    def expand(self, text: str) -> str:
        """``{dev-1}`` -> dev-1's thing name (raw topics name devices this way)."""
        for name, thing in self.things.items():
            text = text.replace("{" + name + "}", thing)
        return text

    def device_of_topic(self, topic: str) -> str | None:
        parts = topic.split("/")
        for name, thing in self.things.items():
            if len(parts) > 1 and parts[1] == thing:
                return name
            if len(parts) > 2 and parts[0] == "$aws" and parts[2] == thing:
                return name
        return None

    # --- acting ------------------------------------------------------------------------------

    def publish(self, topic: str, payload: Any, *, to: Iterable[str] = (), qos: int = 1) -> None:
        """Publish as the cloud side (on virtual time, time waits for it to reach every
        device subscribed to ``topic``; ``to`` names the devices it is for)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.sent.add((topic, body))
        self.observer.publish(topic, body, qos=qos)

    def expect_delivery(self, devices: Iterable[str], topic: str) -> None:
        """``topic`` is about to be sent to these devices (by the harness, or by the shadow
        or jobs service): backends that run on virtual time hold it until it arrives."""
        for name in devices:
            hold = getattr(self.devices[name], "expect_delivery", None)
            if hold is not None:
                hold(topic)

    def direction(self, message: Observed) -> str:
        """``to-device`` for what the cloud side sent (the harness, the shadow and jobs
        services), ``from-device`` for what a device published."""
        if (message.topic, message.payload) in self.sent:
            return "to-device"
        topic = message.topic
        if topic.startswith("$aws/things/"):
            last = topic.rsplit("/", 1)[-1]
            if last in ("accepted", "rejected", "delta", "documents", "notify", "notify-next"):
                return "to-device"
        return "from-device"

    def set_mark(self) -> None:
        """Expectations look at what arrives from now on."""
        self.mark = self.observer.position
        self.mark_time = self.time.now()

    def messages(self, topic_filter: str, since: int | None = None) -> list[Observed]:
        start = self.mark if since is None else since
        return [m for m in self.observer.since(start, topic_filter) if m.index not in self.consumed]

    def event(
        self, kind: Any, device: str | None, summary: str, data: dict[str, Any] | None = None
    ) -> None:
        self.timeline.append(TimelineEvent(self.time.now(), kind, device, summary, data or {}))


class Engine:
    """Runs scenarios against one IoT Core with one observer."""

    def __init__(
        self,
        core: HarnessCore,
        workdir: Path,
        *,
        backend: str = "emulated",
        boards: list[BoardSpec] | None = None,
        seed: int = 0,
        on_step: Callable[[Scenario, StepResult], None] | None = None,
    ) -> None:
        self.core = core
        self.workdir = workdir
        self.default_backend = backend
        self.boards = boards or []  # a rig's boards (thing names fixed by the rig)
        self.seed = seed
        self.on_step = on_step
        realtime = any(b.backend != "emulated" for b in self.boards) or backend != "emulated"
        self.session = BackendSession(core, workdir, seed=seed, realtime=realtime)
        self._time: TimeBase | None = None
        self._origin = 0.0
        self.observer = Observer(
            core.endpoint,
            core.observer_credentials(),
            client_id=f"steelhil-observer-{secrets.token_hex(4)}",
            # A persistent session: across a broker restart the broker keeps the observer's
            # subscriptions and queues what the devices publish until it is back.
            clean_start=False,
            session_expiry=3600,
            now=self._now,
        )
        self.observer.listeners.append(self._observed)
        self.session.observer = self.observer
        self.observer.start()

    def _now(self) -> float:
        """The observer's stamp: the current scenario's time."""
        return self._time.now() - self._origin if self._time is not None else 0.0

    def default_time(self) -> TimeBase:
        if self._time is None:
            return WallTimeBase()
        return self._time

    def _observed(self, message: Observed) -> None:
        for listener in list(self.session.on_observed):
            listener(message.topic, message.payload)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.observer.close()
        self.session.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one scenario ----------------------------------------------------------------------

    def run(self, scenario: Scenario) -> ScenarioResult:
        run, result = self.open_run(scenario)
        if result.status == "error":
            return result
        failed = False
        for step in scenario.steps:
            if failed:
                result.steps.append(self._skipped(step, run))
                continue
            outcome = self._step(run, step)
            result.steps.append(outcome)
            if self.on_step is not None:
                self.on_step(scenario, outcome)
            if outcome.status == "failed" and step.soft:  # recorded; the scenario goes on
                result.status = "failed"
                if run.time.now() > scenario.timeout:
                    failed = True
                    result.error = f"the scenario ran past its timeout of {scenario.timeout:g}s"
            elif outcome.status != "passed":
                failed = True
                result.status = "failed" if outcome.status == "failed" else "error"
                if outcome.status == "error":
                    result.error = outcome.message
                    result.error_location = outcome.location
            elif run.time.now() > scenario.timeout:
                failed = True
                result.status = "failed"
                result.error = f"the scenario ran past its timeout of {scenario.timeout:g}s"
        self.close_run(run, result)
        return result

    def open_run(self, scenario: Scenario) -> tuple[ScenarioRun, ScenarioResult]:
        """Bring up a scenario's devices; the result says ``error`` if that failed (and the
        run is then already closed)."""
        result = ScenarioResult(
            id=scenario.id,
            name=scenario.name,
            file=scenario.display_file,
            status="passed",
            params=dict(scenario.params),
            tags=list(scenario.tags),
            description=scenario.description,
            started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            scenario_sha256=scenario.sha256,
            inputs_sha256={input_key(p): d for p, d in scenario.inputs.items()},
        )
        run = ScenarioRun(self, scenario)
        run.wall_start = time.monotonic()
        try:
            self._open_devices(run, result)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            result.status = "error"
            detail = str(exc) if isinstance(exc, BackendError) else f"{type(exc).__name__}: {exc}"
            result.error = f"could not bring the fleet up: {detail}"
            self.close_run(run, result)
        return run, result

    def _open_devices(self, run: ScenarioRun, result: ScenarioResult) -> None:
        scenario = run.scenario
        names = scenario.devices
        token = secrets.token_hex(3)
        backend_name = scenario.backend or self.default_backend
        specs: list[tuple[str, BoardSpec]] = []
        rig = [b for b in self.boards if set(scenario.rig_tags) <= b.tags]
        if self.boards:
            if len(rig) < len(names):
                raise BackendError(
                    f"the scenario needs {len(names)} board(s)"
                    + (f" tagged {', '.join(scenario.rig_tags)}" if scenario.rig_tags else "")
                    + f"; the rig has {len(rig)}"
                )
            specs = list(zip(names, rig, strict=False))
        else:
            for name in names:
                options: dict[str, Any] = {"seed": self.seed + scenario.seed}
                if scenario.limits:
                    options["limits"] = scenario.limits
                specs.append((name, BoardSpec(f"{name}-{token}", backend_name, options=options)))
        for name, spec in specs:
            backend = backends.get(spec.backend)
            position = self.observer.position
            device = backend.open(spec, self.session)
            run.devices[name] = device
            run.things[name] = spec.name
            if self._time is None or (device.time is not self._time):
                self._time = device.time
                run.time = device.time
            values = scenario.sensors_for(name)
            if values:
                device.set_sensors(values)
            result.devices.append(DeviceInfo(name=spec.name, backend=spec.backend))
            self._wait_ready(run, name, position)
        run.time = ScenarioTime(self._time or run.time)
        self._origin = run.time.origin
        result.time_base = "virtual" if getattr(run.time, "virtual", False) else "wall"
        run.set_mark()
        run.start_index = run.mark

    def _wait_ready(self, run: ScenarioRun, name: str, since: int) -> None:
        """A device is ready when it asked for its shadow: it has connected and subscribed
        (its SUBSCRIBE went out before that PUBLISH on the same connection)."""
        topic = f"$aws/things/{run.things[name]}/shadow/get"
        if not run.time.wait_for(lambda: bool(run.observer.since(since, topic)), READY_TIMEOUT):
            raise BackendError(
                f"device {name} ({run.things[name]}) did not connect to the IoT Core "
                f"within {READY_TIMEOUT:g}s"
            )

    def _step(self, run: ScenarioRun, step: Step) -> StepResult:
        started = run.time.now()
        devices = [run.things.get(d, d) for d in step.type.devices(step.args)]
        run.event("step", None, f"step {step.index + 1}: {step.title}", {"index": step.index + 1})
        base = dict(
            index=step.index + 1,
            kind=step.kind,
            title=step.title,
            location=step.location,
            devices=devices,
            included_from=list(step.included_from),
        )
        if step.kind in ("act", "fault"):
            # Expectations after an act look at what happened from the moment it began: a
            # device may answer before the act's call returns.
            run.set_mark()
        try:
            outcome = step.type.run(run, step.args)
        except StepFailed as exc:
            return StepResult(
                status="failed",
                started=started,
                ended=run.time.now(),
                expected=exc.expected,
                observed=exc.observed,
                message=str(exc),
                **base,  # type: ignore[arg-type]
            )
        except BackendError as exc:
            return StepResult(
                status="error",
                started=started,
                ended=run.time.now(),
                message=str(exc),
                **base,  # type: ignore[arg-type]
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # harness or infrastructure (PowerLost): reported, not raised
            return StepResult(
                status="error",
                started=started,
                ended=run.time.now(),
                message=f"{type(exc).__name__}: {exc}",
                **base,  # type: ignore[arg-type]
            )
        return StepResult(
            status="passed",
            started=started,
            ended=run.time.now(),
            expected=outcome.expected,
            observed=outcome.observed,
            **base,  # type: ignore[arg-type]
        )

    def _skipped(self, step: Step, run: ScenarioRun) -> StepResult:
        now = run.time.now()
        return StepResult(
            index=step.index + 1,
            kind=step.kind,
            title=step.title,
            status="skipped",
            started=now,
            ended=now,
            location=step.location,
            message="an earlier step failed",
            included_from=list(step.included_from),
        )

    def close_run(self, run: ScenarioRun, result: ScenarioResult) -> None:
        """Close the devices and fill in the timeline, logs and duration."""
        for message in run.observer.since(run.start_index):
            device = run.device_of_topic(message.topic)
            if device is None:
                continue
            payload = message.json()
            direction = run.direction(message)
            arrow = "->" if direction == "to-device" else "<-"
            run.timeline.append(
                TimelineEvent(
                    message.t,
                    "mqtt",
                    run.things[device],
                    f"{arrow} {message.topic} {message.text(120)}",
                    {
                        "topic": message.topic,
                        "payload": payload if payload is not None else message.text(4096),
                        "direction": direction,
                    },
                )
            )
        for name, handle in run.devices.items():
            thing = run.things[name]
            history = getattr(handle, "history", None)
            if history is not None:
                for t, kind, summary, data in history():
                    run.timeline.append(TimelineEvent(t - run.origin, kind, thing, summary, data))
            lines = run.log_of(name)
            result.logs[thing] = [f"{line.t:10.3f}  {line.text}" for line in lines]
            for line in lines:
                run.timeline.append(TimelineEvent(line.t, "log", thing, line.text))
            for info in result.devices:  # as the scenario left the device (harness.facts)
                if info.name == thing:
                    info.facts = final_facts(handle, thing, run.observer.since(run.open_index))
            with contextlib.suppress(Exception):
                handle.close()
        for event in run.timeline:  # the step events name scenario devices: use thing names
            if event.device in run.things:
                event.device = run.things[event.device]
        run.timeline.sort(key=lambda e: e.t)
        result.timeline = run.timeline
        result.duration = time.monotonic() - run.wall_start
