"""One emulated device's MQTT connection to an IoT Core, driven by the agent's actions.

The agent owns the session policy (when to reconnect, with what backoff; what to queue while
offline), exactly as on a board, so the link never reconnects on its own: it connects when
it receives :class:`~firmware.agent.events.Connect` and reports what happened as agent
events.  One paho client is kept for the device's whole life, so QoS 1 publishes that were
in flight when the connection dropped are resent after the next connect, and the broker
keeps the persistent session (``clean_session=False``, client id = thing name).

Events are delivered through a callable (usually a queue's ``put``) from the link's network
thread; the device's runner feeds them to the agent on its own thread.
"""

from __future__ import annotations

import queue
import random
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials
from firmware.agent.events import Connected, Disconnected, Message

EventSink = Callable[[object], None]
Clock = Callable[[], float]


class Holder(Protocol):
    """A virtual clock's holds: time must not autojump past network work in flight."""

    def hold(self) -> None: ...

    def release(self) -> None: ...


class LinkMonitor(Protocol):
    """Sees what crosses a link and hands over what arrives (an
    :class:`~emulator.device.ledger.Ledger`: virtual time then never runs past a message,
    and what arrives at one instant is handed over in the same order on every run).
    Called from any thread; must not block."""

    def sent(self, name: str, topic: str, payload: bytes, qos: int = 1) -> object: ...

    def received(
        self, name: str, topic: str, payload: bytes, deliver: Callable[[], None] | None = None
    ) -> object: ...

    def notify(self, name: str, deliver: Callable[[], None]) -> None: ...

    def subscribed(self, name: str, granted: list[tuple[str, int]]) -> None: ...

    def unsubscribed(self, name: str, filters: list[str]) -> None: ...

    def refused(self, name: str, filters: list[str]) -> None: ...

    def up(self, name: str, session_present: bool = True) -> None: ...

    def down(self, name: str) -> None: ...

    def party(self, name: str) -> None: ...


class Scheduler(Protocol):
    """The virtual clock a link delays traffic on (network latency as a fault)."""

    def now(self) -> float: ...

    def call_at(self, when: float, callback: Callable[..., object], *args: Any) -> object: ...


_LOOP_TIMEOUT = 0.05
#: A "lost" segment waits one retransmission timeout: Linux's TCP_RTO_MIN, doubling for
#: consecutive losses up to MAX_RTO (as harness/netem.py does in real time).
DEFAULT_RTO = 0.2
MAX_RTO = 60.0


@dataclass
class LinkStats:
    """What crossed the link, for fleet metrics and reports."""

    connects: int = 0
    connect_failures: int = 0
    disconnects: int = 0
    published: int = 0
    received: int = 0


class DeviceLink:
    """MQTT over mutual TLS for one thing.

    ``host``/``port`` are where the device's config says to connect (a fault-injecting
    proxy sits there when the harness degrades this device's network); the certificate
    files are the device's own.
    """

    def __init__(
        self,
        thing_name: str,
        host: str,
        port: int,
        ca_file: str,
        cert_file: str,
        key_file: str,
        events: EventSink,
        clock: Clock,
        *,
        keepalive: int = 30,
        holder: Holder | None = None,
        monitor: LinkMonitor | None = None,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.thing_name = thing_name
        self._holder = holder
        self._monitor = monitor
        self._scheduler = scheduler
        self._latency = 0.0  # virtual seconds each way (a fault), when there is a scheduler
        self._loss = 0.0
        self._rto = 0.0
        self._rng = random.Random(0)
        self._last_out = 0.0  # a byte stream: what is sent later never overtakes
        self._last_in = 0.0
        if monitor is not None:
            monitor.party(thing_name)  # ranked in the order devices are built
        self._host = host
        self._port = port
        self._keepalive = keepalive
        self._events = events
        self._clock = clock
        self.stats = LinkStats()
        self._commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._closed = threading.Event()
        self._connected = False
        self._blocked_until = 0.0  # wall time before which connects fail (network fault)
        self._lock = threading.Lock()
        self._subscriptions_in_flight = 0  # requested, not yet acknowledged
        self._acked = False  # a subscription acknowledged on this connection
        self._subscription_mids: dict[int, list[str]] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=thing_name,
            protocol=mqtt.MQTTv311,
            clean_session=False,
        )
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        client.tls_set_context(context)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        self._client = client
        self._thread = threading.Thread(target=self._run, name=f"link-{thing_name}", daemon=True)
        self._thread.start()

    @classmethod
    def for_thing(
        cls,
        endpoint: Endpoint,
        credentials: ThingCredentials,
        events: EventSink,
        clock: Clock,
        **options: Any,
    ) -> DeviceLink:
        """A link for a thing provisioned by an IoT Core (tests, tools)."""
        return cls(
            credentials.thing_name,
            endpoint.mqtt_host,
            endpoint.mqtt_port,
            credentials.ca_file,
            credentials.cert_file,
            credentials.key_file,
            events,
            clock,
            **options,
        )

    # --- what the device's runner calls (any thread) ------------------------------------
    # Every call on the paho client happens on the link's network thread: paho writes to the
    # socket from whichever thread calls it when it does not run its own loop thread, and
    # two threads writing one TLS socket corrupt the stream (the broker then drops us).

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def ready(self) -> bool:
        """Connected, subscribed (the agent subscribes on every connect, a moment of its
        CPU time after it), and the broker has acknowledged every subscription requested so
        far: from now on a message published to the device's topics reaches it."""
        with self._lock:
            return self._connected and self._acked and self._subscriptions_in_flight == 0

    def connect(self) -> None:
        """Start a connection attempt; the result arrives as Connected or Disconnected.

        Virtual time is held from here until that result is posted: a handshake that takes
        real time must not let the device's connect timeout expire in virtual time."""
        self._hold()
        self._command("connect")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        delay = self._delay(outgoing=True)
        if delay is not None and self._scheduler is not None:
            self._scheduler.call_at(delay, self._publish_now, topic, payload, qos, retain)
            return
        self._publish_now(topic, payload, qos, retain)

    def _publish_now(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        if self._monitor is not None and self._connected:
            self._monitor.sent(self.thing_name, topic, payload, qos)
        self._command("publish", (topic, payload, qos, retain))

    def shape(self, *, latency: float = 0.0, loss: float = 0.0, seed: int = 0) -> None:
        """Network latency and loss as faults, in *virtual* time (needs a scheduler): each
        message waits ``latency`` seconds each way; with probability ``loss`` it waits one
        retransmission timeout more (TCP never loses bytes; it resends them), 0.2 s
        doubling for consecutive losses, as TCP's backoff does."""
        self._latency = max(0.0, latency)
        self._loss = min(1.0, max(0.0, loss))
        self._rto = 0.0
        self._rng = random.Random(seed)

    def _delay(self, *, outgoing: bool) -> float | None:
        """When a message crossing now arrives on the other side, or None for at once."""
        if self._scheduler is None or (self._latency <= 0 and self._loss <= 0):
            return None
        delay = self._latency
        if self._loss > 0 and self._rng.random() < self._loss:
            self._rto = min(MAX_RTO, self._rto * 2 if self._rto else DEFAULT_RTO)
            delay += self._rto
        else:
            self._rto = 0.0
        at = self._scheduler.now() + delay
        if outgoing:
            at = self._last_out = max(at, self._last_out)
        else:
            at = self._last_in = max(at, self._last_in)
        return at

    def subscribe(self, filters: list[tuple[str, int]]) -> None:
        if filters and self._monitor is not None and self._connected:
            # In effect from now on for what is sent after it: the broker takes the
            # SUBSCRIBE before anything the device publishes after it (one connection),
            # and an answer to that may come back before the SUBACK does.
            self._monitor.subscribed(self.thing_name, list(filters))
        if filters:
            with self._lock:
                self._subscriptions_in_flight += 1
            self._hold()  # until the SUBACK: the device is not listening yet
            self._command("subscribe", list(filters))

    def unsubscribe(self, filters: list[str]) -> None:
        if filters:
            if self._monitor is not None:
                self._monitor.unsubscribed(self.thing_name, list(filters))
            self._command("unsubscribe", list(filters))

    def sever(self, down_for: float = 0.0) -> None:
        """Network fault: drop the connection now; connects fail for ``down_for`` seconds.
        Virtual time waits until the drop has been noticed."""
        self._blocked_until = time.monotonic() + down_for
        self._hold()
        self._command("sever")

    def unblock(self) -> None:
        """End a network fault early: the next connect attempt may succeed."""
        self._blocked_until = 0.0

    def close(self) -> None:
        """Disconnect cleanly and stop the network thread."""
        self._command("close")
        self._closed.wait(timeout=5)
        self._thread.join(timeout=5)

    def abort(self) -> None:
        """The device lost power or reset: the socket dies without an MQTT DISCONNECT (the
        broker sees an unexpected disconnect); returns at once."""
        self._command("abort")

    def _command(self, name: str, argument: Any = None) -> None:
        self._commands.put((name, argument))
        try:
            self._wake_w.send(b"!")
        except OSError:
            pass  # the network thread has ended

    def _hold(self) -> None:
        if self._holder is not None:
            self._holder.hold()

    def _release(self) -> None:
        if self._holder is not None:
            self._holder.release()

    # --- the network thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                while True:
                    try:
                        name, argument = self._commands.get_nowait()
                    except queue.Empty:
                        break
                    if name == "close":
                        self._shutdown()
                        return
                    if name == "abort":
                        self._forget_subscriptions()
                        self._client._sock_close()  # paho has no public way to abort a socket
                        self._connected = False
                        return
                    self._execute(name, argument)
                self._pump(_LOOP_TIMEOUT * 10)
        finally:
            self._closed.set()
            self._wake_r.close()
            self._wake_w.close()

    def _execute(self, name: str, argument: Any) -> None:
        client = self._client
        if name == "connect":
            self._attempt_connect()
        elif name == "sever":
            try:
                self._drop("network dropped (fault injection)")
            finally:
                self._release()
        elif name == "publish":
            topic, payload, qos, retain = argument
            client.publish(topic, payload, qos=qos, retain=retain)
        elif name == "subscribe":
            rc, mid = client.subscribe(argument)
            with self._lock:
                if rc == mqtt.MQTT_ERR_SUCCESS and mid is not None and self._connected:
                    self._subscription_mids[mid] = [f for f, _ in argument]
                else:  # not connected: nothing will acknowledge it
                    self._subscriptions_in_flight = max(0, self._subscriptions_in_flight - 1)
                    self._release()
        elif name == "unsubscribe":
            client.unsubscribe(argument)

    def _pump(self, timeout: float) -> None:
        """One round of paho's external loop: wait for the socket or a command, then read,
        write and keep the session alive (paho's own ``loop`` does the same, with its own
        wake-up socket)."""
        client = self._client
        sock = client.socket()
        # poll(), not select(): select() refuses descriptors >= FD_SETSIZE (1,024), and
        # with three per device a fleet passes that at about 335 devices.
        pending = 0
        try:
            poller = select.poll()
            poller.register(self._wake_r, select.POLLIN)
            if sock is not None:
                events = select.POLLIN | (select.POLLOUT if client.want_write() else 0)
                poller.register(sock, events)
                pending = sock.pending() if hasattr(sock, "pending") else 0
                if pending:
                    timeout = 0.0  # TLS has already decrypted bytes that poll cannot see
            ready = dict(poller.poll(timeout * 1000))
        except (OSError, ValueError):
            self._drop("socket error")
            return
        if ready.get(self._wake_r.fileno(), 0):
            try:
                self._wake_r.recv(4096)
            except OSError:
                pass
        if sock is None:
            return
        flags = ready.get(sock.fileno(), 0)
        readable = flags & (select.POLLIN | select.POLLHUP | select.POLLERR)
        writable = flags & select.POLLOUT
        if readable or pending:
            rc = client.loop_read()
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                self._drop(f"connection lost ({mqtt.error_string(rc)})")
                return
        if writable and client.socket() is not None:
            rc = client.loop_write()
            if rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                self._drop(f"connection lost ({mqtt.error_string(rc)})")
                return
        if client.socket() is not None:
            client.loop_misc()

    def _socket_open(self) -> bool:
        return self._client.socket() is not None

    def _attempt_connect(self) -> None:
        try:
            self._connect_once()
        finally:
            self._release()  # the outcome (if any) is posted already

    def _connect_once(self) -> None:
        if self._connected:
            return
        if time.monotonic() < self._blocked_until:
            self._fail("network unreachable (fault injection)")
            return
        try:
            self._client.connect(self._host, self._port, keepalive=self._keepalive)
        except (OSError, ssl.SSLError, ValueError) as exc:
            self._fail(f"connect failed: {exc}")
            return
        # The CONNACK (or a TLS alert: a revoked certificate is refused after the
        # handshake with TLS 1.3) arrives while the loop runs.
        deadline = time.monotonic() + 10
        while not self._connected and self._socket_open() and time.monotonic() < deadline:
            self._pump(_LOOP_TIMEOUT)
        if not self._connected:
            self._client._sock_close()  # paho has no public way to abort a socket
            self._fail("connect refused or timed out")

    def _fail(self, reason: str) -> None:
        self.stats.connect_failures += 1
        self._post(Disconnected(self._clock(), reason))

    def _post(self, event: object) -> None:
        """A connection event for the device: through the monitor, in order with messages."""
        if self._monitor is None:
            self._events(event)
        else:
            self._monitor.notify(self.thing_name, lambda: self._events(event))

    def _forget_subscriptions(self) -> None:
        if self._monitor is not None:
            self._monitor.down(self.thing_name)
        with self._lock:
            for _ in range(self._subscriptions_in_flight):
                self._release()
            self._subscriptions_in_flight = 0
            self._subscription_mids.clear()

    def _drop(self, reason: str) -> None:
        self._forget_subscriptions()
        self._client._sock_close()  # paho has no public way to abort a socket
        if self._connected:
            self._connected = False
            self.stats.disconnects += 1
            self._post(Disconnected(self._clock(), reason))

    def _shutdown(self) -> None:
        if self._socket_open():
            try:
                self._client.disconnect()
                self._pump(_LOOP_TIMEOUT)
            except OSError:
                pass
            self._client._sock_close()
        self._connected = False

    # --- paho callbacks (network thread) ------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            return  # the attempt loop reports the failure
        self._connected = True
        self._acked = False
        self.stats.connects += 1
        present = bool(flags.session_present)
        if self._monitor is not None:
            self._monitor.up(self.thing_name, present)
        self._post(Connected(self._clock(), present))

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        self._forget_subscriptions()
        if self._connected:
            self._connected = False
            self.stats.disconnects += 1
            self._post(Disconnected(self._clock(), f"disconnected ({reason})"))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        payload = bytes(msg.payload)
        event = Message(self._clock(), msg.topic, payload)
        if self._monitor is None:
            self._events(event)
        else:
            self._monitor.received(self.thing_name, msg.topic, payload, lambda: self._arrive(event))

    def _arrive(self, event: Message) -> None:
        """On the clock's thread: the device gets it now, or after the network's latency."""
        at = self._delay(outgoing=False)
        if at is not None and self._scheduler is not None:
            self._scheduler.call_at(at, self._events, event)
        else:
            self._events(event)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any
    ) -> None:
        with self._lock:
            filters = self._subscription_mids.pop(mid, None)
            if filters is None:
                return
            if self._monitor is not None:
                codes = list(reasons) if isinstance(reasons, list) else [reasons]
                refused = [
                    f
                    for f, code in zip(filters, codes, strict=False)
                    if getattr(code, "is_failure", False)
                ]
                if refused:
                    self._monitor.refused(self.thing_name, refused)
            self._subscriptions_in_flight = max(0, self._subscriptions_in_flight - 1)
            self._acked = True
            self._release()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any
    ) -> None:
        self.stats.published += 1
