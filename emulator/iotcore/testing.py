"""Helpers for tests that need devices on a local IoT Core (used by the pytest plugin).

``Devices`` provisions a thing and hands back a connected client in one call, and closes every
client it opened, so a failing test does not leak connections into the next one.
"""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any

from .client import MqttThing
from .core import LocalIoTCore
from .provision import ThingCredentials


class Devices:
    def __init__(self, core: LocalIoTCore) -> None:
        self.core = core
        self._opened: list[MqttThing] = []

    def __call__(
        self, name: str | None = None, **options: Any
    ) -> tuple[ThingCredentials, MqttThing]:
        """Provision ``name`` (a random one if omitted) and connect as it."""
        creds = self.core.provision(name or f"dev-{uuid.uuid4().hex[:8]}")
        return creds, self.connect(creds, **options)

    def connect(self, creds: ThingCredentials, **options: Any) -> MqttThing:
        client = self.core.connect(creds, **options)
        self._opened.append(client)
        return client

    def close(self) -> None:
        opened, self._opened = self._opened, []
        for client in opened:
            client.close()

    def __enter__(self) -> Devices:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
