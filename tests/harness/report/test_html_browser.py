"""The HTML report in a real headless Chromium: the page a person opens after a real run.

The report comes from ``steelhil run`` on virtual boards (one scenario that passes on two
boards, one that fails), and the checks are what that person relies on: the page loads
without a JavaScript error, the failed scenario is open with its expected and observed
values, the timeline shows the devices' events, and the filters filter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..browser import chromium, page_errors

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HELLO = '(log "info" "hello") (mqtt-publish "greeting" (json-encode \'((n . 1))))\n'
TWO_BOARDS = """
    name: greets from two boards
    fleet: {devices: [kitchen, cellar]}
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect:
          mqtt: {topic: greeting, count: 2}
"""
FAILS = """
    name: expects the wrong greeting
    programs: {hello: hello.scm}
    steps:
      - deploy: hello
      - expect:
          mqtt: {topic: greeting, payload: {n: 2}}
          within: 2s
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("html")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "hello.scm").write_text(HELLO)
    (scenarios / "a-two-boards.yaml").write_text(textwrap.dedent(TWO_BOARDS).lstrip())
    (scenarios / "b-fails.yaml").write_text(textwrap.dedent(FAILS).lstrip())
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", "scenarios", "--report", "out"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((root / "out" / "results.json").read_text())
    return root / "out" / "report.html", results


@pytest.fixture
def page(report: tuple[Path, dict[str, Any]]) -> Iterator[Any]:
    with chromium() as driver:
        driver.get(report[0].as_uri())
        yield driver


def things(results: dict[str, Any], name: str) -> list[str]:
    scenario = next(s for s in results["scenarios"] if s["name"] == name)
    return [d["name"] for d in scenario["devices"]]


def section(driver: Any, status: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f"details.scenario.{status}")


def visible_rows(box: Any) -> list[list[str]]:
    """The timeline's rows as the person sees them: [t, device, kind, event, detail]."""
    from selenium.webdriver.common.by import By

    rows = box.find_elements(By.CSS_SELECTOR, ".timeline tbody tr")
    return [[td.text for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


def test_the_report_loads_and_renders_every_timeline_without_javascript_errors(page: Any) -> None:
    from selenium.webdriver.common.by import By

    assert page.title.startswith("steelhil: FAILED (1/2 passed)")
    page.find_element(By.ID, "expand-all").click()
    boxes = page.find_elements(By.CSS_SELECTOR, ".timeline")
    assert len(boxes) == 2
    assert all(box.get_attribute("data-ready") == "1" for box in boxes)  # drawn by the script
    assert page_errors(page) == []


def test_the_failed_scenario_is_open_with_its_expected_and_observed_values(page: Any) -> None:
    from selenium.webdriver.common.by import By

    failed, passed = section(page, "failed"), section(page, "passed")
    assert failed.get_attribute("open") is not None
    assert passed.get_attribute("open") is None
    row = failed.find_element(By.CSS_SELECTOR, "tr.step-failed")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "2" and cells[1].lower() == "failed"
    assert cells[3] == 'message on greeting with {"n": 2}'  # expected
    assert "1 message(s) on greeting/+ that did not match" in cells[4]  # observed
    assert '{"n":1}' in cells[4]
    assert cells[5] == "scenarios/b-fails.yaml:5:5 (steps[1].expect)"
    assert page_errors(page) == []


def test_the_timeline_shows_the_devices_events(
    page: Any, report: tuple[Path, dict[str, Any]]
) -> None:
    from selenium.webdriver.common.by import By

    (thing,) = things(report[1], "expects the wrong greeting")
    rows = visible_rows(section(page, "failed"))
    kinds = {r[2] for r in rows}
    assert {"mqtt", "log", "step"} <= kinds
    assert any(r[1] == thing and r[2] == "log" and r[3] == "[info] hello: hello" for r in rows)
    greeting = next(r for r in rows if r[2] == "mqtt" and f"greeting/{thing}" in r[3])
    assert greeting[1] == thing and greeting[4] == '{"n":1}'
    failing = [r for r in rows if r[2] == "step" and "step 2" in r[3]]
    assert failing and all(r[1] == "harness" for r in failing)
    marked = section(page, "failed").find_elements(By.CSS_SELECTOR, ".timeline tr.k-step.bad")
    assert len(marked) == 1 and "step 2" in marked[0].text  # only the failing step is red


def test_the_kind_device_and_status_filters_filter(
    page: Any, report: tuple[Path, dict[str, Any]]
) -> None:
    from selenium.webdriver.common.by import By

    kitchen, cellar = things(report[1], "greets from two boards")
    page.find_element(By.CSS_SELECTOR, "nav a[href='#s-1']").click()  # opens it
    box = section(page, "passed")
    assert box.get_attribute("open") is not None
    everything = visible_rows(box)
    assert {r[1] for r in everything} >= {kitchen, cellar, "harness"}

    def checkbox(legend: str, value: str) -> Any:
        for label in box.find_elements(By.CSS_SELECTOR, ".filters label"):
            fieldset = label.find_element(By.XPATH, "./ancestor::fieldset")
            named = fieldset.find_element(By.TAG_NAME, "legend").text
            if named == legend and label.text.startswith(f"{value} ("):
                return label.find_element(By.TAG_NAME, "input")
        raise AssertionError(f"no {legend} filter {value}")

    checkbox("kind", "log").click()
    without_logs = visible_rows(box)
    assert without_logs and all(r[2] != "log" for r in without_logs)
    assert len(without_logs) < len(everything)
    checkbox("kind", "log").click()
    assert len(visible_rows(box)) == len(everything)

    checkbox("device", cellar).click()
    rows = visible_rows(box)
    assert rows and cellar not in {r[1] for r in rows} and kitchen in {r[1] for r in rows}
    footer = box.find_element(By.CSS_SELECTOR, ".timeline p.muted").text
    assert footer == f"Showing {len(rows)} of {len(rows)} events ({len(everything)} in all)."

    page.find_element(By.ID, "only-problems").click()
    assert not box.is_displayed()
    assert section(page, "failed").is_displayed()
    index = page.find_elements(By.CSS_SELECTOR, "nav tbody tr")
    assert [row.is_displayed() for row in index] == [False, True]
    assert page_errors(page) == []
