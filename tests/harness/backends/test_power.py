"""Power drivers with recorded argvs, and a PTY standing in for an LCUS serial relay."""

from __future__ import annotations

import os
import select
import sys
import tty
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from harness.backends.base import BackendError, Unsupported
from harness.backends.power import Deps, lcus_frame, power_from_config, run_argv
from harness.backends.serialdev import open_serial


class Recorder:
    def __init__(self) -> None:
        self.argvs: list[list[str]] = []
        self.sleeps: list[float] = []

    def run(self, argv: Sequence[str]) -> None:
        self.argvs.append(list(argv))

    def deps(self) -> Deps:
        return Deps(runner=self.run, sleep=self.sleeps.append)


def test_command_driver_runs_the_argvs_it_was_given() -> None:
    rec = Recorder()
    power = power_from_config(
        {
            "driver": "command",
            "power_on": ["relayctl", "3", "on"],
            "power_off": ["relayctl", "3", "off"],
        },
        rec.deps(),
    )
    power.off()
    power.on()
    power.cycle(2.5)
    assert rec.argvs == [
        ["relayctl", "3", "off"],
        ["relayctl", "3", "on"],
        ["relayctl", "3", "off"],
        ["relayctl", "3", "on"],
    ]
    assert rec.sleeps == [2.5]


def test_command_driver_uses_its_cycle_command_with_the_off_time() -> None:
    rec = Recorder()
    power = power_from_config(
        {
            "driver": "command",
            "power_on": ["pdu", "on"],
            "power_off": ["pdu", "off"],
            "cycle": ["pdu", "cycle", "--delay", "{off_for}"],
        },
        rec.deps(),
    )
    power.cycle(1.5)
    assert rec.argvs == [["pdu", "cycle", "--delay", "1.5"]]


def test_uhubctl_switches_one_hub_port() -> None:
    rec = Recorder()
    power = power_from_config({"driver": "uhubctl", "location": "1-1.4", "port": 2}, rec.deps())
    power.cycle(0.0)
    assert rec.argvs == [
        ["uhubctl", "-l", "1-1.4", "-p", "2", "-a", "off"],
        ["uhubctl", "-l", "1-1.4", "-p", "2", "-a", "on"],
    ]
    assert rec.sleeps == [0.5]  # never shorter than the board needs to drain


def test_no_power_control_is_unsupported() -> None:
    for config in (None, {"driver": "none"}):
        with pytest.raises(Unsupported, match="no power control"):
            power_from_config(config).cycle()


def test_config_errors_name_the_driver_and_the_missing_keys() -> None:
    with pytest.raises(BackendError, match=r"unknown power driver 'relay'.*usb-relay"):
        power_from_config({"driver": "relay"})
    with pytest.raises(BackendError, match="needs location, port"):
        power_from_config({"driver": "uhubctl"})


def test_lcus_frames_carry_their_checksum() -> None:
    assert lcus_frame(1, True) == bytes.fromhex("A00101A2")
    assert lcus_frame(1, False) == bytes.fromhex("A00100A1")
    assert lcus_frame(2, True) == bytes.fromhex("A00201A3")


@pytest.fixture
def relay_pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def read_frames(master: int, count: int) -> list[bytes]:
    data = b""
    while len(data) < 4 * count:
        ready, _, _ = select.select([master], [], [], 5)
        assert ready, f"the relay received only {data!r}"
        data += os.read(master, 64)
    return [data[i : i + 4] for i in range(0, len(data), 4)]


def test_usb_relay_writes_lcus_frames_to_its_serial_port(relay_pty: tuple[int, str]) -> None:
    master, path = relay_pty
    bauds: list[int] = []

    def opener(url: str, baud: int) -> Any:
        bauds.append(baud)
        return open_serial(url, baud)

    power = power_from_config(
        {"driver": "usb-relay", "port": path, "channel": 2},
        Deps(opener=opener, sleep=lambda s: None),
    )
    power.on()
    power.cycle(1.0)
    assert read_frames(master, 3) == [
        lcus_frame(2, True),
        lcus_frame(2, False),
        lcus_frame(2, True),
    ]
    assert set(bauds) == {9600}


def test_a_normally_closed_relay_is_opened_to_power_the_board(relay_pty: tuple[int, str]) -> None:
    master, path = relay_pty
    power = power_from_config(
        {"driver": "usb-relay", "port": path, "wiring": "normally-closed"},
        Deps(opener=lambda url, baud: open_serial(url, baud)),
    )
    power.on()
    power.off()
    assert read_frames(master, 2) == [lcus_frame(1, False), lcus_frame(1, True)]


def test_a_failing_power_command_says_what_it_printed() -> None:
    argv = [sys.executable, "-c", "import sys; print('relay busy', file=sys.stderr); sys.exit(3)"]
    with pytest.raises(BackendError, match="exited with 3: relay busy"):
        run_argv(argv)
    run_argv([sys.executable, "-c", "pass"])  # success is silent
