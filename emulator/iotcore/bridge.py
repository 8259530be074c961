"""The thin MQTT adapter between Mosquitto and the shadow and jobs services.

It connects with the services' own certificate, subscribes to the request topics of every
thing and hands each message to the ``ServiceHost``. Its session is persistent (MQTT 5 session
expiry), so requests published while the broker restarts are delivered once it is back, and
it subscribes with ``no_local`` so it never hears its own answers.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from .client import no_delay
from .messages import Publish
from .names import SERVICE_IDENTITY

log = logging.getLogger(__name__)

#: Wildcards cannot start a filter that should match ``$aws/...`` (MQTT 4.7.2), hence the
#: explicit prefixes; the services ignore the topics these filters catch but do not serve.
REQUEST_FILTERS = (
    "$aws/things/+/shadow/+",
    "$aws/things/+/shadow/name/+/+",
    "$aws/things/+/jobs/+",
    "$aws/things/+/jobs/+/+",
)


#: The name the services go by in a traffic monitor.
SERVICES_PARTY = "services"


class TrafficMonitor(Protocol):
    """Told what the services receive and send (an emulated fleet's
    :class:`~emulator.device.ledger.Ledger`, keeping virtual time from running past a request
    or its answer).  Called on the bridge's and the API's threads; must not block."""

    def receiving(self, name: str, topic: str, payload: bytes) -> Any: ...

    def answered(self, receipt: Any) -> None: ...

    def sent(
        self, name: str, topic: str, payload: bytes, qos: int = 1, cause: tuple[Any, ...] = ()
    ) -> object: ...

    def down(self, name: str) -> None: ...

    def up(self, name: str, session_present: bool = True) -> None: ...


class ServiceBridge:
    def __init__(
        self,
        host: str,
        port: int,
        ca_file: Path,
        cert_file: Path,
        key_file: Path,
        on_message: Callable[[str, bytes], None],
        client_id: str = SERVICE_IDENTITY,
    ) -> None:
        self._host, self._port = host, port
        self._on_message = on_message
        self.monitor: TrafficMonitor | None = None
        self._answering = threading.local()  # the request being answered on this thread
        self._ready = threading.Event()
        self._pending_subs: set[int] = set()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.tls_set(
            ca_certs=str(ca_file),
            certfile=str(cert_file),
            keyfile=str(key_file),
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=0.02, max_delay=0.25)  # type: ignore[arg-type]
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_subscribe = self._subscribed
        client.on_message = self._message
        self._client = client

    def start(self, timeout: float = 10.0) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 24 * 3600
        self._client.connect(
            self._host, self._port, keepalive=30, clean_start=False, properties=props
        )
        self._client.loop_start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError("the IoT Core services could not subscribe to the broker")

    def wait_ready(self, timeout: float = 10.0) -> bool:
        """True once connected and subscribed (again, after ``mark_down``)."""
        return self._ready.wait(timeout)

    def mark_down(self) -> None:
        """The broker is about to go away; ``wait_ready`` waits for the next subscription."""
        self._ready.clear()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def pause(self) -> None:
        """Go offline; the broker queues requests in this persistent session meanwhile."""
        self._ready.clear()
        if self.monitor is not None:
            self.monitor.down(SERVICES_PARTY)
        self.stop()

    def resume(self, timeout: float = 10.0) -> None:
        if self.monitor is not None:
            self.monitor.up(SERVICES_PARTY, True)  # what was queued for it is on its way
        self._client.reconnect()
        self._client.loop_start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the IoT Core services could not resubscribe")

    def publish(self, message: Publish) -> None:
        monitor = self.monitor
        if monitor is not None:  # told before it goes: it is in flight from here
            receipt = getattr(self._answering, "receipt", None)
            cause = receipt.key if receipt is not None else ()
            monitor.sent(SERVICES_PARTY, message.topic, message.payload, message.qos, cause)
        self._client.publish(message.topic, message.payload, qos=message.qos, retain=message.retain)

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _connected(
        self, client: mqtt.Client, _ud: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("service bridge refused by the broker: %s", reason)
            return
        no_delay(client)
        options = SubscribeOptions(qos=1, noLocal=True)
        result, mid = client.subscribe([(f, options) for f in REQUEST_FILTERS])
        if result == mqtt.MQTT_ERR_SUCCESS and mid is not None:
            self._pending_subs.add(mid)

    def _disconnected(self, _c: mqtt.Client, _ud: Any, _f: Any, _reason: Any, _p: Any) -> None:
        self._ready.clear()

    def _subscribed(self, _c: mqtt.Client, _ud: Any, mid: int, _codes: Any, _p: Any) -> None:
        self._pending_subs.discard(mid)
        if not self._pending_subs:
            self._ready.set()

    def _message(self, _c: mqtt.Client, _ud: Any, msg: mqtt.MQTTMessage) -> None:
        payload = bytes(msg.payload)
        monitor = self.monitor
        if monitor is None:
            self._on_message(msg.topic, payload)
            return
        # The request stays in flight until its answers are: virtual time cannot run past
        # a request whose answer has not been sent yet.
        receipt = monitor.receiving(SERVICES_PARTY, msg.topic, payload)
        self._answering.receipt = receipt
        try:
            self._on_message(msg.topic, payload)
        finally:
            self._answering.receipt = None
            monitor.answered(receipt)
