"""TDK InvenSense ICM-42670-P 6-axis IMU at I2C address 0x68.

Register-pointer protocol (reference: board.md, after jessebraham/icm42670): write
``[reg]`` then read with a repeated start, or write ``[reg, value]``.  The driver checks
WHO_AM_I (0x75 must read 0x67: an ICM-42607 reads 0x60 and has other scales), switches
accelerometer and gyroscope to low-noise mode through PWR_MGMT0 (0x1F = 0x0F; the power-on
default is sleep, which reads zeros), and reads TEMP_DATA1 through GYRO_DATA_Z0
(0x09-0x16) in one 14-byte burst so the seven values come from the same sample.  Values
are big-endian int16, scaled by the full-scale range selected in ACCEL_CONFIG0 /
GYRO_CONFIG0 bits 6:5 (FS_SEL), read back from the chip rather than assumed.
"""

from .errors import SensorError

ADDRESS = 0x68
EXPECTED_WHO_AM_I = 0x67

TEMP_DATA1 = 0x09  # first of 14 data bytes: temp, accel x/y/z, gyro x/y/z
PWR_MGMT0 = 0x1F
GYRO_CONFIG0 = 0x20
ACCEL_CONFIG0 = 0x21
WHO_AM_I = 0x75

LOW_NOISE = 0x0F  # GYRO_MODE = 11, ACCEL_MODE = 11

# LSB per unit for FS_SEL 0..3.  Gyro figures are in tenths (16.4 -> 164) to stay integer.
ACCEL_LSB_PER_G = (2048, 4096, 8192, 16384)  # ±16, ±8, ±4, ±2 g
GYRO_LSB_PER_10DPS = (164, 328, 655, 1310)  # ±2000, ±1000, ±500, ±250 dps
ACCEL_RANGE_G = (16, 8, 4, 2)
GYRO_RANGE_DPS = (2000, 1000, 500, 250)

STARTUP_MS = 45  # gyroscope start-up after leaving sleep


def int16(hi, lo):
    v = (hi << 8) | lo
    return v - 0x10000 if v & 0x8000 else v


def fs_sel(config_byte):
    return (config_byte >> 5) & 0x03


class ICM42670:
    """Driver for one ICM-42670-P.  Call :meth:`init` once (it checks the chip), then
    :meth:`read`.  ``accel_fs`` / ``gyro_fs`` (FS_SEL 0-3) set the ranges when given,
    otherwise the chip's current setting is used.
    """

    def __init__(self, i2c, delay_ms, address=ADDRESS):
        self.i2c = i2c
        self.delay_ms = delay_ms
        self.address = address
        self.ready = False
        self.accel_fs = 0
        self.gyro_fs = 0

    def _read(self, reg, n):
        try:
            data = self.i2c.writeto_then_readfrom(self.address, bytes([reg]), n)
        except OSError as e:
            raise SensorError(
                "ICM-42670 at 0x%02x: reading register 0x%02x failed (%s)" % (self.address, reg, e)
            )
        if len(data) != n:
            raise SensorError(
                "ICM-42670 at 0x%02x: register 0x%02x returned %d bytes, expected %d"
                % (self.address, reg, len(data), n)
            )
        return data

    def _write(self, reg, value):
        try:
            self.i2c.writeto(self.address, bytes([reg, value]))
        except OSError as e:
            raise SensorError(
                "ICM-42670 at 0x%02x: writing register 0x%02x failed (%s)" % (self.address, reg, e)
            )

    def who_am_i(self):
        return self._read(WHO_AM_I, 1)[0]

    def init(self, accel_fs=None, gyro_fs=None):
        who = self.who_am_i()
        if who != EXPECTED_WHO_AM_I:
            raise SensorError(
                "ICM-42670 at 0x%02x: WHO_AM_I reads 0x%02x, expected 0x%02x (not an ICM-42670-P)"
                % (self.address, who, EXPECTED_WHO_AM_I)
            )
        for reg, fs in ((ACCEL_CONFIG0, accel_fs), (GYRO_CONFIG0, gyro_fs)):
            if fs is None:
                continue
            if fs not in (0, 1, 2, 3):
                raise ValueError("FS_SEL must be 0-3, not %r" % (fs,))
            old = self._read(reg, 1)[0]
            self._write(reg, (old & 0x9F) | (fs << 5))  # keep the ODR and reserved bits
        self.accel_fs = fs_sel(self._read(ACCEL_CONFIG0, 1)[0])
        self.gyro_fs = fs_sel(self._read(GYRO_CONFIG0, 1)[0])
        self._write(PWR_MGMT0, LOW_NOISE)
        self.delay_ms(STARTUP_MS)
        self.ready = True

    def read_raw(self):
        """(temp, ax, ay, az, gx, gy, gz) as signed 16-bit integers."""
        d = self._read(TEMP_DATA1, 14)
        return tuple(int16(d[i], d[i + 1]) for i in range(0, 14, 2))

    def read(self):
        """((ax, ay, az) in g, (gx, gy, gz) in dps, temperature in °C)."""
        if not self.ready:
            self.init()
        t, ax, ay, az, gx, gy, gz = self.read_raw()
        a = ACCEL_LSB_PER_G[self.accel_fs]
        g = GYRO_LSB_PER_10DPS[self.gyro_fs]
        accel = (ax / a, ay / a, az / a)
        gyro = (gx * 10 / g, gy * 10 / g, gz * 10 / g)
        return accel, gyro, t / 128 + 25
