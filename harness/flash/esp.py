"""Flashing through esptool's Python API (``esptool.cmds``), never its command line.

Why the API: the command line's outcome is an exit status and text to scrape; the API
raises at the step that failed (connect, chip check, flash size, write, verify), so a
board is reported flashed only when every step returned.

The sequence, for one board::

    detect_chip(port, 115200, "default-reset")   # the ROM bootloader (esptool picks the
                                                 # USB-Serial-JTAG reset for 303a:1001)
    run_stub(esp)                                # unless stub=False
    esp.change_baud(460800)
    attach_flash(esp); detect_flash_size(esp)    # must be the image's flash size
    write_flash(esp, [(0x0, micropython), (fs_offset, fs.bin)])
    verify_flash(esp, same regions)              # MD5 of each region, read back
    reset_chip(esp, "hard-reset")                # the board boots the new image
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.backends.base import BackendError, BoardSpec
from harness.image import ImageError, read_manifest
from harness.image.pin import PinError, check_pin, read_pin

ROM_BAUD = 115200
DEFAULT_BAUD = 460800
CHIP_NAME = "ESP32-C3"


class FlashError(Exception):
    """Flashing stopped; the message says where, and whether the board may be half-flashed.
    (Bad input -- no image, a MicroPython that does not match its pin -- is an
    :class:`~harness.image.ImageError`, raised before the board is touched.)"""


@dataclass
class FlashResult:
    board: str
    port: str
    image: str
    micropython_sha256: str
    micropython_md5: str
    regions: list[tuple[int, int]]  # (offset, length) written and verified
    flashed_at: str
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return f"already runs image {self.image[:16]} (verified {self.flashed_at}): skipped"
        written = ", ".join(f"0x{o:x}+{n}" for o, n in self.regions)
        return f"flashed image {self.image[:16]} and verified it ({written})"


def _regions(
    image_dir: Path, micropython: Path | None, pin_config: Path
) -> tuple[Any, bytes, bytes]:
    manifest = read_manifest(image_dir)  # ImageError: bad input, nothing touched
    fs = (image_dir / manifest.fs_file).read_bytes()
    if manifest.merged:
        merged = (image_dir / manifest.merged).read_bytes()
        app = merged[: manifest.fs_offset].rstrip(b"\xff")
        app += b"\xff" * (-len(app) % 4)
        return manifest, app, fs
    if micropython is None:
        raise ImageError(
            f"{image_dir}: the image has no MicroPython (build it with --micropython, or name "
            "the board's `micropython:` in the rig)"
        )
    try:
        app = micropython.read_bytes()
        check_pin(micropython, app, read_pin(pin_config), pin_config)
    except OSError as exc:
        raise ImageError(f"{micropython}: cannot read it ({exc.strerror})") from None
    except PinError as exc:
        raise ImageError(str(exc)) from None
    return manifest, app, fs


def flash_port(
    port: Any,
    image_dir: Path,
    *,
    board: str = "",
    micropython: Path | None = None,
    pin_config: Path = Path("pyproject.toml"),
    baud: int = DEFAULT_BAUD,
    connect_mode: str = "default-reset",
    stub: bool = True,
    erase: bool = False,
    say: Callable[[str], None] = print,
) -> FlashResult:
    """Write and verify the image in ``image_dir`` on the board at ``port`` (a path, a
    pyserial URL, or an open serial object)."""
    manifest, app, fs = _regions(image_dir, micropython, pin_config)
    try:
        from esptool import cmds
        from esptool.util import FatalError
    except ImportError:
        raise FlashError("flashing needs esptool: pip install 'aws-iot-steel[hw]'") from None
    import serial

    name = port if isinstance(port, str) else getattr(port, "port", "the port")
    regions = [(0x0, app), (manifest.fs_offset, fs)]
    step = "connect to the ROM bootloader"
    wrote = False
    esp: Any = None
    try:
        say(f"{board or name}: connecting to {name} ...")
        esp = cmds.detect_chip(port, ROM_BAUD, connect_mode)
        step = "check the chip"
        if esp.CHIP_NAME != CHIP_NAME:
            raise FlashError(f"{name} is an {esp.CHIP_NAME}, not an {CHIP_NAME}: nothing written")
        if stub:
            step = "start esptool's flasher stub"
            esp = cmds.run_stub(esp)
        if baud != ROM_BAUD:
            esp.change_baud(baud)
        step = "read the flash size"
        cmds.attach_flash(esp)
        size = cmds.detect_flash_size(esp)
        if size != manifest.flash_size:
            raise FlashError(
                f"the board's flash is {size}, the image was built for {manifest.flash_size} "
                f"(its filesystem would not mount): rebuild with --flash-size {size}; "
                "nothing written"
            )
        if erase:
            step = "erase the flash"
            wrote = True
            cmds.erase_flash(esp)
        step = "write the image"
        wrote = True
        say(f"{board or name}: writing {len(app)} + {len(fs)} bytes ...")
        cmds.write_flash(esp, regions, flash_size="keep")
        step = "verify what was written"
        cmds.verify_flash(esp, regions)
        step = "reset the board"
        cmds.reset_chip(esp, "hard-reset")
    except FlashError:
        raise
    except (FatalError, serial.SerialException, OSError, ValueError) as exc:
        state = (
            "the board may be half-flashed and is NOT flashed"
            if wrote and step != "reset the board"
            else "nothing was written"
            if not wrote
            else "the image was written and verified but the reset failed"
        )
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FlashError(f"{name}: could not {step} ({said}); {state}") from None
    finally:
        if esp is not None and isinstance(port, str):
            try:
                esp._port.close()
            except Exception:  # closing a port that went away
                pass
    return FlashResult(
        board or str(name),
        str(name),
        manifest.image,
        hashlib.sha256(app).hexdigest(),
        hashlib.md5(app).hexdigest(),
        [(o, len(d)) for o, d in regions],
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )


# --- per board: the record that makes "flash once" possible ------------------------------


def record_path(state_dir: Path, board: str) -> Path:
    return state_dir / "flashed" / f"{board}.json"


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _app_md5(port: Any, length: int, connect_mode: str) -> str | None:
    """The MD5 esptool reads back of the board's first ``length`` bytes, or None."""
    from esptool import cmds

    try:
        esp = cmds.detect_chip(port, ROM_BAUD, connect_mode)
        try:
            cmds.attach_flash(esp)
            value = esp.flash_md5sum(0, length)
            cmds.reset_chip(esp, "hard-reset")
        finally:
            if isinstance(port, str):
                esp._port.close()
    except Exception:  # a board that cannot answer is flashed, not skipped
        return None
    return value if isinstance(value, str) else bytes(value).hex()


def flash_board(
    spec: BoardSpec,
    image_dir: Path | None,
    state_dir: Path,
    *,
    say: Callable[[str], None] = print,
    force: bool = False,
    comports: Callable[[], Any] | None = None,
    port: Any = None,
    stub: bool = True,
) -> FlashResult:
    """Flash a rig board unless its record says it already runs this image."""
    from harness.backends.serial import PORT_KEYS
    from harness.backends.serialdev import PortQuery

    if image_dir is None:
        raise FlashError("no image was built")
    if port is None:
        try:
            port = PortQuery(*(spec.options.get(k) for k in PORT_KEYS)).find(comports)
        except BackendError as exc:
            raise FlashError(f"{exc}; nothing written") from None
    micropython = Path(spec.options["micropython"]) if spec.options.get("micropython") else None
    baud = int(spec.options.get("flash_baud", DEFAULT_BAUD))
    record = record_path(state_dir, spec.name)
    manifest = read_manifest(image_dir)
    previous = _read_record(record)
    if previous and not force and previous.get("image") == manifest.image:
        _, app, _ = _regions(image_dir, micropython, Path("pyproject.toml"))
        if _app_md5(port, len(app), "default-reset") == previous.get("micropython_md5"):
            result = FlashResult(**{**previous, "regions": [tuple(r) for r in previous["regions"]]})
            result.skipped = True
            return result
        say(f"{spec.name}: its record names this image but the board's flash differs: flashing")
    record.unlink(missing_ok=True)  # from here on the board is not known to be flashed
    result = flash_port(
        port,
        image_dir,
        board=spec.name,
        micropython=micropython,
        baud=baud,
        stub=stub,
        erase=bool(spec.options.get("erase", False)),
        say=say,
    )
    record.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(result)
    data.pop("skipped")
    record.write_text(json.dumps(data, indent=1))
    return result
