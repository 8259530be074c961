"""How reports read a timeline: the engine's own step events get their step's outcome."""

from __future__ import annotations

from harness.report.events import timeline
from harness.results import TimelineEvent

from .sample import failed_scenario


def test_the_engines_step_events_carry_their_steps_status() -> None:
    scenario = failed_scenario()
    scenario.timeline = [
        TimelineEvent(99.0, "step", None, "step 1: set temperature", {"index": 1}),
        TimelineEvent(100.0, "step", None, "step 2: expect alert", {"index": 2}),
        TimelineEvent(101.0, "step", None, "step 9: not a step of this run", {"index": 9}),
        TimelineEvent(102.0, "log", "dev-1", "line", {"text": "line"}),
    ]
    events = timeline(scenario)
    assert [e.data.get("status") for e in events] == ["passed", "failed", None, None]
    assert scenario.timeline[1].data == {"index": 2}  # the results are not changed


def test_device_facts_name_the_reported_firmware_and_a_device_that_cannot_describe_itself() -> None:
    from typing import Any

    from harness.backends.base import BackendError
    from harness.facts import final_facts
    from harness.observer import Observed

    class Board:
        def __init__(self, error: Exception | None = None) -> None:
            self.error = error

        def describe(self) -> dict[str, Any]:
            if self.error is not None:
                raise self.error
            return {"boot_count": 3, "firmware_version": None}

    def message(topic: str, payload: bytes) -> Observed:
        return Observed(0, 0.0, topic, payload, False)

    seen = [
        message(
            "$aws/things/t-1/shadow/update", b'{"state":{"reported":{"agent":{"firmware":"1.0"}}}}'
        ),
        message("metrics/t-2", b'{"firmware":"9.9"}'),  # another device's
        message("metrics/t-1", b'{"firmware":"1.1"}'),
        message("metrics/t-1", b"not json"),
    ]
    assert final_facts(Board(), "t-1", seen) == {"boot_count": 3, "firmware_version": "1.1"}
    assert final_facts(Board(), "t-3", seen)["firmware_version"] is None
    gone = final_facts(Board(BackendError("dev-1: the port /dev/ttyACM0 vanished")), "t-1", [])
    assert gone == {"describe_failed": "dev-1: the port /dev/ttyACM0 vanished"}
    broken = final_facts(Board(KeyError("x")), "t-1", [])
    assert broken == {"describe_failed": "the backend failed to describe it (KeyError)"}
