"""What goes onto a real board's flash, and the esptool commands that put it there.

Why here and not in a script: the serial backend flashes once per session per board, keyed
by the SHA-256 of what it would write, so a run over 40 scenarios flashes each board once
and a changed firmware is never mistaken for the flashed one.

Layout (reference/micropython.md, MicroPython v1.27 ESP32_GENERIC_C3 on the 4 MB board):
the merged MicroPython image at 0x0 (bootloader, partition table, app) and a littlefs v2
image of the firmware's files at 0x200000, the vfs partition MicroPython registers there.
The filesystem image is built by :mod:`emulator.board.littlefs_image` with the parameters
MicroPython mounts.  What is in it (:func:`firmware_files`) is the slot layout of the boot
selector (docs/ota.md, "Real board"): the firmware in app slot a, the never-updated boot
main and selector outside the slots::

    /main.py                   firmware/ports/esp32c3/boot_main.py (picks the slot)
    /lib/steel_boot.py         firmware/boot/selector.py (on sys.path as /lib)
    /slots/a/firmware/...      every file of the firmware package, each module compiled
                               to .mpy (harness/ota/compile.py), as an update's bundle
                               (``--target board``) carries it
    /slots/a/slot.json         {"format": 1, "version": <firmware/agent/version.py>}

Why compiled: two slots of the firmware as source do not fit the 4 MB board's filesystem,
and an update needs two (docs/ota.md, "Space").  ``compiled=False`` keeps the slot as
source, for the CPython fakes of the board, which cannot load ``.mpy``.  ``/main.py`` stays
source whatever: MicroPython runs ``main.py`` from source only; so does the selector, which
is small and read once per boot.

No ``/boot.json``: a board without one boots slot a with nothing pending.
"""

from __future__ import annotations

import ast
import hashlib
import json
import posixpath
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.ota.compile import CompileError, compile_files

from .base import BackendError

APP_OFFSET = 0x0
FS_OFFSET = 0x200000
CHIP = "esp32c3"
DEFAULT_FLASH_BAUD = 460800
#: esptool as this interpreter runs it (the ``hw`` extra installs it).
DEFAULT_ESPTOOL = (sys.executable, "-m", "esptool")
#: Where the board's own ``main.py`` (the boot main) is expected when the rig names none.
DEFAULT_MAIN = Path("ports") / "esp32c3" / "boot_main.py"
#: The boot selector, installed outside the slots as ``/lib/steel_boot.py``.
SELECTOR = Path("boot") / "selector.py"
SELECTOR_PATH = "/lib/steel_boot.py"
#: The version the factory slot's ``slot.json`` names (the agent reports it).
VERSION_FILE = Path("agent") / "version.py"
FACTORY_SLOT = "a"
SLOT_DIR = "/slots/" + FACTORY_SLOT
_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


def firmware_version(root: Path) -> str:
    """``FIRMWARE_VERSION`` of the tree at ``root`` (read as text, never imported: it may be
    another checkout), checked as the device checks versions."""
    from firmware.ota.version import VersionError, parse

    path = root / VERSION_FILE
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError) as exc:
        raise BackendError(f"{path}: cannot read the firmware's version ({exc})") from None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "FIRMWARE_VERSION" for t in node.targets)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            version = node.value.value
            try:
                parse(version)
            except VersionError as exc:
                raise BackendError(f"{path}: FIRMWARE_VERSION: {exc.message}") from None
            return version
    raise BackendError(
        f'{path}: no FIRMWARE_VERSION = "..." (the version the board\'s slot.json names)'
    )


def firmware_files(
    root: Path, main: Path | None = None, *, compiled: bool = True
) -> dict[str, bytes]:
    """The board's files, absolute path -> bytes, in the slot layout (module docstring):
    the firmware package in slot a (compiled to ``.mpy`` unless ``compiled`` is false) with
    its ``slot.json``, ``main`` (default the tree's boot main) as ``/main.py`` and the
    tree's selector as ``/lib/steel_boot.py``."""

    if not root.is_dir():
        raise BackendError(f"the firmware directory {root} does not exist")
    selector = root / SELECTOR
    if not selector.is_file():
        raise BackendError(
            f"{selector} does not exist: the board's boot selector (/lib/steel_boot.py) comes "
            "from the firmware tree"
        )
    version = firmware_version(root)
    slot: list[tuple[str, bytes]] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix not in _SKIP_SUFFIXES and not path.name.endswith("~"):
            slot.append((f"firmware/{rel.as_posix()}", path.read_bytes()))
    if compiled:
        try:
            slot = compile_files(slot)
        except CompileError as exc:
            raise BackendError(f"slot {FACTORY_SLOT} of the image: {exc}") from None
    files = {f"{SLOT_DIR}/{path}": data for path, data in slot}
    marker = {"format": 1, "version": version}
    files[f"{SLOT_DIR}/slot.json"] = json.dumps(marker, sort_keys=True).encode()
    if main is None and (root / DEFAULT_MAIN).is_file():
        main = root / DEFAULT_MAIN
    if main is None:
        raise BackendError(
            f"no main.py for the board: {root / DEFAULT_MAIN} does not exist; name one with "
            "`main:` in the rig (the script MicroPython runs at boot to pick the app slot)"
        )
    try:
        files["/main.py"] = main.read_bytes()
    except OSError as exc:
        raise BackendError(f"{main}: cannot read the board's main.py ({exc.strerror})") from None
    files[SELECTOR_PATH] = selector.read_bytes()
    return files


def build_fs_image(files: Mapping[str, bytes]) -> bytes:
    """A 2 MiB littlefs v2 image holding ``files`` (absolute paths)."""
    from emulator.board.flash import Flash, FlashImage
    from emulator.board.littlefs_image import to_image

    dirs = {"/"}
    for path in files:
        parent = posixpath.dirname(path)
        while parent not in dirs:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    flash = Flash()
    flash.restore(FlashImage(dict(files), frozenset(dirs)))
    try:
        return to_image(flash)
    except RuntimeError as exc:  # littlefs-python missing
        raise BackendError(str(exc)) from exc


@dataclass(frozen=True)
class FlashPlan:
    """The commands that flash one board, and the fingerprint of what they write."""

    key: str
    commands: list[list[str]]
    fs_image: Path


def plan_flash(
    port: str,
    micropython: Path,
    fs_image: bytes,
    workdir: Path,
    *,
    baud: int = DEFAULT_FLASH_BAUD,
    esptool: Sequence[str] = DEFAULT_ESPTOOL,
    erase: bool = False,
) -> FlashPlan:
    """esptool argvs: optionally ``erase-flash``, then ``write-flash`` of both images.

    ``--before default-reset`` enters the ROM bootloader through DTR/RTS (esptool picks the
    USB-Serial-JTAG sequence for 303a:1001 itself); ``--after hard-reset`` boots the new
    firmware, after which the board re-enumerates.
    """
    if not micropython.is_file():
        raise BackendError(
            f"the MicroPython image {micropython} does not exist; download "
            "ESP32_GENERIC_C3-<date>-v1.27.0.bin from micropython.org and name it with "
            "`micropython:` in the rig"
        )
    app = micropython.read_bytes()
    key = hashlib.sha256(hashlib.sha256(app).digest() + hashlib.sha256(fs_image).digest())
    workdir.mkdir(parents=True, exist_ok=True)
    fs_path = workdir / f"fs-{key.hexdigest()[:16]}.bin"
    if not fs_path.is_file():
        fs_path.write_bytes(fs_image)
    common = [*esptool, "--chip", CHIP, "--port", port, "--baud", str(baud)]
    commands = []
    if erase:
        commands.append(
            [*common, "--before", "default-reset", "--after", "no-reset", "erase-flash"]
        )
    commands.append(
        [
            *common,
            "--before",
            "default-reset",
            "--after",
            "hard-reset",
            "write-flash",
            f"0x{APP_OFFSET:x}",
            str(micropython),
            f"0x{FS_OFFSET:x}",
            str(fs_path),
        ]
    )
    return FlashPlan(key.hexdigest(), commands, fs_path)
