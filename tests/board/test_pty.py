"""The console on a PTY, opened with pyserial like /dev/ttyACM0 and driven through the raw REPL."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from emulator.board import VirtualBoard
from emulator.board.pty_console import PtyConsole

from .rawrepl_client import RawRepl

pytestmark = pytest.mark.skipif(os.name != "posix", reason="PTYs are POSIX")


class App:
    def start(self, board: VirtualBoard) -> None:
        board.console("agent: online")

    def stop(self, reason: str) -> None:
        pass


@pytest.fixture
def board_on_pty() -> Iterator[tuple[VirtualBoard, str]]:
    board = VirtualBoard(app=App())
    with PtyConsole(board.serial) as pty:
        yield board, pty.path


def test_pyserial_drives_the_raw_repl(board_on_pty: tuple[VirtualBoard, str]) -> None:
    board, path = board_on_pty
    repl = RawRepl(path)
    try:
        banner = repl.enter_raw(soft_reset=True)
        assert banner.endswith(b"MPY: soft reboot\r\n")
        assert repl.exec_(b"print('hello from', 6*7)") == (b"hello from 42\r\n", b"")
        out, err = repl.exec_(b"import os\nos.stat('/none')")
        assert out == b""
        assert err.endswith(b"OSError: [Errno 2] ENOENT\r\n")
        assert err.startswith(b"Traceback (most recent call last):\r\n")
        code = b"total = 0\n" + b"".join(b"total += %d\n" % i for i in range(100)) + b"print(total)"
        assert repl.exec_(code, paste=True) == (b"4950\r\n", b"")
        payload = os.urandom(1000)
        repl.put("/cert.der", payload)
        assert board.fs.read("/cert.der") == payload
        assert repl.get("/cert.der") == payload
        repl.exit_raw()
    finally:
        repl.close()


def test_log_lines_reach_a_reader_and_the_port_can_be_reopened(
    board_on_pty: tuple[VirtualBoard, str],
) -> None:
    board, path = board_on_pty
    repl = RawRepl(path)
    try:
        # pyserial flushes its input when it opens a port, so a log line the board wrote
        # before that is gone, as on a real board; one written now arrives.
        board.console("agent: still here")
        assert repl.read_until(b"agent: still here\r\n").endswith(b"agent: still here\r\n")
        repl.enter_raw()
        repl.serial.write(b"import machine\nmachine.reset()\x04")
        assert repl.read_until(b"agent: online\r\n").startswith(b"OK")
    finally:
        repl.close()
    assert board.boot_count == 2
    again = RawRepl(path)
    try:
        again.enter_raw()
        assert again.exec_(b"print(len(__import__('os').listdir('/')))") == (b"0\r\n", b"")
    finally:
        again.close()


def test_mpremote_transport_works_unchanged(board_on_pty: tuple[VirtualBoard, str]) -> None:
    transport_serial = pytest.importorskip("mpremote.transport_serial")
    board, path = board_on_pty
    transport = transport_serial.SerialTransport(path)
    try:
        transport.enter_raw_repl(soft_reset=True)
        transport.fs_mkdir("/lib")
        transport.fs_writefile("/lib/app.py", b"print('app')\n" * 40)
        assert [e.name for e in transport.fs_listdir("/lib")] == ["app.py"]
        assert transport.fs_readfile("/lib/app.py") == b"print('app')\n" * 40
        assert transport.fs_stat("/lib/app.py").st_size == 13 * 40
        assert transport.exec("print(1+1)") == b"2\r\n"
        digest = transport.fs_hashfile("/lib/app.py", "sha256")
        assert digest == hashlib.sha256(b"print('app')\n" * 40).digest()
        with pytest.raises(OSError):
            transport.fs_stat("/missing")
        transport.exit_raw_repl()
    finally:
        transport.close()
    assert board.fs.read("/lib/app.py") == b"print('app')\n" * 40
