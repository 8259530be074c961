"""The features QA asked for, run for real (``steelhil run`` and pytest on virtual boards
against the local IoT Core): ``{thing}`` in payloads and predicates, compound durations,
included steps files with parameters (a failing included step reports its own file and
line, and the include), soft expectations, and shadow expectations on desired and delta."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

HELLO = (
    '(mqtt-publish "greeting" (json-encode `((device . ,(device-id)) (n . 1))))'
    '(log "info" "hello")\n'
)
LAMP = """
(on-shadow-delta
  (lambda (delta)
    (let ((led (get delta 'led)))
      (when led
        (if (equal? led "on") (led-on) (led-off))
        (shadow-update "led" led)))))
"""
GREETS = """
    description: deploy a program to every device and wait for their greetings
    params:
      program: {doc: a name from the scenario's programs}
      within: {default: 10s}
      count: {default: 1, doc: how many devices greet}
    steps:
      - deploy: "${program}"
      - expect:
          mqtt:
            topic: greeting
            where: "device == {thing} and n == 1"
            count: "${count}"
          within: "${within}"
"""
LED_ON = """
    params:
      device: {default: dev-1}
    steps:
      - desired: {device: "${device}", state: {led: "on"}}
      - expect:
          led: {device: "${device}", on: true}
          within: 5s
      - expect:
          shadow: {device: "${device}", desired: {led: "on"}, delta: none}
          within: 5s
"""
FEATURES = """
    name: every feature at once
    fleet: {devices: [dev-1, dev-2]}
    timeout: 1h30m
    programs: {hello: hello.scm, lamp: lamp.scm}
    steps:
      - include: common/greets.steps.yaml
        with: {program: hello, within: 1m30s, count: 2}
      - expect:
          mqtt:
            device: dev-2
            topic: greeting
            payload: {device: "{thing:dev-2}"}
            contains: '"device":"{thing}"'
            since: start
      - title: a soft failure, recorded while the scenario goes on
        expect:
          mqtt: {topic: greeting, payload: {n: 99}}
          within: 2s
          soft: true
      - deploy: {program: lamp, to: dev-1}
      - expect:
          status: {device: dev-1, state: running, program_id: lamp}
      - include: common/led-on.steps.yaml
      - expect:
          shadow: {device: dev-1, where: "reported.led == desired.led"}
          within: 0s
"""
INCLUDED_FAILURE = """
    name: an included step fails
    programs: {hello: hello.scm, lamp: lamp.scm}
    steps:
      - deploy: hello
      - include: common/led-on.steps.yaml
      - wait: 1s
"""


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("features")
    directory = root / "scenarios"
    (directory / "common").mkdir(parents=True)
    (directory / "hello.scm").write_text(HELLO)
    (directory / "lamp.scm").write_text(LAMP)
    files = {
        "common/greets.steps.yaml": GREETS,
        "common/led-on.steps.yaml": LED_ON,
        "features.yaml": FEATURES,
        "included-failure.yaml": INCLUDED_FAILURE,
    }
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text).lstrip())
    return root


@pytest.fixture(scope="module")
def run(checkout: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "scenarios", "--report", "out", "--no-color"],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    data = json.loads((checkout / "out" / "results.json").read_text())
    return done, {s["name"]: s for s in data["scenarios"]}


def test_soft_failures_are_recorded_and_the_scenario_goes_on_and_fails(
    run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    done, by_name = run
    assert done.returncode == 1
    features = by_name["every feature at once"]
    statuses = [s["status"] for s in features["steps"]]
    assert features["status"] == "failed"
    assert statuses == ["passed", "passed", "passed", "failed"] + ["passed"] * 6, statuses
    soft = features["steps"][3]
    assert soft["title"] == "a soft failure, recorded while the scenario goes on"
    assert "not seen within 2s" in soft["message"]
    assert "(soft: the scenario went on)" in done.stdout
    assert "(+1 more failed)" not in done.stdout  # one failure only


def test_thing_references_compound_durations_and_shadow_expectations_pass(
    run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, by_name = run
    steps = by_name["every feature at once"]["steps"]
    by_index = {s["index"]: s for s in steps}
    assert by_index[2]["title"].endswith("where device == {thing} and n == 1 within 90s")
    assert by_index[2]["status"] == "passed"  # one message from each board, each its own
    assert by_index[3]["status"] == "passed"  # {thing:dev-2} in payload, {thing} in contains
    assert "no delta" in by_index[9]["title"] and by_index[9]["status"] == "passed"
    assert by_index[10]["status"] == "passed"


def test_an_included_step_that_fails_reports_its_own_file_line_and_include(
    run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    done, by_name = run
    failed = by_name["an included step fails"]
    step = next(s for s in failed["steps"] if s["status"] == "failed")
    assert step["index"] == 3
    assert step["location"]["file"] == "scenarios/common/led-on.steps.yaml"
    assert (step["location"]["line"], step["location"]["path"]) == (5, "steps[1].expect")
    assert [(i["file"], i["line"]) for i in step["included_from"]] == [
        ("scenarios/included-failure.yaml", 5)
    ]
    assert (
        "step 3 failed (scenarios/common/led-on.steps.yaml:5:5 (steps[1].expect), included at "
        "scenarios/included-failure.yaml:5:5 (steps[1].include)): expect LED of dev-1 on"
    ) in done.stdout
    skipped = failed["steps"][-1]
    assert skipped["status"] == "skipped" and skipped["included_from"] == []


def test_pytest_shows_the_included_step_and_every_soft_failure(
    checkout: Path, pytester: pytest.Pytester
) -> None:
    for path in (checkout / "scenarios").rglob("*"):
        target = pytester.path / path.relative_to(checkout)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    result = pytester.runpytest_subprocess("scenarios", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)  # the steps files are not collected as scenarios
    text = result.stdout.str()
    assert "included at scenarios/included-failure.yaml:5:5 (steps[1].include)" in text
    assert "step 4 failed (scenarios/features.yaml:" in text
    assert "(soft: the scenario went on)" in text
