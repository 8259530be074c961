"""What a run produced: the one data model every report (JUnit, HTML, JSON, artefacts) and the
terminal summary are written from.

Times: ``t`` fields are seconds of the scenario's time base (virtual on emulated fleets,
wall-clock since the scenario started on hardware); ``*_at`` fields are wall-clock ISO 8601
UTC; ``duration`` fields are wall-clock seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "error", "skipped"]

#: Timeline event kinds: MQTT from or to a device, outputs, console, harness actions.
EventKind = Literal["mqtt", "led", "pixel", "log", "status", "fault", "step", "act"]


@dataclass
class SourceLocation:
    """Where in a scenario file something was written (1-based line and column)."""

    file: str
    line: int
    column: int = 1
    path: str = ""  # the field's path, e.g. "steps[3].expect.mqtt.topic"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where} ({self.path})" if self.path else where


@dataclass
class TimelineEvent:
    t: float
    kind: EventKind
    device: str | None
    summary: str  # one line for humans
    data: dict[str, Any] = field(default_factory=dict)  # topic/payload, state, level, ...


@dataclass
class StepResult:
    index: int  # the step's number in its file, from 1
    kind: str  # "act", "expect", "never", "time", "fault"
    title: str  # e.g. 'expect mqtt sensors/dev-1/data where temperature > 30 within 65s'
    status: Status
    started: float  # time base
    ended: float
    location: SourceLocation | None = None
    expected: str | None = None
    observed: str | None = None
    message: str | None = None  # why it failed, in one or two sentences
    devices: list[str] = field(default_factory=list)
    #: for a step of an included steps file (whose ``location`` is in that file): the
    #: include steps that brought it in, outermost first
    included_from: list[SourceLocation] = field(default_factory=list)


@dataclass
class DeviceInfo:
    name: str
    backend: str
    facts: dict[str, Any] = field(default_factory=dict)  # firmware version, port, pid, ...


@dataclass
class ScenarioResult:
    id: str  # "scenarios/blink.yaml::blink[threshold=30]"
    name: str
    file: str
    status: Status
    params: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    description: str = ""
    steps: list[StepResult] = field(default_factory=list)
    devices: list[DeviceInfo] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)  # device -> console lines
    started_at: str = ""
    duration: float = 0.0
    time_base: Literal["virtual", "wall"] = "virtual"
    scenario_sha256: str = ""
    #: every other file the scenario read (programs, sensor traces, steps files) -> sha256
    inputs_sha256: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # loading or infrastructure error (status "error")
    error_location: SourceLocation | None = None

    @property
    def failed_step(self) -> StepResult | None:
        return next((s for s in self.steps if s.status in ("failed", "error")), None)


@dataclass
class RunFingerprint:
    """Enough to reproduce a run: what ran, on what, with which seed."""

    firmware_version: str
    firmware_sha256: str  # over every file of firmware/ in path order
    seed: int
    iotcore: str  # "local" or "aws:<region>"
    steelhil_version: str
    python: str
    platform: str
    scenarios_sha256: dict[str, str] = field(default_factory=dict)  # file -> sha256
    rig: str | None = None  # rig file name and its sha256, when one was used
    #: every other file the scenarios read (Steel programs, sensor traces, steps files)
    inputs_sha256: dict[str, str] = field(default_factory=dict)


@dataclass
class RunResult:
    fingerprint: RunFingerprint
    scenarios: list[ScenarioResult] = field(default_factory=list)
    started_at: str = ""
    duration: float = 0.0

    def counts(self) -> dict[str, int]:
        out = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for s in self.scenarios:
            out[s.status] += 1
        return out

    @property
    def ok(self) -> bool:
        c = self.counts()
        return c["failed"] == 0 and c["error"] == 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
