"""The trend page in a real headless Chromium, after three real nights on an emulated rig.

Night 1: ``shaky`` is flaky (the planted plug-in step of test_two_nights fails once per
board); night 3: ``edited``'s file changed (a new line in its trend) and now fails.
Checked as a person reads it: no JavaScript errors, the strip of nights drawn with each
verdict, every plot drawn, every report link opens the night's report, the filters filter.
``STEELHIL_TREND_SCREENSHOT=PATH`` saves the page's screenshot there (docs/nightly.md's).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..browser import chromium, page_errors
from .test_two_nights import plant_plugin

pytestmark = [pytest.mark.browser, pytest.mark.integration]

HELLO = '(log "info" "hello")\n(mqtt-publish "greeting" (json-encode \'((n . 1))))\n'
SCENARIO = """\
name: {name}
programs: {{hello: hello.scm}}
steps:
{extra}  - deploy: hello
  - expect:
      mqtt: {{topic: greeting, payload: {{n: {n}}}}}
      within: 5s
"""


@pytest.fixture(scope="module")
def trend(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("trend")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    (scenarios / "hello.scm").write_text(HELLO)
    (scenarios / "greets.yaml").write_text(SCENARIO.format(name="greets", extra="", n=1))
    (scenarios / "shaky.yaml").write_text(
        SCENARIO.format(name="shaky", extra="  - flaky_once: {}\n", n=1)
    )
    (scenarios / "edited.yaml").write_text(SCENARIO.format(name="edited", extra="", n=1))
    (root / "plugins").mkdir()
    plant_plugin(root / "plugins")
    (root / "flaky").mkdir()
    (root / "rig.yaml").write_text("locks: locks\nemulated: {count: 2}\n")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(root / "plugins"), os.environ.get("PYTHONPATH", "")]),
        PLANTED_FLAKY_DIR=str(root / "flaky"),
    )
    for night in ("n1", "n2", "n3"):
        if night == "n3":  # the scenario is changed and now expects the wrong payload
            (scenarios / "edited.yaml").write_text(SCENARIO.format(name="edited", extra="", n=2))
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "harness.cli",
                "nightly",
                "scenarios",
                "--rig",
                "rig.yaml",
                "--history",
                "history",
                "--night-id",
                night,
                "--retries",
                "1",
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == (1 if night == "n3" else 0), done.stderr[-3000:]
    return root / "history" / "trend" / "index.html"


@pytest.fixture
def page(trend: Path) -> Iterator[Any]:
    with chromium() as driver:
        driver.get(trend.as_uri())
        yield driver


def verdicts(line: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    cells = line.find_elements(By.CSS_SELECTOR, ".strip > *")
    return [c.get_attribute("class").removeprefix("v-") for c in cells]


def test_the_strip_and_the_plots_are_drawn(page: Any) -> None:
    from selenium.webdriver.common.by import By

    assert page.title == "steelhil nightly trend"
    lines = {
        (ln.get_attribute("data-scenario").split("::")[1], ln.get_attribute("data-sha")[:6]): ln
        for ln in page.find_elements(By.CSS_SELECTOR, ".line")
    }
    by_name: dict[str, list[list[str]]] = {}
    for (name, _), line in sorted(lines.items(), key=lambda kv: kv[1].location["y"]):
        by_name.setdefault(name, []).append(verdicts(line))
    assert by_name == {
        "edited": [["passed", "passed", "none"], ["none", "none", "failed"]],
        "greets": [["passed", "passed", "passed"]],
        "shaky": [["flaky", "passed", "passed"]],
    }
    changed = [ln for ln in lines.values() if "a new line since night n3" in ln.text]
    assert len(changed) == 1
    images = page.find_elements(By.CSS_SELECTOR, "img")
    assert len(images) == 1 + len(lines)  # the overview and one plot per line
    for image in images:
        drawn = page.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image
        )
        assert drawn, image.get_attribute("src")
    assert page_errors(page) == []


def test_every_link_opens_that_nights_report(page: Any, trend: Path) -> None:
    from selenium.webdriver.common.by import By

    links = sorted({a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "a")})
    assert len(links) == 3  # one report per night, from the table and the strips
    for link in links:
        page.get(link)
        assert page.title.startswith("steelhil: "), link
        assert page_errors(page) == []


def test_the_filters_filter(page: Any, trend: Path) -> None:
    from selenium.webdriver.common.by import By

    def shown() -> list[str]:
        return [
            ln.get_attribute("data-scenario").split("::")[1]
            for ln in page.find_elements(By.CSS_SELECTOR, ".line")
            if ln.is_displayed()
        ]

    assert sorted(shown()) == ["edited", "edited", "greets", "shaky"]
    page.find_element(By.ID, "only-bad").click()
    assert sorted(shown()) == ["edited", "shaky"]  # the line that failed, the flaky one
    page.find_element(By.ID, "filter").send_keys("shak")
    assert shown() == ["shaky"]
    assert page.find_element(By.ID, "shown").text == "1"
    page.find_element(By.ID, "only-bad").click()
    page.find_element(By.ID, "filter").clear()
    page.find_element(By.ID, "filter").send_keys(" ")  # the input event, then cleared
    page.find_element(By.ID, "filter").clear()
    page.execute_script("document.getElementById('filter').dispatchEvent(new Event('input'))")
    assert len(shown()) == 4
    assert page_errors(page) == []


def test_a_screenshot_of_the_page(page: Any, tmp_path: Path) -> None:
    target = Path(os.environ.get("STEELHIL_TREND_SCREENSHOT") or tmp_path / "trend.png")
    page.set_window_size(1200, 1500)
    assert page.save_screenshot(str(target))
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
