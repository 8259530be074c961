"""What the serial console and its REPL reach of the board they belong to.

Why a protocol: the board owns its console (it prints boot banners and tracebacks on it),
and the console's REPL acts on the board (``machine.reset()``, ``Pin``, the filesystem).
With both importing each other, imports went in a circle (board -> console -> repl ->
board); the console and the REPL are written against this instead, which
:class:`~emulator.board.board.VirtualBoard` satisfies.
"""

from __future__ import annotations

from typing import Protocol

from .cpu import BoardClock
from .fs import VirtualFileSystem
from .gpio import Button, Led


class ConsoleBoard(Protocol):
    fs: VirtualFileSystem
    cpu: BoardClock
    led: Led
    button: Button
    reset_cause: int

    @property
    def unique_id(self) -> bytes: ...

    def interrupt(self) -> None: ...

    def reset(self) -> None: ...

    def soft_reset(self) -> None: ...

    def set_led(self, on: bool) -> None: ...

    def heap(self) -> tuple[int, int]: ...

    def uptime(self) -> float: ...

    def wall_time(self) -> float: ...
