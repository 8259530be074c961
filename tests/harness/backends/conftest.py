"""Fake boards that speak the real protocols: a virtual board's console on a PTY."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.board import VirtualBoard
from emulator.board.pty_console import PtyConsole
from harness.backends.serialdev import open_serial

if os.name != "posix":  # pragma: no cover
    pytest.skip("PTYs are POSIX", allow_module_level=True)


class ChattyApp:
    """``main.py`` that says hello at every boot, and counts its boots."""

    def __init__(self) -> None:
        self.starts = 0
        self.stops: list[str] = []

    def start(self, board: VirtualBoard) -> None:
        self.starts += 1
        board.console(f"app: boot {self.starts}")

    def stop(self, reason: str) -> None:
        self.stops.append(reason)


@dataclass
class PtyBoard:
    board: VirtualBoard
    app: Any  # the board's main.py (a ChattyApp unless a test runs the agent)
    pty: PtyConsole
    dispatch: Callable[[Callable[[], object]], object] | None = None

    @property
    def path(self) -> str:
        return self.pty.path

    def replug(self) -> str:
        """The board re-enumerates: its old port disappears, a new one appears.  The new one
        is opened first, so the kernel cannot hand out the old /dev/pts number again (a real
        re-enumeration gets a new name too)."""
        old = self.pty
        self.pty = PtyConsole(self.board.serial, dispatch=self.dispatch)
        old.close()
        return self.pty.path


@pytest.fixture
def pty_board() -> Iterator[PtyBoard]:
    app = ChattyApp()
    board = VirtualBoard("pty-board", app=app)
    fake = PtyBoard(board, app, PtyConsole(board.serial))
    yield fake
    fake.pty.close()


@dataclass
class PortInfo:
    """What pyserial's ``list_ports.comports()`` reports for a port."""

    device: str
    location: str | None
    serial_number: str | None


class FakeUsbJtag:
    """A PTY board behind the C3's USB-Serial-JTAG, as the host sees it.

    Line states follow the peripheral: RTS asserted with DTR released holds the chip in
    reset; releasing RTS boots it -- and the port disappears and re-enumerates under a new
    path with the same serial number (the MAC).  ``reset`` is how the board resets
    (``board.reset`` by default; a clock-thread dispatch for boards on a running clock).
    """

    def __init__(
        self,
        fake: PtyBoard,
        serial_number: str = "F4:12:FA:C3:00:01",
        reset: Callable[[], None] | None = None,
    ) -> None:
        self.fake = fake
        self.serial_number = serial_number
        self.location = "1-1.3:1.0"
        self.resets = 0
        self.opened: list[tuple[str, int]] = []
        self._reset = reset or fake.board.reset
        self._dtr = True  # pyserial asserts both when it opens a port
        self._rts = True
        self._held = False

    def comports(self) -> list[PortInfo]:
        return [PortInfo(self.fake.path, self.location, self.serial_number)]

    def open(self, url: str, baud: int) -> Any:
        self.opened.append((url, baud))
        return _JtagPort(self, open_serial(url, baud))

    def lines(self, dtr: bool | None = None, rts: bool | None = None) -> None:
        if dtr is not None:
            self._dtr = dtr
        if rts is not None:
            self._rts = rts
        if self._rts and not self._dtr:
            self._held = True
        elif self._held and not self._rts:
            self._held = False
            self.resets += 1
            self.fake.board.serial.read()  # what the old port carried is gone with it
            self.fake.replug()
            self._reset()


class _JtagPort:
    def __init__(self, jtag: FakeUsbJtag, port: Any) -> None:
        self._jtag = jtag
        self._port = port

    @property
    def dtr(self) -> bool:
        return self._jtag._dtr

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self._jtag.lines(dtr=value)

    @property
    def rts(self) -> bool:
        return self._jtag._rts

    @rts.setter
    def rts(self, value: bool) -> None:
        self._jtag.lines(rts=value)

    @property
    def in_waiting(self) -> int:
        return int(self._port.in_waiting)

    def read(self, size: int = 1) -> bytes:
        return bytes(self._port.read(size))

    def write(self, data: bytes) -> int | None:
        return int(self._port.write(data))

    def close(self) -> None:
        self._port.close()
