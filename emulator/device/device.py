"""Building an emulated device: a virtual board, its flash provisioned like a real one,
and the firmware agent booted on it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from emulator.board.board import VirtualBoard
from emulator.board.clock import Clock
from emulator.board.models import Environment
from firmware.agent.config import save_config, save_credentials
from firmware.agent.storage import Storage

from .app import AgentApp, Network, Trace
from .slots import factory_image


@dataclass
class DeviceIdentity:
    """What provisioning puts on a device's flash: who it is and where it connects."""

    thing_name: str
    host: str
    port: int
    ca: bytes
    cert: bytes
    key: bytes
    limits: dict[str, Any] = field(default_factory=dict)
    metrics_interval: float = 60.0
    #: PEM public keys the device trusts to sign firmware updates (``ota.trust``)
    ota_trust: tuple[bytes, ...] = ()

    def trust_files(self) -> dict[str, bytes]:
        """Where the trusted keys go on the flash (named by content)."""
        return {
            f"/certs/ota-{hashlib.sha256(pem).hexdigest()[:8]}.pub.pem": pem
            for pem in self.ota_trust
        }

    def config(self) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "thing_name": self.thing_name,
            "endpoint": {"host": self.host, "port": self.port},
            "metrics_interval": self.metrics_interval,
        }
        if self.limits:
            obj["limits"] = dict(self.limits)
        if self.ota_trust:
            obj["ota"] = {"trust": sorted(self.trust_files())}
        return obj


def provision_flash(board: VirtualBoard, identity: DeviceIdentity) -> None:
    """Program the factory image (this checkout's firmware in app slot a) and write
    ``/config.json`` and the certificates onto the board's flash, as flashing and the
    serial backend do for a real board before its first boot."""
    board.flash.program(factory_image())
    storage = Storage(board.fs)
    for path, pem in identity.trust_files().items():
        storage.write(path, pem)
    config = identity.config()
    save_config(storage, config)
    save_credentials(storage, config, identity.ca, identity.cert, identity.key)


@dataclass
class EmulatedDevice:
    board: VirtualBoard
    app: AgentApp

    @property
    def name(self) -> str:
        return self.board.name

    @property
    def agent(self) -> Any:
        return self.app.agent


def build_device(
    identity: DeviceIdentity,
    network: Network,
    *,
    clock: Clock | None = None,
    env: Environment | None = None,
    trace: Trace | None = None,
    seed: int | None = None,
    **board_options: Any,
) -> EmulatedDevice:
    """A provisioned virtual board running the agent (booted and asking to connect)."""
    board = VirtualBoard(identity.thing_name, clock=clock, env=env, **board_options)
    provision_flash(board, identity)
    app = AgentApp(network, trace=trace, seed=seed)
    board.app = app
    board.reset()  # boots with main.py: the agent starts
    return EmulatedDevice(board, app)
