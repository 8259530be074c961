"""A fake ESP32-C3 in its ROM serial bootloader, on a PTY: what esptool talks to.

Why a fake: there is no board here.  It speaks esptool's protocol as esptool (5.x) speaks
it -- SLIP frames of ``00 op len chk data`` requests and ``01 op len val data status``
replies -- with the ROM's 4 status bytes and, once esptool has uploaded its flasher stub
(MEM_BEGIN/DATA/END, then ``OHAI``), the stub's 2.  It implements what flashing a C3
needs: SYNC, GET_SECURITY_INFO (chip id 5), READ_REG/WRITE_REG (eFuse words for a v0.4
chip, and the SPI peripheral's user commands: RDID answers the flash's JEDEC id, so
esptool detects its size), SPI_ATTACH/SET_PARAMS, CHANGE_BAUDRATE, FLASH_DEFL_* and
FLASH_* (writes land in a bytearray of the flash's size), SPI_FLASH_MD5 and ERASE_FLASH.

A PTY has no modem lines, so esptool's DTR/RTS reset does nothing here (it says so and
goes on): the fake sits in download mode from the start.  ``unplug_after`` (data blocks)
makes the board vanish half-way through a write, as a pulled cable would.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import tty
import zlib

SPI_BASE = 0x60002000
SPI_CMD, SPI_USR2, SPI_W0 = SPI_BASE, SPI_BASE + 0x20, SPI_BASE + 0x58
EFUSE_BLOCK1 = 0x60008800 + 0x044
JEDEC = {"2MB": 0x1540C8, "4MB": 0x1640C8, "8MB": 0x1740C8}
SIZES = {"2MB": 2 << 20, "4MB": 4 << 20, "8MB": 8 << 20}


def slip(data: bytes) -> bytes:
    return b"\xc0" + data.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


class FakeC3:
    def __init__(self, flash_size: str = "4MB", unplug_after: int | None = None) -> None:
        self.flash = bytearray(b"\xff" * SIZES[flash_size])
        self.jedec = JEDEC[flash_size]
        self.regs: dict[int, int] = {}
        # eFuse BLOCK1 words 3 and 5: wafer minor 4 (v0.4), major 0
        self.regs[EFUSE_BLOCK1 + 4 * 3] = 4 << 18
        self.stub = False
        self.unplug_after = unplug_after
        self.blocks = 0
        self.ops: list[int] = []
        self.resets = 0
        master, slave = os.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        self.master = master
        self._slave = slave
        self.path = os.ttyname(slave)
        self._write: tuple[int, int, zlib._Decompress | None] | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # --- wire ---------------------------------------------------------------------------

    def _frames(self) -> bytes | None:
        buf = bytearray()
        inside = False
        escape = False
        while not self._stop:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return None
            for b in chunk:
                if not inside:
                    inside = b == 0xC0
                    continue
                if b == 0xC0:
                    if buf:
                        frame = bytes(buf)
                        buf.clear()
                        self._handle(frame)
                    continue
                if escape:
                    buf.append({0xDC: 0xC0, 0xDD: 0xDB}[b])
                    escape = False
                elif b == 0xDB:
                    escape = True
                else:
                    buf.append(b)
        return None

    def _serve(self) -> None:
        self._frames()

    def _reply(
        self, op: int, val: int = 0, data: bytes = b"", status: int = 0, why: int = 0
    ) -> None:
        tail = bytes([status, why]) + (b"" if self.stub else b"\0\0")
        body = data + tail
        os.write(self.master, slip(struct.pack("<BBHI", 1, op, len(body), val) + body))

    def close(self) -> None:
        self._stop = True
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    # --- commands -----------------------------------------------------------------------

    def _handle(self, frame: bytes) -> None:
        if len(frame) < 8 or frame[0] != 0:
            return
        _, op, size, chk = struct.unpack("<BBHI", frame[:8])
        data = frame[8 : 8 + size]
        self.ops.append(op)

        def words(n: int) -> tuple[int, ...]:
            return struct.unpack(f"<{n}I", data[: 4 * n])

        if op == 0x08:  # SYNC
            for _ in range(8):
                self._reply(op, 0 if self.stub else 0x20120707)
        elif op == 0x14:  # GET_SECURITY_INFO
            self._reply(op, 0, struct.pack("<IB7sII", 0, 0, bytes(7), 5, 0))
        elif op == 0x0A:  # READ_REG
            (addr,) = words(1)
            self._reply(op, 0 if addr == SPI_CMD else self.regs.get(addr, 0))
        elif op == 0x09:  # WRITE_REG (one or more addr, value, mask, delay)
            for i in range(0, len(data) - 15, 16):
                addr, value, mask, _ = struct.unpack("<IIII", data[i : i + 16])
                self.regs[addr] = (self.regs.get(addr, 0) & ~mask) | (value & mask)
                if addr == SPI_CMD and value & (1 << 18):
                    self._spi_command()
            self._reply(op)
        elif op in (0x0B, 0x0D, 0x0F, 0x05, 0x07):
            # SPI_SET_PARAMS, SPI_ATTACH, CHANGE_BAUDRATE, MEM_BEGIN, MEM_DATA (the stub)
            self._reply(op)
        elif op == 0x06:  # MEM_END: the stub runs and says hello
            self._reply(op)
            self.stub = True
            os.write(self.master, slip(b"OHAI"))
        elif op in (0x02, 0x10):  # FLASH_BEGIN, FLASH_DEFL_BEGIN
            erase, _, _, offset = words(4)
            if offset + erase > len(self.flash):
                self._reply(op, status=1, why=0x05)
                return
            self.flash[offset : offset + erase] = b"\xff" * erase
            self._write = (offset, 0, zlib.decompressobj() if op == 0x10 else None)
            self._reply(op)
        elif op in (0x03, 0x11):  # FLASH_DATA, FLASH_DEFL_DATA
            length, _seq, _, _ = words(4)
            payload = data[16 : 16 + length]
            if chk != _checksum(payload):
                self._reply(op, status=1, why=0xC1)  # ROM: bad checksum
                return
            self.blocks += 1
            if self.unplug_after is not None and self.blocks > self.unplug_after:
                self.close()  # the cable is pulled: no reply, the port goes away
                return
            assert self._write is not None
            offset, written, inflater = self._write
            chunk = inflater.decompress(payload) if inflater else payload
            self.flash[offset + written : offset + written + len(chunk)] = chunk
            self._write = (offset, written + len(chunk), inflater)
            self._reply(op)
        elif op in (0x04, 0x12):  # FLASH_END, FLASH_DEFL_END
            self._reply(op)
        elif op == 0x13:  # SPI_FLASH_MD5
            addr, size_, _, _ = words(4)
            digest = hashlib.md5(bytes(self.flash[addr : addr + size_]))
            self._reply(op, 0, digest.digest() if self.stub else digest.hexdigest().encode())
        elif op == 0xD0:  # ERASE_FLASH (stub)
            self.flash[:] = b"\xff" * len(self.flash)
            self._reply(op)
        else:
            self._reply(op, status=1, why=0x05)  # the ROM's "invalid command"

    def _spi_command(self) -> None:
        command = self.regs.get(SPI_USR2, 0) & 0xFFFF
        if command == 0x9F:  # RDID
            self.regs[SPI_W0] = self.jedec
        elif command == 0x5A:  # SFDP: this flash has no SFDP table
            self.regs[SPI_W0] = 0
        else:  # status registers and the rest read as zero
            self.regs[SPI_W0] = 0


def _checksum(data: bytes) -> int:
    state = 0xEF
    for b in data:
        state ^= b
    return state
