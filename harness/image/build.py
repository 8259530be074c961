"""``steelhil image build``: the filesystem image, and with MicroPython a merged image.

Output directory::

    OUT/fs.bin        the littlefs v2 image, exactly the partition's size (block count
                      from the partition table and the flash size)
    OUT/merged.bin    with --micropython: MicroPython at 0x0, the filesystem at its
                      offset, 0xFF between -- what ``esptool merge-bin`` makes
    OUT/image.json    what was built: image id, files and their sha256, offsets, block
                      count, the MicroPython file and its pin

Slot a holds the firmware compiled to ``.mpy`` (``compiled=False``, ``--source``: as
source, which leaves no room for an update on the 4 MB board; docs/ota.md, "Space").

The filesystem is built with the parameters MicroPython mounts (reference notes 2:
block 4096, read/prog 32, lookahead 32, block_cycles 100); a block count that differs
from the partition's makes MicroPython refuse to mount it, hence the exact count.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .layout import LAYOUT, LayoutError, app_layout, image_id, with_marker
from .partitions import FsRegion, PartitionError, flash_bytes, fs_region, read_table
from .pin import Pin, PinError, check_pin, read_pin

MANIFEST = "image.json"
FORMAT = 1
C3_CHIP_ID = 5


class ImageError(Exception):
    """An image cannot be built or read; the message names the file and what is wrong."""


@dataclass
class ImageManifest:
    image: str
    layout: str
    firmware_version: str
    firmware_sha256: str
    files: dict[str, str]
    used_bytes: int
    fs_file: str
    fs_sha256: str
    fs_offset: int
    fs_size: int
    block_size: int
    block_count: int
    flash_size: str
    fs_region: str
    micropython: dict[str, str] | None = None
    merged: str | None = None
    merged_sha256: str | None = None
    config_for: str | None = None
    compiled: bool = False  # slot a's modules as .mpy (images from before say nothing: source)
    format: int = FORMAT
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file_count(self) -> int:
        return len(self.files)


def _littlefs_image(files: dict[str, bytes], region: FsRegion, where: str) -> bytes:
    from emulator.board.littlefs_image import LFS_CONFIG

    try:
        import littlefs
    except ImportError:
        raise ImageError(
            "building images needs littlefs-python: pip install 'aws-iot-steel[hw]'"
        ) from None
    config: dict[str, Any] = dict(LFS_CONFIG, block_size=4096, block_count=region.block_count)
    fs = littlefs.LittleFS(**config)
    try:
        for path in sorted(files):
            parent = path.rsplit("/", 1)[0]
            if parent:
                fs.makedirs(parent, exist_ok=True)
            with fs.open(path, "wb") as f:
                f.write(files[path])
    except littlefs.LittleFSError as exc:
        total = sum(len(v) for v in files.values())
        raise ImageError(
            f"{where}: the app's files ({total} bytes in {len(files)} files) do not fit the "
            f"{region.size // 1024} KiB filesystem at 0x{region.offset:x} ({region.block_count} "
            f"blocks, {region.source}): littlefs says {_lfs_said(exc)}"
        ) from None
    return bytes(fs.context.buffer)


def _lfs_said(exc: Exception) -> str:
    code = getattr(exc, "code", None)
    return "no space left" if code == -28 else f"error {code}"


def _check_micropython(path: Path, data: bytes, region: FsRegion) -> None:
    if not data or data[0] != 0xE9:
        raise ImageError(f"{path}: not an ESP firmware image (it does not start with 0xE9)")
    chip = int.from_bytes(data[12:14], "little") if len(data) >= 14 else -1
    if chip != C3_CHIP_ID:
        raise ImageError(
            f"{path}: built for chip id {chip}, not the ESP32-C3 (5): use ESP32_GENERIC_C3"
        )
    if len(data) > region.offset:
        raise ImageError(
            f"{path}: {len(data)} bytes, overlapping the filesystem at 0x{region.offset:x}"
        )


def build_image(
    firmware: Path,
    out: Path,
    *,
    main: Path | None = None,
    micropython: Path | None = None,
    pin: str | None = None,
    config: Path = Path("pyproject.toml"),
    flash_size: str = "4MB",
    extra_files: dict[str, bytes] | None = None,
    config_for: str | None = None,
    compiled: bool = True,
) -> ImageManifest:
    from harness.fingerprint import firmware_fingerprint

    try:
        files = app_layout(firmware, main, compiled=compiled)
        size = flash_bytes(flash_size)
    except (LayoutError, PartitionError) as exc:
        raise ImageError(str(exc)) from None
    files.update(extra_files or {})
    mp_data: bytes | None = None
    table = None
    mp_facts: dict[str, str] | None = None
    if micropython is not None:
        try:
            mp_data = micropython.read_bytes()
        except OSError as exc:
            raise ImageError(f"{micropython}: cannot read it ({exc.strerror})") from None
        try:
            found = Pin(pin.lower(), source="--pin") if pin else read_pin(config)
            digest = check_pin(micropython, mp_data, found, config)
            table = read_table(mp_data)
        except (PinError, PartitionError) as exc:
            raise ImageError(
                f"{micropython}: {exc}" if isinstance(exc, PartitionError) else str(exc)
            ) from None
        mp_facts = {"file": micropython.name, "sha256": digest}
        if found is not None and found.version:
            mp_facts["version"] = found.version
    try:
        region = fs_region(table, size)
    except PartitionError as exc:
        raise ImageError(f"{micropython}: {exc}") from None
    if mp_data is not None and micropython is not None:
        _check_micropython(micropython, mp_data, region)
    version, sha = firmware_fingerprint(firmware.parent)
    marked = with_marker(files, {"layout": LAYOUT, "firmware_version": version})
    fs = _littlefs_image(marked, region, str(firmware))
    out.mkdir(parents=True, exist_ok=True)
    (out / "fs.bin").write_bytes(fs)
    manifest = ImageManifest(
        image=image_id(files),
        layout=LAYOUT,
        firmware_version=version,
        firmware_sha256=sha,
        files={p: hashlib.sha256(d).hexdigest() for p, d in sorted(marked.items())},
        used_bytes=sum(len(d) for d in marked.values()),
        fs_file="fs.bin",
        fs_sha256=hashlib.sha256(fs).hexdigest(),
        fs_offset=region.offset,
        fs_size=region.size,
        block_size=4096,
        block_count=region.block_count,
        flash_size=flash_size,
        fs_region=region.source,
        micropython=mp_facts,
        config_for=config_for,
        compiled=compiled,
    )
    if mp_data is not None:
        merged = mp_data + b"\xff" * (region.offset - len(mp_data)) + fs
        (out / "merged.bin").write_bytes(merged)
        manifest.merged = "merged.bin"
        manifest.merged_sha256 = hashlib.sha256(merged).hexdigest()
    (out / MANIFEST).write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n")
    return manifest


def read_manifest(directory: Path) -> ImageManifest:
    """An image directory's ``image.json``, checked against the files beside it."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ImageError(f"{path}: no image here; build one with `steelhil image build`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImageError(f"{path}: cannot read it ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImageError(f"{path}: format: this steelhil reads image format {FORMAT}")
    known = ImageManifest.__dataclass_fields__
    for name, spec in known.items():
        required = (
            spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        )
        if name not in data and required:
            raise ImageError(f"{path}: missing field '{name}'")
    manifest = ImageManifest(**{k: v for k, v in data.items() if k in known})
    fs = directory / manifest.fs_file
    if not fs.is_file() or hashlib.sha256(fs.read_bytes()).hexdigest() != manifest.fs_sha256:
        raise ImageError(f"{fs}: missing or not the file {path} describes (fs_sha256); rebuild")
    return manifest
