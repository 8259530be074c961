"""A TCP fault proxy between one device and its MQTT broker: drop, delay, lose.

Why a proxy: a real board's Wi-Fi and an emulated device's socket both speak TCP to an
address from the device's ``/config.json``.  Putting this proxy's address there gives the
harness one lever that works the same on every backend and on the local IoT Core and AWS
alike -- TLS passes through untouched, since only bytes are moved.

Faults (:meth:`FaultProxy.set`):

* ``down``: every open connection is reset (RST, as when a Wi-Fi link vanishes and the
  board's stack gives up) and new ones are accepted and reset at once, until restored;
* ``latency``: each chunk read from one side is written to the other that many real
  seconds later, each direction separately, order preserved;
* ``loss``: TCP never loses bytes -- it retransmits -- so a "lost" segment shows up as a
  delay: with probability ``loss`` a chunk is held back one retransmission timeout, which
  starts at ``rto`` (0.2 s, Linux's minimum) and doubles for consecutive losses on that
  direction, as TCP's exponential backoff does (capped at :data:`MAX_RTO`).

One selector thread serves every connection of a proxy.  An optional ``holder`` (a virtual
clock's ``hold``/``release``) is held while bytes wait inside the proxy, so virtual time
cannot autojump past traffic that is merely delayed.
"""

from __future__ import annotations

import contextlib
import errno
import random
import selectors
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Protocol

#: TCP's initial retransmission timeout floor on Linux (``TCP_RTO_MIN``).
DEFAULT_RTO = 0.2
#: Longest a chunk is held back for one loss; TCP caps its RTO at 120 s, 60 s keeps tests sane.
MAX_RTO = 60.0
#: Bytes queued in one direction before the proxy stops reading that side (backpressure).
QUEUE_LIMIT = 1 << 20
_READ_SIZE = 65536


class Holder(Protocol):
    """A virtual clock's holds (:meth:`emulator.board.clock.Clock.hold`)."""

    def hold(self) -> None: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class Shape:
    """The network as :meth:`FaultProxy.set` last left it."""

    down: bool = False
    latency: float = 0.0
    loss: float = 0.0


@dataclass
class ProxyStats:
    """What the proxy did; a copy is returned by :attr:`FaultProxy.stats`."""

    accepted: int = 0  # connections passed on to the broker
    refused: int = 0  # connections reset on arrival while down
    dropped: int = 0  # open connections reset when the network went down
    upstream_failures: int = 0  # the broker could not be reached
    bytes_up: int = 0  # device -> broker, delivered
    bytes_down: int = 0  # broker -> device, delivered
    chunks: int = 0  # chunks read (both directions)
    delayed: int = 0  # chunks that waited for latency
    retransmitted: int = 0  # chunks held back for a "lost" segment


class _Direction:
    """Bytes on their way from ``src`` to ``dst`` with the instant each may leave."""

    def __init__(self, src: socket.socket, dst: socket.socket, rto: float) -> None:
        self.src = src
        self.dst = dst
        self.queue: deque[tuple[float, bytes]] = deque()
        self.queued = 0
        self.rto = rto
        self.last_release = 0.0
        self.eof = False  # src will send nothing more
        self.shut = False  # dst has been told (shutdown SHUT_WR)
        self.blocked = False  # dst's buffer is full; wait for EVENT_WRITE
        self.held = False

    @property
    def readable(self) -> bool:
        return not self.eof and self.queued < QUEUE_LIMIT

    @property
    def done(self) -> bool:
        return self.eof and not self.queue


class _Connection:
    def __init__(self, client: socket.socket, upstream: socket.socket, rto: float) -> None:
        self.client = client
        self.upstream = upstream
        self.connecting = True
        self.up = _Direction(client, upstream, rto)
        self.down = _Direction(upstream, client, rto)
        self.closed = False


class FaultProxy:
    """``FaultProxy(("broker", 8883))``; give :attr:`address` to the device.

    ``close()`` (or ``with``) stops it and resets every connection.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        holder: Holder | None = None,
        bind: str = "127.0.0.1",
        port: int = 0,
        rto: float = DEFAULT_RTO,
    ) -> None:
        self.upstream = upstream
        self._holder = holder
        self._rng = random.Random(seed)
        self._min_rto = rto
        self._shape = Shape()
        self._stats = ProxyStats()
        self._lock = threading.Lock()
        self._pending_down = False
        self._closed = False
        self._connections: list[_Connection] = []
        self._selector = selectors.DefaultSelector()
        self._listener = socket.socket(
            socket.AF_INET6 if ":" in bind else socket.AF_INET, socket.SOCK_STREAM
        )
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((bind, port))
        self._listener.listen(64)
        self._listener.setblocking(False)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        host, bound_port = self._listener.getsockname()[:2]
        wildcard = host in ("0.0.0.0", "::")
        self.address: tuple[str, int] = ("127.0.0.1" if wildcard else host, bound_port)
        self._thread = threading.Thread(
            target=self._loop, name=f"fault-proxy :{bound_port}", daemon=True
        )
        self._thread.start()

    # --- the harness's side -----------------------------------------------------------------

    def set(self, *, down: bool = False, latency: float = 0.0, loss: float = 0.0) -> None:
        """Shape the network from now on; ``set()`` restores it."""
        if latency < 0:
            raise ValueError(f"latency must be >= 0 seconds, got {latency}")
        if not 0.0 <= loss < 1.0:
            raise ValueError(f"loss must be in [0, 1), got {loss} (1.0 would never deliver)")
        with self._lock:
            going_down = down and not self._shape.down
            self._shape = Shape(down, float(latency), float(loss))
            self._pending_down = self._pending_down or going_down
        self._wake()

    @property
    def shape(self) -> Shape:
        with self._lock:
            return self._shape

    @property
    def stats(self) -> ProxyStats:
        with self._lock:
            return replace(self._stats)

    @property
    def active(self) -> int:
        """Connections currently open through the proxy."""
        with self._lock:
            return len(self._connections)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._wake()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    # --- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._closed:
                        break
                    drop_all, self._pending_down = self._pending_down, False
                if drop_all:
                    for conn in list(self._connections):
                        self._abort(conn)
                        self._count("dropped")
                for key, mask in self._selector.select(self._timeout()):
                    self._dispatch(key, mask)
                now = time.monotonic()
                for conn in list(self._connections):
                    self._flush(conn, now)
        finally:
            for conn in list(self._connections):
                self._abort(conn)
            self._selector.close()
            for sock in (self._listener, self._wake_r, self._wake_w):
                sock.close()

    def _timeout(self) -> float | None:
        soonest: float | None = None
        for conn in self._connections:
            for d in (conn.up, conn.down):
                if d.queue and not d.blocked and not conn.connecting:
                    t = d.queue[0][0]
                    soonest = t if soonest is None else min(soonest, t)
        if soonest is None:
            return None
        return max(0.0, soonest - time.monotonic())

    def _dispatch(self, key: selectors.SelectorKey, mask: int) -> None:
        data = key.data
        if data == "wake":
            with contextlib.suppress(OSError):
                self._wake_r.recv(4096)
        elif data == "listener":
            self._accept()
        else:
            conn, side = data
            if conn.closed:
                return
            if side == "upstream" and conn.connecting and mask & selectors.EVENT_WRITE:
                self._connected(conn)
            if mask & selectors.EVENT_WRITE:
                (conn.down if side == "client" else conn.up).blocked = False
            if mask & selectors.EVENT_READ and not conn.closed:
                self._read(conn, conn.up if side == "client" else conn.down)
            if not conn.closed:
                self._interest(conn)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if self.shape.down:
                _reset(client)
                self._count("refused")
                continue
            client.setblocking(False)
            _nodelay(client)
            try:
                upstream = self._dial()
            except OSError:
                _reset(client)
                self._count("upstream_failures")
                continue
            conn = _Connection(client, upstream, self._min_rto)
            with self._lock:
                self._connections.append(conn)
            self._interest(conn)  # the broker's side first: wait for the connect

    def _dial(self) -> socket.socket:
        host, port = self.upstream
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        upstream = socket.socket(family, kind, proto)
        upstream.setblocking(False)
        code = upstream.connect_ex(address)
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            upstream.close()
            raise OSError(code, f"cannot reach {host}:{port}")
        _nodelay(upstream)
        return upstream

    def _connected(self, conn: _Connection) -> None:
        code = conn.upstream.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code != 0:
            self._count("upstream_failures")
            self._abort(conn)
            return
        conn.connecting = False
        self._count("accepted")

    def _read(self, conn: _Connection, d: _Direction) -> None:
        try:
            data = d.src.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._abort(conn)
            return
        if not data:
            d.eof = True
            return
        now = time.monotonic()
        with self._lock:
            shape = self._shape
            self._stats.chunks += 1
        release = now + shape.latency
        if shape.latency > 0:
            self._count("delayed")
        if shape.loss > 0 and self._rng.random() < shape.loss:
            release += d.rto
            d.rto = min(d.rto * 2, MAX_RTO)
            self._count("retransmitted")
        else:
            d.rto = self._min_rto
        release = max(release, d.last_release)  # a byte stream: never overtake
        d.last_release = release
        d.queue.append((release, data))
        d.queued += len(data)
        self._hold(d)

    def _flush(self, conn: _Connection, now: float) -> None:
        if conn.closed or conn.connecting:
            return
        for d in (conn.up, conn.down):
            while d.queue and not d.blocked and d.queue[0][0] <= now:
                release, data = d.queue[0]
                try:
                    sent = d.dst.send(data)
                except (BlockingIOError, InterruptedError):
                    d.blocked = True
                    break
                except OSError:
                    self._abort(conn)
                    return
                d.queued -= sent
                self._count("bytes_up" if d is conn.up else "bytes_down", sent)
                if sent < len(data):
                    d.queue[0] = (release, data[sent:])
                    d.blocked = True
                else:
                    d.queue.popleft()
            self._hold(d)
            if d.done and not d.shut:
                d.shut = True
                with contextlib.suppress(OSError):
                    d.dst.shutdown(socket.SHUT_WR)
        if conn.up.done and conn.down.done:
            self._close(conn)
        else:
            self._interest(conn)

    def _interest(self, conn: _Connection) -> None:
        if conn.closed:
            return
        client = selectors.EVENT_READ if conn.up.readable and not conn.connecting else 0
        if conn.down.blocked:
            client |= selectors.EVENT_WRITE
        upstream = 0
        if conn.connecting or conn.up.blocked:
            upstream |= selectors.EVENT_WRITE
        if conn.down.readable and not conn.connecting:
            upstream |= selectors.EVENT_READ
        for sock, mask, side in (
            (conn.client, client, "client"),
            (conn.upstream, upstream, "upstream"),
        ):
            key = self._selector.get_map().get(sock)
            if mask == 0:
                if key is not None:
                    self._selector.unregister(sock)
            elif key is None:
                self._selector.register(sock, mask, (conn, side))
            elif key.events != mask:
                self._selector.modify(sock, mask, (conn, side))

    def _hold(self, d: _Direction) -> None:
        if self._holder is None:
            return
        if d.queue and not d.held:
            d.held = True
            self._holder.hold()
        elif not d.queue and d.held:
            d.held = False
            self._holder.release()

    def _abort(self, conn: _Connection) -> None:
        """Reset both sides (RST, not FIN): the network vanished."""
        if conn.closed:
            return
        _reset(conn.client, self._selector)
        _reset(conn.upstream, self._selector)
        self._finish(conn)

    def _close(self, conn: _Connection) -> None:
        for sock in (conn.client, conn.upstream):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(sock)
            sock.close()
        self._finish(conn)

    def _finish(self, conn: _Connection) -> None:
        conn.closed = True
        for d in (conn.up, conn.down):
            d.queue.clear()
            d.queued = 0
            self._hold(d)
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)

    def _count(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self._stats, field, getattr(self._stats, field) + n)


def _nodelay(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _reset(sock: socket.socket, selector: selectors.BaseSelector | None = None) -> None:
    """Close with SO_LINGER 0, so the peer sees a reset rather than an orderly close."""
    if selector is not None:
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(sock)
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
