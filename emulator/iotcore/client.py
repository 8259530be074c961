"""A paho MQTT client connected as one thing, with the waits tests and the harness need.

Wraps paho-mqtt 2.x: connect over mutual TLS and report a refusal as an exception (under
TLS 1.3 a refused certificate only shows up after the handshake), subscribe and publish and
wait for the broker's acknowledgement, and ``expect`` a message on a topic within a timeout.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from .endpoint import Endpoint
from .provision import ThingCredentials


class ConnectionRefused(ConnectionError):
    """The broker (or the TLS layer) refused the connection."""


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    qos: int
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


def no_delay(client: mqtt.Client) -> None:
    """Turn Nagle's algorithm off: with it, a small PUBLISH waits up to 40 ms for the ACK of
    the previous segment, which is what a device's request/response exchange mostly is."""
    sock = client.socket()
    if isinstance(sock, socket.socket):  # ssl.SSLSocket included
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


def topic_matches(topic_filter: str, topic: str) -> bool:
    return bool(mqtt.topic_matches_sub(topic_filter, topic))


class MqttThing:
    """One MQTT 5 (or 3.1.1) connection; use as a context manager or call ``close``."""

    def __init__(
        self,
        endpoint: Endpoint,
        credentials: ThingCredentials | None = None,
        *,
        cert_file: str | None = None,
        key_file: str | None = None,
        ca_file: str | None = None,
        client_id: str | None = None,
        clean_start: bool = True,
        session_expiry: int = 0,
        protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv5,
        keepalive: int = 30,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.client_id = client_id or (credentials.thing_name if credentials else "client")
        self._host = host or endpoint.mqtt_host
        self._port = port or endpoint.mqtt_port
        self._clean_start = clean_start
        self._session_expiry = session_expiry
        self._keepalive = keepalive
        self._protocol = protocol
        self._cond = threading.Condition()
        self._messages: list[Message] = []
        self._acks: dict[int, Any] = {}
        self._connect_result: Any = None
        self._disconnected: Any = None
        self.session_present = False
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=protocol,
            clean_session=clean_start if protocol != mqtt.MQTTv5 else None,
        )
        cert = cert_file or (credentials.cert_file if credentials else None)
        key = key_file or (credentials.key_file if credentials else None)
        client.tls_set(
            ca_certs=ca_file or endpoint.ca_file,
            certfile=cert,
            keyfile=key,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
        client.max_inflight_messages_set(100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_publish = self._on_publish
        self.client = client

    # --- connection ------------------------------------------------------------------------

    def connect(self, timeout: float = 10.0) -> MqttThing:
        with self._cond:
            self._connect_result = None
            self._disconnected = None
        try:
            if self._protocol == mqtt.MQTTv5:
                props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
                props.SessionExpiryInterval = self._session_expiry
                self.client.connect(
                    self._host,
                    self._port,
                    self._keepalive,
                    clean_start=self._clean_start,
                    properties=props,
                )
            else:
                self.client.connect(self._host, self._port, self._keepalive)
        except (ssl.SSLError, OSError) as exc:
            raise ConnectionRefused(f"connection refused: {exc}") from exc
        self.client.loop_start()
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._connect_result is not None or self._disconnected is not None,
                timeout,
            )
            result, gone = self._connect_result, self._disconnected
        if not done:
            self.close()
            raise TimeoutError(f"no CONNACK from {self._host}:{self._port} within {timeout}s")
        if result is None or result.is_failure:
            self.close()
            raise ConnectionRefused(f"connection refused: {result or gone}")
        return self

    @property
    def connected(self) -> bool:
        return bool(self.client.is_connected())

    def wait_disconnected(self, timeout: float = 10.0) -> Any:
        with self._cond:
            self._cond.wait_for(lambda: self._disconnected is not None, timeout)
            return self._disconnected

    def close(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()

    def __enter__(self) -> MqttThing:
        if not self.connected:
            self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- traffic -------------------------------------------------------------------------------

    def subscribe(self, topics: str | Iterable[str], qos: int = 1, timeout: float = 10.0) -> Any:
        names = [topics] if isinstance(topics, str) else list(topics)
        result, mid = self.client.subscribe([(t, qos) for t in names])
        if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
            raise ConnectionError(f"subscribe failed: {mqtt.error_string(result)}")
        return self._wait_ack(mid, timeout)

    def publish(
        self,
        topic: str,
        payload: bytes | str | dict[str, Any] | list[Any],
        qos: int = 1,
        retain: bool = False,
        timeout: float = 10.0,
    ) -> Any:
        """Publish and, for QoS 1, wait for PUBACK; returns its reason code (MQTT 5)."""
        if isinstance(payload, dict | list):
            payload = json.dumps(payload)
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos == 0:
            return None
        return self._wait_ack(info.mid, timeout)

    def expect(
        self,
        topic_filter: str,
        timeout: float = 10.0,
        where: Callable[[Message], bool] | None = None,
    ) -> Message:
        """The next received message matching the filter (and predicate); consumes it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index, message in enumerate(self._messages):
                    if topic_matches(topic_filter, message.topic) and (
                        where is None or where(message)
                    ):
                        del self._messages[index]
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = sorted({m.topic for m in self._messages})
                    raise TimeoutError(f"nothing on {topic_filter} within {timeout}s; had {seen}")
                self._cond.wait(left)

    def drain(self, topic_filter: str = "#") -> list[Message]:
        """Messages received and not yet consumed, consumed now."""
        with self._cond:
            taken = [m for m in self._messages if topic_matches(topic_filter, m.topic)]
            self._messages = [m for m in self._messages if m not in taken]
            return taken

    def received(self, topic_filter: str = "#") -> list[Message]:
        """Messages received and not yet consumed (without consuming them)."""
        with self._cond:
            return [m for m in self._messages if topic_matches(topic_filter, m.topic)]

    def request(
        self,
        topic: str,
        payload: dict[str, Any],
        timeout: float = 10.0,
    ) -> tuple[str, Any]:
        """An AWS request/response exchange: publish, return ("accepted"|"rejected", body).

        The caller must be subscribed to ``topic + "/+"`` (as AWS requires for shadows).
        """
        token = payload.get("clientToken")
        self.publish(topic, payload)

        def mine(message: Message) -> bool:
            return token is None or message.json().get("clientToken") == token

        reply = self.expect(f"{topic}/+", timeout, where=mine)
        return reply.topic.rsplit("/", 1)[1], reply.json()

    # --- paho callbacks ----------------------------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _u: Any, flags: Any, reason: Any, _p: Any) -> None:
        no_delay(client)
        with self._cond:
            self._connect_result = reason
            self.session_present = bool(getattr(flags, "session_present", False))
            self._cond.notify_all()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        with self._cond:
            self._disconnected = reason
            self._cond.notify_all()

    def _on_message(self, _c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
        message = Message(msg.topic, bytes(msg.payload), msg.qos, bool(msg.retain))
        with self._cond:
            self._messages.append(message)
            self._cond.notify_all()

    def _on_subscribe(self, _c: Any, _u: Any, mid: int, codes: list[ReasonCode], _p: Any) -> None:
        with self._cond:
            self._acks[mid] = codes
            self._cond.notify_all()

    def _on_publish(self, _c: Any, _u: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        with self._cond:
            self._acks[mid] = reason
            self._cond.notify_all()

    def _wait_ack(self, mid: int, timeout: float) -> Any:
        with self._cond:
            if not self._cond.wait_for(lambda: mid in self._acks, timeout):
                raise TimeoutError(f"no acknowledgement for message {mid} within {timeout}s")
            return self._acks.pop(mid)
