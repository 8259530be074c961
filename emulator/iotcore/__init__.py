"""The local AWS IoT Core: Mosquitto with mutual TLS, AWS's shadow and jobs protocols, moto.

Start it with ``LocalIoTCore`` (or ``steelhil iotcore up``), describe where it is with
``Endpoint``, provision things with ``Provisioner``/``LocalIoTCore.provision`` and connect with
``MqttThing``. Names are loaded lazily: the sans-IO cores (``emulator.iotcore.shadow``,
``emulator.iotcore.jobs``) stay importable without pulling in moto and boto3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import ConnectionRefused, Message, MqttThing
    from .clock import Clock, ManualClock, SystemClock
    from .core import LocalIoTCore
    from .endpoint import Endpoint
    from .provision import Provisioner, ThingCredentials

_EXPORTS = {
    "LocalIoTCore": "core",
    "Endpoint": "endpoint",
    "Provisioner": "provision",
    "ThingCredentials": "provision",
    "MqttThing": "client",
    "Message": "client",
    "ConnectionRefused": "client",
    "Clock": "clock",
    "ManualClock": "clock",
    "SystemClock": "clock",
}

__all__ = [
    "Clock",
    "ConnectionRefused",
    "Endpoint",
    "LocalIoTCore",
    "ManualClock",
    "Message",
    "MqttThing",
    "Provisioner",
    "SystemClock",
    "ThingCredentials",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
