"""Sensirion CRC-8 (SHTC3): polynomial 0x31, init 0xFF, no reflection, no final XOR.

Why its own module: the SHTC3 model appends it to every word it sends, and tests check the
datasheet vectors against it independently of the model.
"""

from __future__ import annotations


def _table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc8(data: bytes) -> int:
    """CRC-8 of ``data`` as the SHTC3 computes it (crc8(b"\\xBE\\xEF") == 0x92)."""
    crc = 0xFF
    for byte in data:
        crc = _TABLE[crc ^ byte]
    return crc
