"""``./dev test`` sets up the OS packages the checks need, or says exactly what to run.

Run for real, as a user who may not install packages (``nobody``, no sudo), on a PATH where
Chromium is missing: the script must stop before running anything, with the command that
installs what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def tools(directory: Path, *names: str) -> Path:
    """A PATH directory holding only ``names`` (linked to the real programs)."""
    directory.mkdir()
    for name in names:
        found = shutil.which(name)
        if found is not None:
            (directory / name).symlink_to(found)
    return directory


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the script as another user")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_dev_test_says_what_to_install_when_it_may_not_install_chromium() -> None:
    with tempfile.TemporaryDirectory(prefix="steelhil-dev-") as name:  # nobody can enter it
        home = Path(name)
        home.chmod(0o755)
        run_as_nobody(home)


def run_as_nobody(home: Path) -> None:
    script = home / "dev"  # a copy: the checkout itself may be closed to other users
    shutil.copy(REPO / "dev", script)
    path = tools(home / "bin", "bash", "dirname", "id", "env", "apt-get", "node", "npm")
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    as_nobody = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    done = subprocess.run(
        [*as_nobody, str(path / "bash"), str(script), "test"],
        env={"PATH": str(path), "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "installing chromium chromium-driver with apt-get ..." in done.stderr
    assert (
        "error: chromium chromedriver missing. Run: sudo apt-get install -y chromium "
        "chromium-driver" in done.stderr
    )
    assert "creating .venv" not in done.stderr  # it stopped before doing anything else


def test_dev_test_runs_the_browser_environment_with_the_others() -> None:
    """CI's .ci/run is ``./dev test``, so this is what CI runs."""
    text = (REPO / "dev").read_text()
    assert "tox -e lint,py,scenarios,mpy,browser" in text
    assert "exec ./dev test" in (REPO / ".ci" / "run").read_text()
