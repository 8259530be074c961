"""The network an emulated device boots into.

* :class:`IoTCoreNetwork`: a real MQTT connection, where the device's config says, with
  the certificates stored in the device's flash (so a revoked or rotated certificate on
  the device behaves as on hardware).  Works against the local IoT Core and AWS alike.
* :class:`OfflineNetwork`: no cloud at all (``steelhil check``): connects succeed at once
  and what the device publishes is recorded; messages can be injected.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.agent.events import Connected, Message

from .link import DeviceLink, Holder, LinkMonitor

Post = Callable[[object], None]


class IoTCoreNetwork:
    """Opens a :class:`DeviceLink` per device boot; keeps them by thing name."""

    def __init__(self, workdir: Path | None = None, monitor: LinkMonitor | None = None) -> None:
        self.monitor = monitor
        self._tmp = None if workdir is not None else tempfile.TemporaryDirectory()
        self.workdir = workdir if workdir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.links: dict[str, DeviceLink] = {}

    def open(
        self,
        config: Any,
        credentials: tuple[bytes, bytes, bytes],
        post: Post,
        holder: Holder | None = None,
    ) -> DeviceLink:
        # ssl needs files: the device's own certificate bytes, copied out of its flash.
        directory = self.workdir / config.thing_name
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in zip(("ca.pem", "cert.pem", "key.pem"), credentials, strict=True):
            path = directory / name
            path.write_bytes(data)
            path.chmod(0o600)
            paths.append(str(path))
        link = DeviceLink(
            config.thing_name,
            config.host,
            config.port,
            paths[0],
            paths[1],
            paths[2],
            post,
            time.monotonic,
            holder=holder,
            monitor=self.monitor,
            # network faults (latency, loss) take virtual time on a virtual clock
            scheduler=holder if getattr(holder, "virtual", False) else None,  # type: ignore[arg-type]
        )
        self.links[config.thing_name] = link
        return link

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        self.links.clear()
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class Recorded:
    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass
class OfflineLink:
    """A link to nowhere: it is always up, publishes are recorded, nothing arrives unless
    injected."""

    post: Post
    published: list[Recorded] = field(default_factory=list)
    filters: set[str] = field(default_factory=set)
    connects: int = 0

    def connect(self) -> None:
        self.connects += 1
        self.post(Connected(0.0, self.connects > 1))

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.published.append(Recorded(topic, payload, qos, retain))

    def subscribe(self, filters: list[tuple[str, int]]) -> None:
        self.filters.update(f for f, _ in filters)

    def unsubscribe(self, filters: list[str]) -> None:
        self.filters.difference_update(filters)

    def inject(self, topic: str, payload: bytes) -> None:
        """Deliver a message as if the broker had sent it."""
        self.post(Message(0.0, topic, payload))

    def sever(self, down_for: float = 0.0) -> None:
        pass

    def abort(self) -> None:
        pass

    def close(self) -> None:
        pass


class OfflineNetwork:
    def __init__(self) -> None:
        self.links: dict[str, OfflineLink] = {}

    def open(
        self,
        config: Any,
        credentials: tuple[bytes, bytes, bytes],
        post: Post,
        holder: Holder | None = None,
    ) -> OfflineLink:
        link = OfflineLink(post)
        self.links[config.thing_name] = link
        return link
