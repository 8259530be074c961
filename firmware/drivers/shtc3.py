"""Sensirion SHTC3 temperature / humidity sensor at I2C address 0x70.

The protocol (reference: board.md, after dbrgn/shtcx-rs): every command is one 2-byte
write, MSB first.  A measurement is::

    wakeup 35 17 -> wait >= 240 us -> measure 78 66 (normal mode, clock stretching
    disabled, temperature first) -> read 6 bytes T_MSB T_LSB T_CRC RH_MSB RH_LSB RH_CRC
    -> sleep B0 98

With clock stretching disabled the sensor NACKs its address while it is still measuring
(at most 12.1 ms in normal mode); ``machine.I2C`` turns the NACK into ``OSError``, so the
driver polls the read with ``delay_ms`` between attempts instead of holding the bus.
Clock stretching is avoided because the ESP32-C3's I2C timeout and the emulator's bus
both handle a NACK more predictably than a stretched clock.

Each word carries a CRC-8 (polynomial 0x31, init 0xFF); a mismatch raises SensorError
rather than returning a wrong reading.  Conversion uses the integer formulas from
shtcx-rs, which give identical results on CPython and on MicroPython's 32-bit floats.
"""

from .errors import SensorError

ADDRESS = 0x70

WAKEUP = b"\x35\x17"
SLEEP = b"\xb0\x98"
SOFT_RESET = b"\x80\x5d"
READ_ID = b"\xef\xc8"
MEASURE_T_FIRST = b"\x78\x66"  # normal mode, clock stretching disabled, T first

MEASURE_MS = 12  # datasheet maximum is 12.1 ms in normal mode; polling covers the rest


def crc8(data):
    """Sensirion's CRC-8: polynomial 0x31, init 0xFF, no reflection, no final XOR."""
    crc = 0xFF
    for b in data:
        crc ^= b
        for _ in range(8):
            if crc & 0x80:
                crc = ((crc << 1) ^ 0x31) & 0xFF
            else:
                crc = (crc << 1) & 0xFF
    return crc


def milli_celsius(raw):
    """Temperature in m°C from the raw word: -45 + 175 * raw / 2**16, in integers."""
    return ((raw * 21875) >> 13) - 45000


def milli_percent(raw):
    """Relative humidity in m%RH from the raw word: 100 * raw / 2**16, in integers."""
    return (raw * 12500) >> 13


def hundredths(milli):
    """Milli-units rounded to hundredths (half up), as a float: 24999 -> 25.0.

    The sensor's resolution is 0.01; rounding here keeps e.g. 25.0 °C, which encodes to
    24.999 °C in the raw word, from showing up as 24.999 in telemetry.
    """
    return ((milli + 5) // 10) / 100


class SHTC3:
    """Driver for one SHTC3.  ``i2c`` is an I2C bus, ``delay_ms(ms)`` waits (virtual time
    in the emulator).  ``polls`` bounds how long a measurement may take: after the first
    ``MEASURE_MS`` wait the read is retried every ``poll_ms`` up to ``polls`` times.
    """

    def __init__(self, i2c, delay_ms, address=ADDRESS, poll_ms=1, polls=20):
        self.i2c = i2c
        self.delay_ms = delay_ms
        self.address = address
        self.poll_ms = poll_ms
        self.polls = polls
        self.sleep_failures = 0  # the sensor would not go back to sleep (it still measured)

    # --- commands ------------------------------------------------------------------------

    def _command(self, cmd, what):
        try:
            self.i2c.writeto(self.address, cmd)
        except OSError as e:
            raise SensorError(
                "SHTC3 at 0x%02x did not acknowledge %s (%s)" % (self.address, what, e)
            )

    def wakeup(self):
        self._command(WAKEUP, "wakeup")
        self.delay_ms(1)  # the sensor needs up to 240 us

    def sleep(self):
        self._command(SLEEP, "sleep")

    def soft_reset(self):
        self._command(SOFT_RESET, "soft reset")
        self.delay_ms(1)

    def _sleep_quietly(self):
        try:
            self.sleep()
        except SensorError:
            self.sleep_failures += 1

    def _check(self, frame, at, what):
        got = frame[at + 2]
        want = crc8(frame[at : at + 2])
        if got != want:
            raise SensorError(
                "SHTC3 at 0x%02x: CRC mismatch on the %s word %02x %02x: "
                "got 0x%02x, expected 0x%02x"
                % (self.address, what, frame[at], frame[at + 1], got, want)
            )
        return (frame[at] << 8) | frame[at + 1]

    # --- reads -----------------------------------------------------------------------------

    def read_id(self):
        """The 16-bit ID register (an SHTC3 reads ``xxxx 1xxx xx00 0111``)."""
        self.wakeup()
        try:
            self._command(READ_ID, "read-ID")
            try:
                frame = self.i2c.readfrom(self.address, 3)
            except OSError as e:
                raise SensorError("SHTC3 at 0x%02x: reading the ID failed (%s)" % (self.address, e))
            if len(frame) != 3:
                raise SensorError(
                    "SHTC3 at 0x%02x: ID read returned %d bytes, expected 3"
                    % (self.address, len(frame))
                )
            return self._check(frame, 0, "ID")
        finally:
            self._sleep_quietly()

    def measure_raw(self):
        """One measurement: the raw (temperature, humidity) words, CRC-checked."""
        self.wakeup()
        try:
            self._command(MEASURE_T_FIRST, "the measure command")
            self.delay_ms(MEASURE_MS)
            frame = None
            attempts = 0
            while True:
                attempts += 1
                try:
                    frame = self.i2c.readfrom(self.address, 6)
                    break
                except OSError as e:  # NACK: still measuring
                    if attempts > self.polls:
                        raise SensorError(
                            "SHTC3 at 0x%02x: no measurement after %d ms "
                            "(%d reads NACKed; last: %s)"
                            % (
                                self.address,
                                MEASURE_MS + self.polls * self.poll_ms,
                                attempts,
                                e,
                            )
                        )
                    self.delay_ms(self.poll_ms)
            if len(frame) != 6:
                raise SensorError(
                    "SHTC3 at 0x%02x: measurement read returned %d bytes, expected 6"
                    % (self.address, len(frame))
                )
            t = self._check(frame, 0, "temperature")
            rh = self._check(frame, 3, "humidity")
            return t, rh
        finally:
            self._sleep_quietly()

    def measure(self):
        """(m°C, m%RH) as integers, identical on every platform."""
        t, rh = self.measure_raw()
        return milli_celsius(t), milli_percent(rh)

    def read(self):
        """(°C, %RH) as floats rounded to hundredths."""
        t, rh = self.measure()
        return hundredths(t), hundredths(rh)
