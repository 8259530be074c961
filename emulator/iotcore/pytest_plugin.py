"""pytest fixtures for the local IoT Core; enable with ``-p emulator.iotcore.pytest_plugin``
or ``pytest_plugins = ["emulator.iotcore.pytest_plugin"]`` in a top-level conftest.

Each test gets its own core in its own temporary directory on ephemeral ports, so tests run
in parallel under pytest-xdist (one core per worker process at a time: moto is process-wide).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .core import LocalIoTCore
from .testing import Devices


@pytest.fixture
def iotcore(tmp_path: Path) -> Iterator[LocalIoTCore]:
    with LocalIoTCore(tmp_path / "iotcore") as core:
        yield core


@pytest.fixture
def iotcore_devices(iotcore: LocalIoTCore) -> Iterator[Devices]:
    """``iotcore_devices("dev-1")`` -> (credentials, connected ``MqttThing``)."""
    with Devices(iotcore) as devices:
        yield devices
