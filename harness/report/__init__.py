"""Reports of a run, all written from one :class:`~harness.results.RunResult`.

:func:`write_reports` is what ``steelhil run`` and the pytest plugin call; the single-format
writers are here for tools that want one of them.  Each report has its own reader in mind
(see docs/reports.md): JUnit for CI, HTML for people, JSON for programs, the artefacts
folder for ``grep``, the fingerprint for reproducing the run.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from harness.results import RunResult

from .artefacts import write_artefacts
from .html import write_html
from .jsonfile import SCHEMA_VERSION, ResultsFileError, dumps, read_json, write_json
from .junit import write_junit
from .summary import summary_table

__all__ = [
    "ResultsFileError",
    "read_json",
    "summary_table",
    "write_artefacts",
    "write_fingerprint",
    "write_html",
    "write_json",
    "write_junit",
    "write_reports",
]

#: What :func:`write_reports` writes, by key, relative to its directory.
REPORT_FILES = {
    "junit": "junit.xml",
    "html": "report.html",
    "json": "results.json",
    "artefacts": "artefacts",
    "fingerprint": "fingerprint.json",
}


def write_fingerprint(run: RunResult, path: Path) -> Path:
    """The fingerprint alone, small enough to paste into a bug report or diff between runs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"schema_version": SCHEMA_VERSION, **asdict(run.fingerprint)}
    path.write_bytes((dumps(data, indent=2) + "\n").encode("utf-8", "backslashreplace"))
    return path


def write_reports(run: RunResult, directory: Path) -> dict[str, Path]:
    """Every report into ``directory`` (created if missing); returns where each went, by
    the keys of :data:`REPORT_FILES`."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "junit": write_junit(run, directory / REPORT_FILES["junit"]),
        "html": write_html(run, directory / REPORT_FILES["html"]),
        "json": write_json(run, directory / REPORT_FILES["json"]),
        "artefacts": write_artefacts(run, directory / REPORT_FILES["artefacts"]),
        "fingerprint": write_fingerprint(run, directory / REPORT_FILES["fingerprint"]),
    }
