"""Reading a scenario's timeline the way the reports need it.

The results model keeps one timeline per scenario with free-form ``data``; these helpers fix
how reports read it, so every report agrees:

* MQTT events carry ``data["topic"]``, ``data["payload"]`` (text, bytes or already-decoded
  JSON) and ``data["direction"]`` (passed through as the engine wrote it);
* log events carry the console line in ``data["text"]`` (else the summary is the line);
* events are shown in time order; ties keep the order they were recorded in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.results import ScenarioResult, StepResult, TimelineEvent


@dataclass(frozen=True)
class LogEntry:
    t: float | None  # None when only the untimed ``ScenarioResult.logs`` had the line
    device: str
    text: str

    def format(self, with_device: bool = False) -> str:
        when = "[         -]" if self.t is None else f"[{self.t:10.3f}]"
        who = f" {self.device}:" if with_device else ""
        return f"{when}{who} {self.text}"


def ordered(events: list[TimelineEvent]) -> list[TimelineEvent]:
    return sorted(events, key=lambda e: e.t)  # sorted() is stable: ties keep their order


def step_event(step: StepResult) -> TimelineEvent:
    return TimelineEvent(
        t=step.started,
        kind="step",
        device=None,  # steps are the harness's: filtering to one device keeps them apart
        summary=f"step {step.index} {step.status}: {step.title}",
        data={
            "index": step.index,
            "status": step.status,
            "ended": step.ended,
            "devices": list(step.devices),
        },
    )


def timeline(scenario: ScenarioResult) -> list[TimelineEvent]:
    """The scenario's events in time order, with its steps in it.

    An engine that records step events itself is taken at its word, and each of them gets
    its step's ``status`` (passed, failed, ...) so reports can mark the failing ones;
    otherwise each step's start is added, so a reader can always see which step was
    running when something happened.
    """
    events = list(scenario.timeline)
    if not any(e.kind == "step" for e in events):
        # Ahead of the events: a step that starts at t comes before what it caused at t.
        events = [step_event(s) for s in scenario.steps] + events
    else:  # the engine's own step events: give each its step's outcome
        status = {s.index: s.status for s in scenario.steps}
        events = [_with_status(e, status) for e in events]
    return ordered(events)


def _with_status(event: TimelineEvent, status: Mapping[int, str]) -> TimelineEvent:
    index = event.data.get("index")
    if event.kind != "step" or "status" in event.data or not isinstance(index, int):
        return event
    if index not in status:
        return event
    data = {**event.data, "status": status[index]}
    return TimelineEvent(event.t, event.kind, event.device, event.summary, data)


def device_names(scenario: ScenarioResult) -> list[str]:
    """Every device the scenario mentions, fleet order first."""
    names = [d.name for d in scenario.devices]
    for name in [*scenario.logs, *(e.device for e in scenario.timeline)]:
        if name is not None and name not in names:
            names.append(name)
    return names


def log_text(event: TimelineEvent) -> str:
    text = event.data.get("text")
    return text if isinstance(text, str) else event.summary


def log_entries(scenario: ScenarioResult, device: str) -> list[LogEntry]:
    """One device's console, with times where the timeline has them."""
    timed = [
        LogEntry(e.t, device, log_text(e))
        for e in ordered(scenario.timeline)
        if e.kind == "log" and e.device == device
    ]
    if timed:
        return timed
    return [LogEntry(None, device, line) for line in scenario.logs.get(device, [])]


def logs_around(
    scenario: ScenarioResult,
    start: float,
    end: float,
    *,
    devices: list[str] | None = None,
    before: float = 10.0,
    after: float = 2.0,
    limit: int = 200,
) -> list[LogEntry]:
    """The console lines of ``devices`` (default: all) from ``before`` seconds ahead of
    ``start`` to ``after`` seconds past ``end``, at most ``limit`` of them (the latest,
    which are nearest the failure).  Without timed lines, each device's last lines."""
    names = devices or device_names(scenario)
    timed: list[LogEntry] = []
    untimed: list[LogEntry] = []
    for name in names:
        for entry in log_entries(scenario, name):
            if entry.t is None:
                untimed.append(entry)
            elif start - before <= entry.t <= end + after:
                timed.append(entry)
    if timed:
        timed.sort(key=lambda e: e.t if e.t is not None else 0.0)
        return timed[-limit:]
    per_device = max(limit // max(len(names), 1), 1)
    out: list[LogEntry] = []
    for name in names:
        out.extend([e for e in untimed if e.device == name][-per_device:])
    return out


def decode_payload(value: Any) -> Any:
    """An MQTT payload as a reader wants it: decoded JSON when it is JSON, else text."""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def mqtt_record(event: TimelineEvent) -> dict[str, Any]:
    return {
        "t": event.t,
        "topic": event.data.get("topic"),
        "payload": decode_payload(event.data.get("payload")),
        "direction": event.data.get("direction"),
    }
