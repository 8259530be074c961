"""The raw REPL through the capture, against the virtual board's console on a PTY."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.base import BackendError
from harness.backends.rawrepl import RawRepl, ReplError
from harness.backends.serialdev import ConsoleCapture, open_serial
from harness.backends.walltime import WallTimeBase

from .conftest import PtyBoard


@pytest.fixture
def repl(pty_board: PtyBoard, tmp_path: Path) -> Iterator[RawRepl]:
    capture = ConsoleCapture(
        "pty-board",
        lambda: open_serial(pty_board.path),
        now=WallTimeBase().now,
        log_path=tmp_path / "console.log",
    ).start()
    try:
        yield RawRepl(capture, timeout=5)
    finally:
        capture.close()


def test_exec_returns_output_and_raises_with_the_boards_traceback(repl: RawRepl) -> None:
    repl.enter()
    assert repl.exec("print('hello', 6 * 7)") == b"hello 42\r\n"
    with pytest.raises(ReplError) as caught:
        repl.exec("import os\nos.stat('/missing')")
    assert "OSError: [Errno 2] ENOENT" in caught.value.traceback
    assert "OSError" in str(caught.value)
    assert repl.eval("1 + 2") == "3"


def test_exec_outside_the_raw_repl_is_refused(repl: RawRepl) -> None:
    with pytest.raises(BackendError, match="not in the raw REPL"):
        repl.exec("print(1)")


def test_files_are_written_atomically_and_read_back(repl: RawRepl, pty_board: PtyBoard) -> None:
    payload = os.urandom(3000)  # several execs' worth of chunks, every byte value
    repl.enter()
    repl.write_file("/certs/deep/key.der", payload)
    assert pty_board.board.fs.read("/certs/deep/key.der") == payload
    assert not pty_board.board.flash.is_file("/certs/deep/key.der.tmp")
    assert repl.read_file("/certs/deep/key.der") == payload
    repl.write_file("/config.json", b'{"thing_name": "a"}')
    repl.write_file("/config.json", b'{"thing_name": "b"}')  # replaces
    assert pty_board.board.fs.read("/config.json") == b'{"thing_name": "b"}'


def test_a_session_stops_the_firmware_and_restarts_it(
    repl: RawRepl, pty_board: PtyBoard, tmp_path: Path
) -> None:
    # boot 1 printed before the port was opened: pyserial flushed it, as on hardware
    with repl.session():
        assert repl.exec("print('inside')") == b"inside\r\n"
        assert pty_board.app.stops == ["interrupt"]
    repl.capture.expect(r"app: boot 2\r?\n", timeout=5)  # the whole line, not a prefix
    texts = [line.text for line in repl.capture.lines()]
    assert "app: boot 2" in texts
    assert not any("inside" in text or "raw REPL" in text for text in texts)  # harness traffic
    log = (tmp_path / "console.log").read_text()
    assert "repl| " in log and "inside" in log  # ... but the log file keeps it, marked


def test_soft_reset_in_raw_mode_does_not_run_main(repl: RawRepl, pty_board: PtyBoard) -> None:
    repl.enter(soft_reset=True)
    assert pty_board.app.starts == 1  # only the boot before the test
    assert repl.exec("print('still raw')") == b"still raw\r\n"
    repl.exit()
    assert pty_board.app.starts == 1
