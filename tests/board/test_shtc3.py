"""SHTC3 at 0x70, byte-exact: commands, frames, CRC, timing in virtual time, sleep, NACKs."""

from __future__ import annotations

import errno

import pytest

from emulator.board.clock import VirtualClock
from emulator.board.crc import crc8
from emulator.board.i2c import VirtualI2C
from emulator.board.models import Environment
from emulator.board.shtc3 import (
    SHTC3,
    humidity_to_raw,
    raw_to_millicelsius,
    raw_to_millipercent,
    temperature_to_raw,
)

ADDR = 0x70
# The datasheet example frame: 64 8B C7 A1 33 1C -> 23.730 degC, 62.968 %RH.
EXAMPLE_T = -45 + 175 * 0x648B / 65536
EXAMPLE_RH = 100 * 0xA133 / 65536

T_FIRST = {
    "normal/no-stretch": bytes.fromhex("7866"),
    "low/no-stretch": bytes.fromhex("609C"),
    "normal/stretch": bytes.fromhex("7CA2"),
    "low/stretch": bytes.fromhex("6458"),
}
RH_FIRST = {
    "normal/no-stretch": bytes.fromhex("58E0"),
    "low/no-stretch": bytes.fromhex("401A"),
    "normal/stretch": bytes.fromhex("5C24"),
    "low/stretch": bytes.fromhex("44DE"),
}

Rig = tuple[VirtualClock, VirtualI2C, SHTC3, Environment]


@pytest.fixture
def rig() -> Rig:
    clock = VirtualClock()
    env = Environment()
    env.set(temperature=EXAMPLE_T, humidity=EXAMPLE_RH)
    bus = VirtualI2C(clock)
    sensor = SHTC3(clock, env)
    bus.attach(sensor)
    return clock, bus, sensor, env


def nack_errno(fn: object, *args: object) -> int:
    with pytest.raises(OSError) as info:
        fn(*args)  # type: ignore[operator]
    assert info.value.errno is not None
    return info.value.errno


@pytest.mark.parametrize(
    ("data", "crc"),
    [
        (b"\xbe\xef", 0x92),
        (b"\x00", 0xAC),
        (b"\x64\x8b", 0xC7),
        (b"\xa1\x33", 0x1C),
        (b"\x08\x07", 0x21),
    ],
)
def test_crc8_vectors(data: bytes, crc: int) -> None:
    assert crc8(data) == crc


def test_conversions_match_the_datasheet() -> None:
    assert temperature_to_raw(25.0) == 0x6666
    assert humidity_to_raw(50.0) == 0x8000
    assert raw_to_millicelsius(0x648B) == 23730
    assert raw_to_millipercent(0xA133) == 62968
    assert temperature_to_raw(500.0) == 0xFFFF
    assert humidity_to_raw(-3.0) == 0


@pytest.mark.parametrize("mode", list(T_FIRST))
def test_datasheet_frame_for_every_t_first_command(rig: Rig, mode: str) -> None:
    clock, bus, _, _ = rig
    bus.writeto(ADDR, T_FIRST[mode])
    clock.consume(0.0121)
    assert bus.readfrom(ADDR, 6) == bytes.fromhex("648BC7A1331C")


@pytest.mark.parametrize("mode", list(RH_FIRST))
def test_rh_first_commands_swap_the_words(rig: Rig, mode: str) -> None:
    clock, bus, _, _ = rig
    bus.writeto(ADDR, RH_FIRST[mode])
    clock.consume(0.0121)
    assert bus.readfrom(ADDR, 6) == bytes.fromhex("A1331C648BC7")


def test_three_byte_read_returns_the_first_word_and_its_crc(rig: Rig) -> None:
    clock, bus, _, _ = rig
    bus.writeto(ADDR, bytes.fromhex("7866"))
    clock.consume(0.02)
    assert bus.readfrom(ADDR, 3) == bytes.fromhex("648BC7")
    # The result was consumed by that read: nothing left to read.
    assert nack_errno(bus.readfrom, ADDR, 6) == errno.ENODEV


def test_read_past_six_bytes_reads_pulled_up_ones(rig: Rig) -> None:
    clock, bus, _, _ = rig
    bus.writeto(ADDR, bytes.fromhex("7866"))
    clock.consume(0.02)
    assert bus.readfrom(ADDR, 8)[6:] == b"\xff\xff"


@pytest.mark.parametrize(("command", "duration"), [("7866", 0.0121), ("609C", 0.0008)])
def test_read_before_conversion_is_nacked_without_stretching(
    rig: Rig, command: str, duration: float
) -> None:
    clock, bus, sensor, _ = rig
    bus.writeto(ADDR, bytes.fromhex(command))
    clock.consume(duration * 0.9)
    assert sensor.state == "measuring"
    assert nack_errno(bus.readfrom, ADDR, 6) == errno.ENODEV
    # Any transfer while measuring is refused on the address, a command too.
    assert nack_errno(bus.writeto, ADDR, bytes.fromhex("EFC8")) == errno.ENODEV
    clock.consume(duration * 0.11)
    assert bus.readfrom(ADDR, 6) == bytes.fromhex("648BC7A1331C")


@pytest.mark.parametrize(("command", "duration"), [("7CA2", 0.0121), ("6458", 0.0008)])
def test_read_with_stretching_completes_after_the_conversion_time(
    rig: Rig, command: str, duration: float
) -> None:
    clock, bus, _, _ = rig
    start = clock.now()
    bus.writeto(ADDR, bytes.fromhex(command))
    assert bus.readfrom(ADDR, 6) == bytes.fromhex("648BC7A1331C")
    assert clock.now() - start == pytest.approx(duration)


def test_values_are_sampled_at_the_measure_command(rig: Rig) -> None:
    clock, bus, _, env = rig
    env.set(temperature=25.0, humidity=50.0)
    bus.writeto(ADDR, bytes.fromhex("7866"))
    env.set(temperature=99.0)
    clock.consume(0.0121)
    frame = bus.readfrom(ADDR, 6)
    assert frame[:2] == b"\x66\x66" and frame[3:5] == b"\x80\x00"


def test_read_id(rig: Rig) -> None:
    _, bus, _, _ = rig
    bus.writeto(ADDR, bytes.fromhex("EFC8"))
    ident = bus.readfrom(ADDR, 3)
    assert ident == bytes.fromhex("080721")
    word = int.from_bytes(ident[:2], "big")
    assert (word & 0x3F) | ((word & 0x0800) >> 5) == 0x47


def test_sleep_acknowledges_only_wakeup(rig: Rig) -> None:
    clock, bus, sensor, _ = rig
    bus.writeto(ADDR, bytes.fromhex("B098"))
    assert sensor.state == "sleep"
    for command in ("7866", "EFC8", "805D", "B098"):
        assert nack_errno(bus.writeto, ADDR, bytes.fromhex(command)) == errno.EIO
    assert nack_errno(bus.readfrom, ADDR, 3) == errno.ENODEV
    assert bus.scan() == [ADDR]  # the address itself is acknowledged (it hears the wakeup)
    bus.writeto(ADDR, bytes.fromhex("3517"))
    # 240 us to wake up: a command right away is refused, one after the wait accepted.
    assert nack_errno(bus.writeto, ADDR, bytes.fromhex("7866")) == errno.ENODEV
    clock.consume(0.000240)
    bus.writeto(ADDR, bytes.fromhex("7866"))
    clock.consume(0.0121)
    assert bus.readfrom(ADDR, 6) == bytes.fromhex("648BC7A1331C")


def test_sleep_discards_a_pending_result(rig: Rig) -> None:
    clock, bus, _, _ = rig
    bus.writeto(ADDR, bytes.fromhex("7866"))
    clock.consume(0.02)
    bus.writeto(ADDR, bytes.fromhex("B098"))
    bus.writeto(ADDR, bytes.fromhex("3517"))
    clock.consume(0.001)
    assert nack_errno(bus.readfrom, ADDR, 6) == errno.ENODEV


def test_soft_reset_clears_state_and_takes_240_us(rig: Rig) -> None:
    clock, bus, sensor, _ = rig
    bus.writeto(ADDR, bytes.fromhex("EFC8"))
    bus.writeto(ADDR, bytes.fromhex("805D"))
    assert sensor.state == "busy"
    assert nack_errno(bus.readfrom, ADDR, 3) == errno.ENODEV
    clock.consume(0.000240)
    assert sensor.state == "idle"
    assert nack_errno(bus.readfrom, ADDR, 3) == errno.ENODEV  # the ID answer was dropped


def test_unknown_commands_and_bad_lengths_are_nacked_on_data(rig: Rig) -> None:
    _, bus, _, _ = rig
    assert nack_errno(bus.writeto, ADDR, bytes.fromhex("1234")) == errno.EIO
    assert nack_errno(bus.writeto, ADDR, bytes.fromhex("786600")) == errno.EIO


def test_reading_with_nothing_measured_is_nacked(rig: Rig) -> None:
    _, bus, _, _ = rig
    assert nack_errno(bus.readfrom, ADDR, 6) == errno.ENODEV


def test_power_on_reset_wakes_the_sensor(rig: Rig) -> None:
    _, bus, sensor, _ = rig
    bus.writeto(ADDR, bytes.fromhex("B098"))
    bus.power_on_reset()
    assert sensor.state == "idle"
    bus.writeto(ADDR, bytes.fromhex("EFC8"))
