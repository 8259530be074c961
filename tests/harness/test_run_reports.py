"""Reports that tell the truth, from a real ``steelhil run`` (a process, the local IoT Core,
virtual boards running the firmware): each scenario's device facts are its own devices'
at its end, the fingerprint names every file a scenario read, and the terminal shows the
failing step's expected and observed values in full, sized to the terminal."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from firmware.agent.version import FIRMWARE_VERSION

pytestmark = pytest.mark.integration

LONG = "a-long-expected-value-" * 8  # 176 characters: more than any cut would keep
SCENARIOS = {
    "pixel": """
        name: ends with the pixel lit
        programs: {pixel: pixel.scm}
        steps:
          - deploy: pixel
          - expect:
              pixel: {color: [0, 128, 255]}
              within: 2s
    """,
    "reboot": """
        name: a reset reboots the board
        programs: {hello: hello.scm}
        steps:
          - deploy: hello
          - expect: {status: {state: finished}}
          - power: {device: dev-1, action: reset}
          - expect:
              log: {contains: booting}
              within: 30s
    """,
    "wrong": f"""
        name: a scenario whose name is long enough that a sixty character cut would hide the end
        programs: {{hello: hello.scm}}
        steps:
          - deploy: hello
          - expect:
              mqtt: {{topic: greeting, payload: {{n: 2, text: {LONG}}}}}
              within: 2s
    """,
}


def steelhil(*args: str, cwd: Path, columns: int = 100) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "COLUMNS": str(columns)},
    )


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("run")
    directory = root / "scenarios"
    directory.mkdir()
    (directory / "hello.scm").write_text(
        '(log "info" "hello") (mqtt-publish "greeting" (json-encode \'((n . 1))))\n'
    )
    (directory / "pixel.scm").write_text("(led-set-color 0 128 255)\n")
    for name, text in SCENARIOS.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    done = steelhil("run", "scenarios", "--report", "out", "--no-color", cwd=root)
    return root, done


def results(root: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((root / "out" / "results.json").read_text())
    return {s["name"]: s for s in data["scenarios"]} | {"": data}


def test_device_facts_are_read_at_the_end_of_each_scenario(
    ran: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, done = ran
    assert done.returncode == 1, done.stdout + done.stderr  # "wrong" fails
    by_name = results(root)
    (pixel,) = by_name["ends with the pixel lit"]["devices"]
    (reboot,) = by_name["a reset reboots the board"]["devices"]
    assert pixel["facts"]["pixel"] == [0, 128, 255]
    assert reboot["facts"]["pixel"] == [0, 0, 0]
    assert reboot["facts"]["boot_count"] == pixel["facts"]["boot_count"] + 1  # the reset
    for facts in (pixel["facts"], reboot["facts"]):
        assert facts["firmware_version"] == FIRMWARE_VERSION  # as the device reported it
        assert facts["uptime"] > 0
    assert pixel["name"] != reboot["name"]  # each scenario's own board


def test_the_fingerprint_hashes_the_programs_each_scenario_deployed(
    ran: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    root, _ = ran
    by_name = results(root)
    hello = hashlib.sha256((root / "scenarios" / "hello.scm").read_bytes()).hexdigest()
    pixel = hashlib.sha256((root / "scenarios" / "pixel.scm").read_bytes()).hexdigest()
    fingerprint = json.loads((root / "out" / "fingerprint.json").read_text())
    assert fingerprint["inputs_sha256"] == {
        "scenarios/hello.scm": hello,
        "scenarios/pixel.scm": pixel,
    }
    assert list(fingerprint["scenarios_sha256"]) == [
        "scenarios/pixel.yaml",
        "scenarios/reboot.yaml",
        "scenarios/wrong.yaml",
    ]
    assert by_name["ends with the pixel lit"]["inputs_sha256"] == {"scenarios/pixel.scm": pixel}
    assert by_name[""]["fingerprint"]["inputs_sha256"] == fingerprint["inputs_sha256"]


def test_a_failure_is_printed_in_full_and_the_table_fits_the_terminal(
    ran: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    _, done = ran
    out = done.stdout
    assert "=" * 10 + " FAILURES " + "=" * 10 in out
    wrong = "scenarios/wrong.yaml::a scenario whose name is long enough that a sixty"
    assert f"__ {wrong} character cut would hide the end\n" in out  # wider than the terminal
    failure = out.split("FAILURES", 1)[1]
    assert "step 2 failed (scenarios/wrong.yaml:5:5 (steps[1].expect)): expect message" in failure
    assert f'  expected: message on greeting with {{"n": 2, "text": "{LONG}"}}' in failure
    assert "  observed: 1 message(s) on greeting/+ that did not match" in failure
    assert '{"n":1}' in failure
    assert "console of dev-1-" in failure and "[info] hello: hello" in failure
    table = out[out.index("STATUS  ") :].splitlines()
    assert table[0].split() == ["STATUS", "SCENARIO", "TIME"]  # the reason has its own line
    rows = [line for line in table if line.startswith(("PASSED", "FAILED "))]
    assert len(rows) == 3
    assert any(wrong + " character cut would hide the end" in row for row in rows)  # not cut
    reason = next(line for line in table if line.startswith("    step 2:"))
    assert len(reason) <= 100 and reason.endswith("…")  # too long for 100 columns: cut
    assert "PASSED  scenarios/pixel.yaml::ends with the pixel lit" in out


def test_ids_of_files_outside_the_current_directory_are_relative(tmp_path: Path) -> None:
    directory = tmp_path / "qa"
    directory.mkdir()
    (directory / "hello.scm").write_text('(log "info" "hello")\n')
    (directory / "greets.yaml").write_text(
        "programs: {hello: hello.scm}\nsteps:\n  - deploy: hello\n"
        "  - expect: {status: {state: finished}}\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = steelhil("run", str(directory), "--report", "out", cwd=elsewhere, columns=200)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED  ../qa/greets.yaml::greets" in done.stdout
    fingerprint = json.loads((elsewhere / "out" / "fingerprint.json").read_text())
    assert list(fingerprint["scenarios_sha256"]) == ["../qa/greets.yaml"]
    assert list(fingerprint["inputs_sha256"]) == ["../qa/hello.scm"]
