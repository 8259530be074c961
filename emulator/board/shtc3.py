"""Sensirion SHTC3 temperature/humidity sensor at I2C 0x70, byte-exact.

Why: the firmware's SHTC3 driver is the code that ships; it must meet the same bytes,
timing and refusals here as on the board (reference/board.md, from dbrgn/shtcx-rs and the
datasheet):

* every command is one 2-byte write, MSB first; results are read as
  ``T_MSB T_LSB CRC RH_MSB RH_LSB CRC`` (swapped for "RH first" commands), a 3-byte read
  returns only the first word and its CRC; bytes past the 6th read as 0xFF (nobody drives
  SDA, the pull-ups win);
* a measurement takes 12.1 ms (normal) or 0.8 ms (low power) of **virtual** time, counted
  from the command; with clock stretching *disabled* a read before then is NACKed on the
  address (``OSError`` ENODEV); with stretching *enabled* the read is held until the
  conversion is done (the bus consumes the remaining virtual time) and then completes;
* while a measurement runs, any transfer is NACKed on the address (the sensor is busy);
* after ``sleep`` (``B0 98``) only ``wakeup`` (``35 17``) is acknowledged: other command
  bytes are NACKed (``EIO``: the address is acknowledged, the data byte is not) and reads
  are NACKed on the address; ``wakeup`` and ``soft reset`` leave the sensor busy for 240 µs;
* reading with no result pending (nothing measured, or the result already read) is NACKed
  on the address;
* values are sampled from the :class:`~emulator.board.models.Environment` at the virtual
  time of the measure command, converted with the datasheet's inverse formula and clamped to
  the 16-bit range.

Not modelled: the self-heating and accuracy of the real part, the exact wakeup timing
(240 µs is the datasheet maximum), general-call reset, and bus-level clock stretching limits
of the ESP32's I2C controller (a real C3 times out a stretch after ``timeout`` µs).
"""

from __future__ import annotations

from typing import NamedTuple

from .clock import Clock
from .crc import crc8
from .i2c import Nack
from .models import Environment

ADDRESS = 0x70

WAKEUP = 0x3517
SLEEP = 0xB098
SOFT_RESET = 0x805D
READ_ID = 0xEFC8

#: The ID register value; (id & 0x3F) | ((id & 0x0800) >> 5) == 0x47 identifies an SHTC3.
ID_WORD = 0x0807

NORMAL_TIME = 0.0121
LOW_POWER_TIME = 0.0008
WAKEUP_TIME = 0.000240


class MeasureMode(NamedTuple):
    low_power: bool
    clock_stretching: bool
    temperature_first: bool


MEASURE: dict[int, MeasureMode] = {
    0x7866: MeasureMode(low_power=False, clock_stretching=False, temperature_first=True),
    0x58E0: MeasureMode(low_power=False, clock_stretching=False, temperature_first=False),
    0x609C: MeasureMode(low_power=True, clock_stretching=False, temperature_first=True),
    0x401A: MeasureMode(low_power=True, clock_stretching=False, temperature_first=False),
    0x7CA2: MeasureMode(low_power=False, clock_stretching=True, temperature_first=True),
    0x5C24: MeasureMode(low_power=False, clock_stretching=True, temperature_first=False),
    0x6458: MeasureMode(low_power=True, clock_stretching=True, temperature_first=True),
    0x44DE: MeasureMode(low_power=True, clock_stretching=True, temperature_first=False),
}


def temperature_to_raw(celsius: float) -> int:
    """Datasheet inverse: ``S_T = round((T + 45) * 65536 / 175)``, clamped to 16 bits."""
    return min(0xFFFF, max(0, round((celsius + 45.0) * 65536.0 / 175.0)))


def humidity_to_raw(percent: float) -> int:
    """Datasheet inverse: ``S_RH = round(RH * 65536 / 100)``, clamped to 16 bits."""
    return min(0xFFFF, max(0, round(percent * 65536.0 / 100.0)))


def raw_to_millicelsius(raw: int) -> int:
    """shtcx's integer conversion (what a portable driver should compute)."""
    return ((raw * 21875) >> 13) - 45000


def raw_to_millipercent(raw: int) -> int:
    return (raw * 12500) >> 13


def word(value: int) -> bytes:
    """A 16-bit word as the sensor sends it: MSB, LSB, CRC."""
    data = value.to_bytes(2, "big")
    return data + bytes([crc8(data)])


class SHTC3:
    """The sensor's state machine; attach it to a :class:`~emulator.board.i2c.VirtualI2C`."""

    address = ADDRESS

    def __init__(self, clock: Clock, env: Environment) -> None:
        self._clock = clock
        self._env = env
        self.asleep = False
        self._busy_until = 0.0
        self._measuring = False
        self._stretch = False
        self._result: bytes | None = None
        self.measurements = 0
        self.last_frame: bytes | None = None

    @property
    def state(self) -> str:
        """``sleep``, ``measuring``, ``busy`` (waking/resetting) or ``idle``."""
        if self.asleep:
            return "sleep"
        if self._clock.now() < self._busy_until:
            return "measuring" if self._measuring else "busy"
        return "idle"

    def power_on_reset(self) -> None:
        # After power-up the SHTC3 is in idle state, ready for commands (not asleep).
        self.asleep = False
        self._busy_until = 0.0
        self._measuring = False
        self._result = None

    # --- I2C --------------------------------------------------------------------------------

    def i2c_write(self, data: bytes) -> None:
        self._refuse_while_busy()
        if not data:
            return  # an address probe (scan) is acknowledged, asleep or not
        if len(data) == 1:
            return  # half a command, then STOP: acknowledged and ignored
        if len(data) > 2:
            raise Nack("data", "commands are 2 bytes; the third byte is not acknowledged")
        command = (data[0] << 8) | data[1]
        if self.asleep and command != WAKEUP:
            raise Nack("data", f"asleep: command 0x{command:04X} is not acknowledged")
        if command == WAKEUP:
            if self.asleep:
                self.asleep = False
                self._busy(WAKEUP_TIME, measuring=False)
        elif command == SLEEP:
            self.asleep = True
            self._result = None
        elif command == SOFT_RESET:
            self._result = None
            self._busy(WAKEUP_TIME, measuring=False)
        elif command == READ_ID:
            self._result = word(ID_WORD)
        elif command in MEASURE:
            self._measure(MEASURE[command])
        else:
            raise Nack("data", f"unknown command 0x{command:04X}")

    def i2c_read(self, nbytes: int) -> bytes:
        now = self._clock.now()
        if self.asleep:
            raise Nack("address", "asleep")
        if now < self._busy_until:
            if not (self._measuring and self._stretch):
                raise Nack("address", "measurement in progress" if self._measuring else "busy")
            self._clock.consume(self._busy_until - now)  # the sensor holds SCL low
        if self._result is None:
            raise Nack("address", "no result to read")
        frame, self._result = self._result, None
        self._measuring = False
        return frame[:nbytes] + b"\xff" * max(0, nbytes - len(frame))

    # --- internals -------------------------------------------------------------------------

    def _refuse_while_busy(self) -> None:
        if self._clock.now() < self._busy_until:
            raise Nack("address", "measurement in progress" if self._measuring else "busy")

    def _busy(self, seconds: float, *, measuring: bool) -> None:
        self._busy_until = self._clock.now() + seconds
        self._measuring = measuring

    def _measure(self, mode: MeasureMode) -> None:
        now = self._clock.now()
        t_word = word(temperature_to_raw(self._env.value("temperature", now)))
        rh_word = word(humidity_to_raw(self._env.value("humidity", now)))
        self._result = t_word + rh_word if mode.temperature_first else rh_word + t_word
        self.last_frame = self._result
        self.measurements += 1
        self._stretch = mode.clock_stretching
        self._busy(LOW_POWER_TIME if mode.low_power else NORMAL_TIME, measuring=True)
