"""A minimal raw-REPL client over pyserial, written from micropython.md §2 (as mpremote does).

The tests drive the virtual board's PTY with it to show that a serial driver written for a
real board works unchanged on the emulator.
"""

from __future__ import annotations

import struct
import time
from typing import Any

import serial


class RawRepl:
    def __init__(self, port: str, timeout: float = 5.0) -> None:
        self.serial: Any = serial.Serial(port, 115200, timeout=timeout)
        self.timeout = timeout

    def close(self) -> None:
        self.serial.close()

    def read_until(self, ending: bytes) -> bytes:
        data = b""
        deadline = time.monotonic() + self.timeout
        while not data.endswith(ending):
            if time.monotonic() > deadline:
                raise TimeoutError(f"waiting for {ending!r}, got {data!r}")
            data += self.serial.read(1)
        return data

    def enter_raw(self, soft_reset: bool = False) -> bytes:
        self.serial.write(b"\r\x03\r\x03")
        time.sleep(0.05)
        self.serial.reset_input_buffer()
        self.serial.write(b"\r\x01")
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>")
        if not soft_reset:
            return b""
        self.serial.write(b"\x04")
        banner = self.read_until(b"soft reboot\r\n")
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>")
        return banner

    def exit_raw(self) -> None:
        self.serial.write(b"\r\x02")

    def exec_(self, code: bytes, paste: bool = False) -> tuple[bytes, bytes]:
        """Run ``code``; returns (stdout, traceback)."""
        if paste:
            self.serial.write(b"\x05A\x01")
            assert self.serial.read(2) == b"R\x01"
            window = struct.unpack("<H", self.serial.read(2))[0]
            remain = window
            i = 0
            while i < len(code):
                while remain == 0 or self.serial.in_waiting:
                    flag = self.serial.read(1)
                    assert flag == b"\x01", flag
                    remain += window
                chunk = code[i : i + remain]
                self.serial.write(chunk)
                remain -= len(chunk)
                i += len(chunk)
            self.serial.write(b"\x04")
            self.read_until(b"\x04")
        else:
            for i in range(0, len(code), 256):
                self.serial.write(code[i : i + 256])
            self.serial.write(b"\x04")
            assert self.serial.read(2) == b"OK"
        out = self.read_until(b"\x04")[:-1]
        err = self.read_until(b"\x04")[:-1]
        self.read_until(b">")
        return out, err

    def put(self, path: str, data: bytes) -> None:
        self.exec_(f"f=open({path!r},'wb')\nw=f.write".encode())
        for i in range(0, len(data), 256):
            _, err = self.exec_(b"w(" + repr(data[i : i + 256]).encode() + b")")
            assert not err, err
        self.exec_(b"f.close()")

    def get(self, path: str) -> bytes:
        self.exec_(f"f=open({path!r},'rb')\nr=f.read".encode())
        data = b""
        while True:
            out, err = self.exec_(b"print(repr(r(256)))")
            assert not err, err
            chunk = eval(out.strip())
            if not chunk:
                break
            data += chunk
        self.exec_(b"f.close()")
        return data
