"""ICM-42670-P driver: WHO_AM_I, power mode, burst read, scaling per FS_SEL."""

from firmware.drivers import ICM42670, SensorError
from firmware.drivers.icm42670 import fs_sel, int16
from tests.firmware.agent_fakes import FakeBoard, ICMModel
from tests.firmware.support import approx, raises


def make():
    board = FakeBoard()
    return board, ICM42670(board.i2c, board.delay_ms)


def test_int16_and_fs_sel():
    assert int16(0x7F, 0xFF) == 32767
    assert int16(0x80, 0x00) == -32768
    assert int16(0xFF, 0xFF) == -1
    assert fs_sel(0x66) == 3
    assert fs_sel(0x06) == 0


def test_init_checks_who_am_i_and_enables_low_noise_mode():
    board, drv = make()
    drv.init()
    log = board.i2c.log
    assert log[0] == ("wr", 0x68, b"\x75", 1)
    assert ("w", 0x68, b"\x1f\x0f") in log
    assert board.icm.regs[0x1F] == 0x0F
    assert 45 in board.delays
    assert drv.ready


def test_wrong_chip_is_refused():
    board = FakeBoard()
    board.icm = board.i2c.attach(ICMModel(who_am_i=0x60))
    drv = ICM42670(board.i2c, board.delay_ms)
    with raises(SensorError, "WHO_AM_I reads 0x60, expected 0x67"):
        drv.init()
    assert board.icm.regs[0x1F] == 0  # left asleep


def test_read_is_one_burst_of_fourteen_bytes_from_temp_data1():
    board, drv = make()
    board.icm.accel = (0.5, -0.25, 1.0)
    board.icm.gyro = (100.0, -250.0, 0.0)
    board.icm.temperature = 30.5
    accel, gyro, temp = drv.read()  # initialises on first use
    assert board.i2c.log[-1] == ("wr", 0x68, b"\x09", 14)
    assert accel == (0.5, -0.25, 1.0)
    assert approx(gyro[0], 100.0, 1e-3) and approx(gyro[1], -250.0, 1e-3) and gyro[2] == 0
    assert temp == 30.5


def test_scaling_follows_each_fs_sel():
    for fs in (0, 1, 2, 3):
        board, drv = make()
        board.icm.accel = (1.5, 0.0, -1.0)
        board.icm.gyro = (200.0, 0.0, -100.0)
        drv.init(accel_fs=fs, gyro_fs=fs)
        assert drv.accel_fs == fs and drv.gyro_fs == fs
        assert board.icm.regs[0x21] & 0x0F == 0x06  # ODR bits kept
        accel, gyro, _ = drv.read()
        assert approx(accel[0], 1.5, 1e-3) and approx(accel[2], -1.0, 1e-3), (fs, accel)
        assert approx(gyro[0], 200.0, 1e-2) and approx(gyro[2], -100.0, 1e-2), (fs, gyro)


def test_the_chips_own_range_is_read_back_not_assumed():
    board, drv = make()
    board.icm.regs[0x21] = 0x66  # ±2 g
    board.icm.regs[0x20] = 0x46  # ±500 dps
    board.icm.accel = (0.5, 0.0, 0.0)
    drv.init()
    assert drv.accel_fs == 3 and drv.gyro_fs == 2
    assert drv.read_raw()[1] == 8192


def test_bad_fs_sel_is_a_value_error():
    board, drv = make()
    with raises(ValueError):
        drv.init(accel_fs=4)


def test_bus_errors_become_sensor_errors():
    board, drv = make()
    board.icm.absent = True
    with raises(SensorError, "reading register 0x75 failed"):
        drv.init()
    board.icm.absent = False
    drv.init()
    original = board.icm.write

    def write(buf):
        if len(buf) > 1:
            raise OSError(5)
        original(buf)

    board.icm.write = write
    with raises(SensorError, "writing register 0x1f failed"):
        drv.init()


def test_short_register_read_is_an_error():
    board, drv = make()
    board.icm.read = lambda n: b"\x67"[:1] if n == 1 else b"\x00"
    drv.init()
    with raises(SensorError, "returned 1 bytes, expected 14"):
        drv.read_raw()
