"""``steelhil nightly`` refuses bad input before it spends a night, and survives a corrupted
history without losing the night's report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.history.store import DB_NAME, open_history

HELLO = '(mqtt-publish "greeting" (json-encode \'((n . 1))))\n'
GREETS = """\
name: greets
programs: {hello: hello.scm}
steps:
  - deploy: hello
  - expect:
      mqtt: {topic: greeting}
      within: 10s
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "hello.scm").write_text(HELLO)
    (tmp_path / "scenarios" / "greets.yaml").write_text(GREETS)
    (tmp_path / "rig.yaml").write_text("locks: locks\nemulated: {count: 1}\n")
    return tmp_path


def nightly(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "nightly", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )


def test_a_rig_naming_an_absent_port_stops_before_anything_is_flashed(project: Path) -> None:
    (project / "rig.yaml").write_text(
        "locks: locks\nboards:\n  - name: bench-1\n    backend: serial\n"
        "    port: /dev/ttyACM-steelhil-absent\n    micropython: mp.bin\n"
    )
    done = nightly(project, "scenarios", "--rig", "rig.yaml", "--history", "h")
    assert done.returncode == 3
    assert "MISSING /dev/ttyACM-steelhil-absent does not exist" in done.stderr
    assert "stopped: the rig is not whole" in done.stderr
    assert "4/7 flash" not in done.stderr
    assert "Traceback" not in done.stderr
    with open_history(project / "h") as store:
        assert store.nights() == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--candidate", "bundle.zip"], "firmware bundles arrive with the OTA issue"),
        (["--candidate", "nowhere"], "--candidate nowhere: no such directory"),
        (["--candidate", "scenarios"], "not a firmware directory"),
        (["missing-dir"], "no such scenario path: missing-dir"),
    ],
)
def test_bad_candidates_and_paths(project: Path, args: list[str], said: str) -> None:
    (project / "bundle.zip").write_bytes(b"PK")
    paths = [] if args[0].startswith("--") else args
    options = args if args[0].startswith("--") else []
    done = nightly(
        project, *(paths or ["scenarios"]), "--rig", "rig.yaml", "--history", "h", *options
    )
    assert done.returncode == 2
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_a_history_from_a_newer_steelhil_stops_the_night_first(project: Path) -> None:
    with open_history(project / "h") as store:
        store._execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
        store._db.commit()
    done = nightly(project, "scenarios", "--rig", "rig.yaml", "--history", "h")
    assert done.returncode == 2
    assert "written by a newer steelhil (schema 7)" in done.stderr
    assert "1/7 build" not in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--fail-on", "broken"], "expected verdicts from failed, error, flaky, skipped"),
        (["--retries", "-1"], "expected 0 or more"),
        (["--retries", "two"], "expected a whole number"),
    ],
)
def test_bad_flags(project: Path, args: list[str], said: str) -> None:
    done = nightly(project, "--rig", "rig.yaml", "--history", "h", *args)
    assert done.returncode == 2
    assert said in done.stderr


def test_a_corrupted_history_is_set_aside_and_no_report_is_lost(project: Path) -> None:
    first = nightly(project, "scenarios", "--rig", "rig.yaml", "--history", "h", "--night-id", "n1")
    assert first.returncode == 0, first.stderr[-3000:]
    (project / "h" / DB_NAME).write_bytes(b"\x00garbage" * 512)
    second = nightly(
        project,
        "scenarios",
        "--rig",
        "rig.yaml",
        "--history",
        "h",
        "--night-id",
        "n2",
        "--report",
        "tonight",
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert "warning: " in second.stderr and "the history database is corrupted" in second.stderr
    assert "rebuilt 1 night(s)" in second.stderr
    assert "night n2 compared with n1:" in second.stdout
    assert (project / "tonight" / "report.html").is_file()
    assert (project / "h" / "nights" / "n1" / "report" / "report.html").is_file()
    assert (project / "h" / "nights" / "n2" / "report" / "report.html").is_file()
    assert len(list((project / "h").glob(f"{DB_NAME}.corrupt-*"))) == 1
    with open_history(project / "h") as store:
        assert [n.id for n in store.nights()] == ["n1", "n2"]


def test_fail_on_decides_the_exit_status(project: Path) -> None:
    (project / "scenarios" / "fails.yaml").write_text(
        GREETS.replace("name: greets", "name: fails")
        .replace("{topic: greeting}", "{topic: nothing}")
        .replace("10s", "1s")
    )
    strict = nightly(
        project,
        "scenarios",
        "--rig",
        "rig.yaml",
        "--history",
        "h",
        "--retries",
        "0",
        "--fail-on",
        "none",
    )
    assert strict.returncode == 0
    assert "PASSED (1 passed, 1 failed); failed not failing it (--fail-on none)" in strict.stderr
    flaky = nightly(
        project,
        "scenarios",
        "--rig",
        "rig.yaml",
        "--history",
        "h",
        "--retries",
        "0",
        "--fail-on",
        "failed,flaky",
    )
    assert flaky.returncode == 1
    assert "FAILED: 1 scenario(s) failed/flaky" in flaky.stderr
