"""The experimental Renode driver against the stand-in that speaks Renode's monitor protocol.

Renode itself is not installed here: nothing in this file has run against a real Renode.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from emulator.renode import PLATFORM, SCRIPT
from emulator.renode.standin import NEGOTIATION
from harness.backends.base import BackendError, BackendSession, BoardSpec, Unsupported
from harness.backends.renode import (
    RenodeBackend,
    RenodeDevice,
    RenodeError,
    RenodeMonitor,
    free_port,
)

STANDIN = [sys.executable, "-m", "emulator.renode.standin"]


class NoCore:
    """The Renode machine has no network: nothing asks the IoT Core for anything."""

    @property
    def endpoint(self) -> object:
        raise AssertionError("not used")

    def provision(self, thing_name: str) -> object:
        raise AssertionError("not used")


@pytest.fixture
def device(tmp_path: Path) -> Iterator[RenodeDevice]:
    session = BackendSession(NoCore(), tmp_path)  # type: ignore[arg-type]
    spec = BoardSpec("renode-1", "renode", options={"renode": STANDIN})
    opened = RenodeBackend().open(spec, session)
    yield opened
    opened.close()


def test_brings_a_machine_up_with_the_documented_monitor_commands(
    device: RenodeDevice, tmp_path: Path
) -> None:
    history = device.monitor.history
    uart_port = device.facts["uart"].rsplit(":", 1)[1]
    assert history == [
        'mach create "renode-1"',
        f"machine LoadPlatformDescription @{PLATFORM}",
        f'emulation CreateServerSocketTerminal {uart_port} "uart-renode-1" false',
        "connector Connect sysbus.uart0 uart-renode-1",
        "start",
    ]
    assert device.monitor.prompt == "renode-1"  # (renode-1) after mach create
    log = (tmp_path / "renode" / "renode-1" / "renode.log").read_text()
    assert "Monitor available in telnet mode on port" in log
    assert all(f"monitor: {command}" in log for command in history)  # the stand-in got them


def test_the_uart_carries_the_console_and_its_raw_repl(device: RenodeDevice) -> None:
    device.reset()  # pause, machine Reset, start: the firmware boots with us listening
    device.capture.expect("stand-in firmware: boot 2", timeout=10)
    with device.repl.session():
        assert device.repl.exec("print(6 * 7)") == b"42\r\n"
    device.capture.expect("stand-in firmware: boot 3", timeout=10)  # main.py resumed
    assert device.monitor.history[-3:] == ["pause", "machine Reset", "start"]
    assert device.describe()["experimental"] is True


def test_what_the_platform_does_not_model_is_unsupported(device: RenodeDevice) -> None:
    checks: list[tuple[Callable[[], object], str]] = [
        (lambda: device.set_network(down=True), "no network"),
        (lambda: device.set_sensors({"temperature": 1.0}), "sensors"),
        (device.press_button, "BOOT"),
        (lambda: device.cut_power_at_write(1), "flash"),
        (lambda: device.skew_clock(1.0), "RTC"),
    ]
    for attempt, reason in checks:
        with pytest.raises(Unsupported, match=reason):
            attempt()


def test_refusals_are_errors_with_renodes_own_words(device: RenodeDevice) -> None:
    with pytest.raises(RenodeError, match="No such command or device: bogus"):
        device.monitor.execute("bogus --now")
    with pytest.raises(RenodeError, match=r"Could not find file '/nowhere\.repl'"):
        device.monitor.execute("machine LoadPlatformDescription @/nowhere.repl")
    assert device.monitor.execute("machine IsPaused") == "False"  # still talking afterwards
    assert "mach create" in device.monitor.execute("help")


def test_a_monitor_reply_is_not_cut_at_a_parenthesis(tmp_path: Path) -> None:
    port = free_port()
    standin = subprocess.Popen([*STANDIN, "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        monitor = RenodeMonitor(port)
        monitor.connect(30)
        assert monitor.prompt == "monitor"
        text = monitor.execute("help")
        assert text.splitlines()[0] == "Available commands (stand-in subset):"
        assert text.rstrip().endswith("quit")  # lines with (...) inside did not end it
        monitor.quit()
        assert standin.wait(10) == 0
    finally:
        if standin.poll() is None:
            standin.kill()


def test_the_stand_in_greets_like_renodes_telnet_monitor() -> None:
    port = free_port()
    standin = subprocess.Popen([*STANDIN, "--port", str(port)], stdout=subprocess.DEVNULL)
    try:
        monitor = RenodeMonitor(port)
        monitor.connect(30)
        monitor.close()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            greeting = b""
            while not greeting.endswith(b"(monitor) "):
                greeting += raw.recv(1024)
        assert greeting.startswith(NEGOTIATION)  # telnet option negotiation first
        assert b"Renode, version" in greeting
    finally:
        standin.kill()
        standin.wait(10)


def test_without_renode_installed_the_backend_says_so(tmp_path: Path) -> None:
    session = BackendSession(NoCore(), tmp_path)  # type: ignore[arg-type]
    spec = BoardSpec("renode-2", "renode", options={"renode": ["renode-not-installed-here"]})
    with pytest.raises(BackendError, match=r"Renode is not installed.*experimental"):
        RenodeBackend().open(spec, session)


def test_the_platform_files_name_what_the_driver_connects() -> None:
    repl = PLATFORM.read_text()
    assert "uart0: UART.ESP32_UART @ sysbus 0x60000000" in repl
    assert "cpu: CPU.RiscV32 @ sysbus" in repl
    script = SCRIPT.read_text()
    assert "machine LoadPlatformDescription @$ORIGIN/esp32c3.repl" in script
    assert 'CreateServerSocketTerminal $uart_port "uart" false' in script
    assert "connector Connect sysbus.uart0 uart" in script
