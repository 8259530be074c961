"""The TCP fault proxy with real sockets, then with MQTT over mutual TLS to the local IoT Core."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from emulator.device.fleet import OBSERVER_POLICY
from emulator.iotcore.client import ConnectionRefused, MqttThing
from emulator.iotcore.core import LocalIoTCore
from harness.netem import FaultProxy


class EchoServer:
    """Echoes every byte back; closes its side when the client closes its own."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = self.sock.getsockname()[:2]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def close(self) -> None:
        self.sock.close()


class CountingHolder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.holds = 0
        self.releases = 0
        self.most = 0

    def hold(self) -> None:
        with self.lock:
            self.holds += 1
            self.most = max(self.most, self.holds - self.releases)

    def release(self) -> None:
        with self.lock:
            self.releases += 1


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """The proxy counts a chunk just after sending it: give its thread a moment."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(proxy.address, timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


def refused(proxy: FaultProxy) -> bool:
    """True if a new connection through the proxy is reset (during connect or just after)."""
    try:
        sock = connect(proxy)
    except ConnectionResetError:
        return True
    with sock:
        return is_reset(sock)


def is_reset(sock: socket.socket) -> bool:
    """True if the peer reset (or closed) the connection."""
    try:
        sock.sendall(b"ping")
        return sock.recv(16) == b""
    except OSError:
        return True


def test_passes_bytes_both_ways_and_counts_them(echo: EchoServer) -> None:
    with FaultProxy(echo.address) as proxy, connect(proxy) as sock:
        sock.sendall(b"hello through the proxy")
        assert recv_exactly(sock, 23) == b"hello through the proxy"
        assert eventually(lambda: proxy.stats.bytes_down == 23)
        stats = proxy.stats
        assert stats.accepted == 1
        assert (stats.bytes_up, stats.bytes_down) == (23, 23)
        assert proxy.active == 1


def test_half_close_is_passed_on(echo: EchoServer) -> None:
    with FaultProxy(echo.address) as proxy, connect(proxy) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)
        assert recv_exactly(sock, 100) == b"last words"  # then EOF from the echo server
        assert sock.recv(1) == b""


def test_down_resets_open_connections_and_refuses_new_ones_until_restored(
    echo: EchoServer,
) -> None:
    with FaultProxy(echo.address) as proxy:
        before = connect(proxy)
        before.sendall(b"x")
        assert recv_exactly(before, 1) == b"x"
        proxy.set(down=True)
        assert is_reset(before)
        assert refused(proxy)
        before.close()
        assert eventually(lambda: proxy.stats.refused >= 1)
        assert proxy.stats.dropped == 1
        assert proxy.shape.down

        proxy.set()
        with connect(proxy) as after:
            after.sendall(b"back")
            assert recv_exactly(after, 4) == b"back"
        assert echo.connections == 2  # the refused one never reached the server


def test_latency_keeps_the_order_and_delivers_everything(echo: EchoServer) -> None:
    messages = [f"message {i:03d};".encode() for i in range(60)]
    with FaultProxy(echo.address) as proxy, connect(proxy) as sock:
        proxy.set(latency=0.05)
        for message in messages:
            sock.sendall(message)
            time.sleep(0.001)
        expected = b"".join(messages)
        assert recv_exactly(sock, len(expected)) == expected
        assert proxy.stats.delayed >= 2  # at least one chunk each way waited


def test_loss_delays_chunks_but_never_loses_or_reorders_a_byte(echo: EchoServer) -> None:
    with FaultProxy(echo.address, seed=7, rto=0.005) as proxy, connect(proxy) as sock:
        proxy.set(loss=0.4)
        for i in range(80):
            message = f"round trip {i}".encode()
            sock.sendall(message)
            assert recv_exactly(sock, len(message)) == message
        assert eventually(lambda: proxy.stats.bytes_down == proxy.stats.bytes_up)
        stats = proxy.stats
        assert stats.retransmitted > 0
        assert stats.chunks == 160  # every request and every reply went through


def test_the_clock_is_held_while_bytes_wait_in_the_proxy(echo: EchoServer) -> None:
    holder = CountingHolder()
    with FaultProxy(echo.address, holder=holder) as proxy, connect(proxy) as sock:
        proxy.set(latency=0.05)
        sock.sendall(b"held")
        assert recv_exactly(sock, 4) == b"held"
        assert eventually(lambda: holder.releases == holder.holds)
        assert holder.holds >= 2  # once per direction
        assert holder.most >= 1
        assert holder.releases == holder.holds  # nothing queued: nothing held


def test_an_unreachable_broker_resets_the_device_side() -> None:
    free = socket.create_server(("127.0.0.1", 0))
    address = free.getsockname()[:2]
    free.close()  # nothing listens there now
    with FaultProxy(address) as proxy:
        assert refused(proxy)
        assert eventually(lambda: proxy.stats.upstream_failures == 1)
        assert proxy.stats.accepted == 0


def test_rejects_impossible_shapes(echo: EchoServer) -> None:
    with FaultProxy(echo.address) as proxy:
        with pytest.raises(ValueError, match="loss"):
            proxy.set(loss=1.0)
        with pytest.raises(ValueError, match="latency"):
            proxy.set(latency=-1)
        assert proxy.shape.loss == 0.0


# --- MQTT over mutual TLS through the proxy -----------------------------------------------


def _clients(core: LocalIoTCore, proxy: FaultProxy) -> tuple[MqttThing, MqttThing]:
    creds = core.provision("netem-dev")
    observer = core.provision(
        "netem-observer", policy_name="steelhil-observer", policy_document=OBSERVER_POLICY
    )
    host, port = proxy.address
    device = MqttThing(core.endpoint, creds, host=host, port=port).connect()
    watcher = MqttThing(core.endpoint, observer).connect()
    watcher.subscribe("data/netem-dev/#")
    return device, watcher


def _publish_and_collect(
    device: MqttThing, watcher: MqttThing, topic: str, count: int, qos: int
) -> list[bytes]:
    for i in range(count):
        device.publish(topic, f"{i}".encode(), qos=qos)
    return [watcher.expect(topic, timeout=30).payload for _ in range(count)]


@pytest.mark.integration
def test_mqtt_over_tls_passes_and_down_disconnects_until_restored(iotcore: LocalIoTCore) -> None:
    upstream = (iotcore.endpoint.mqtt_host, iotcore.endpoint.mqtt_port)
    with FaultProxy(upstream) as proxy:
        device, watcher = _clients(iotcore, proxy)
        try:
            got = _publish_and_collect(device, watcher, "data/netem-dev/a", 5, qos=1)
            assert got == [f"{i}".encode() for i in range(5)]

            proxy.set(down=True)
            assert device.wait_disconnected(10) is not None
            assert not device.connected
            creds = iotcore.provision("netem-dev")
            host, port = proxy.address
            with pytest.raises(ConnectionRefused):
                MqttThing(iotcore.endpoint, creds, host=host, port=port).connect(timeout=5)

            proxy.set()
            again = MqttThing(iotcore.endpoint, creds, host=host, port=port).connect()
            try:
                got = _publish_and_collect(again, watcher, "data/netem-dev/b", 3, qos=1)
                assert got == [b"0", b"1", b"2"]
            finally:
                again.close()
        finally:
            device.close()
            watcher.close()


@pytest.mark.integration
def test_mqtt_over_tls_with_latency_and_loss_loses_no_message(iotcore: LocalIoTCore) -> None:
    upstream = (iotcore.endpoint.mqtt_host, iotcore.endpoint.mqtt_port)
    with FaultProxy(upstream, seed=3, rto=0.02) as proxy:
        device, watcher = _clients(iotcore, proxy)
        try:
            proxy.set(latency=0.03)
            got = _publish_and_collect(device, watcher, "data/netem-dev/slow", 20, qos=1)
            assert got == [f"{i}".encode() for i in range(20)]

            proxy.set(loss=0.3)
            for qos in (0, 1):
                topic = f"data/netem-dev/lossy{qos}"
                got = _publish_and_collect(device, watcher, topic, 30, qos=qos)
                assert got == [f"{i}".encode() for i in range(30)]
            assert proxy.stats.retransmitted > 0
            assert device.connected
        finally:
            device.close()
            watcher.close()
