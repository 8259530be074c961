"""``steelhil flash``: real esptool (its Python API, its flasher stub upload, compression and
verify) against a fake ESP32-C3 ROM bootloader on a PTY (tests/harness/nightly/fakerom.py).
No board was flashed here."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.board.flash import Flash
from emulator.board.littlefs_image import from_image
from firmware.agent.version import FIRMWARE_VERSION
from harness.backends.base import BoardSpec
from harness.backends.serial import FIRMWARE_DIR
from harness.cli import main
from harness.flash import FlashError, flash_board, flash_port
from harness.flash.esp import record_path
from harness.image import build_image

from .fakeimages import micropython
from .fakerom import FakeC3


@pytest.fixture
def image(tmp_path: Path) -> Path:
    mp = tmp_path / "mp.bin"
    mp.write_bytes(micropython())
    out = tmp_path / "image"
    build_image(FIRMWARE_DIR, out, micropython=mp, pin=hashlib.sha256(mp.read_bytes()).hexdigest())
    return out


@pytest.fixture
def board() -> Iterator[FakeC3]:
    fake = FakeC3()
    yield fake
    fake.close()


def quiet(line: str) -> None:
    pass


def test_flashes_both_regions_and_the_board_holds_the_image(image: Path, board: FakeC3) -> None:
    result = flash_port(board.path, image, board="bench-1", say=quiet)
    merged = (image / "merged.bin").read_bytes()
    app = merged[:0x200000].rstrip(b"\xff")
    assert bytes(board.flash[: len(app)]) == app
    assert bytes(board.flash[0x200000:]) == (image / "fs.bin").read_bytes()
    files = from_image(bytes(board.flash[0x200000:]), Flash()).snapshot().files
    assert files["/main.py"] == (FIRMWARE_DIR / "ports/esp32c3/boot_main.py").read_bytes()
    assert files["/lib/steel_boot.py"] == (FIRMWARE_DIR / "boot/selector.py").read_bytes()
    assert json.loads(files["/slots/a/slot.json"])["version"] == FIRMWARE_VERSION
    assert board.stub  # esptool uploaded and ran its flasher stub
    assert 0x10 in board.ops and 0x13 in board.ops  # compressed writes, MD5 verify
    assert result.regions[1] == (0x200000, 2 * 1024 * 1024)
    assert "flashed image" in str(result) and "verified" in str(result)


def test_a_board_is_flashed_once_until_its_flash_differs(
    image: Path, board: FakeC3, tmp_path: Path
) -> None:
    spec = BoardSpec("bench-1", "serial", options={"port": board.path})
    state = tmp_path / "locks"
    first = flash_board(spec, image, state, say=quiet)
    assert not first.skipped
    record = json.loads(record_path(state, "bench-1").read_text())
    assert record["image"] == first.image
    writes = board.ops.count(0x11)
    again = flash_board(spec, image, state, say=quiet)
    assert again.skipped and "skipped" in str(again)
    assert board.ops.count(0x11) == writes  # nothing written the second time
    board.flash[0x20000] ^= 0xFF  # someone flashed another MicroPython by hand
    said: list[str] = []
    third = flash_board(spec, image, state, say=said.append)
    assert not third.skipped and board.ops.count(0x11) > writes
    assert any("the board's flash differs: flashing" in s for s in said)
    forced = flash_board(spec, image, state, say=quiet, force=True)
    assert not forced.skipped


def test_a_flash_size_that_does_not_match_writes_nothing(image: Path) -> None:
    fake = FakeC3(flash_size="8MB")
    try:
        with pytest.raises(FlashError) as caught:
            flash_port(fake.path, image, say=quiet)
        said = str(caught.value)
        assert "the board's flash is 8MB, the image was built for 4MB" in said
        assert "rebuild with --flash-size 8MB; nothing written" in said
        assert bytes(fake.flash) == b"\xff" * len(fake.flash)
    finally:
        fake.close()


def test_a_board_unplugged_half_way_is_never_reported_flashed(image: Path, tmp_path: Path) -> None:
    good = FakeC3()
    spec = BoardSpec("bench-1", "serial", options={"port": good.path})
    state = tmp_path / "locks"
    try:
        flash_board(spec, image, state, say=quiet)
    finally:
        good.close()
    assert record_path(state, "bench-1").is_file()
    (image / "extra").write_text("x")  # a new image: the board must be written again
    mp = image.parent / "mp.bin"
    build_image(
        FIRMWARE_DIR,
        image,
        micropython=mp,
        pin=hashlib.sha256(mp.read_bytes()).hexdigest(),
        flash_size="4MB",
        extra_files={"/extra.txt": b"changed"},
    )
    cut = FakeC3(unplug_after=3)
    spec = BoardSpec("bench-1", "serial", options={"port": cut.path})
    try:
        with pytest.raises(FlashError) as caught:
            flash_board(spec, image, state, say=quiet)
    finally:
        cut.close()
    said = str(caught.value)
    assert "could not write the image" in said
    assert "the board may be half-flashed and is NOT flashed" in said
    assert "Traceback" not in said
    assert not record_path(state, "bench-1").exists()  # the old record is gone too


def test_the_command(
    image: Path, board: FakeC3, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flash", "--port", board.path, "--image", str(image)]) == 0
    assert "flashed image" in capsys.readouterr().out
    assert main(["flash", "--port", board.path, "--image", str(tmp_path / "none")]) == 2
    assert "no image here; build one with `steelhil image build`" in capsys.readouterr().err
    rig = tmp_path / "rig.yaml"
    rig.write_text(
        f"locks: {tmp_path}/locks\nboards:\n  - name: bench-1\n    backend: serial\n"
        f"    port: {board.path}\n"
    )
    assert main(["flash", "--board", "bench-9", "--rig", str(rig), "--image", str(image)]) == 2
    assert "no serial board named 'bench-9' (serial boards: bench-1)" in capsys.readouterr().err
    assert main(["flash", "--board", "bench-1", "--rig", str(rig), "--image", str(image)]) == 0
    assert main(["flash", "--board", "bench-1", "--rig", str(rig), "--image", str(image)]) == 0
    assert "skipped" in capsys.readouterr().out


def test_a_night_flashes_a_real_board_once_across_nights(
    image: Path, board: FakeC3, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "scenarios").mkdir(parents=True)
    (project / "scenarios" / "hello.scm").write_text('(mqtt-publish "greeting" "hi")\n')
    (project / "scenarios" / "greets.yaml").write_text(
        "name: greets\nfleet: {tags: [virtual]}\nprograms: {hello: hello.scm}\nsteps:\n"
        "  - deploy: hello\n  - expect:\n      mqtt: {topic: greeting}\n      within: 10s\n"
    )
    mp = tmp_path / "mp.bin"
    (project / "pyproject.toml").write_text(
        f'[tool.steelhil.micropython]\nsha256 = "{hashlib.sha256(mp.read_bytes()).hexdigest()}"\n'
    )
    (project / "rig.yaml").write_text(
        f"locks: locks\nboards:\n  - name: bench-1\n    backend: serial\n    port: {board.path}\n"
        f"    micropython: {mp}\nemulated: {{count: 1, tags: [virtual]}}\n"
    )

    def night(n: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "harness.cli",
                "nightly",
                "scenarios",
                "--rig",
                "rig.yaml",
                "--history",
                "h",
                "--micropython",
                str(mp),
                "--night-id",
                n,
            ],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
            env=dict(os.environ),
        )

    first = night("n1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "bench-1: flashed image" in first.stderr
    writes = board.ops.count(0x11)
    second = night("n2")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "bench-1: already runs image" in second.stderr and "skipped" in second.stderr
    assert board.ops.count(0x11) == writes
