"""What the agent needs from the hardware around it: the *port*.

The ESP32-C3 port (``firmware/ports/esp32c3``) implements these with ``machine``,
``neopixel``, ``os`` and ``time``; the emulator implements them with the virtual board
(``emulator/board``).  Everything above the port (the agent, the device API, the sensor
drivers) is the same code on both, which is the point: a scenario that passes on a virtual
board exercised the code that ships.

The classes here document the interface and give the defaults; ports subclass them.
They are synchronous because local hardware is: an I2C transfer or a flash write takes
microseconds to milliseconds.  The network is not part of the port: the agent core speaks
to it through events and actions (:mod:`firmware.agent.events`).
"""


class I2CBus:
    """The board's I2C bus 0 (SCL = GPIO8, SDA = GPIO10), as ``machine.I2C`` offers it.

    A transfer to an address nobody acknowledges, or one the device NACKs (the SHTC3 while
    it measures), raises ``OSError``.
    """

    def writeto(self, addr, buf):
        raise NotImplementedError

    def readfrom(self, addr, nbytes):
        raise NotImplementedError

    def writeto_then_readfrom(self, addr, buf, nbytes):
        """Register read with a repeated start (``readfrom_mem`` on MicroPython)."""
        raise NotImplementedError


class Board:
    """Pins, sensors' bus, clocks and console of one ESP32-C3-DevKit-RUST-1."""

    i2c = None  # an I2CBus

    def set_led(self, on):
        """The plain LED on GPIO7 (active high)."""
        raise NotImplementedError

    def set_pixel(self, r, g, b):
        """The WS2812 RGB LED on GPIO2; components 0-255."""
        raise NotImplementedError

    def button_pressed(self):
        """True while the BOOT button (GPIO9, pressed = 0) is held."""
        raise NotImplementedError

    def delay_ms(self, ms):
        """Wait a few milliseconds (sensor conversion time); virtual on the emulator."""
        raise NotImplementedError

    def wall_time(self):
        """Seconds since 1970-01-01 (float), from NTP on the board.

        An int is fine too, and better on the board: its floats are 32-bit, which cannot
        hold today's epoch seconds to better than a minute.  The agent uses it for ``ts``
        fields and ``(current-time)`` (which it truncates to an exact integer).
        """
        raise NotImplementedError

    def heap(self):
        """(free bytes, total bytes) of the heap, or None if unknown."""
        return None

    def console(self, text):
        """Write a line to the serial console (no newline in ``text``)."""
        raise NotImplementedError


class FileSystem:
    """The device's flash filesystem (littlefs on the board), as plain whole-file calls.

    ``write`` is *not* atomic: a power cut in the middle may leave a torn file.  Atomic
    replacement is built on ``rename``, which is (littlefs guarantees it, and so does the
    emulated flash), by :mod:`firmware.agent.storage`.
    """

    def read(self, path):
        """The file's bytes, or None if it does not exist."""
        raise NotImplementedError

    def write(self, path, data):
        """Create or overwrite ``path`` with ``data`` (bytes)."""
        raise NotImplementedError

    def rename(self, src, dst):
        """Atomically move ``src`` to ``dst``, replacing ``dst`` if it exists."""
        raise NotImplementedError

    def remove(self, path):
        """Delete ``path``; no error if it does not exist."""
        raise NotImplementedError

    def listdir(self, path):
        """Names in directory ``path`` ([] if it does not exist)."""
        raise NotImplementedError

    def mkdir(self, path):
        """Create directory ``path`` (and its parents); no error if it exists."""
        raise NotImplementedError
