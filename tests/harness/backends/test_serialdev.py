"""Finding ports, capturing a console, surviving re-enumeration, the USB-JTAG reset."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from harness.backends.serialdev import (
    ConsoleCapture,
    ExpectTimeout,
    PortNotFound,
    PortQuery,
    open_serial,
    usb_jtag_hard_reset,
)
from harness.backends.walltime import WallTimeBase

from .conftest import PortInfo, PtyBoard

C3_A = PortInfo("/dev/ttyACM0", "1-1.2:1.0", "F4:12:FA:00:00:01")
C3_B = PortInfo("/dev/ttyACM1", "1-1.3:1.0", "F4:12:FA:00:00:02")
UART = PortInfo("/dev/ttyUSB0", "1-1.4:1.0", "A50285BI")


def ports() -> list[PortInfo]:
    return [C3_A, C3_B, UART]


def test_finds_a_port_by_serial_number_location_or_mac() -> None:
    assert PortQuery(serial_number="F4:12:FA:00:00:02").find(ports) == "/dev/ttyACM1"
    assert PortQuery(usb_location="1-1.2:1.0").find(ports) == "/dev/ttyACM0"
    assert PortQuery(mac="f412fa000002").find(ports) == "/dev/ttyACM1"
    assert PortQuery(mac="F4-12-FA-00-00-01").find(ports) == "/dev/ttyACM0"
    both = PortQuery(port="/dev/ttyUSB0", serial_number="A50285BI")
    assert both.find(ports) == "/dev/ttyUSB0"


def test_a_plain_path_or_url_is_used_as_given() -> None:
    def nothing_listed() -> list[PortInfo]:
        raise AssertionError("a plain path must not need the port list")

    assert PortQuery(port="socket://127.0.0.1:4000").find(nothing_listed) == (
        "socket://127.0.0.1:4000"
    )


def test_no_match_lists_the_ports_that_are_there() -> None:
    with pytest.raises(PortNotFound) as caught:
        PortQuery(serial_number="nope").find(ports)
    message = str(caught.value)
    assert "serial number 'nope'" in message
    assert "/dev/ttyACM0 (location 1-1.2:1.0, serial F4:12:FA:00:00:01)" in message
    assert "list_ports" in message


def test_an_ambiguous_description_says_what_to_add() -> None:
    twins = [C3_A, PortInfo("/dev/ttyACM7", "1-2:1.0", C3_A.serial_number)]
    with pytest.raises(PortNotFound, match=r"2 serial ports match.*usb_location"):
        PortQuery(mac="f4:12:fa:00:00:01").find(lambda: twins)


class RecordingPort:
    """Records DTR/RTS changes the way pyserial's properties receive them."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, bool]] = []

    @property
    def dtr(self) -> bool:
        return next((v for k, v in reversed(self.changes) if k == "dtr"), True)

    @dtr.setter
    def dtr(self, value: bool) -> None:
        self.changes.append(("dtr", value))

    @property
    def rts(self) -> bool:
        return next((v for k, v in reversed(self.changes) if k == "rts"), True)

    @rts.setter
    def rts(self, value: bool) -> None:
        self.changes.append(("rts", value))


def test_usb_jtag_hard_reset_pulses_en_through_rts_with_dtr_released() -> None:
    port = RecordingPort()
    sleeps: list[float] = []
    usb_jtag_hard_reset(port, sleep=sleeps.append)
    assert port.changes == [
        ("dtr", False),
        ("rts", True),  # EN low (RTS without DTR: reset, not download mode)
        ("dtr", False),
        ("rts", False),  # EN high: the chip boots
        ("dtr", False),
    ]
    assert sleeps == [0.2, 0.2]  # esptool's hold and re-enumeration waits for USB chips


def capture_for(pty_board: PtyBoard, tmp_path: Path, **kw: object) -> ConsoleCapture:
    clock = WallTimeBase()
    return ConsoleCapture(
        "pty-board",
        lambda: open_serial(pty_board.path),
        now=clock.now,
        log_path=tmp_path / "pty-board.log",
        **kw,  # type: ignore[arg-type]
    ).start()


def test_captures_lines_with_device_and_time_and_writes_the_log_file(
    pty_board: PtyBoard, tmp_path: Path
) -> None:
    capture = capture_for(pty_board, tmp_path)
    try:
        pty_board.board.console("temperature 21.5")
        pty_board.board.console("temperature 21.7")
        assert capture.expect(r"temperature (\d+\.\d)", timeout=5).group(1) == "21.5"
        assert capture.expect(r"temperature (\d+\.\d)", timeout=5).group(1) == "21.7"
        texts = [line.text for line in capture.lines()]
        assert texts[-2:] == ["temperature 21.5", "temperature 21.7"]
        assert all(line.device == "pty-board" for line in capture.lines())
        times = [line.t for line in capture.lines()]
        assert times == sorted(times) and times[0] >= 0
    finally:
        capture.close()
    log = (tmp_path / "pty-board.log").read_text()
    assert "temperature 21.5" in log and "temperature 21.7" in log


def test_expect_times_out_quoting_what_the_console_said(
    pty_board: PtyBoard, tmp_path: Path
) -> None:
    capture = capture_for(pty_board, tmp_path)
    try:
        pty_board.board.console("something else")
        with pytest.raises(ExpectTimeout, match="something else"):
            capture.expect("never printed", timeout=0.3)
    finally:
        capture.close()


def test_reopens_the_port_after_the_board_re_enumerates(
    pty_board: PtyBoard, tmp_path: Path
) -> None:
    listed = [PortInfo(pty_board.path, "1-1.2:1.0", "F4:12:FA:00:00:09")]
    query = PortQuery(serial_number="F4:12:FA:00:00:09")
    clock = WallTimeBase()
    capture = ConsoleCapture(
        "pty-board",
        lambda: open_serial(query.find(lambda: listed)),
        now=clock.now,
        log_path=tmp_path / "log",
    ).start()
    try:
        pty_board.board.console("before")
        capture.expect("before", timeout=5)
        listed.clear()  # the port vanishes...
        new_path = pty_board.replug()
        time.sleep(0.3)
        listed.append(PortInfo(new_path, "1-1.2:1.0", "F4:12:FA:00:00:09"))  # ...and returns
        assert capture.wait_port(timeout=10) is not None
        pty_board.board.console("after")
        capture.expect("after", timeout=5)
        assert capture.reconnects == 1
        capture.write(b"\r\x03")  # writing works on the new port
        capture.expect(">>> ", timeout=5)
    finally:
        capture.close()
    log = (tmp_path / "log").read_text()
    assert "port lost" in log and "port reopened" in log
