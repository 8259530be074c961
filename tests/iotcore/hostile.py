"""Helpers for the attack and fault tests: a bystander device that must keep being served,
and what the broker's log says about the services' connection.

Every attack test ends with :func:`assert_core_serves`: another device on the same core still
gets shadow and jobs answers, and the services never lost their connection to the broker
(one connect in the broker's log, the one at start-up).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.limits import MAX_PAYLOAD_BYTES
from emulator.iotcore.names import SERVICE_IDENTITY

#: Words of Python's own error messages; none may appear in a reply.
PYTHON_TEXT = re.compile(
    r"Traceback|Error\(|Exception|Expecting |line \d+ column|RecursionError|recursion|"
    r"Exceeds the limit|digits for integer|codec|surrogates not allowed|NoneType|"
    r"object has no attribute|invalid literal|KeyError|TypeError|ValueError"
)


def services_connects(core: LocalIoTCore) -> int:
    """How often the services connected to the broker since it started (1 when healthy)."""
    text = (core.directory / "broker" / "mosquitto.log").read_text(errors="replace")
    return text.count(f" as {SERVICE_IDENTITY} ")


class Bystander:
    """A device minding its own business on the core under attack."""

    def __init__(self, core: LocalIoTCore, client: MqttThing, thing: str) -> None:
        self.core = core
        self.client = client
        self.thing = thing
        self.shadow = f"$aws/things/{thing}/shadow"
        self.jobs = f"$aws/things/{thing}/jobs"
        client.subscribe([f"{self.shadow}/update/+", f"{self.jobs}/get/+"])
        self.updates = 0

    def served(self) -> None:
        """A shadow update and a jobs request are both answered."""
        self.updates += 1
        token = uuid.uuid4().hex[:12]
        kind, body = self.client.request(
            f"{self.shadow}/update",
            {"state": {"reported": {"n": self.updates}}, "clientToken": token},
        )
        assert (kind, body["state"]) == ("accepted", {"reported": {"n": self.updates}}), body
        kind, body = self.client.request(f"{self.jobs}/get", {"clientToken": token})
        assert kind == "accepted", body


def assert_core_serves(core: LocalIoTCore, bystander: Bystander, connects: int = 1) -> None:
    bystander.served()
    assert services_connects(core) == connects, "the services lost their broker connection"


def assert_clean_reply(payload: bytes) -> Any:
    """A reply is JSON within the message limit and carries no Python error text."""
    assert len(payload) <= MAX_PAYLOAD_BYTES
    text = payload.decode("utf-8")
    assert not PYTHON_TEXT.search(text), text[:400]
    return json.loads(text)
