"""Results history of nightly runs: one record per night, compared night to night.

Why a database and not a folder of JSON files: ``steelhil history`` and the trend page ask
questions across nights ("which scenarios failed tonight that passed last night", "this
scenario's pass rate over the last 30 nights"), which SQL answers directly.  The embedded
SQLite file in the history directory is the default; a team that keeps its results in a
shared SQL database passes its URL instead (:mod:`harness.history.store`).

The database is an index, not the only copy: each night's ``night.json`` is kept under
``HISTORY/nights/<night>/`` next to that night's report, so a corrupted database is set
aside and rebuilt from them (nothing is lost).
"""

from __future__ import annotations

from .model import Attempt, Night, ScenarioRecord, Verdict
from .store import HistoryError, HistoryStore, open_history

__all__ = [
    "Attempt",
    "HistoryError",
    "HistoryStore",
    "Night",
    "ScenarioRecord",
    "Verdict",
    "open_history",
]
