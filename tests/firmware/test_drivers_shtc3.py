"""SHTC3 driver: exact I2C bytes, polling, CRC, conversion (board.md)."""

from firmware.drivers import SHTC3, SensorError, crc8
from firmware.drivers.shtc3 import hundredths, milli_celsius, milli_percent
from tests.firmware.agent_fakes import FakeBoard
from tests.firmware.support import raises


def make(temperature=25.0, humidity=50.0):
    board = FakeBoard()
    board.shtc3.temperature = temperature
    board.shtc3.humidity = humidity
    return board, SHTC3(board.i2c, board.delay_ms)


def test_crc8_matches_the_datasheet_vectors():
    assert crc8(b"\xbe\xef") == 0x92
    assert crc8(b"\x00") == 0xAC
    assert crc8(b"\x64\x8b") == 0xC7
    assert crc8(b"\xa1\x33") == 0x1C
    assert crc8(b"\x08\x07") == 0x21


def test_integer_conversion_of_the_datasheet_example_frame():
    assert milli_celsius(0x648B) == 23730
    assert milli_percent(0xA133) == 62968
    assert milli_celsius(0x6666) == 24998  # 25.0 °C as the sensor encodes it
    assert milli_percent(0x8000) == 50000
    assert hundredths(24998) == 25.0
    assert hundredths(-1234) == -1.23
    assert hundredths(-1236) == -1.24


def test_a_measurement_sends_the_exact_command_sequence():
    board, drv = make()
    assert drv.read() == (25.0, 50.0)
    writes = [e for e in board.i2c.log if e[0] == "w"]
    assert writes == [("w", 0x70, b"\x35\x17"), ("w", 0x70, b"\x78\x66"), ("w", 0x70, b"\xb0\x98")]
    reads = [e for e in board.i2c.log if e[0] == "r"]
    assert reads[-1] == ("r", 0x70, 6)
    assert board.shtc3.asleep


def test_reads_are_polled_while_the_sensor_nacks():
    board, drv = make()
    board.shtc3.measure_ms = 15.5  # slower than the 12 ms first wait
    assert drv.measure() == (24998, 50000)
    reads = [e for e in board.i2c.log if e[0] == "r"]
    assert len(reads) == 5  # NACK at 12, 13, 14, 15 ms, data at 16 ms
    assert board.delays == [1, 12, 1, 1, 1, 1]


def test_a_sensor_that_never_finishes_gives_a_clear_error_and_is_put_to_sleep():
    board, drv = make()
    board.shtc3.never_ready = True
    with raises(SensorError, "no measurement after 32 ms") as r:
        drv.read()
    assert "0x70" in str(r.value)
    assert board.i2c.log[-1] == ("w", 0x70, b"\xb0\x98")
    assert board.shtc3.asleep


def test_crc_mismatch_names_the_word_and_the_sensor_still_sleeps():
    board, drv = make()
    board.shtc3.corrupt = "humidity"
    with raises(SensorError, "CRC mismatch on the humidity word"):
        drv.read()
    assert board.shtc3.asleep
    board.shtc3.corrupt = "temperature"
    with raises(SensorError, "CRC mismatch on the temperature word"):
        drv.read()


def test_absent_sensor_fails_at_wakeup():
    board, drv = make()
    board.shtc3.absent = True
    with raises(SensorError, "did not acknowledge wakeup"):
        drv.read()
    assert drv.sleep_failures == 0  # the failure happened before the try block


def test_short_reads_are_errors():
    board, drv = make()

    class Short:
        absent = False
        address = 0x70

        def write(self, buf):
            pass

        def read(self, n):
            return b"\x00\x00"

    board.i2c.attach(Short())
    with raises(SensorError, "returned 2 bytes, expected 6"):
        drv.read()
    with raises(SensorError, "returned 2 bytes, expected 3"):
        drv.read_id()


def test_sleep_failure_after_a_good_read_is_counted_not_raised():
    board, drv = make()
    model = board.shtc3
    original = model.write

    def write(buf):
        if buf == b"\xb0\x98":
            raise OSError(5)
        original(buf)

    model.write = write
    assert drv.read() == (25.0, 50.0)
    assert drv.sleep_failures == 1


def test_read_id_and_soft_reset():
    board, drv = make()
    ident = drv.read_id()
    assert ident == 0x0807
    assert (ident & 0x3F) | ((ident & 0x0800) >> 5) == 0x47
    drv.wakeup()
    drv.soft_reset()
    assert ("w", 0x70, b"\x80\x5d") in board.i2c.log


def test_read_id_bus_error():
    board, drv = make()
    original = board.shtc3.read

    def read(n):
        raise OSError(5)

    board.shtc3.read = read
    with raises(SensorError, "reading the ID failed"):
        drv.read_id()
    board.shtc3.read = original


def test_temperatures_across_the_range():
    for t in (-40.0, -0.5, 0.0, 31.5, 85.0, 124.9):
        board, drv = make(temperature=t, humidity=99.5)
        got_t, got_h = drv.read()
        assert abs(got_t - t) <= 0.011, (t, got_t)
        assert abs(got_h - 99.5) <= 0.011
