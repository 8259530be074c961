"""ICM-42670-P at 0x68: register pointer, WHO_AM_I, power modes, scaling, soft reset."""

from __future__ import annotations

import struct

import pytest

from emulator.board.clock import VirtualClock
from emulator.board.i2c import VirtualI2C
from emulator.board.icm42670 import ICM42670
from emulator.board.models import Environment, Sequence

ADDR = 0x68

Rig = tuple[VirtualClock, VirtualI2C, Environment]


@pytest.fixture
def rig() -> Rig:
    clock = VirtualClock()
    env = Environment()
    bus = VirtualI2C(clock)
    bus.attach(ICM42670(clock, env))
    return clock, bus, env


def read_block(bus: VirtualI2C) -> tuple[int, ...]:
    """TEMP, ACCEL X/Y/Z, GYRO X/Y/Z as one burst from TEMP_DATA1 (0x09)."""
    return struct.unpack(">7h", bus.readfrom_mem(ADDR, 0x09, 14))


def test_who_am_i(rig: Rig) -> None:
    _, bus, _ = rig
    assert bus.readfrom_mem(ADDR, 0x75, 1) == b"\x67"


def test_asleep_at_power_on_data_reads_invalid(rig: Rig) -> None:
    _, bus, _ = rig
    assert bus.readfrom_mem(ADDR, 0x1F, 1) == b"\x00"
    assert bus.readfrom_mem(ADDR, 0x00, 1) == b"\x00"
    assert read_block(bus) == (-32768,) * 7


def test_low_noise_mode_with_default_full_scale(rig: Rig) -> None:
    _, bus, env = rig
    env.set(
        accel_x=0.5, accel_y=-1.0, accel_z=1.0, gyro_x=100.0, gyro_z=-250.0, imu_temperature=30.0
    )
    bus.writeto_mem(ADDR, 0x1F, b"\x0f")
    assert bus.readfrom_mem(ADDR, 0x00, 1) == b"\x08"
    temp, ax, ay, az, gx, gy, gz = read_block(bus)
    assert temp == 640  # (30 - 25) * 128
    assert (ax, ay, az) == (1024, -2048, 2048)  # +-16 g: 2048 LSB/g
    assert (gx, gy, gz) == (1640, 0, -4100)  # +-2000 dps: 16.4 LSB/dps


@pytest.mark.parametrize(
    ("fs_sel", "lsb_g", "lsb_dps"),
    [(0, 2048, 16.4), (1, 4096, 32.8), (2, 8192, 65.5), (3, 16384, 131.0)],
)
def test_full_scale_selection(rig: Rig, fs_sel: int, lsb_g: int, lsb_dps: float) -> None:
    _, bus, env = rig
    env.set(accel_x=0.25, gyro_y=10.0)
    bus.writeto_mem(ADDR, 0x1F, b"\x0f")
    bus.writeto_mem(ADDR, 0x20, bytes([(fs_sel << 5) | 0x06]))
    bus.writeto_mem(ADDR, 0x21, bytes([(fs_sel << 5) | 0x06]))
    _, ax, _, _, _, gy, _ = read_block(bus)
    assert ax == round(0.25 * lsb_g)
    assert gy == round(10.0 * lsb_dps)


def test_saturation_at_int16(rig: Rig) -> None:
    _, bus, env = rig
    env.set(accel_x=5.0)  # beyond +-2 g
    bus.writeto_mem(ADDR, 0x1F, b"\x0f")
    bus.writeto_mem(ADDR, 0x21, b"\x66")
    assert read_block(bus)[1] == 32767


def test_accel_only_leaves_gyro_invalid_and_standby_gives_no_gyro_data(rig: Rig) -> None:
    _, bus, _ = rig
    bus.writeto_mem(ADDR, 0x1F, b"\x07")  # gyro standby (01), accel low noise (11)
    temp, _, _, az, gx, gy, gz = read_block(bus)
    assert az == 2048 and temp == 0
    assert (gx, gy, gz) == (-32768,) * 3


def test_register_pointer_auto_increments_and_persists(rig: Rig) -> None:
    _, bus, _ = rig
    bus.writeto(ADDR, bytes([0x20, 0x46, 0x26]))  # burst write GYRO_CONFIG0, ACCEL_CONFIG0
    assert bus.readfrom_mem(ADDR, 0x20, 2) == b"\x46\x26"
    bus.writeto(ADDR, b"\x74")
    assert bus.readfrom(ADDR, 1) == b"\x00"
    assert bus.readfrom(ADDR, 1) == b"\x67"  # the pointer moved on to WHO_AM_I


def test_read_only_registers_ignore_writes(rig: Rig) -> None:
    _, bus, _ = rig
    bus.writeto_mem(ADDR, 0x75, b"\x00")
    assert bus.readfrom_mem(ADDR, 0x75, 1) == b"\x67"


def test_soft_reset_restores_power_on_values(rig: Rig) -> None:
    _, bus, _ = rig
    bus.writeto_mem(ADDR, 0x1F, b"\x0f")
    bus.writeto_mem(ADDR, 0x21, b"\x66")
    bus.writeto_mem(ADDR, 0x02, b"\x10")
    assert bus.readfrom_mem(ADDR, 0x02, 1) == b"\x00"
    assert bus.readfrom_mem(ADDR, 0x1F, 1) == b"\x00"
    assert bus.readfrom_mem(ADDR, 0x21, 1) == b"\x06"


def test_values_follow_the_model_at_read_time(rig: Rig) -> None:
    clock, bus, env = rig
    env.set(accel_z=Sequence([(0, 1.0), (10, -1.0)]))
    bus.writeto_mem(ADDR, 0x1F, b"\x0f")
    assert read_block(bus)[3] == 2048
    clock.advance(10)
    assert read_block(bus)[3] == -2048
