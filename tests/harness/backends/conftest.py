"""Fake boards that speak the real protocols: a virtual board's console on a PTY."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from emulator.board import VirtualBoard
from emulator.board.pty_console import PtyConsole

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
    app: ChattyApp
    pty: PtyConsole

    @property
    def path(self) -> str:
        return self.pty.path

    def replug(self) -> str:
        """The board re-enumerates: its old port disappears, a new one appears."""
        self.pty.close()
        self.pty = PtyConsole(self.board.serial)
        return self.pty.path


@pytest.fixture
def pty_board() -> Iterator[PtyBoard]:
    app = ChattyApp()
    board = VirtualBoard("pty-board", app=app)
    fake = PtyBoard(board, app, PtyConsole(board.serial))
    yield fake
    fake.pty.close()
