"""Export the virtual flash as a littlefs image MicroPython mounts, and import it back."""

from __future__ import annotations

import pytest

from emulator.board.flash import Flash
from emulator.board.fs import VirtualFileSystem

littlefs = pytest.importorskip("littlefs")

from emulator.board.littlefs_image import LFS_CONFIG, from_image, to_image  # noqa: E402


def test_round_trip_through_a_littlefs_image() -> None:
    flash = Flash()
    fs = VirtualFileSystem(flash)
    fs.mkdir("/steel/programs")
    fs.mkdir("/empty")
    fs.write("/main.py", b"import agent\n")
    fs.write("/steel/programs/current.scm", bytes(range(256)) * 40)
    image = to_image(flash)
    assert len(image) == 4096 * 512

    # littlefs-python, configured as MicroPython's VfsLfs2 on the C3, reads it.
    lfs = littlefs.LittleFS(context=littlefs.UserContext(buffer=bytearray(image)), **LFS_CONFIG)
    assert sorted(lfs.listdir("/")) == ["empty", "main.py", "steel"]
    with lfs.open("/steel/programs/current.scm", "rb") as f:
        assert f.read() == bytes(range(256)) * 40

    back = from_image(image)
    assert back.snapshot() == flash.snapshot()
    assert back.counters.writes == 0


def test_import_a_filesystem_written_by_littlefs() -> None:
    lfs = littlefs.LittleFS(**LFS_CONFIG)
    lfs.makedirs("/certs", exist_ok=True)
    with lfs.open("/certs/device.pem", "wb") as f:
        f.write(b"-----BEGIN CERTIFICATE-----\n")
    flash = from_image(bytes(lfs.context.buffer))
    assert VirtualFileSystem(flash).read("/certs/device.pem") == b"-----BEGIN CERTIFICATE-----\n"
