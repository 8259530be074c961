"""The console on a pseudo-terminal, so pyserial opens a virtual board like ``/dev/ttyACM0``.

Why: the harness's serial backend (and mpremote, and a human with ``screen``) should not
know whether the board on the other end is real.  ``PtyConsole(board.serial).path`` is a
``/dev/pts/N`` that pyserial opens exactly like a USB CDC port; bytes written there reach
the console's REPL, the board's output comes back.

One background thread per PTY moves the bytes (``select`` on the master side).  Input is
processed by ``dispatch`` (default: directly in that thread, under the console's lock; pass
``clock.call_soon`` to process it on the thread that runs the clock instead).  Output is
queued and written as the terminal accepts it, never blocking the board; if the host stops
reading, at most ``max_pending`` bytes are kept (oldest dropped and counted), as
MicroPython drops console output nobody drains.

Differences from a real board's port: the PTY does not disappear and re-enumerate on a
hard reset (reopening it works all the same), and DTR/RTS do nothing (pyserial tolerates
the ``ENOTTY``; a real C3 would reset or enter the bootloader).  POSIX only.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import tty
from collections.abc import Callable

from .console import SerialConsole


class PtyConsole:
    """A PTY bridged to a :class:`SerialConsole`; ``close()`` (or ``with``) when done."""

    def __init__(
        self,
        console: SerialConsole,
        *,
        dispatch: Callable[[Callable[[], object]], object] | None = None,
        max_pending: int = 1 << 20,
    ) -> None:
        self._console = console
        self._dispatch = dispatch
        self.max_pending = max_pending
        self.dropped = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line discipline: bytes pass as they are
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self._lock = threading.Lock()
        self._pending = bytearray()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._closed = False
        # Output nobody has read yet (boot messages) is waiting for the host: take it over.
        self._unsubscribe = console.subscribe(self._on_output, take_unread=True)
        self._thread = threading.Thread(target=self._pump, name=f"pty {self.path}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._unsubscribe()
        self._wake()
        self._thread.join(timeout=5)
        for fd in (self._master, self._slave, self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> PtyConsole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals --------------------------------------------------------------------------

    def _on_output(self, data: bytes) -> None:
        with self._lock:
            self._pending += data
            excess = len(self._pending) - self.max_pending
            if excess > 0:
                del self._pending[:excess]
                self.dropped += excess
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass  # the pipe is full: the pump is awake anyway

    def _pump(self) -> None:
        while not self._closed:
            with self._lock:
                want_write = bool(self._pending)
            readable, writable, _ = select.select(
                [self._master, self._wake_r], [self._master] if want_write else [], [], 0.5
            )
            if self._wake_r in readable:
                try:
                    os.read(self._wake_r, 4096)
                except OSError:
                    pass
            if self._closed:
                return
            if self._master in readable:
                self._read_input()
            if self._master in writable:
                self._write_output()

    def _read_input(self) -> None:
        try:
            data = os.read(self._master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return  # EIO: nobody has the terminal open right now
            raise
        if not data:
            return
        if self._dispatch is None:
            self._console.write(data)
        else:
            self._dispatch(lambda: self._console.write(data))

    def _write_output(self) -> None:
        with self._lock:
            chunk = bytes(self._pending[:4096])
        try:
            n = os.write(self._master, chunk)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return
            raise
        with self._lock:
            del self._pending[:n]
