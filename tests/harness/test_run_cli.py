"""``steelhil run`` and ``steelhil demo`` as a user runs them: a real process, a local IoT
Core it starts by itself, reports on disk, exit status 0/1."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

GOOD = """
    name: greets
    tags: [smoke]
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect: {status: {state: finished}}
"""
BAD = """
    name: waits for nothing
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect:
          mqtt: {topic: never/sent}
          within: 3s
"""


def steelhil(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def scenario_dir(tmp_path: Path, **files: str) -> Path:
    directory = tmp_path / "scenarios"
    directory.mkdir()
    (directory / "hello.scm").write_text('(log "info" "hello")\n')
    for name, text in files.items():
        (directory / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip())
    return directory


def test_passing_run_exits_0_and_writes_every_report(tmp_path: Path) -> None:
    scenario_dir(tmp_path, good=GOOD)
    done = steelhil("run", "scenarios", "--report", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "PASSED" in done.stdout and "greets" in done.stdout
    for name in ("junit.xml", "report.html", "results.json", "fingerprint.json"):
        assert (tmp_path / "out" / name).is_file()
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [s["status"] for s in results["scenarios"]] == ["passed"]


def test_a_failure_and_a_broken_file_exit_1_and_the_rest_still_runs(tmp_path: Path) -> None:
    scenario_dir(tmp_path, good=GOOD, bad=BAD, broken="steps:\n  - expcet: {}\n")
    done = steelhil("run", "scenarios", "--report", "out", "--no-color", cwd=tmp_path)
    assert done.returncode == 1
    assert "broken.yaml:2:5 (steps[0].expcet): unknown step 'expcet'" in done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    statuses = {s["name"]: s["status"] for s in results["scenarios"]}
    assert statuses == {"greets": "passed", "waits for nothing": "failed", "broken": "error"}


def test_tags_select_scenarios(tmp_path: Path) -> None:
    scenario_dir(tmp_path, good=GOOD, bad=BAD)
    done = steelhil("run", "scenarios", "--tags", "smoke", "--report", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [s["name"] for s in results["scenarios"]] == ["greets"]


def test_the_demo_runs_the_example_scenarios(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    done = steelhil("demo", "--report", str(tmp_path / "demo"), cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "report: " in done.stdout
    results = json.loads((tmp_path / "demo" / "results.json").read_text())
    assert len(results["scenarios"]) >= 3
    assert max(len(s["devices"]) for s in results["scenarios"]) == 3


def test_repository_scenarios_run_on_the_emulated_pty_backend(tmp_path: Path) -> None:
    """The same scenario files, each board in its own process behind a PTY, provisioned
    through the raw REPL and driven through its control channel, on wall time."""
    repo = Path(__file__).resolve().parents[2]
    files = [str(repo / "scenarios" / f) for f in ("button.yaml", "commands.yaml")]
    done = steelhil(
        "run", *files, "--backend", "emulated-pty", "--report", str(tmp_path / "r"), cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert {d["backend"] for s in results["scenarios"] for d in s["devices"]} == {"emulated-pty"}
    assert {s["time_base"] for s in results["scenarios"]} == {"wall"}


def test_a_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    done = steelhil("run", "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert "no such file or directory: nowhere" in done.stderr
