"""Reports of a run, all written from one :class:`~harness.results.RunResult`."""

from __future__ import annotations

from .jsonfile import ResultsFileError, read_json, write_json

__all__ = ["ResultsFileError", "read_json", "write_json"]
