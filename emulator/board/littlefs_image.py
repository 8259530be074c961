"""The virtual flash as a littlefs v2 image that MicroPython on a real C3 mounts, and back.

Why: a scenario prepared on a virtual board (programs, certificates, config) should be
flashable onto a real board by the serial backend, and a real board's filesystem (read with
``esptool read-flash 0x200000 0x200000``) should be loadable into a virtual one.  The
parameters are the ones reference/micropython.md verified against MicroPython v1.27.0:
block size 4096, 512 blocks (the 2 MiB vfs partition at 0x200000 of a 4 MB board),
read/prog/lookahead 32, block_cycles 100, littlefs disk version 2.1.

Needs ``littlefs-python`` (the ``hw`` extra); imported lazily so the board itself does not.
File times are not carried (the virtual flash keeps none); everything else is: every file
and every directory, empty ones included.
"""

from __future__ import annotations

import posixpath
from typing import Any

from .flash import BLOCK_COUNT, BLOCK_SIZE, Flash, FlashImage

LFS_CONFIG: dict[str, int] = {
    "block_size": BLOCK_SIZE,
    "block_count": BLOCK_COUNT,
    "read_size": 32,
    "prog_size": 32,
    "lookahead_size": 32,
    "block_cycles": 100,
}


def _littlefs() -> Any:
    try:
        import littlefs
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "littlefs images need littlefs-python: pip install 'aws-iot-steel[hw]'"
        ) from exc
    return littlefs


def to_image(flash: Flash) -> bytes:
    """A littlefs image of exactly ``block_size * block_count`` bytes (2 MiB by default)."""
    lfs = _littlefs()
    config = dict(LFS_CONFIG, block_size=flash.block_size, block_count=flash.block_count)
    fs = lfs.LittleFS(**config)
    image = flash.snapshot()
    for directory in sorted(image.dirs):
        if directory != "/":
            fs.makedirs(directory, exist_ok=True)
    for path, data in sorted(image.files.items()):
        parent = posixpath.dirname(path)
        if parent != "/":
            fs.makedirs(parent, exist_ok=True)
        with fs.open(path, "wb") as f:
            f.write(data)
    return bytes(fs.context.buffer)


def from_image(data: bytes, flash: Flash | None = None) -> Flash:
    """Load a littlefs image into ``flash`` (replacing its contents; a new Flash if None).

    Counts no flash writes: the image is what the flash already held.
    """
    lfs = _littlefs()
    target = flash if flash is not None else Flash()
    block_count = len(data) // target.block_size
    context = lfs.UserContext(buffer=bytearray(data))
    config = dict(LFS_CONFIG, block_size=target.block_size, block_count=block_count)
    fs = lfs.LittleFS(context=context, **config)
    files: dict[str, bytes] = {}
    dirs = {"/"}
    for root, dirnames, filenames in fs.walk("/"):
        base = "/" + root.strip("/") if root.strip("/") else "/"
        for name in dirnames:
            dirs.add(posixpath.join(base, name))
        for name in filenames:
            path = posixpath.join(base, name)
            with fs.open(path, "rb") as f:
                files[path] = f.read()
    target.restore(FlashImage(files, frozenset(dirs)))
    return target
