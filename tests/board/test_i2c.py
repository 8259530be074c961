"""The I2C bus: addressing, absent devices, errno, machine.I2C extras, bus time."""

from __future__ import annotations

import errno

import pytest

from emulator.board.clock import VirtualClock
from emulator.board.i2c import Nack, VirtualI2C
from emulator.board.models import Environment
from emulator.board.shtc3 import SHTC3


class Echo:
    address = 0x42

    def __init__(self) -> None:
        self.last = b""

    def i2c_write(self, data: bytes) -> None:
        if data == b"\xff":
            raise Nack("data", "no")
        self.last = data

    def i2c_read(self, nbytes: int) -> bytes:
        return (self.last * nbytes)[:nbytes]

    def power_on_reset(self) -> None:
        self.last = b""


def test_absent_address_raises_enodev() -> None:
    bus = VirtualI2C(VirtualClock())
    for call in (lambda: bus.writeto(0x50, b"\x00"), lambda: bus.readfrom(0x50, 1)):
        with pytest.raises(OSError) as info:
            call()
        assert info.value.errno == errno.ENODEV
    assert bus.nacks == 2


def test_data_nack_raises_eio_and_transfers_work() -> None:
    bus = VirtualI2C(VirtualClock())
    bus.attach(Echo())
    assert bus.writeto(0x42, b"ab") == 2
    assert bus.readfrom(0x42, 3) == b"aba"
    assert bus.writeto_then_readfrom(0x42, b"z", 2) == b"zz"
    assert bus.readfrom_mem(0x42, 0x07, 1) == b"\x07"
    buf = bytearray(2)
    bus.readfrom_into(0x42, buf)
    assert buf == b"\x07\x07"
    with pytest.raises(OSError) as info:
        bus.writeto(0x42, b"\xff")
    assert info.value.errno == errno.EIO


def test_scan_detach_and_duplicate_addresses() -> None:
    clock = VirtualClock()
    bus = VirtualI2C(clock)
    bus.attach(Echo())
    bus.attach(SHTC3(clock, Environment()))
    assert bus.scan() == [0x42, 0x70]
    with pytest.raises(ValueError):
        bus.attach(Echo())
    bus.detach(0x70)  # a disconnected sensor
    assert bus.scan() == [0x42]


def test_bus_time_is_consumed_only_when_asked() -> None:
    clock = VirtualClock()
    bus = VirtualI2C(clock)
    bus.attach(Echo())
    bus.writeto(0x42, b"ab")
    assert clock.now() == 0.0
    bus.bus_time = True
    bus.writeto(0x42, b"ab")
    assert clock.now() == pytest.approx(27 / 400_000)


def test_guard_runs_before_every_transfer() -> None:
    class Off(Exception):
        pass

    def guard() -> None:
        raise Off

    bus = VirtualI2C(VirtualClock(), guard=guard)
    bus.attach(Echo())
    with pytest.raises(Off):
        bus.readfrom(0x42, 1)
