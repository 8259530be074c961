"""The harness's eyes on the IoT Core: one MQTT client that records every message the
devices and the cloud services exchange, stamped with the scenario's time base.

Expectations are evaluated against this record rather than by asking devices, because that
is what the cloud side sees -- on the local IoT Core and on AWS alike.  Subscriptions: every
ordinary topic (``#``) and the devices' ``$aws/things/+/shadow/#`` and ``/jobs/#`` topics
(``#`` does not match topics that start with ``$``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from emulator.iotcore.client import MqttThing, topic_matches

OBSERVED_FILTERS = ["#", "$aws/things/+/shadow/#", "$aws/things/+/jobs/#"]


@dataclass(frozen=True)
class Observed:
    index: int
    t: float
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        """The payload as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.payload)
        except ValueError:
            return None

    def text(self, limit: int = 300) -> str:
        text = self.payload.decode("utf-8", "replace")
        return text if len(text) <= limit else text[:limit] + "..."


class Gate(Protocol):
    """Between the observer and its record on virtual time (an emulated fleet's
    :class:`~emulator.device.ledger.Ledger`): told what the harness publishes, and hands over
    what arrives on the clock's thread, at its virtual instant, in a fixed order."""

    def sent(self, name: str, topic: str, payload: bytes, qos: int = 1) -> object: ...

    def received(
        self, name: str, topic: str, payload: bytes, deliver: Callable[[], None] | None = None
    ) -> object: ...


#: The observer's name in a gate.
OBSERVER_PARTY = "observer"


class Observer(MqttThing):
    """Records every message; ``listeners`` are called for each one (on paho's thread, or
    the clock's thread when a :attr:`gate` is set)."""

    def __init__(self, *args: Any, now: Callable[[], float] = lambda: 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        self.messages: list[Observed] = []
        self.listeners: list[Callable[[Observed], None]] = []
        self.gate: Gate | None = None
        self._record_lock = threading.Lock()
        self._subscribed = False

    def start(self) -> Observer:
        self.connect()  # paho's loop thread runs from here, and reconnects on its own
        self.subscribe(OBSERVED_FILTERS)
        return self

    def _on_connect(self, client: mqtt.Client, u: Any, flags: Any, reason: Any, p: Any) -> None:
        super()._on_connect(client, u, flags, reason, p)
        if self._subscribed and not reason.is_failure and not flags.session_present:
            # the broker forgot the session (a restart without persistence): ask again
            client.subscribe([(f, 1) for f in OBSERVED_FILTERS])

    def subscribe(self, topics: Any, qos: int = 1, timeout: float = 10.0) -> Any:
        result = super().subscribe(topics, qos, timeout)
        self._subscribed = True
        return result

    def publish(
        self,
        topic: str,
        payload: bytes | str | dict[str, Any] | list[Any],
        qos: int = 1,
        retain: bool = False,
        timeout: float = 10.0,
    ) -> Any:
        """Publish as the cloud side (through the gate, if any: it is in flight from here)."""
        gate = self.gate
        if gate is not None:
            body = payload.encode() if isinstance(payload, str) else payload
            if isinstance(body, dict | list):
                body = json.dumps(body).encode()
            gate.sent(OBSERVER_PARTY, topic, body, qos)
        return super().publish(topic, payload, qos, retain, timeout)

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        topic, payload, retain = msg.topic, bytes(msg.payload), bool(msg.retain)
        gate = self.gate
        if gate is None:
            self._record(topic, payload, retain)
        else:
            gate.received(
                OBSERVER_PARTY, topic, payload, lambda: self._record(topic, payload, retain)
            )

    def _record(self, topic: str, payload: bytes, retain: bool) -> None:
        with self._record_lock:
            seen = Observed(len(self.messages), self.now(), topic, payload, retain)
            self.messages.append(seen)
        for listener in list(self.listeners):
            listener(seen)

    def since(self, index: int, topic_filter: str | None = None) -> list[Observed]:
        with self._record_lock:
            chunk = self.messages[index:]
        if topic_filter is None:
            return chunk
        return [m for m in chunk if topic_matches(topic_filter, m.topic)]

    @property
    def position(self) -> int:
        return len(self.messages)
