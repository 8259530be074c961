"""What a step sees of the scenario in progress: the interface between step types and the
engine.

Why a protocol here: step types (``steps_*.py``, ``expect_*.py``) are written against the
run they act on, and the engine builds that run from the scenario model, which imports the
step registry.  With the step modules importing the engine's class, imports went in a
circle (engine -> model -> registry -> engine).  This module depends on neither: the
engine's :class:`~harness.engine.ScenarioRun` satisfies it, and a new step type needs
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from harness.backends.base import Device, LogLine, TimeBase
from harness.iotcore import HarnessCore
from harness.observer import Observed, Observer
from harness.results import TimelineEvent


class ScenarioInfo(Protocol):
    """What steps read of the scenario itself."""

    @property
    def seed(self) -> int: ...

    @property
    def file(self) -> Path: ...

    @property
    def devices(self) -> list[str]: ...

    @property
    def programs(self) -> dict[str, Any]: ...


class RunContext(Protocol):
    """One scenario in progress, as its steps see it."""

    scenario: Any  # a ScenarioInfo: the model's Scenario (typed loosely to keep imports one way)
    core: HarnessCore
    observer: Observer
    devices: dict[str, Device]
    things: dict[str, str]
    timeline: list[TimelineEvent]
    mark: int
    mark_time: float
    consumed: set[int]
    start_index: int
    open_index: int
    time: TimeBase
    session_state: dict[str, Any]

    @property
    def origin(self) -> float: ...

    def device(self, name: str) -> Device: ...

    def thing(self, name: str) -> str: ...

    def targets(self, spec: Any) -> list[str]: ...

    def device_topic(self, device: str, program_topic: str) -> str: ...

    def log_of(self, name: str) -> list[LogLine]: ...

    def expand(self, text: str) -> str: ...

    def device_of_topic(self, topic: str) -> str | None: ...

    def publish(
        self, topic: str, payload: Any, *, to: Iterable[str] = (), qos: int = 1
    ) -> None: ...

    def expect_delivery(self, devices: Iterable[str], topic: str) -> None: ...

    def direction(self, message: Observed) -> str: ...

    def set_mark(self) -> None: ...

    def messages(self, topic_filter: str, since: int | None = None) -> list[Observed]: ...

    def event(
        self, kind: Any, device: str | None, summary: str, data: dict[str, Any] | None = None
    ) -> None: ...
