"""``steelhil ota sweep``: power cut at flash writes of a real update, on a real local IoT Core
(Mosquitto with mutual TLS, the jobs and shadow services, moto's S3) with the firmware's
own agent on an emulated board.

The bundle is this checkout's firmware without ``ports/`` (the real boards' hardware
ports, which an emulated board never imports): the whole tree's update no longer fits
beside the factory slot in the board's 2 MiB flash (the uncut update fails ``no-space``,
docs/ota.md "Power cuts"), and these tests are about the sweep, not that budget.  They
cut a few writes of each stretch, not all of them, to stay well under a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import firmware
import firmware.agent.ota as ota
from firmware.agent.version import FIRMWARE_VERSION
from firmware.boot import selector
from harness.cli import main
from harness.ota import sweep
from harness.ota.bundle import build_bundle, write_bundle
from harness.ota.keys import KeyPair, generate, load_signing_key
from tests.ota.test_bundle_build import make_tree

ROOT = Path(__file__).resolve().parents[2]
NEW = "9.0.0"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return generate(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, keys: KeyPair) -> Path:
    """This checkout's firmware at version 9.0.0, without the hardware ports."""
    root = tmp_path_factory.mktemp("bundle")
    tree = root / "firmware"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "ports")
    shutil.copytree(Path(firmware.__file__).parent, tree, ignore=skip)
    out = root / "firmware.bundle"
    write_bundle(build_bundle(tree, NEW, load_signing_key(keys.private), target="emulated"), out)
    return out


@pytest.fixture(scope="module")
def rig(
    tmp_path_factory: pytest.TempPathFactory, bundle: Path, keys: KeyPair
) -> Iterator[sweep.Rig]:
    pem = keys.public.read_bytes()
    with sweep.Rig(
        bundle.read_bytes(), NEW, pem, tmp_path_factory.mktemp("rig"), FIRMWARE_VERSION
    ) as r:
        yield r


def steelhil(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "ota", "sweep", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


# --- the command, end to end ---------------------------------------------------------------


@pytest.mark.integration
def test_a_sweep_of_the_download_recovers_every_cut_and_says_so_in_json(
    bundle: Path, keys: KeyPair
) -> None:
    done = steelhil(
        "--bundle", bundle, "--trust", keys.public, "--every", "700", "--to-write", "2200",
        "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"] is True
    assert result["bundle_version"] == NEW and result["factory_version"] == FIRMWARE_VERSION
    marks = result["landmarks"]
    assert 2200 < marks["marker"] < marks["armed"] < marks["committed"] < result["writes"]
    assert [c["write"] for c in result["cuts"]] == [1, 701, 1401, 2101]
    assert result["planned"] == result["cut"] == result["recovered"] == 4
    assert result["failures"] == []
    for cut in result["cuts"]:
        # before the marker: the old version boots, the download resumes, the job succeeds
        assert cut == {
            "write": cut["write"],
            "stretch": "download",
            "ok": True,
            "booted": FIRMWARE_VERSION,
            "status": "SUCCEEDED",
        }
    progress = done.stderr.splitlines()
    assert any("[1/4] write 1 (download): recovered" in line for line in progress), progress
    assert any(f"{result['writes']} flash writes" in line for line in progress), progress


@pytest.mark.integration
def test_cuts_after_the_commit_leave_the_new_version_and_the_tally_is_printed(
    bundle: Path, keys: KeyPair, rig: sweep.Rig
) -> None:
    count = sweep.count_writes(rig)
    last = count.writes
    done = steelhil(
        "--bundle", bundle, "--trust", keys.public, "--from-write", str(last - 1),
        "--to-write", str(last + 50),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("2/2 cuts recovered"), done.stdout
    assert f"{last} flash writes; writes {last - 1}..{last}" in done.stdout
    assert "Traceback" not in done.stderr


# --- the Python API: what a cut leaves, and a planted bug ------------------------------------


@pytest.mark.integration
def test_a_cut_during_the_trial_boots_the_new_version_which_then_commits(rig: sweep.Rig) -> None:
    count = sweep.count_writes(rig)
    marks = count.landmarks
    assert marks.marker is not None and marks.armed is not None and marks.committed is not None
    assert count.history[marks.marker - 1].startswith("write /slots/b/slot.json")
    assert count.history[marks.armed - 1] == "rename /boot.json.tmp /boot.json"
    # the commit's own rename is cut: it does not land, so the trial boots again and commits
    cut = sweep.judge(rig, count, marks.committed)
    assert cut.stretch == "trial" and cut.what == "rename /boot.json.tmp /boot.json"
    assert cut.ok, cut.problems
    assert (cut.expected, cut.booted, cut.reported) == (NEW, NEW, NEW)
    assert cut.flash["boot_record"] == {"active": "a", "pending": "b", "attempts": 1}
    assert (cut.status, cut.final) == ("SUCCEEDED", NEW)
    after = sweep.judge(rig, count, marks.committed + 1)
    assert after.ok and after.stretch == "committed", after.problems
    assert after.flash["boot_record"]["active"] == "b" and after.booted == NEW


@pytest.mark.integration
def test_the_sweep_catches_a_handler_that_arms_the_trial_before_the_marker_is_written(
    rig: sweep.Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = sweep.count_writes(rig)
    assert honest.landmarks.marker is not None
    at_marker = sweep.judge(rig, honest, honest.landmarks.marker)
    assert at_marker.boot_error is None and at_marker.booted == FIRMWARE_VERSION

    downloaded = ota.OtaHandler._downloaded

    def arms_first(self: Any, agent: Any, event: Any) -> Any:
        if event.error is None and self.state is not None:  # the bug: arm, then the marker
            selector.arm(self.fs, self.state["target"], self.state["version"])
        return downloaded(self, agent, event)

    monkeypatch.setattr(ota.OtaHandler, "_downloaded", arms_first)
    buggy = sweep.count_writes(rig)  # uncut, the bug goes unseen: the update succeeds
    marker = buggy.landmarks.marker
    assert marker is not None
    assert buggy.history[marker - 2] == "rename /boot.json.tmp /boot.json"  # armed first
    result = sweep.sweep(rig, first=marker - 2, last=marker, keep_going=True, count=buggy)
    assert [c.write for c in result.cuts] == [marker - 2, marker - 1, marker]
    (caught,) = [c for c in result.failures if c.write == marker]
    assert not result.ok
    assert caught.stretch == "marker"
    assert (caught.what or "").startswith("write /slots/b/slot.json")
    assert caught.booted is None  # the first boot ran the armed slot b, with a torn marker
    assert caught.flash["boot_record"]["pending"] == "b"
    assert caught.flash["slot_b"].startswith("torn marker")
    assert any(
        p.startswith("the first boot after the cut failed: slot b") for p in caught.problems
    ), caught.problems
    assert all("Error:" not in p for p in caught.problems), caught.problems
    # without keep_going the sweep stops there, and says that it did
    stopped = sweep.sweep(rig, first=marker, last=marker + 5, count=buggy)
    assert [c.write for c in stopped.cuts] == [marker] and stopped.stopped_early
    assert stopped.to_json()["failures"][0]["write"] == marker


# --- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_bundle(tmp_path_factory: pytest.TempPathFactory, keys: KeyPair) -> Path:
    """A bundle (of a small tree: it is refused before any board starts) at the factory's
    own version."""
    root = tmp_path_factory.mktemp("old")
    out = root / "old.bundle"
    key = load_signing_key(keys.private)
    built = build_bundle(make_tree(root / "fw"), FIRMWARE_VERSION, key, target="emulated")
    write_bundle(built, out)
    return out


def bad(capsys: pytest.CaptureFixture[str], *args: str | Path) -> str:
    assert main(["ota", "sweep", *map(str, args)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("steelhil ota sweep: "), err
    return err


def test_bad_input_is_refused_with_exit_status_2_and_says_why(
    tmp_path: Path,
    keys: KeyPair,
    old_bundle: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    trust = ("--trust", keys.public)
    assert f"{tmp_path / 'nope'}: no such file" in bad(
        capsys, "--bundle", tmp_path / "nope", *trust
    )
    assert "is a directory, not a bundle" in bad(capsys, "--bundle", tmp_path, *trust)
    garbage = tmp_path / "garbage.bundle"
    garbage.write_bytes(b"not a bundle at all\n")
    assert "the board would refuse it (bad-bundle: " in bad(capsys, "--bundle", garbage, *trust)
    other = generate(tmp_path / "other")
    err = bad(capsys, "--bundle", old_bundle, "--trust", other.public)
    assert "the board would refuse it (bad-signature: " in err
    err = bad(capsys, "--bundle", old_bundle, *trust)
    assert f"is version {FIRMWARE_VERSION}; the board's factory firmware is" in err
    err = bad(capsys, "--bundle", old_bundle, "--trust", tmp_path / "missing.pem")
    assert "missing.pem: no such public key file" in err
    assert "public key" in bad(capsys, "--bundle", old_bundle, "--trust", keys.private)
    assert "count from 1" in bad(capsys, "--bundle", old_bundle, *trust, "--every", "0")
    err = bad(capsys, "--bundle", old_bundle, *trust, "--from-write", "9", "--to-write", "3")
    assert "--to-write 3 is before --from-write" in err
    compiled = tmp_path / "board.bundle"  # for real boards: .mpy an emulated board cannot run
    key = load_signing_key(keys.private)
    write_bundle(build_bundle(make_tree(tmp_path / "fw"), NEW, key, target="board"), compiled)
    err = bad(capsys, "--bundle", compiled, *trust)
    assert "board.bundle is built for target board: 4 of its files are compiled MicroPython" in err
    assert "build the bundle with steelhil ota bundle --target emulated" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_an_unreadable_bundle_is_bad_input(
    tmp_path: Path, keys: KeyPair, old_bundle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked.bundle"
    shutil.copy(old_bundle, locked)
    locked.chmod(0)
    err = bad(capsys, "--bundle", locked, "--trust", keys.public)
    assert "locked.bundle: cannot read it (Permission denied)" in err


# --- units -----------------------------------------------------------------------------------


def test_the_stretches_of_an_update_and_the_version_a_cut_leaves() -> None:
    history = [
        "write /slots/b/firmware/a.py.tmp +256",
        "rename /boot.json.tmp /boot.json",  # before the marker: not a landmark
        "write /slots/b/slot.json +108",
        "write /ota/state.json.tmp +256",
        "rename /boot.json.tmp /boot.json",  # arms the trial
        "rename /boot.json.tmp /boot.json",  # the trial boot's attempt
        "rename /boot.json.tmp /boot.json",  # commits
        "remove /ota/state.json",
    ]
    marks = sweep.Landmarks.find(history, "b")
    assert (marks.marker, marks.armed, marks.committed) == (3, 5, 7)
    stretches = [marks.stretch(i) for i in range(1, 9)]
    assert stretches == ["download"] * 2 + ["marker", "install", "install"] + ["trial"] * 2 + [
        "committed"
    ]
    assert [marks.boots_new(i) for i in (4, 5, 6)] == [False, False, True]
    assert sweep.Landmarks.find(history[:2], "b").boots_new(1) is None


def test_the_plan_takes_a_range_every_k_th_write_and_stops_at_n() -> None:
    assert sweep.plan(10) == list(range(1, 11))
    assert sweep.plan(10, 3, 8, 2) == [3, 5, 7]
    assert sweep.plan(10, 9, 50) == [9, 10]
    assert sweep.plan(10, 11) == []
