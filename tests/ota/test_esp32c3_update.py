"""A whole over-the-air update on the fake ESP32-C3: what ``steelhil image build`` writes is
what the board boots, and what ``steelhil ota bundle`` writes is what it installs.

The board (tests/firmware/esp32c3_boot) boots the files of a real ``fs.bin`` (built by
:func:`harness.image.build_image` and mounted back with littlefs-python); each power-on runs
its ``/main.py`` with the fakes of MicroPython's modules, so the slot's own copy of the
firmware runs, the port's ``Download`` streams the bundle from the fake HTTP server, and
``machine.reset()`` ends a run.  The bundle comes from :func:`harness.ota.bundle.build_bundle`
with a key made here; the job from the fake Jobs service (tests/firmware/esp32c3_cloud).
CPython only: building and signing bundles needs ``cryptography``.  The fake board runs
CPython, which cannot load ``.mpy``, so its image and bundles keep the firmware as source
(``compiled=False``, ``target="board-source"``); what a real board gets is compiled, and the
space it needs is measured on that (the last test).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from emulator.board.flash import Flash
from emulator.board.littlefs_image import from_image
from firmware.agent.version import FIRMWARE_VERSION
from firmware.boot import selector
from harness.backends.serial import FIRMWARE_DIR
from harness.image import build_image
from harness.image.build import ImageError, _littlefs_image
from harness.image.partitions import FsRegion
from harness.ota.bundle import BuiltBundle
from harness.ota.bundle import build_bundle as build_board_bundle
from tests.firmware.esp32c3_boot import FlashBoard
from tests.firmware.esp32c3_cloud import Jobs, Shadow
from tests.firmware.esp32c3_http import Resource

URL = "http://bundles.test/steel/fw-0.2.0.bundle?X-Amz-Signature=abc"
TRUST = "/certs/ota-signing.pub.pem"
THING = "dev-1"


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def factory_image(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The files of the fs.bin ``steelhil image build`` makes of this checkout."""
    out = tmp_path_factory.mktemp("image")
    manifest = build_image(FIRMWARE_DIR, out, compiled=False)
    flash = from_image((out / "fs.bin").read_bytes(), Flash(block_count=manifest.block_count))
    return dict(flash.snapshot().files)


def tree(tmp_path: Path, edit: Callable[[Path], None] | None = None) -> Path:
    """A copy of this checkout's firmware (``edit`` may change it: a new release)."""
    copy = tmp_path / "release" / "firmware"
    shutil.copytree(FIRMWARE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if edit is not None:
        edit(copy)
    return copy


def new_board(
    factory_image: dict[str, bytes], key: ec.EllipticCurvePrivateKey
) -> tuple[FlashBoard, Any, Jobs, Shadow]:
    board = FlashBoard()
    hw = board.hw
    board.flash(factory_image)
    board.provision(config={"ota": {"trust": [TRUST]}})
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    board.write(TRUST, public)
    return board, hw, Jobs(hw.broker, THING), Shadow(hw.broker, THING)


def build_bundle(tree: Path, version: str, key: ec.EllipticCurvePrivateKey) -> BuiltBundle:
    """A bundle for the fake board: the real board's files, as source (CPython runs them)."""
    return build_board_bundle(tree, version, key, target="board-source")


def job_for(bundle: BuiltBundle) -> dict[str, Any]:
    return {
        "operation": "steel-ota",
        "version": bundle.version,
        "url": URL,
        "sha256": bundle.sha256,
        "size": bundle.size,
    }


def reported_firmware(shadow: Shadow) -> Any:
    agent = (shadow.reported or {}).get("agent") or {}
    return agent.get("firmware")


def steps(jobs: Jobs, job_id: str) -> list[str]:
    return [details.get("step", "") for _, details in jobs.history(job_id)]


def test_the_image_boots_and_a_signed_bundle_is_installed_tried_and_committed(
    tmp_path: Path, key: ec.EllipticCurvePrivateKey, factory_image: dict[str, bytes]
) -> None:
    board, hw, jobs, shadow = new_board(factory_image, key)
    release = tree(tmp_path)
    bundle = build_bundle(release, "0.2.0", key)
    hw.http[URL] = Resource(bundle.data)
    jobs.add("ota-1", job_for(bundle))

    # boot 1: the factory slot downloads the bundle into slot b, arms it and reboots
    assert board.power_on() == "reset"
    assert board.booted_slot() == "a"
    assert f"agent: firmware {FIRMWARE_VERSION} from slot a" in hw.console
    record = board.record()
    assert (record["active"], record["pending"], record["attempts"]) == ("a", "b", 0)
    marker = json.loads(board.read("/slots/b/slot.json") or b"{}")
    assert marker["version"] == "0.2.0"
    for entry in bundle.manifest["files"]:  # the slot holds the bundle's files, verified
        data = board.read("/slots/b/" + entry["path"]) or b""
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
    assert [h[1] for h in hw.http_log] == [{}]  # one GET, from byte 0
    assert hw.http_bytes == bundle.size and max(hw.http_read_sizes) <= 4096
    assert jobs.status("ota-1") == "IN_PROGRESS"
    assert steps(jobs, "ota-1")[-1] == "reboot"
    assert "download" in steps(jobs, "ota-1")

    # boot 2: the new slot on trial passes its self-test and commits
    assert board.power_on(until=lambda: jobs.status("ota-1") == "SUCCEEDED") == "halted"
    assert board.booted_slot() == "b"
    assert "boot: slot b on trial (attempt 1)" in hw.console
    assert "agent: firmware 0.2.0 from slot b on trial" in hw.console
    record = board.record()
    assert (record["active"], record["pending"]) == ("b", None)
    assert record["last"] == {"slot": "b", "outcome": "committed", "version": "0.2.0"}
    _, details = jobs.history("ota-1")[-1]
    assert details == {"step": "commit", "version": "0.2.0", "from": FIRMWARE_VERSION}
    assert reported_firmware(shadow) == "0.2.0"

    # boot 3 (boot 2 was cut the moment the job said SUCCEEDED, before the board read the
    # answer): slot b is simply the active slot; the last report goes once more, the
    # service says the job has ended, and the board forgets it
    assert board.exists("/ota/state.json")
    assert board.power_on(until=lambda: not board.exists("/ota/state.json")) == "halted"
    assert board.booted_slot() == "b"
    assert hw.console.count("boot: slot b") == 1 and hw.resets == 1
    assert [status for status, _ in jobs.history("ota-1")].count("SUCCEEDED") == 1


def test_a_download_cut_half_way_resumes_with_a_range_request(
    tmp_path: Path, key: ec.EllipticCurvePrivateKey, factory_image: dict[str, bytes]
) -> None:
    board, hw, jobs, shadow = new_board(factory_image, key)
    bundle = build_bundle(tree(tmp_path), "0.2.0", key)
    cut = 300_000
    resource = Resource(bundle.data, drops=[cut])
    hw.http[URL] = resource
    jobs.add("ota-2", job_for(bundle))
    assert board.power_on() == "reset"
    assert [(status, start) for status, start, _ in resource.responses] == [(200, 0), (206, cut)]
    assert [h[1] for h in hw.http_log] == [{}, {"Range": f"bytes={cut}-"}]
    assert hw.http_bytes == bundle.size  # nothing was fetched twice
    assert board.record()["pending"] == "b"
    assert board.power_on(until=lambda: jobs.status("ota-2") == "SUCCEEDED") == "halted"
    assert board.booted_slot() == "b" and reported_firmware(shadow) == "0.2.0"


def test_a_bundle_that_does_not_boot_is_rolled_back_and_the_job_fails(
    tmp_path: Path, key: ec.EllipticCurvePrivateKey, factory_image: dict[str, bytes]
) -> None:
    def break_it(copy: Path) -> None:
        app = copy / "ports" / "esp32c3" / "app.py"
        app.write_text('raise RuntimeError("this build is broken")\n' + app.read_text())

    board, hw, jobs, shadow = new_board(factory_image, key)
    bundle = build_bundle(tree(tmp_path, break_it), "0.3.0", key)
    hw.http[URL] = bundle.data
    jobs.add("ota-3", job_for(bundle))
    assert board.power_on() == "reset"  # installed, armed
    for _ in range(selector.MAX_ATTEMPTS):
        assert board.power_on() == "reset"  # the new code raises on import
    assert sum("this build is broken" in line for line in hw.console) >= selector.MAX_ATTEMPTS
    assert board.power_on(until=lambda: jobs.status("ota-3") == "FAILED") == "halted"
    assert board.booted_slot() == "a"
    _, details = jobs.history("ota-3")[-1]
    assert details["reason"] == "boot-failed"
    record = board.record()
    assert (record["active"], record["pending"]) == ("a", None)
    assert reported_firmware(shadow) == FIRMWARE_VERSION


def test_a_bundle_signed_by_a_key_the_board_does_not_trust_is_not_installed(
    tmp_path: Path, key: ec.EllipticCurvePrivateKey, factory_image: dict[str, bytes]
) -> None:
    board, hw, jobs, _ = new_board(factory_image, key)
    stranger = ec.generate_private_key(ec.SECP256R1())
    bundle = build_bundle(tree(tmp_path), "0.2.0", stranger)
    hw.http[URL] = bundle.data
    jobs.add("ota-4", job_for(bundle))
    assert board.power_on(until=lambda: jobs.status("ota-4") == "FAILED") == "halted"
    _, details = jobs.history("ota-4")[-1]
    assert details["reason"] == "bad-signature"
    assert hw.http_bytes < bundle.size  # it stopped reading once the head was refused
    assert not board.exists("/slots/b/slot.json") and board.record()["pending"] is None
    assert hw.resets == 0


# --- what the flash holds ------------------------------------------------------------------

BOARD_BLOCKS = 512  # the 4 MB board's vfs partition, 0x200000..0x400000, in 4 KiB blocks


#: The board's own small files at the peak of an update (each takes a block).
OWN_FILES = ("/config.json", "/wifi.json", "/boot.json", "/ota/state.json", TRUST)


def update_peak(image: dict[str, bytes], bundle: BuiltBundle) -> dict[str, bytes]:
    """What the flash holds at the end of an install: the image (slot a, the boot main, the
    selector), the bundle's files in slot b, the bundle's head kept while the install runs,
    and the board's own files."""
    peak = dict(image)
    payload = len(bundle.data) - sum(int(e["size"]) for e in bundle.manifest["files"])
    peak["/ota/head.bin"] = bundle.data[:payload]
    offset = payload
    for entry in bundle.manifest["files"]:
        size = int(entry["size"])
        peak["/slots/b/" + entry["path"]] = bundle.data[offset : offset + size]
        offset += size
    for path in OWN_FILES:
        peak[path] = b"x" * 300
    return peak


def test_an_update_of_this_firmware_fits_the_4mb_boards_filesystem(
    tmp_path: Path, key: ec.EllipticCurvePrivateKey
) -> None:
    """Compiled (the image's slot a and a ``--target board`` bundle), two slots and the
    update's state fit the 512 blocks with room to grow; as source they did not (about
    520 blocks: docs/ota.md, "Space")."""
    out = tmp_path / "image"
    manifest = build_image(FIRMWARE_DIR, out)
    assert manifest.compiled
    image = dict(
        from_image((out / "fs.bin").read_bytes(), Flash(block_count=BOARD_BLOCKS)).snapshot().files
    )
    bundle = build_board_bundle(tree(tmp_path), "0.2.0", key, target="board")
    assert all(e["path"].endswith(".mpy") for e in bundle.manifest["files"])
    slot_a = {p: d for p, d in image.items() if p.startswith("/slots/a/")}
    one_slot = blocks_needed(slot_a)
    needed = blocks_needed(update_peak(image, bundle))
    print(f"compiled: one slot {one_slot} blocks, the update's peak {needed} of {BOARD_BLOCKS}")
    assert needed <= BOARD_BLOCKS - HEADROOM_BLOCKS, (
        f"{needed} blocks needed at the peak of an update, the board has {BOARD_BLOCKS}: "
        f"less than {HEADROOM_BLOCKS} left for the firmware to grow"
    )


#: Room left at the peak of a compiled update for the firmware to grow between releases.
HEADROOM_BLOCKS = 100


def blocks_needed(files: dict[str, bytes]) -> int:
    """The fewest 4 KiB blocks a littlefs image holding ``files`` fits in, with the
    parameters MicroPython formats the C3's filesystem with."""
    low, high = 16, 4096
    while low < high:
        mid = (low + high) // 2
        try:
            _littlefs_image(files, FsRegion(0, mid * 4096, "test"), "test")
            high = mid
        except ImageError:
            low = mid + 1
    return low
