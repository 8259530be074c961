"""TDK ICM-42670-P 6-axis IMU at I2C 0x68 (AD0 low), register level.

Why: the firmware's IMU driver reads registers over I2C; the model answers the
register-pointer protocol of the real part (reference/board.md, from jessebraham/icm42670):

* a write ``[reg]`` sets the register pointer; ``[reg, v0, v1, ...]`` writes ``v0`` to
  ``reg``, ``v1`` to ``reg+1`` ... (auto-increment); a read returns bytes from the pointer
  on, incrementing it (wrapping at 0xFF); a burst read is one consistent sample;
* WHO_AM_I (0x75) reads 0x67; MCLK_RDY (0x00) reads 0x08 (bit 3) while a sensor is on;
* TEMP_DATA1/0 (0x09/0x0A), ACCEL_DATA_X1..Z0 (0x0B-0x10), GYRO_DATA_X1..Z0 (0x11-0x16):
  big-endian int16 from the :class:`~emulator.board.models.Environment` at the virtual
  time of the read, scaled by FS_SEL (bits 6:5) of ACCEL_CONFIG0 (0x21: 0 = ±16 g, 2048
  LSB/g ... 3 = ±2 g, 16384 LSB/g) and GYRO_CONFIG0 (0x20: 0 = ±2000 dps, 16.4 LSB/dps ...
  3 = ±250 dps, 131 LSB/dps), saturated to the int16 range; temperature = (T - 25) * 128;
* PWR_MGMT0 (0x1F): ACCEL_MODE bits 1:0 (2 = low power, 3 = low noise: on), GYRO_MODE bits
  3:2 (3 = low noise: on; 1 = standby: no data).  Power-on default 0x00: both asleep.
  **Decision** (the datasheet's "invalid sample" value): the data registers of a sensor
  that is off read 0x8000 (-32768); TEMP_DATA reads 0x8000 while both sensors are off;
* SIGNAL_PATH_RESET (0x02) bit 4 (SOFT_RESET_DEVICE_CONFIG) restores the power-on register
  values (the bit itself reads back 0).  GYRO_CONFIG0 and ACCEL_CONFIG0 reset to 0x06
  (FS_SEL 0, ODR 800 Hz); other writable registers reset to 0 and simply store what is
  written.

Not modelled: sensor start-up times (data is valid as soon as a mode is set), output data
rate and filtering (every read is a fresh sample), the FIFO (FIFO_COUNT reads 0), interrupts,
the APEX motion features and the MREG banks behind BLK_SEL/MADDR (stored, never acted on),
the reset delay after a soft reset, and noise unless the environment adds it.
"""

from __future__ import annotations

from .clock import Clock
from .i2c import Nack
from .models import Environment

ADDRESS = 0x68

MCLK_RDY = 0x00
SIGNAL_PATH_RESET = 0x02
TEMP_DATA1 = 0x09
ACCEL_DATA_X1 = 0x0B
GYRO_DATA_X1 = 0x11
PWR_MGMT0 = 0x1F
GYRO_CONFIG0 = 0x20
ACCEL_CONFIG0 = 0x21
WHO_AM_I = 0x75
WHO_AM_I_VALUE = 0x67

SOFT_RESET_BIT = 0x10
INVALID = -32768

ACCEL_LSB_PER_G = (2048.0, 4096.0, 8192.0, 16384.0)
GYRO_LSB_PER_DPS = (16.4, 32.8, 65.5, 131.0)

_DEFAULTS = {GYRO_CONFIG0: 0x06, ACCEL_CONFIG0: 0x06}
_READ_ONLY = frozenset({MCLK_RDY, WHO_AM_I, *range(TEMP_DATA1, GYRO_DATA_X1 + 6)})


def _int16(value: float) -> int:
    return max(-32768, min(32767, round(value)))


class ICM42670:
    """Register file plus live data registers; attach to a :class:`VirtualI2C`."""

    address = ADDRESS

    def __init__(self, clock: Clock, env: Environment) -> None:
        self._clock = clock
        self._env = env
        self._regs = bytearray(256)
        self._pointer = 0
        self.power_on_reset()

    def power_on_reset(self) -> None:
        self._regs[:] = bytes(256)
        for reg, value in _DEFAULTS.items():
            self._regs[reg] = value
        self._regs[WHO_AM_I] = WHO_AM_I_VALUE
        self._pointer = 0

    # --- state ----------------------------------------------------------------------------

    @property
    def accel_on(self) -> bool:
        return self._regs[PWR_MGMT0] & 0x03 in (2, 3)

    @property
    def gyro_on(self) -> bool:
        return (self._regs[PWR_MGMT0] >> 2) & 0x03 == 3

    @property
    def accel_lsb_per_g(self) -> float:
        return ACCEL_LSB_PER_G[(self._regs[ACCEL_CONFIG0] >> 5) & 0x03]

    @property
    def gyro_lsb_per_dps(self) -> float:
        return GYRO_LSB_PER_DPS[(self._regs[GYRO_CONFIG0] >> 5) & 0x03]

    def register(self, reg: int) -> int:
        """A register's value as a read would return it now (for tests and debugging)."""
        return self._snapshot()[reg]

    # --- I2C --------------------------------------------------------------------------------

    def i2c_write(self, data: bytes) -> None:
        if not data:
            return
        self._pointer = data[0]
        for value in data[1:]:
            self._store(self._pointer, value)
            self._pointer = (self._pointer + 1) & 0xFF

    def i2c_read(self, nbytes: int) -> bytes:
        if nbytes < 0:
            raise Nack("address", "negative length")
        regs = self._snapshot()
        out = bytearray()
        for _ in range(nbytes):
            out.append(regs[self._pointer])
            self._pointer = (self._pointer + 1) & 0xFF
        return bytes(out)

    # --- internals -------------------------------------------------------------------------

    def _store(self, reg: int, value: int) -> None:
        if reg == SIGNAL_PATH_RESET:
            if value & SOFT_RESET_BIT:
                pointer = self._pointer
                self.power_on_reset()
                self._pointer = pointer
            return  # FIFO_FLUSH and the reset bit self-clear
        if reg in _READ_ONLY:
            return
        self._regs[reg] = value

    def _snapshot(self) -> bytearray:
        regs = bytearray(self._regs)
        now = self._clock.now()
        accel_on, gyro_on = self.accel_on, self.gyro_on
        regs[MCLK_RDY] = 0x08 if accel_on or gyro_on else 0x00
        if accel_on or gyro_on:
            temp = _int16((self._env.value("imu_temperature", now) - 25.0) * 128.0)
        else:
            temp = INVALID
        values = [temp]
        for axis in ("x", "y", "z"):
            g = self._env.value(f"accel_{axis}", now)
            values.append(_int16(g * self.accel_lsb_per_g) if accel_on else INVALID)
        for axis in ("x", "y", "z"):
            dps = self._env.value(f"gyro_{axis}", now)
            values.append(_int16(dps * self.gyro_lsb_per_dps) if gyro_on else INVALID)
        for i, value in enumerate(values):
            regs[TEMP_DATA1 + 2 * i : TEMP_DATA1 + 2 * i + 2] = (value & 0xFFFF).to_bytes(2, "big")
        return regs
