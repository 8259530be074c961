"""Reports of a run, all written from one :class:`~harness.results.RunResult`."""

from __future__ import annotations

from .artefacts import write_artefacts
from .html import write_html
from .jsonfile import ResultsFileError, read_json, write_json
from .junit import write_junit

__all__ = [
    "ResultsFileError",
    "read_json",
    "write_artefacts",
    "write_html",
    "write_json",
    "write_junit",
]
