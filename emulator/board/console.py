"""The board's serial console (USB-Serial-JTAG): log lines out, MicroPython's REPL in.

Why: the harness has one serial driver, pyserial plus MicroPython's raw REPL the way
mpremote speaks it, for real boards and virtual ones alike.  This module answers that
protocol byte for byte as ``shared/runtime/pyexec.c`` does (read at MicroPython's master,
which matches v1.27 for everything mpremote relies on):

* while the app (``main.py``: the agent) runs, its log lines come out as ``text\\r\\n`` and
  only Ctrl-C (0x03) matters: it stops the app (``KeyboardInterrupt`` traceback), then the
  friendly REPL banner and ``>>> ``;
* friendly REPL: Ctrl-A on an empty line -> ``\\r\\nraw REPL; CTRL-B to exit\\r\\n>``; Ctrl-B ->
  banner; Ctrl-C -> new prompt; Ctrl-D on an empty line -> ``MPY: soft reboot`` and
  ``main.py`` runs again; Ctrl-E -> paste mode; lines are executed as single input (an
  expression's value is echoed);
* raw REPL: bytes accumulate; Ctrl-C clears them; Ctrl-D answers ``OK``, then the
  snippet's output, ``\\x04``, the traceback if any, ``\\x04``, ``>``; Ctrl-D with nothing
  buffered is a soft reboot (``OK\\r\\nMPY: soft reboot\\r\\n`` then ``raw REPL; CTRL-B to
  exit\\r\\n>``; ``main.py`` does not run); Ctrl-B -> ``\\r\\n`` and the friendly REPL;
* raw-paste: ``\\x05A\\x01`` -> ``R\\x01``, a window of 128 (uint16 LE) and one extra window
  credit ``\\x01``; another ``\\x01`` after every 128 bytes received; Ctrl-D ends the data
  (acknowledged with ``\\x04``) and the snippet runs, framed as above; ``\\x05`` + any other
  byte + ``\\x01`` -> ``R\\x00``.

What the snippets can do is described in :mod:`emulator.board.repl`; it is CPython running
them against the virtual board.  Output the host does not read is kept up to
``buffer_limit`` bytes (oldest dropped and counted), as MicroPython drops output nobody
drains.  ``write`` processes input synchronously under a lock, so any thread may feed it.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from .repl import Outcome, ReplSession

if TYPE_CHECKING:
    from .surface import ConsoleBoard

BANNER = (
    b"MicroPython v1.27.0 on 2025-12-09; ESP32C3 module with ESP32C3 (virtual)\r\n"
    b'Type "help()" for more information.\r\n'
)
RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
SOFT_REBOOT = b"MPY: soft reboot\r\n"
PROMPT = b">>> "
CONTINUATION = b"... "
PASTE_BANNER = b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
RAW_PASTE_WINDOW = 128
APP_INTERRUPTED = (
    b"Traceback (most recent call last):\r\n"
    b'  File "main.py", line 1, in <module>\r\n'
    b"KeyboardInterrupt: \r\n"
)

CTRL_A, CTRL_B, CTRL_C, CTRL_D, CTRL_E = 1, 2, 3, 4, 5

Mode = Literal["off", "app", "friendly", "paste", "raw", "raw-paste"]

_RAW_SPECIAL = re.compile(rb"[\x01-\x04]")


class SerialConsole:
    """One board's console; the host side is :meth:`write` / :meth:`read` / :meth:`open`."""

    def __init__(
        self, board: ConsoleBoard, *, banner: bytes = BANNER, buffer_limit: int = 64 * 1024
    ) -> None:
        self._board = board
        self.banner = banner
        self.buffer_limit = buffer_limit
        self.mode: Mode = "off"
        self.dropped = 0
        self._out = bytearray()
        self._listeners: list[Callable[[bytes], None]] = []
        self._lock = threading.RLock()
        self._line = bytearray()
        self._cont = bytearray()
        self._escape = 0
        self._last_cr = False
        self._window = 0
        self._session: ReplSession | None = None

    # --- host side --------------------------------------------------------------------------

    def write(self, data: bytes) -> int:
        """Bytes from the host (what a terminal or pyserial sends); processed at once."""
        with self._lock:
            view = bytes(data)
            i = 0
            while i < len(view):
                if self.mode == "raw":
                    match = _RAW_SPECIAL.search(view, i)
                    end = match.start() if match else len(view)
                    self._line += view[i:end]
                    if match is None:
                        break
                    i = end
                self._feed(view[i])
                i += 1
            return len(view)

    def read(self, size: int = -1) -> bytes:
        """Take up to ``size`` bytes (all if negative) of output the host has not read."""
        with self._lock:
            n = len(self._out) if size < 0 else min(size, len(self._out))
            data = bytes(self._out[:n])
            del self._out[:n]
            return data

    @property
    def in_waiting(self) -> int:
        return len(self._out)

    def subscribe(
        self, listener: Callable[[bytes], None], *, take_unread: bool = False
    ) -> Callable[[], None]:
        """Call ``listener(chunk)`` with every chunk of output; returns an unsubscribe function.

        ``take_unread``: first hand the listener the output nobody has read yet (and remove
        it from :meth:`read`'s buffer), atomically with subscribing.
        """
        with self._lock:
            if take_unread and self._out:
                unread = bytes(self._out)
                self._out.clear()
                listener(unread)
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def open(self, timeout: float | None = 1.0) -> ConsolePort:
        """A pyserial-like handle (``read``/``write``/``in_waiting``) on this console."""
        return ConsolePort(self, timeout)

    # --- device side (the board calls these) --------------------------------------------------

    def emit(self, data: bytes) -> None:
        """Output from the device; dropped while the board is off."""
        if not data:
            return
        with self._lock:
            if self.mode == "off":
                return
            self._out += data
            excess = len(self._out) - self.buffer_limit
            if excess > 0:
                del self._out[:excess]
                self.dropped += excess
            for listener in list(self._listeners):
                listener(data)

    def print_line(self, text: str) -> None:
        self.emit(text.encode("utf-8", "replace") + b"\r\n")

    def powered_off(self) -> None:
        with self._lock:
            self.mode = "off"
            self._session = None
            self._reset_input()

    def halted(self) -> None:
        """RAM is lost (reset, soft reset): the REPL's globals go with it."""
        with self._lock:
            self._session = None

    def booted(self, app_running: bool, raw: bool) -> None:
        with self._lock:
            self._reset_input()
            if raw:
                self.mode = "raw"
                self.emit(RAW_BANNER + b">")
            elif app_running:
                self.mode = "app"
            else:
                self._friendly_banner()

    def app_stopped(self) -> None:
        """The app ended on its own (or crashed): the friendly REPL takes over."""
        with self._lock:
            if self.mode == "app":
                self._friendly_banner()

    @property
    def session(self) -> ReplSession:
        if self._session is None:
            self._session = ReplSession(self._board, self.emit)
        return self._session

    # --- the state machine --------------------------------------------------------------------

    def _feed(self, c: int) -> None:
        mode = self.mode
        if mode == "off":
            return
        if mode == "app":
            if c == CTRL_C:
                self._board.interrupt()
                self.emit(APP_INTERRUPTED)
                self._friendly_banner()
            return
        if mode == "raw":
            self._feed_raw(c)
        elif mode == "raw-paste":
            self._feed_raw_paste(c)
        elif mode == "paste":
            self._feed_paste(c)
        else:
            self._feed_friendly(c)

    def _feed_raw(self, c: int) -> None:
        line = self._line
        if c == CTRL_A:
            if len(line) == 2 and line[0] == CTRL_E:
                self._line = bytearray()
                if line[1] == ord("A"):
                    self.mode = "raw-paste"
                    self._window = RAW_PASTE_WINDOW
                    self.emit(b"R\x01" + RAW_PASTE_WINDOW.to_bytes(2, "little") + b"\x01")
                else:
                    self.emit(b"R\x00>")
                return
            self._line = bytearray()
            self.emit(RAW_BANNER + b">")
        elif c == CTRL_B:
            self._line = bytearray()
            self.emit(b"\r\n")
            self._friendly_banner()
        elif c == CTRL_C:
            self._line = bytearray()
        elif c == CTRL_D:
            self.emit(b"OK")
            source, self._line = bytes(line), bytearray()
            if not source:
                self.emit(b"\r\n")
                self._board.soft_reset()
                return
            self._finish_raw(self.session.run(source))
        else:
            line.append(c)

    def _feed_raw_paste(self, c: int) -> None:
        if c in (CTRL_C, CTRL_D):
            self.emit(b"\x04")  # end of data acknowledged
            source, self._line = bytes(self._line), bytearray()
            self.mode = "raw"
            if c == CTRL_C:
                self._finish_raw(Outcome("error", "KeyboardInterrupt: \r\n"))
            else:
                self._finish_raw(self.session.run(source))
            return
        self._line.append(c)
        self._window -= 1
        if self._window == 0:
            self._window = RAW_PASTE_WINDOW
            self.emit(b"\x01")

    def _finish_raw(self, outcome: Outcome) -> None:
        if outcome.kind == "hard-reset":
            self._board.reset()
        elif outcome.kind == "power-lost":
            pass  # the board is off: nothing more comes out
        elif outcome.kind == "soft-reset":
            self.emit(b"\x04\x04")
            self._board.soft_reset()
        else:
            self.emit(b"\x04" + outcome.traceback.encode("utf-8", "replace") + b"\x04>")

    def _feed_friendly(self, c: int) -> None:
        if self._escape == 1:  # ESC seen: "[" or "O" starts a sequence (arrow keys...)
            self._escape = 2 if c in (0x5B, 0x4F) else 0
            return
        if self._escape == 2:  # inside the sequence until its final byte; ignored
            if 0x40 <= c <= 0x7E:
                self._escape = 0
            return
        empty = not self._line and not self._cont
        if c == 0x1B:
            self._escape = 1
        elif c == CTRL_C:
            self._line, self._cont = bytearray(), bytearray()
            self.emit(b"\r\n" + PROMPT)
        elif c == CTRL_A and empty:
            self.mode = "raw"
            self.emit(b"\r\n" + RAW_BANNER + b">")
        elif c == CTRL_B and empty:
            self.emit(b"\r\n")
            self._friendly_banner()
        elif c == CTRL_D and empty:
            self.emit(b"\r\n")
            self._board.soft_reset()
        elif c == CTRL_D and self._cont:
            self.emit(b"\r\n")
            self._run_friendly(bytes(self._cont))
        elif c == CTRL_E and empty:
            self.mode = "paste"
            self.emit(PASTE_BANNER)
        elif c in (0x08, 0x7F):
            if self._line:
                del self._line[-1]
                self.emit(b"\x08 \x08")
        elif c == 0x0D or (c == 0x0A and not self._last_cr):
            self.emit(b"\r\n")
            self._enter()
        elif c >= 0x20 or c == 0x09:
            self._line.append(c)
            self.emit(bytes([c]))
        self._last_cr = c == 0x0D

    def _enter(self) -> None:
        line, self._line = bytes(self._line), bytearray()
        if self._cont:
            if line.strip():
                self._cont += b"\n" + line
                self.emit(CONTINUATION)
            else:
                self._run_friendly(bytes(self._cont))
            return
        if not line.strip():
            self.emit(PROMPT)
        elif _needs_continuation(line):
            self._cont = bytearray(line)
            self.emit(CONTINUATION)
        else:
            self._run_friendly(line)

    def _run_friendly(self, source: bytes, mode: Literal["single", "exec"] = "single") -> None:
        self._cont = bytearray()
        outcome = self.session.run(source, mode)
        if outcome.kind == "hard-reset":
            self._board.reset()
        elif outcome.kind == "soft-reset":
            self._board.soft_reset()
        elif outcome.kind != "power-lost":
            self.emit(outcome.traceback.encode("utf-8", "replace") + PROMPT)

    def _feed_paste(self, c: int) -> None:
        if c == CTRL_C:
            self._line = bytearray()
            self.mode = "friendly"
            self.emit(b"\r\n" + PROMPT)
        elif c == CTRL_D:
            source, self._line = bytes(self._line), bytearray()
            self.mode = "friendly"
            self.emit(b"\r\n")
            self._run_friendly(source.replace(b"\r", b"\n"), "exec")
        else:
            self._line.append(c)
            self.emit(b"\r\n=== " if c == 0x0D else bytes([c]))

    def _friendly_banner(self) -> None:
        self.mode = "friendly"
        self._reset_input()
        self.emit(self.banner + PROMPT)

    def _reset_input(self) -> None:
        self._line = bytearray()
        self._cont = bytearray()
        self._escape = 0


def _needs_continuation(line: bytes) -> bool:
    stripped = line.rstrip()
    return stripped.endswith((b":", b"\\")) or stripped.count(b"(") > stripped.count(b")")


class ConsolePort:
    """A pyserial-like handle on an in-process console, for drivers written against pyserial.

    ``read(size)`` waits up to ``timeout`` real seconds for ``size`` bytes (like
    ``serial.Serial``); ``write`` feeds the console (which answers synchronously).
    """

    def __init__(self, console: SerialConsole, timeout: float | None = 1.0) -> None:
        self._console = console
        self.timeout = timeout
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._unsubscribe: Callable[[], None] | None = console.subscribe(self._on_output)
        self.is_open = True

    def _on_output(self, data: bytes) -> None:
        with self._cond:
            self._buf += data
            self._cond.notify_all()

    def write(self, data: bytes) -> int:
        if not self.is_open:
            raise OSError("port is closed")
        return self._console.write(data)

    def read(self, size: int = 1) -> bytes:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        with self._cond:
            while len(self._buf) < size:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._cond.wait(remaining)
            data = bytes(self._buf[:size])
            del self._buf[:size]
            return data

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        with self._cond:
            while True:
                idx = self._buf.find(expected)
                if idx >= 0:
                    end = idx + len(expected)
                    break
                if size is not None and len(self._buf) >= size:
                    end = size
                    break
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    end = len(self._buf)
                    break
                self._cond.wait(remaining)
            data = bytes(self._buf[:end])
            del self._buf[:end]
            return data

    @property
    def in_waiting(self) -> int:
        with self._cond:
            return len(self._buf)

    def inWaiting(self) -> int:  # pyserial's legacy spelling, which mpremote uses
        return self.in_waiting

    def reset_input_buffer(self) -> None:
        with self._cond:
            self._buf.clear()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.is_open = False

    def __enter__(self) -> ConsolePort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
