"""The board's I2C bus 0 (SCL = GPIO8, SDA = GPIO10) with devices attached by address.

Why: the firmware's sensor drivers speak I2C bytes, and the same driver code runs on the
board and here, so the virtual bus answers at the byte level with the same failure mode as
``machine.I2C``: a transfer that is not acknowledged raises ``OSError``.

Errno used (the exact errno on a C3 is UNVERIFIED, see reference/board.md; these follow the
esp32 port, which maps the IDF's "no ACK" to ENODEV):

* ``ENODEV`` (19): the **address** was not acknowledged: nobody at that address, or the
  device is busy (the SHTC3 while it measures, or asleep and asked to read);
* ``EIO`` (5): the address was acknowledged but a **data byte** was not (an SHTC3 command
  it does not accept in its current state).

Devices implement :class:`I2CDevice`; they raise :class:`Nack` and the bus turns that into
the ``OSError``.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Literal, Protocol

from firmware.agent import ports

from .clock import Clock

NackStage = Literal["address", "data"]


class Nack(Exception):
    """Raised by a device model: it did not acknowledge the address or a data byte."""

    def __init__(self, stage: NackStage, reason: str) -> None:
        super().__init__(f"NACK on {stage}: {reason}")
        self.stage: NackStage = stage
        self.reason = reason


class I2CDevice(Protocol):
    """What the bus needs from a device model."""

    address: int

    def i2c_write(self, data: bytes) -> None:
        """A write transfer with ``data`` (possibly empty: an address probe); may raise Nack."""

    def i2c_read(self, nbytes: int) -> bytes:
        """A read transfer of ``nbytes``; may raise Nack (or take virtual time: stretching)."""
        ...

    def power_on_reset(self) -> None:
        """Supply power was removed and restored: back to the power-on state."""


def _oserror(stage: NackStage) -> OSError:
    code = errno.ENODEV if stage == "address" else errno.EIO
    return OSError(code, errno.errorcode[code])


class VirtualI2C(ports.I2CBus):  # type: ignore[misc]
    """I2C bus 0 as ``machine.I2C(0, scl=Pin(8), sda=Pin(10), freq=400000)`` offers it.

    ``bus_time=True`` makes every transfer consume the virtual time it takes on the wire
    (9 bit times per byte, address included); off by default so timelines stay exact.
    ``guard`` is called before each transfer (the board uses it to refuse work while off).
    """

    def __init__(
        self,
        clock: Clock,
        *,
        freq: int = 400_000,
        bus_time: bool = False,
        guard: Callable[[], None] | None = None,
    ) -> None:
        self._clock = clock
        self._devices: dict[int, I2CDevice] = {}
        self.freq = freq
        self.bus_time = bus_time
        self._guard = guard
        self.transfers = 0
        self.nacks = 0

    # --- wiring ----------------------------------------------------------------------------

    def attach(self, device: I2CDevice) -> None:
        if not 0x08 <= device.address <= 0x77:
            raise ValueError(f"0x{device.address:02x} is not a 7-bit device address")
        if device.address in self._devices:
            raise ValueError(f"address 0x{device.address:02x} is already taken")
        self._devices[device.address] = device

    def detach(self, address: int) -> I2CDevice:
        """Remove the device (a fault: the sensor is disconnected); returns it."""
        return self._devices.pop(address)

    def device(self, address: int) -> I2CDevice:
        return self._devices[address]

    @property
    def addresses(self) -> list[int]:
        return sorted(self._devices)

    def power_on_reset(self) -> None:
        for device in self._devices.values():
            device.power_on_reset()

    # --- transfers (the port interface and machine.I2C's usual extras) ----------------------

    def writeto(self, addr: int, buf: bytes, stop: bool = True) -> int:
        """Write ``buf``; returns the number of bytes acknowledged (as ``machine.I2C``)."""
        data = bytes(buf)
        self._transfer(addr, len(data))
        device = self._device_or_nack(addr)
        try:
            device.i2c_write(data)
        except Nack as nack:
            self.nacks += 1
            raise _oserror(nack.stage) from None
        return len(data)

    def readfrom(self, addr: int, nbytes: int, stop: bool = True) -> bytes:
        self._transfer(addr, nbytes)
        device = self._device_or_nack(addr)
        try:
            data = device.i2c_read(nbytes)
        except Nack as nack:
            self.nacks += 1
            raise _oserror(nack.stage) from None
        if len(data) != nbytes:
            raise AssertionError(f"device 0x{addr:02x} returned {len(data)} of {nbytes} bytes")
        return data

    def writeto_then_readfrom(self, addr: int, buf: bytes, nbytes: int) -> bytes:
        """Write then read with a repeated start (``readfrom_mem`` on MicroPython)."""
        self.writeto(addr, buf, stop=False)
        return self.readfrom(addr, nbytes)

    def readfrom_into(self, addr: int, buf: bytearray, stop: bool = True) -> None:
        buf[:] = self.readfrom(addr, len(buf), stop)

    def readfrom_mem(self, addr: int, memaddr: int, nbytes: int) -> bytes:
        return self.writeto_then_readfrom(addr, bytes([memaddr]), nbytes)

    def writeto_mem(self, addr: int, memaddr: int, buf: bytes) -> None:
        self.writeto(addr, bytes([memaddr]) + bytes(buf))

    def scan(self) -> list[int]:
        """Addresses that acknowledge an empty write, as ``machine.I2C.scan()``."""
        found = []
        for addr in range(0x08, 0x78):
            try:
                self.writeto(addr, b"")
            except OSError:
                continue
            found.append(addr)
        return found

    def _device_or_nack(self, addr: int) -> I2CDevice:
        device = self._devices.get(addr)
        if device is None:
            self.nacks += 1
            raise _oserror("address")
        return device

    def _transfer(self, addr: int, nbytes: int) -> None:
        if self._guard is not None:
            self._guard()
        if not 0 <= addr <= 0x7F:
            raise ValueError(f"address {addr!r} out of range")
        self.transfers += 1
        if self.bus_time:
            self._clock.consume((1 + nbytes) * 9 / self.freq)
