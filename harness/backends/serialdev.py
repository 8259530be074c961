"""The serial side of a board: find the port, keep reading it, reset through DTR/RTS.

Why one module for hardware and emulators alike: a real ESP32-C3 on ``/dev/ttyACM0``, a
virtual board on a PTY and a Renode UART on a TCP socket are all byte streams that
pyserial opens (``serial_for_url`` takes paths and ``socket://host:port``).  Driving all
three through this code means the emulated backends exercise the exact path hardware uses.

* :class:`PortQuery` finds a port by path, USB location, USB serial number or MAC.  The
  C3's USB-Serial-JTAG reports its MAC as the USB serial number (Espressif's USB-Serial-JTAG
  documentation; not checked on a board here), so ``mac`` is matched against it.
* :class:`ConsoleCapture` reads the port on its own thread from the moment it opens --
  MicroPython drops console output nobody drains for 200 ms -- into a transcript that
  :meth:`~ConsoleCapture.expect` searches (pytest-embedded's ``dut.expect``), timestamped
  :class:`~harness.backends.base.LogLine` records, and a per-device log file.  When the port
  vanishes (the C3 re-enumerates on every reset) it is reopened as soon as the board's port
  reappears.
* :func:`usb_jtag_hard_reset` is esptool's hard reset for chips on their own USB peripheral.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .base import BackendError, LogLine

#: What a default ``open`` passes to pyserial.
DEFAULT_BAUD = 115200
#: Longest the capture keeps the raw transcript; older bytes are dropped (lines stay).
TRANSCRIPT_LIMIT = 4 << 20
#: Lines kept in memory for ``Device.log()`` (the log file keeps everything).
LINES_LIMIT = 100_000


class SerialLike(Protocol):
    """The part of ``serial.Serial`` the capture uses (fakes in tests implement it too)."""

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    @property
    def in_waiting(self) -> int: ...

    def close(self) -> None: ...


class PortNotFound(BackendError):
    """No serial port (or more than one) matches the rig's description of a board."""


def _norm_mac(text: str) -> str:
    return re.sub(r"[^0-9a-f]", "", text.lower())


@dataclass(frozen=True)
class PortQuery:
    """How the rig file identifies a board's serial port; any combination must all match."""

    port: str | None = None
    usb_location: str | None = None
    serial_number: str | None = None
    mac: str | None = None

    @property
    def by_usb(self) -> bool:
        return any((self.usb_location, self.serial_number, self.mac))

    def describe(self) -> str:
        parts = [
            f"{k} {v!r}"
            for k, v in (
                ("port", self.port),
                ("USB location", self.usb_location),
                ("serial number", self.serial_number),
                ("MAC", self.mac),
            )
            if v
        ]
        return ", ".join(parts) or "no criteria"

    def matches(self, info: Any) -> bool:
        if self.port and getattr(info, "device", None) != self.port:
            return False
        if self.usb_location and getattr(info, "location", None) != self.usb_location:
            return False
        serial_number = getattr(info, "serial_number", None) or ""
        if self.serial_number and serial_number != self.serial_number:
            return False
        return not (self.mac and _norm_mac(serial_number) != _norm_mac(self.mac))

    def find(self, comports: Callable[[], Sequence[Any]] | None = None) -> str:
        """The device path (or URL) of the one port that matches, now."""
        if self.port and not self.by_usb:
            return self.port  # a path or URL as given: PTYs and sockets are not listed
        if comports is None:
            from serial.tools import list_ports

            comports = list_ports.comports
        ports = list(comports())
        found = [p for p in ports if self.matches(p)]
        if len(found) == 1:
            return str(found[0].device)
        present = (
            "; ".join(
                f"{p.device} (location {p.location}, serial {p.serial_number})" for p in ports
            )
            or "none"
        )
        if not found:
            raise PortNotFound(
                f"no serial port with {self.describe()}; ports present: {present}. Check the "
                "cable, or fix the rig file (`python -m serial.tools.list_ports -v` lists them)"
            )
        raise PortNotFound(
            f"{len(found)} serial ports match {self.describe()} ({present}); add "
            "usb_location or serial_number to the rig file to say which board is meant"
        )


def open_serial(url: str, baud: int = DEFAULT_BAUD, timeout: float = 0.05) -> Any:
    """A pyserial port for a device path or ``socket://host:port``."""
    try:
        import serial
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendError("serial ports need pyserial: pip install 'aws-iot-steel[hw]'") from exc
    try:
        return serial.serial_for_url(url, baudrate=baud, timeout=timeout)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise BackendError(f"cannot open {url}: {exc}") from exc


def usb_jtag_hard_reset(port: Any, sleep: Callable[[float], None] = time.sleep) -> None:
    """Pulse EN through RTS, as esptool's ``HardReset(uses_usb=True)`` does.

    The C3's USB-Serial-JTAG resets the chip while RTS is asserted and DTR is not (DTR
    asserted alone pulls GPIO9 low: download mode), so DTR is released first.  Each RTS
    change re-applies DTR, esptool's workaround for CDC drivers that only send a line-state
    request when both change.  The chip then drops off USB and re-enumerates: the caller's
    capture reopens the port.
    """
    port.dtr = False
    port.rts = True  # EN low
    port.dtr = False
    sleep(0.2)
    port.rts = False  # EN high: the chip boots
    port.dtr = False
    sleep(0.2)


class ConsoleCapture:
    """A board's console, read continuously from the moment :meth:`start` opens it.

    ``opener()`` returns an open port; it is called again (until ``reopen_timeout``) when the
    port disappears, so a locator that waits for the same USB serial number makes the
    capture survive re-enumeration.  ``now()`` stamps log lines (the session's time base).
    """

    def __init__(
        self,
        name: str,
        opener: Callable[[], SerialLike],
        *,
        now: Callable[[], float],
        log_path: Path | None = None,
        reopen_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._opener = opener
        self._now = now
        self.reopen_timeout = reopen_timeout
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._port: SerialLike | None = None
        self._closed = False
        self._rx = bytearray()
        self._rx_base = 0
        self._text: list[str] = []  # decoded transcript, in pieces (joined lazily)
        self._text_len = 0
        self._text_base = 0
        self._joined = ""
        self._cursor = 0  # where the next expect() starts (absolute text offset)
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial = ""
        self._lines: list[LogLine] = []
        self._quiet = 0
        self.reconnects = 0
        self.dropped_bytes = 0
        self._log = log_path.open("a", encoding="utf-8") if log_path is not None else None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> ConsoleCapture:
        """Open the port (waiting up to ``reopen_timeout`` for it to appear) and start reading."""
        deadline = time.monotonic() + self.reopen_timeout
        while True:
            try:
                port = self._opener()
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    if self._log is not None:
                        self._log.close()
                        self._log = None
                    if isinstance(exc, BackendError):
                        raise
                    raise BackendError(f"{self.name}: cannot open the console: {exc}") from exc
                time.sleep(0.1)
        with self._cond:
            self._port = port
        self._note("capture started")
        self._thread = threading.Thread(target=self._pump, name=f"console {self.name}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            port, self._port = self._port, None
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        with self._cond:
            if self._partial:
                self._line(self._partial)
                self._partial = ""
            if self._log is not None:
                self._log.close()
                self._log = None

    @property
    def port(self) -> SerialLike | None:
        """The open port (None while it is gone); DTR/RTS are set on it."""
        with self._cond:
            return self._port

    def wait_port(self, timeout: float | None = None) -> SerialLike:
        """The open port, waiting while the board re-enumerates."""
        limit = self.reopen_timeout if timeout is None else timeout
        with self._cond:
            if not self._cond.wait_for(lambda: self._port is not None or self._closed, limit):
                raise BackendError(
                    f"{self.name}: the serial port did not come back within {limit:.0f} s "
                    "(is the board still connected?)"
                )
            if self._port is None:
                raise BackendError(f"{self.name}: the console is closed")
            return self._port

    def reopen(self) -> None:
        """Close the port now; the reader reopens it (after a reset that re-enumerates)."""
        with self._cond:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        self._note("port closed for reopening")

    # --- host side --------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        with self._write_lock:
            port = self.wait_port()
            try:
                port.write(data)
            except Exception as exc:
                raise BackendError(f"{self.name}: write to the serial port failed: {exc}") from exc

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Lines received inside are the harness's own REPL traffic: kept in the log file,
        not in :meth:`lines` (a scenario's log expectations see only the firmware)."""
        with self._cond:
            self._quiet += 1
        try:
            yield
        finally:
            with self._cond:
                if self._partial:  # what the REPL left on the line is not the firmware's
                    self._line(self._partial)
                    self._partial = ""
                self._quiet -= 1

    # --- observation --------------------------------------------------------------------------

    def lines(self) -> list[LogLine]:
        with self._cond:
            return list(self._lines)

    def mark(self) -> int:
        """The byte offset where output received from now on starts."""
        with self._cond:
            return self._rx_base + len(self._rx)

    def wait_bytes(self, pattern: re.Pattern[bytes], start: int, timeout: float) -> re.Match[bytes]:
        """The first match of ``pattern`` in the bytes received since offset ``start``.

        Match offsets are relative to ``start``; ``start + m.end()`` is an offset too.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                begin = max(0, start - self._rx_base)
                found = pattern.search(bytes(self._rx[begin:]))
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    tail = bytes(self._rx[begin:])[-300:]
                    raise ExpectTimeout(
                        f"{self.name}: no {pattern.pattern!r} within {timeout:g} s; "
                        f"the console said: {tail!r}"
                    )
                self._cond.wait(min(left, 0.5))

    def expect(self, pattern: str | re.Pattern[str], timeout: float = 10.0) -> re.Match[str]:
        """Wait for ``pattern`` in the console text after the previous expect's match."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                text = self._text_since(self._cursor)
                found = regex.search(text)
                if found is not None:
                    self._cursor = max(self._cursor, self._text_base) + found.end()
                    return found
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise ExpectTimeout(
                        f"{self.name}: {regex.pattern!r} did not appear within {timeout:g} s; "
                        f"the console's last words: {text[-300:]!r}"
                    )
                self._cond.wait(min(left, 0.5))

    def skip(self) -> None:
        """Start the next expect() at what arrives from now on."""
        with self._cond:
            self._cursor = self._text_base + self._text_len

    def _text_since(self, offset: int) -> str:
        if len(self._text) > 1:
            self._joined = "".join(self._text)
            self._text = [self._joined]
        elif self._text:
            self._joined = self._text[0]
        return self._joined[max(0, offset - self._text_base) :]

    # --- the reader thread ------------------------------------------------------------------

    def _pump(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                port = self._port
            if port is None:
                self._reconnect()
                continue
            try:
                waiting = port.in_waiting
                data = port.read(waiting if waiting > 0 else 1)
            except Exception as exc:  # SerialException, OSError: the port went away
                with self._cond:
                    if self._port is port:
                        self._port = None
                if not self._closed:
                    self._note(f"port lost ({exc})")
                with contextlib.suppress(Exception):
                    port.close()
                continue
            if data:
                self._feed(data)

    def _reconnect(self) -> None:
        deadline = time.monotonic() + self.reopen_timeout
        while not self._closed:
            try:
                port = self._opener()
            except Exception as exc:
                if time.monotonic() > deadline:
                    self._note(f"port did not come back: {exc}")
                    deadline = time.monotonic() + self.reopen_timeout
                time.sleep(0.1)
                continue
            with self._cond:
                if self._closed:
                    with contextlib.suppress(Exception):
                        port.close()
                    return
                self._port = port
                self.reconnects += 1
                self._cond.notify_all()
            self._note("port reopened")
            return

    def _feed(self, data: bytes) -> None:
        with self._cond:
            self._rx += data
            if len(self._rx) > TRANSCRIPT_LIMIT:
                cut = len(self._rx) - TRANSCRIPT_LIMIT // 2
                del self._rx[:cut]
                self._rx_base += cut
                self.dropped_bytes += cut
            text = self._decoder.decode(data)
            self._text.append(text)
            self._text_len += len(text)
            if self._text_len > TRANSCRIPT_LIMIT:
                joined = "".join(self._text)
                cut = len(joined) - TRANSCRIPT_LIMIT // 2
                self._text = [joined[cut:]]
                self._text_len = len(joined) - cut
                self._text_base += cut
            pieces = (self._partial + text).split("\n")
            self._partial = pieces.pop()
            for piece in pieces:
                self._line(piece)
            self._cond.notify_all()

    def _line(self, raw: str) -> None:
        """One complete line (called under the lock)."""
        text = raw.rstrip("\r")
        t = self._now()
        repl = self._quiet > 0
        if not repl:
            self._lines.append(LogLine(t, self.name, text))
            if len(self._lines) > LINES_LIMIT:
                del self._lines[: LINES_LIMIT // 10]
        if self._log is not None:
            shown = _printable(text)
            self._log.write(f"{t:10.3f} {'repl| ' if repl else ''}{shown}\n")
            self._log.flush()

    def _note(self, message: str) -> None:
        with self._cond:
            if self._log is not None:
                self._log.write(f"{self._now():10.3f} ### {message}\n")
                self._log.flush()


class ExpectTimeout(BackendError, TimeoutError):
    """What was expected on the console did not come (the message quotes what did)."""


def _printable(text: str) -> str:
    return "".join(c if c >= " " or c == "\t" else f"\\x{ord(c):02x}" for c in text)
