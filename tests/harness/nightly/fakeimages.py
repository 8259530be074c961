"""Synthetic ESP32-C3 MicroPython images: the bytes a real merged image has where the tools
look (an ESP image header with chip id 5, the partition table at 0x8000, an app at 0x10000).
No MicroPython download is available here; these are not bootable."""

from __future__ import annotations

import hashlib
import random
import struct

STOCK = [
    ("nvs", 1, 2, 0x9000, 0x6000),
    ("phy_init", 1, 1, 0xF000, 0x1000),
    ("factory", 0, 0, 0x10000, 0x1F0000),
]
OTA = [
    ("nvs", 1, 2, 0x9000, 0x4000),
    ("otadata", 1, 0, 0xD000, 0x2000),
    ("phy_init", 1, 1, 0xF000, 0x1000),
    ("ota_0", 0, 0x10, 0x10000, 0x180000),
    ("ota_1", 0, 0x11, 0x190000, 0x180000),
]


def header(chip_id: int = 5) -> bytes:
    # magic, segments, flash mode DIO, 4MB|80m; entry; wp, drive; chip id; min rev
    return (
        struct.pack("<BBBBI", 0xE9, 3, 2, 0x2F, 0x40380000)
        + bytes([0xEE, 0, 0, 0])
        + (struct.pack("<H", chip_id) + bytes(10))
    )


def table(rows: list[tuple[str, int, int, int, int]]) -> bytes:
    out = b"".join(
        struct.pack("<2sBBII16sI", b"\xaa\x50", t, s, o, n, label.encode(), 0)
        for label, t, s, o, n in rows
    )
    return out + b"\xeb\xeb" + b"\xff" * 14 + hashlib.md5(out).digest()


def micropython(
    app_size: int = 0x30000,
    rows: list[tuple[str, int, int, int, int]] | None = None,
    chip_id: int = 5,
    seed: int = 1,
) -> bytes:
    image = bytearray(b"\xff" * (0x10000 + app_size))
    boot = header(chip_id) + random.Random(seed).randbytes(0x4000)
    image[: len(boot)] = boot
    part = table(rows or STOCK)
    image[0x8000 : 0x8000 + len(part)] = part
    app = header(chip_id) + random.Random(seed + 1).randbytes(app_size - 24)
    image[0x10000 : 0x10000 + len(app)] = app
    return bytes(image)
