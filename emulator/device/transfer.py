"""HTTP downloads of an emulated board: the agent's ``Fetch`` (a program) and ``Download``
(a firmware bundle, streamed) actions, on virtual time.

Why its own module: a real board downloads over Wi-Fi at its own pace, while here the bytes
come from a local HTTP server in microseconds.  So the transfer happens on a thread in real
time (virtual time is held meanwhile: a download's real duration says nothing about the
board's), and its bytes are handed to the board as ``Chunk`` events spaced at
:data:`BYTES_PER_SECOND` of virtual time, as the radio would deliver them.  A network
fault cuts what was still to come at the instant it strikes, so "a drop mid-download" is
the same instant on every run.
"""

from __future__ import annotations

import errno
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from emulator.board.clock import TimerHandle

#: Virtual download speed: what an ESP32-C3 gets over Wi-Fi and TLS into littlefs (an
#: estimate; the flash writes are charged separately, by the board).
BYTES_PER_SECOND = 100_000
CHUNK = 4096
TIMEOUT = 30.0

Deliver = Callable[[object], None]


class Transfers:
    """One board's downloads.  ``events`` is the slot firmware's events module (the agent
    checks event types by identity); ``deliver(event)`` hands an event to the agent on the
    clock's thread; ``clock`` is the shared clock (holds, settling, timers)."""

    def __init__(self, clock: Any, name: str, deliver: Deliver, events: Any) -> None:
        self.clock = clock
        self.name = name
        self.deliver = deliver
        self.events = events
        self.network_down = False
        self._timers: list[TimerHandle] = []
        self._current: str | None = None  # the download whose chunks are scheduled
        self._seq = 0

    # --- the agent's actions ---------------------------------------------------------------

    def fetch(self, action: Any) -> None:
        """``Fetch``: the whole body in one ``Fetched`` event."""
        events = self.events

        def done(body: bytes | None, error: str | None, status: int | None) -> None:
            self.deliver(events.Fetched(self.clock.now(), action.request_id, body, error))

        self._get(action.url, 0, done)

    def download(self, action: Any) -> None:
        """``Download``: the body from ``action.offset`` as ``Chunk`` events, then a
        ``Downloaded``, paced at the board's download speed."""
        events = self.events
        self.cancel()
        if self.network_down:
            self.deliver(events.Downloaded(self.clock.now(), action.request_id, "network down"))
            return
        self._current = action.request_id

        def done(body: bytes | None, error: str | None, status: int | None) -> None:
            if self._current != action.request_id:
                return  # cancelled meanwhile
            now = self.clock.now()
            if body is None:
                self.deliver(events.Downloaded(now, action.request_id, error, status))
                return
            at = now
            for i in range(0, len(body), CHUNK):
                part = body[i : i + CHUNK]
                at += len(part) / BYTES_PER_SECOND
                chunk = events.Chunk(at, action.request_id, part)
                self._timers.append(self.clock.call_at(at, self.deliver, chunk))
            end = events.Downloaded(at, action.request_id)
            self._timers.append(self.clock.call_at(at, self._end, end))

        self._get(action.url, action.offset, done)

    def _end(self, event: object) -> None:
        self._current = None
        self._timers = []
        self.deliver(event)

    # --- faults ----------------------------------------------------------------------------

    def set_network(self, down: bool) -> None:
        """The network went down (or came back): what had not arrived yet never will."""
        self.network_down = down
        if down and self._current is not None:
            request_id = self._current
            self.cancel()
            self.deliver(self.events.Downloaded(self.clock.now(), request_id, "network down"))

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        self._current = None

    # --- the transfer itself ----------------------------------------------------------------

    def _get(
        self, url: str, offset: int, done: Callable[[bytes | None, str | None, int | None], None]
    ) -> None:
        """GET on a thread, virtual time held until the answer is handed over."""
        clock = self.clock
        clock.hold()
        self._seq += 1
        key = (clock.now(), "transfer", self.name, self._seq)

        def run() -> None:
            try:
                body, error, status = _http_get(url, offset)
                settled = getattr(clock, "call_settled", None)
                if settled is not None:
                    settled(key, done, body, error, status)
                else:
                    clock.call_soon(done, body, error, status)
            finally:
                clock.release()

        threading.Thread(target=run, name=f"http-{self.name}", daemon=True).start()


def _http_get(url: str, offset: int) -> tuple[bytes | None, str | None, int | None]:
    """(body, error, status): the bytes from ``offset`` on, or why there are none."""
    request = urllib.request.Request(url)
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status = response.status
            body = response.read()
    except urllib.error.HTTPError as exc:
        return None, f"HTTP {exc.code}", exc.code
    except (OSError, ValueError) as exc:
        return None, _why(exc), None
    if offset and status != 206:  # the server ignored the range: skip what we have
        body = body[offset:]
    return body, None, status


def _why(exc: BaseException) -> str:
    """Why a GET failed, in the words a board's HTTP client would use (never Python's)."""
    if isinstance(exc, ValueError):
        return "the URL is not one the board can fetch"
    reason = getattr(exc, "reason", exc)  # URLError wraps the socket's error
    if isinstance(reason, socket.timeout | TimeoutError):
        return "the server did not answer in time"
    if isinstance(reason, socket.gaierror):
        return "the server's name did not resolve"
    code = getattr(reason, "errno", None)
    if code == errno.ECONNREFUSED:
        return "the server refused the connection"
    if code in (errno.ECONNRESET, errno.EPIPE):
        return "the connection was reset"
    if isinstance(reason, OSError) and "SSL" in type(reason).__name__:
        return "the TLS handshake failed"
    return "the connection failed"
