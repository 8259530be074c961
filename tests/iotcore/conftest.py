"""Fixtures for the local IoT Core: a fresh core per test (ephemeral ports, tmp dir)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.iotcore.client import MqttThing
from emulator.iotcore.clock import ManualClock
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.mosquitto import BrokerError, find_mosquitto
from emulator.iotcore.provision import ThingCredentials
from emulator.iotcore.testing import Devices


def _mosquitto_missing() -> str | None:
    try:
        find_mosquitto()
    except BrokerError as exc:
        return str(exc)
    return None


MOSQUITTO_MISSING = _mosquitto_missing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if MOSQUITTO_MISSING is None:
        return
    skip = pytest.mark.skip(reason=MOSQUITTO_MISSING)
    for item in items:
        if "integration" in item.keywords and "tests/iotcore" in str(item.path):
            item.add_marker(skip)


@pytest.fixture
def core(tmp_path: Path) -> Iterator[LocalIoTCore]:
    with LocalIoTCore(tmp_path / "iotcore") as started:
        yield started


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture
def manual_core(tmp_path: Path, clock: ManualClock) -> Iterator[LocalIoTCore]:
    """A core whose job timers only move when the test advances ``clock``."""
    with LocalIoTCore(tmp_path / "iotcore", clock=clock) as started:
        yield started


Connect = Callable[..., tuple[ThingCredentials, MqttThing]]


@pytest.fixture
def device(core: LocalIoTCore) -> Iterator[Connect]:
    """``device("name")`` provisions a thing and returns (credentials, connected client)."""
    with Devices(core) as devices:
        yield devices


@pytest.fixture
def manual_device(manual_core: LocalIoTCore) -> Iterator[Connect]:
    with Devices(manual_core) as devices:
        yield devices
