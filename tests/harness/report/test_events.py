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
