"""The history in a real PostgreSQL: a throwaway cluster (initdb, a Unix socket only, no
TCP) started for these tests when the machine has PostgreSQL's server binaries; skipped,
saying why, when it has not."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.history import HistoryError, open_history
from harness.history.store import SCHEMA_VERSION

from .test_history import night, record

pytestmark = pytest.mark.integration


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for version in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (version / name).is_file():
            return str(version / name)
    return None


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL's server (initdb, pg_ctl) is not installed")
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if (
            shutil.which("runuser") is None
            or subprocess.run(["id", "postgres"], capture_output=True).returncode
        ):
            pytest.skip("running as root without a postgres user to run PostgreSQL as")
        as_user = ["runuser", "-u", "postgres", "--"]
    with tempfile.TemporaryDirectory(prefix="steelhil-pg-") as tmp:
        data, sock = Path(tmp) / "data", Path(tmp) / "sock"
        sock.mkdir()
        if as_user:
            shutil.chown(tmp, "postgres")
            shutil.chown(sock, "postgres")
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-U", "steelhil", "--auth=trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [
                *as_user,
                pg_ctl,
                "-D",
                str(data),
                "-w",
                "-l",
                str(Path(tmp) / "log"),
                "start",
                "-o",
                f"-k {sock} -c listen_addresses=''",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        try:
            yield f"postgresql://steelhil@/postgres?host={sock}"
        finally:
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
                capture_output=True,
                timeout=120,
            )


def test_nights_round_trip_through_postgresql(postgres: str, tmp_path: Path) -> None:
    with open_history(tmp_path, postgres) as store:
        assert store.version() == SCHEMA_VERSION
        store.add(night("n1", record("s.yaml::a", "passed", 1.25), record("s.yaml::b", "flaky")))
        store.add(night("n2", record("s.yaml::a", "failed", 2.5)))
        store.add(night("n2", record("s.yaml::a", "failed", 2.75)))  # recorded again
    with open_history(tmp_path, postgres) as store:
        assert store.warnings == []
        n1, n2 = store.nights()
    assert [r.verdict for r in n1.scenarios] == ["passed", "flaky"]
    assert n1.scenarios[0].duration == 1.25
    assert [a.status for a in n1.scenarios[1].attempts] == ["failed", "passed"]
    assert [(r.verdict, r.duration) for r in n2.scenarios] == [("failed", 2.75)]
    assert not (tmp_path / "history.sqlite").exists()  # nothing went to the directory


def test_a_database_that_does_not_answer_is_a_clear_error(tmp_path: Path) -> None:
    pytest.importorskip("psycopg", reason="psycopg is not installed")
    url = f"postgresql://ci:secret@/none?host={tmp_path}&connect_timeout=2"
    with pytest.raises(HistoryError) as caught:
        open_history(tmp_path, url)
    said = str(caught.value)
    assert said.startswith("postgresql://ci:***@/none")
    assert "cannot open the history database" in said and "secret" not in said
