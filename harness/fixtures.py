"""Devices for Python tests: the ``fleet`` and ``device`` fixtures' objects.

A Python test gets the same devices a scenario gets (same backends, same observer, same time
base) plus ``expect``-style helpers that wait on the captured log and the MQTT traffic, in
the manner of pytest-embedded's ``dut.expect``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .backends.base import Device, LogLine
from .engine import Engine, ScenarioRun
from .observer import Observed
from .results import ScenarioResult
from .scenario.match import is_subset
from .scenario.model import Scenario
from .scenario.steps_expect import MessageProbe


class ExpectationError(AssertionError):
    pass


class TestDevice:
    """One device of the fixture fleet, with helpers that wait in the fleet's time base."""

    __test__ = False  # not a test class

    def __init__(self, fleet: TestFleet, name: str) -> None:
        self.fleet = fleet
        self.name = name
        self.run = fleet.run

    @property
    def thing(self) -> str:
        return self.run.thing(self.name)

    @property
    def dev(self) -> Device:
        """The backend's device (LED, sensors, faults)."""
        return self.run.device(self.name)

    def __getattr__(self, attr: str) -> Any:  # led(), set_sensors(), reset(), ...
        return getattr(self.run.device(self.name), attr)

    def deploy(self, source: str, program_id: str = "test", **extra: Any) -> None:
        body = {"program_id": program_id, "source": source, **extra}
        self.run.set_mark()  # what the device does from here on counts
        self.run.publish(f"steel-programs/{self.thing}/load", body, to=[self.name])

    def publish(self, program_topic: str, payload: Any) -> None:
        self.run.set_mark()
        self.run.publish(self.run.device_topic(self.name, program_topic), payload, to=[self.name])

    def expect_mqtt(
        self,
        program_topic: str,
        payload: Any = None,
        *,
        where: Any = None,
        timeout: float = 10.0,
    ) -> Observed:
        """The next message on one of this device's program topics (``sensors/data``)."""
        topic = self.run.device_topic(self.name, program_topic)
        return self._expect_message(topic, payload, where, timeout)

    def expect_status(self, state: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        wanted = {"state": state, **fields}
        topic = f"steel-programs/{self.thing}/status"
        found: dict[str, Any] = self._expect_message(topic, wanted, None, timeout).json()
        return found

    def _expect_message(self, topic: str, payload: Any, where: Any, timeout: float) -> Observed:
        def accept(m: Observed) -> bool:
            data = m.json()
            if payload is not None and not is_subset(payload, data):
                return False
            return where is None or bool(where(data))

        probe = MessageProbe(self.run, topic, accept, f"{topic} matching {json.dumps(payload)}")
        if not self.run.time.wait_for(probe.check, timeout):
            raise ExpectationError(
                f"no message on {topic} matching {json.dumps(payload)} within {timeout:g}s; "
                f"{probe.observed()}"
            )
        return probe.found[0]

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """The first console line after the last action that matches ``pattern``."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        since = self.run.mark_time
        box: list[re.Match[str]] = []

        def seen() -> bool:
            for line in self.log_since(since):
                m = regex.search(line.text)
                if m:
                    box.append(m)
                    return True
            return False

        if not self.run.time.wait_for(seen, timeout):
            tail = [line.text for line in self.log_since(since)][-10:]
            raise ExpectationError(
                f"no console line matching /{regex.pattern}/ within {timeout:g}s; "
                f"last lines: {tail}"
            )
        return box[0]

    def log_since(self, t: float) -> list[LogLine]:
        return [line for line in self.run.log_of(self.name) if line.t >= t]

    def wait(self, seconds: float) -> None:
        self.run.time.sleep(seconds)


class TestFleet:
    """Devices opened for one test (closed at its end)."""

    __test__ = False

    def __init__(
        self, engine: Engine, names: list[str], sensors: Mapping[str, float] | None = None
    ) -> None:
        scenario = Scenario(
            id="python-test",
            name="python-test",
            file=Path("python-test"),
            display_file="python-test",
            devices=names,
            sensors={"*": dict(sensors or {})},
        )
        self.run: ScenarioRun
        self.run, self.result = engine.open_run(scenario)
        if self.result.status == "error":
            raise RuntimeError(self.result.error)
        self.engine = engine
        self.devices = {n: TestDevice(self, n) for n in names}

    def __getitem__(self, name: str) -> TestDevice:
        return self.devices[name]

    def __iter__(self) -> Iterator[TestDevice]:
        return iter(self.devices.values())

    def __len__(self) -> int:
        return len(self.devices)

    def broadcast(self, source: str, program_id: str = "broadcast") -> None:
        body = {"program_id": program_id, "source": source}
        self.run.set_mark()
        self.run.publish("steel-programs/broadcast/load", body, to=list(self.devices))

    def close(self) -> ScenarioResult:
        self.engine.close_run(self.run, self.result)
        return self.result
