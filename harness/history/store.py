"""The history database: schema, migrations, corruption handling.

Where: ``HISTORY/history.sqlite`` by default (Python's own sqlite3, nothing to install), or
the URL of a database a team already keeps (``--db postgresql://...``, through psycopg when
it is installed; ``sqlite:///path`` names another SQLite file).  The SQL is plain enough for
both: text keys, no autoincrement, one ``meta`` table holding the schema version.

Schema versions are migrated in place, in one transaction each, so a history directory
written by an older steelhil keeps its nights; a database written by a newer one is
refused, never downgraded.  A corrupted SQLite file (not a database, or failing SQLite's
``quick_check``) is renamed ``history.sqlite.corrupt-<time>`` and a new one is built beside
it from the nights' ``night.json`` files, with a warning that says so: no night is lost.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .model import Attempt, Night, NightFormatError, ScenarioRecord, night_from_dict

DB_NAME = "history.sqlite"
NIGHTS_DIR = "nights"
NIGHT_FILE = "night.json"

#: Each entry takes the database from version i to i+1.  Version 1 (the first history
#: format) kept one row per scenario and no attempts; version 2 keeps every attempt with
#: its boards, and the candidate and full fingerprint of each night.
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE nights (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, "
        "duration DOUBLE PRECISION NOT NULL, firmware_version TEXT NOT NULL, "
        "firmware_sha256 TEXT NOT NULL, rig TEXT NOT NULL, report TEXT NOT NULL)",
        "CREATE TABLE results (night TEXT NOT NULL, scenario TEXT NOT NULL, "
        "file TEXT NOT NULL, sha256 TEXT NOT NULL, verdict TEXT NOT NULL, "
        "duration DOUBLE PRECISION NOT NULL, message TEXT NOT NULL, PRIMARY KEY (night, scenario))",
    ],
    [
        "ALTER TABLE nights ADD COLUMN candidate TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE nights ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '{}'",
        "CREATE TABLE attempts (night TEXT NOT NULL, scenario TEXT NOT NULL, "
        "n INTEGER NOT NULL, boards TEXT NOT NULL, status TEXT NOT NULL, "
        "duration DOUBLE PRECISION NOT NULL, message TEXT NOT NULL, "
        "PRIMARY KEY (night, scenario, n))",
        # a version-1 scenario had exactly one attempt, on boards it did not record
        "INSERT INTO attempts (night, scenario, n, boards, status, duration, message) "
        "SELECT night, scenario, 1, '[]', verdict, duration, message FROM results",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(Exception):
    """The history cannot be used as asked; the message says why and what to do."""


class HistoryStore:
    """One open history database.  ``warnings`` lists what was repaired on the way in."""

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        where: str,
        paramstyle: str = "qmark",
        directory: Path | None = None,
    ) -> None:
        self.where = where
        self.directory = directory
        self.warnings: list[str] = []
        self._paramstyle = paramstyle
        self._db = connect()
        self.migrated_from: int | None = None
        self._migrate()

    # --- plumbing -----------------------------------------------------------------------

    def _sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._paramstyle == "format" else statement

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._db.cursor()
        cursor.execute(self._sql(statement), tuple(params))
        return cursor

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    def version(self) -> int:
        try:
            row = self._execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except Exception:  # no meta table: an empty database
            self._db.rollback()
            return 0
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        current = self.version()
        if current > SCHEMA_VERSION:
            raise HistoryError(
                f"{self.where}: the history was written by a newer steelhil (schema "
                f"{current}); this one reads schema {SCHEMA_VERSION} and older. Upgrade "
                "steelhil, or point --history at another directory"
            )
        if current and current < SCHEMA_VERSION:
            self.migrated_from = current
        for version in range(current, SCHEMA_VERSION):
            with self._transaction():
                for statement in MIGRATIONS[version]:
                    self._execute(statement)
                if version == 0:
                    self._execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
                else:
                    self._execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                        (str(version + 1),),
                    )
        if self.migrated_from is not None:
            self.warnings.append(
                f"{self.where}: migrated the history from schema {self.migrated_from} "
                f"to {SCHEMA_VERSION}; every night was kept"
            )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- nights -------------------------------------------------------------------------

    def add(self, night: Night) -> None:
        """Record a night (a night with the same id is replaced: a re-run CI job)."""
        with self._transaction():
            for table in ("attempts", "results", "nights"):
                column = "id" if table == "nights" else "night"
                self._execute(f"DELETE FROM {table} WHERE {column} = ?", (night.id,))
            self._execute(
                "INSERT INTO nights (id, started_at, duration, firmware_version, "
                "firmware_sha256, rig, report, candidate, fingerprint) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    night.id,
                    night.started_at,
                    night.duration,
                    night.firmware_version,
                    night.firmware_sha256,
                    night.rig,
                    night.report,
                    night.candidate,
                    json.dumps(night.fingerprint, sort_keys=True),
                ),
            )
            for record in night.scenarios:
                self._execute(
                    "INSERT INTO results (night, scenario, file, sha256, verdict, duration, "
                    "message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        night.id,
                        record.id,
                        record.file,
                        record.sha256,
                        record.verdict,
                        record.duration,
                        record.message,
                    ),
                )
                for n, attempt in enumerate(record.attempts, 1):
                    self._execute(
                        "INSERT INTO attempts (night, scenario, n, boards, status, duration, "
                        "message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            night.id,
                            record.id,
                            n,
                            json.dumps(attempt.boards),
                            attempt.status,
                            attempt.duration,
                            attempt.message,
                        ),
                    )

    def nights(self, last: int | None = None) -> list[Night]:
        """Nights in the order they ran (the ``last`` N when given)."""
        rows = self._execute(
            "SELECT id, started_at, duration, firmware_version, firmware_sha256, rig, report, "
            "candidate, fingerprint FROM nights ORDER BY started_at, id"
        ).fetchall()
        if last is not None:
            rows = rows[-last:] if last > 0 else []
        attempts: dict[tuple[str, str], list[Attempt]] = {}
        for night_id, scenario, _, boards, status, duration, message in self._execute(
            "SELECT night, scenario, n, boards, status, duration, message FROM attempts "
            "ORDER BY night, scenario, n"
        ).fetchall():
            attempts.setdefault((night_id, scenario), []).append(
                Attempt(list(json.loads(boards)), status, float(duration), message)
            )
        records: dict[str, list[ScenarioRecord]] = {}
        for night_id, scenario, file, sha256, verdict, duration, message in self._execute(
            "SELECT night, scenario, file, sha256, verdict, duration, message FROM results "
            "ORDER BY night, scenario"
        ).fetchall():
            records.setdefault(night_id, []).append(
                ScenarioRecord(
                    scenario,
                    file,
                    sha256,
                    verdict,
                    float(duration),
                    attempts.get((night_id, scenario), []),
                    message,
                )
            )
        out = []
        for night_id, started, duration, version, sha, rig, report, candidate, fp in rows:
            out.append(
                Night(
                    night_id,
                    started,
                    float(duration),
                    version,
                    sha,
                    rig,
                    candidate,
                    report,
                    records.get(night_id, []),
                    json.loads(fp or "{}"),
                )
            )
        return out


# --- opening ------------------------------------------------------------------------------


def night_dir(history: Path, night_id: str) -> Path:
    return history / NIGHTS_DIR / night_id


def keep_night(history: Path, night: Night) -> Path:
    """Write ``night.json`` beside the night's report: the copy a rebuild reads."""
    directory = night_dir(history, night.id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / NIGHT_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(night.to_dict(), indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


def kept_nights(history: Path) -> tuple[list[Night], list[str]]:
    """Every ``night.json`` under the history directory, and a warning per unreadable one."""
    nights, warnings = [], []
    for path in sorted((history / NIGHTS_DIR).glob(f"*/{NIGHT_FILE}")):
        try:
            nights.append(night_from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.append(f"{path}: cannot read this night ({_plain(exc)}); left out")
        except NightFormatError as exc:
            warnings.append(f"{path}: {exc}; left out")
    return nights, warnings


def _plain(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    if isinstance(exc, OSError):
        return exc.strerror or "cannot read it"
    return "not UTF-8 text"


def _sqlite_connect(path: Path) -> Callable[[], sqlite3.Connection]:
    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        return db

    return connect


def _healthy(path: Path) -> str | None:
    """None if ``path`` is a sound SQLite database, else what is wrong with it."""
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            rows = db.execute("PRAGMA quick_check").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    problems = [str(r[0]) for r in rows if r and r[0] != "ok"]
    return "; ".join(problems[:3]) if problems else None


def _open_sqlite(path: Path, history: Path | None) -> HistoryStore:
    warnings: list[str] = []
    if path.exists():
        wrong = _healthy(path)
        if wrong is not None:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            aside = path.with_name(f"{path.name}.corrupt-{stamp}")
            path.replace(aside)
            for suffix in ("-wal", "-shm", "-journal"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    extra.replace(aside.with_name(aside.name + suffix))
            warnings.append(
                f"{path}: the history database is corrupted ({wrong}); it was moved to "
                f"{aside.name} and a new one started beside it"
            )
    fresh = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        store = HistoryStore(_sqlite_connect(path), where=str(path), directory=history)
    except sqlite3.Error as exc:
        raise HistoryError(f"{path}: cannot open the history database: {exc}") from exc
    store.warnings[:0] = warnings
    if fresh and history is not None:
        nights, unreadable = kept_nights(history)
        for night in nights:
            store.add(night)
        store.warnings.extend(unreadable)
        if warnings and nights:
            store.warnings.append(
                f"{path}: rebuilt {len(nights)} night(s) from the night.json files kept "
                f"under {history / NIGHTS_DIR}"
            )
    return store


def open_history(history: Path | None, url: str | None = None) -> HistoryStore:
    """The history in directory ``history`` (its ``history.sqlite``), or at ``url``."""
    if url is None:
        if history is None:
            raise HistoryError("give a history directory (--history DIR) or a database (--db)")
        return _open_sqlite(history / DB_NAME, history)
    if url.startswith("sqlite:///"):
        return _open_sqlite(Path(url[len("sqlite:///") :]), history)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            import psycopg
        except ImportError:
            raise HistoryError(
                f"{_redact(url)}: a PostgreSQL history needs psycopg (pip install psycopg)"
            ) from None
        try:
            return HistoryStore(
                lambda: psycopg.connect(url),
                where=_redact(url),
                paramstyle="format",
                directory=history,
            )
        except psycopg.Error as exc:
            raise HistoryError(f"{_redact(url)}: cannot open the history database: {exc}") from exc
    scheme = url.split(":", 1)[0]
    raise HistoryError(
        f"--db {scheme}:...: unsupported database; use sqlite:///PATH or postgresql://..."
    )


def _redact(url: str) -> str:
    """The URL without its password (it goes into messages and logs)."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, cred = head.partition("://")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"
