"""A real headless Chromium for the tests of pages the harness writes (the HTML report, and
later the OTA gate's and the nightly trend's pages), driven by Selenium.

The browser and its driver are the OS's packages (Debian's ``chromium`` and
``chromium-driver``; ``./dev test`` installs them), so nothing is downloaded at test time:
Selenium is given both paths and never runs its own driver manager.  The network may be
closed, so Chromium starts with everything that would reach out switched off, and with a
fresh profile each time.

In ``tox -e browser`` (``STEELHIL_BROWSER_REQUIRED=1``) a missing browser is a failure that
says what to install; elsewhere the tests are skipped with the same words.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
DRIVERS = ("chromedriver",)
DRIVER_DIRS = ("/usr/lib/chromium", "/usr/lib/chromium-browser")
INSTALL = "sudo apt-get install -y chromium chromium-driver  (./dev test installs them)"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
#: Collects what the page's script throws, from before any of it runs.
CATCH_ERRORS = """
window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });
window.addEventListener('unhandledrejection', function (e) {
  window.__errors.push('unhandled rejection: ' + String(e.reason));
});
"""


def _find(names: tuple[str, ...], extra_dirs: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for directory in extra_dirs:
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def _unavailable(why: str) -> NoReturn:
    message = f"{why}; install them with: {INSTALL}"
    if os.environ.get("STEELHIL_BROWSER_REQUIRED"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextmanager
def chromium() -> Iterator[Any]:
    """A Selenium WebDriver on headless Chromium with a fresh profile."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("Selenium is not installed (pip install -e '.[browser]')")
    binary = _find(BROWSERS)
    driver_path = _find(DRIVERS, DRIVER_DIRS)
    if binary is None or driver_path is None:
        _unavailable("Chromium or its driver (chromedriver) is not installed")
    with tempfile.TemporaryDirectory(prefix="steelhil-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            driver.execute_cdp_cmd(
                "Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS}
            )
            yield driver
        finally:
            driver.quit()


def page_errors(driver: Any) -> list[str]:
    """JavaScript errors the page raised, and what the browser logged as severe."""
    thrown = driver.execute_script("return window.__errors || []")
    logged = [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    return [str(m) for m in [*thrown, *logged]]
