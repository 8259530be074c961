"""What the reports say about each device: read when its scenario ends, from that device.

Why at the end: the facts describe the device the scenario left behind -- how often it
booted, how many flash writes and power cuts it saw, its uptime, the colour of its pixel.
Read when the fleet came up, every scenario reported the same freshly booted board (a
power-cut scenario included), which told the reader nothing.

The firmware version is what the device itself *reported* during the scenario (the
agent's ``reported.agent.firmware`` in the shadow, or the ``firmware`` of its metrics),
when it reported one: that is the firmware that actually ran, on any backend.  A
backend's own description fills in what the device did not report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from harness.backends.base import BackendError


class Describes(Protocol):
    def describe(self) -> dict[str, Any]: ...


class Message(Protocol):
    @property
    def topic(self) -> str: ...

    def json(self) -> Any: ...


def reported_firmware(thing: str, messages: Iterable[Message]) -> str | None:
    """The last firmware version ``thing`` reported in ``messages`` (its shadow updates
    and metrics), or None."""
    shadow_update = f"$aws/things/{thing}/shadow/update"
    metrics = f"metrics/{thing}"
    found: str | None = None
    for message in messages:
        if message.topic == shadow_update:
            data = message.json()
            agent = _dig(data, "state", "reported", "agent")
            version = agent.get("firmware") if isinstance(agent, dict) else None
        elif message.topic == metrics:
            data = message.json()
            version = data.get("firmware") if isinstance(data, dict) else None
        else:
            continue
        if isinstance(version, str) and version:
            found = version
    return found


def final_facts(device: Describes, thing: str, messages: Iterable[Message]) -> dict[str, Any]:
    """The facts of ``device`` as it is now, with the firmware version it reported.

    A device that cannot describe itself (its process died, its port vanished) still gets
    a row: the reason is the fact."""
    try:
        facts = dict(device.describe() or {})
    except BackendError as exc:  # the device under test may be broken: that is the finding
        facts = {"describe_failed": str(exc)}
    except Exception as exc:
        facts = {"describe_failed": f"the backend failed to describe it ({type(exc).__name__})"}
    version = reported_firmware(thing, messages)
    if version is not None:
        facts["firmware_version"] = version
    return facts


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
