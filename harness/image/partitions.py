"""Where the filesystem partition is: read from the MicroPython image's partition table.

The stock ``ESP32_GENERIC_C3`` image (v1.26 and later) has no ``vfs`` row: MicroPython
registers one at boot from the end of the last partition to the end of the flash, so on the
4 MB DevKit-RUST-1 it is 0x200000..0x400000, 512 blocks of 4096 bytes (reference notes I).
A custom table (an OTA layout, say) moves it; so the table is read, not assumed.  A
``vfs`` or ``ffat`` data partition in the table is used as given.

The table is at 0x8000 of a merged image: 32-byte entries ``AA 50 type subtype offset size
label flags``, then an MD5 entry (``EB EB``) and 0xFF padding.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

TABLE_OFFSET = 0x8000
ENTRY = struct.Struct("<2sBBII16sI")
BLOCK_SIZE = 4096
#: The stock C3 table's end (factory app 0x10000 + 0x1F0000): used without an image.
STOCK_FS_OFFSET = 0x200000
SIZES = {"2MB": 2 << 20, "4MB": 4 << 20, "8MB": 8 << 20, "16MB": 16 << 20}


class PartitionError(Exception):
    """The partition table cannot be used; the message says why."""


@dataclass(frozen=True)
class Partition:
    label: str
    type: int
    subtype: int
    offset: int
    size: int


@dataclass(frozen=True)
class FsRegion:
    offset: int
    size: int
    source: str  # "table vfs row", "after the last partition", "the stock C3 layout"

    @property
    def block_count(self) -> int:
        return self.size // BLOCK_SIZE


def read_table(image: bytes) -> list[Partition]:
    if len(image) < TABLE_OFFSET + ENTRY.size:
        raise PartitionError(
            f"the image is {len(image)} bytes: too short to hold a partition table at "
            f"0x{TABLE_OFFSET:x} (is it the merged ESP32_GENERIC_C3 .bin?)"
        )
    table = []
    for i in range(0, 0xC00, ENTRY.size):
        raw = image[TABLE_OFFSET + i : TABLE_OFFSET + i + ENTRY.size]
        if len(raw) < ENTRY.size or raw[:2] in (b"\xeb\xeb", b"\xff\xff"):
            break
        magic, ptype, subtype, offset, size, label, _ = ENTRY.unpack(raw)
        if magic != b"\xaa\x50":
            raise PartitionError(f"no partition table at 0x{TABLE_OFFSET:x} (entry {i // 32})")
        table.append(
            Partition(label.rstrip(b"\0").decode("ascii", "replace"), ptype, subtype, offset, size)
        )
    if not table:
        raise PartitionError(f"the partition table at 0x{TABLE_OFFSET:x} is empty")
    return table


def flash_bytes(size: str) -> int:
    if size not in SIZES:
        raise PartitionError(f"unknown flash size {size!r}; use one of {', '.join(SIZES)}")
    return SIZES[size]


def fs_region(table: list[Partition] | None, flash_size: int) -> FsRegion:
    if table is None:
        return FsRegion(STOCK_FS_OFFSET, flash_size - STOCK_FS_OFFSET, "the stock C3 layout")
    for p in table:
        if p.type == 1 and p.label in ("vfs", "ffat"):
            return FsRegion(p.offset, p.size, f"the table's {p.label} partition")
    end = max(p.offset + p.size for p in table)
    if end >= flash_size:
        raise PartitionError(
            f"the partitions end at 0x{end:x}, leaving no filesystem on a "
            f"{flash_size >> 20} MB flash"
        )
    return FsRegion(end, flash_size - end, "after the last partition")
