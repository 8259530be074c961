"""The history database (real SQLite), its migration and repair, the changes between nights,
``steelhil history`` and the trend page's files."""

from __future__ import annotations

import json
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main
from harness.history import Attempt, HistoryError, Night, ScenarioRecord, open_history
from harness.history.changes import compare, render
from harness.history.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, keep_night
from harness.history.trend import lines_of, pass_rates, write_trend


def record(sid: str, verdict: str, duration: float = 2.0, sha: str = "a" * 64) -> ScenarioRecord:
    attempts = [Attempt(["emu-1"], "passed" if verdict == "passed" else "failed", duration)]
    if verdict == "flaky":
        attempts.append(Attempt(["emu-1"], "passed", duration))
    return ScenarioRecord(sid, sid.split("::")[0], sha, verdict, duration, attempts)  # type: ignore[arg-type]


def night(nid: str, *records: ScenarioRecord, report: str = "") -> Night:
    return Night(
        nid,
        f"2026-12-0{nid[-1]}T02:17:00+00:00",
        30.0,
        "0.1.0",
        "f" * 64,
        "rig",
        "",
        report,
        list(records),
    )


def test_nights_round_trip_with_their_attempts(tmp_path: Path) -> None:
    with open_history(tmp_path) as store:
        assert store.version() == SCHEMA_VERSION
        store.add(night("n1", record("s.yaml::a", "passed"), record("s.yaml::b", "flaky")))
        store.add(night("n2", record("s.yaml::a", "failed")))
    with open_history(tmp_path) as store:
        nights = store.nights()
        assert store.warnings == []
    assert [n.id for n in nights] == ["n1", "n2"]
    flaky = nights[0].scenarios[1]
    assert flaky.verdict == "flaky"
    assert [a.status for a in flaky.attempts] == ["failed", "passed"]
    assert flaky.boards == ["emu-1"]
    assert nights[1].counts()["failed"] == 1


def test_a_night_recorded_again_replaces_the_first_record(tmp_path: Path) -> None:
    with open_history(tmp_path) as store:
        store.add(night("n1", record("s.yaml::a", "failed")))
        store.add(night("n1", record("s.yaml::a", "passed")))
        assert [r.verdict for n in store.nights() for r in n.scenarios] == ["passed"]


def test_a_schema_1_history_is_migrated_and_keeps_its_nights(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / DB_NAME)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute(
        "INSERT INTO nights VALUES ('old', '2026-11-01T02:17:00+00:00', 12.0, '0.0.9', "
        "'e', 'rig', 'nights/old')"
    )
    db.execute(
        "INSERT INTO results VALUES ('old', 's.yaml::a', 's.yaml', 'h', 'failed', 3.5, "
        "'step 2 failed')"
    )
    db.commit()
    db.close()

    with open_history(tmp_path) as store:
        assert store.migrated_from == 1
        assert store.version() == SCHEMA_VERSION
        assert any("migrated the history from schema 1" in w for w in store.warnings)
        (old,) = store.nights()
    assert old.firmware_version == "0.0.9"
    assert old.candidate == ""
    (result,) = old.scenarios
    assert (result.verdict, result.duration, result.message) == ("failed", 3.5, "step 2 failed")
    assert [(a.status, a.boards) for a in result.attempts] == [("failed", [])]


def test_a_history_from_a_newer_steelhil_is_refused_untouched(tmp_path: Path) -> None:
    with open_history(tmp_path) as store:
        store._execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        store._db.commit()
    before = (tmp_path / DB_NAME).read_bytes()
    with pytest.raises(HistoryError, match="newer steelhil \\(schema 99\\)"):
        open_history(tmp_path)
    assert (tmp_path / DB_NAME).read_bytes() == before


def test_a_corrupted_database_is_set_aside_and_rebuilt_from_the_kept_nights(
    tmp_path: Path,
) -> None:
    first = night("n1", record("s.yaml::a", "passed"))
    second = night("n2", record("s.yaml::a", "flaky"))
    with open_history(tmp_path) as store:
        for n in (first, second):
            store.add(n)
            keep_night(tmp_path, n)
    broken = tmp_path / "nights" / "n3"
    broken.mkdir()
    (broken / "night.json").write_text(json.dumps({"format": 1, "id": "n3", "scenarios": [{}]}))
    (tmp_path / DB_NAME).write_bytes(b"this is not a database" * 200)

    with open_history(tmp_path) as store:
        warnings = "\n".join(store.warnings)
        nights = store.nights()
    assert "the history database is corrupted" in warnings
    assert "rebuilt 2 night(s)" in warnings
    assert "nights/n3/night.json: scenarios[0]: missing field 'verdict'; left out" in warnings
    assert [n.id for n in nights] == ["n1", "n2"]
    assert nights[1].scenarios[0].verdict == "flaky"
    aside = list(tmp_path.glob(f"{DB_NAME}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")


def test_a_database_damaged_inside_is_caught_by_the_integrity_check(tmp_path: Path) -> None:
    with open_history(tmp_path) as store:
        for i in range(200):
            store.add(
                night(f"n{i % 10}", *(record(f"s{i}.yaml::x{j}", "passed") for j in range(20)))
            )
    data = bytearray((tmp_path / DB_NAME).read_bytes())
    page = 4096
    for offset in range(2 * page + 100, len(data) - page, page):  # scribble over b-tree pages
        data[offset : offset + 64] = b"\xa5" * 64
    (tmp_path / DB_NAME).write_bytes(bytes(data))
    with open_history(tmp_path) as store:
        assert any("corrupted" in w for w in store.warnings)
        assert store.nights() == []  # no night.json was kept in this directory


def test_other_database_urls_say_what_they_need(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(HistoryError, match="unsupported database; use sqlite:///PATH"):
        open_history(tmp_path, "mysql://ci:secret@db/results")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as where psycopg is not installed
    with pytest.raises(HistoryError) as caught:
        open_history(tmp_path, "postgresql://ci:secret@db.example/results")
    said = str(caught.value)
    assert said == (
        "postgresql://ci:***@db.example/results: a PostgreSQL history needs psycopg "
        "(pip install psycopg)"
    )
    elsewhere = tmp_path / "shared" / "results.sqlite"
    with open_history(None, f"sqlite:///{elsewhere}") as store:
        store.add(night("n1", record("s.yaml::a", "passed")))
    assert elsewhere.is_file()


def test_changes_between_nights() -> None:
    before = night(
        "n1",
        record("s.yaml::broken", "passed"),
        record("s.yaml::healed", "failed"),
        record("s.yaml::slow", "passed", 2.0),
        record("s.yaml::shaky", "passed"),
        record("s.yaml::edited", "passed"),
        record("s.yaml::gone", "passed"),
    )
    after = night(
        "n2",
        record("s.yaml::broken", "failed"),
        record("s.yaml::healed", "passed"),
        record("s.yaml::slow", "passed", 4.5),
        record("s.yaml::shaky", "flaky"),
        record("s.yaml::edited", "failed", sha="b" * 64),
        record("s.yaml::new", "passed"),
    )
    changes = compare(after, before)
    assert [c.id for c in changes.new_failures] == ["s.yaml::broken", "s.yaml::edited"]
    assert changes.new_failures[1].note == "the scenario changed since last night"
    assert [c.id for c in changes.fixed] == ["s.yaml::healed"]
    assert [c.id for c in changes.newly_flaky] == ["s.yaml::shaky"]
    assert [(c.id, c.note) for c in changes.slower] == [("s.yaml::slow", "2.0s -> 4.5s (+125%)")]
    assert [c.id for c in changes.new] == ["s.yaml::new"]
    assert [c.id for c in changes.gone] == ["s.yaml::gone"]
    text = render(changes)
    assert "new failures (2):\n    s.yaml::broken: passed -> failed\n" in text
    assert "newly flaky (1):" in text


def test_slower_needs_both_the_ratio_and_the_seconds() -> None:
    before = night("n1", record("s.yaml::quick", "passed", 0.2))
    after = night("n2", record("s.yaml::quick", "passed", 0.9))
    assert compare(after, before).slower == []
    assert compare(after, before, min_seconds=0.5).slower[0].id == "s.yaml::quick"


def test_history_command_prints_the_changes_and_writes_the_trend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_history(tmp_path) as store:
        store.add(night("n1", record("s.yaml::a", "passed")))
        store.add(night("n2", record("s.yaml::a", "failed")))
    assert main(["history", "--history", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "night n2 compared with n1:\n  new failures (1):\n    s.yaml::a: passed -> failed" in out
    assert (tmp_path / "trend" / "index.html").is_file()
    assert main(["history", "--history", str(tmp_path), "--json", "--no-trend"]) == 0
    assert json.loads(capsys.readouterr().out)["new_failures"][0]["id"] == "s.yaml::a"


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--history", "{missing}"], "no such history directory"),
        (["--history", "{tmp}", "--slower", "fast"], "expected a percentage such as 50%"),
        ([], "give --history DIR"),
    ],
)
def test_history_command_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    args = [a.format(missing=tmp_path / "nope", tmp=tmp_path) for a in argv]
    try:
        status = main(["history", *args])
    except SystemExit as exc:  # argparse's own refusal
        status = int(exc.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert said in err
    assert "Traceback" not in err


def test_trend_lines_strip_links_and_plots(tmp_path: Path) -> None:
    history = tmp_path / "history"
    nights = []
    for i, verdict in enumerate(["passed", "flaky", "failed"], 1):
        report = f"nights/n{i}/report"
        (history / report).mkdir(parents=True)
        (history / report / "report.html").write_text("<html></html>")
        sha = "a" * 64 if i < 3 else "b" * 64
        nights.append(night(f"n{i}", record("s.yaml::<b>x</b>", verdict, sha=sha), report=report))
    lines = lines_of(nights)
    assert [(ln.id, ln.sha256[0], len(ln.points)) for ln in lines] == [
        ("s.yaml::<b>x</b>", "a", 2),
        ("s.yaml::<b>x</b>", "b", 1),
    ]
    assert pass_rates(lines[0]) == [1.0, 0.5]
    page = write_trend(nights, history, history / "trend")
    text = page.read_text()
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text
    assert "the scenario changed: a new line since night n3" in text
    assert text.count("href='../nights/n1/report/report.html'") >= 2  # table and strip
    for svg in (history / "trend" / "plots").glob("*.svg"):
        root = ET.parse(svg).getroot()
        assert root.tag.endswith("svg")
    assert len(list((history / "trend" / "plots").glob("*.svg"))) == 3  # overview + 2 lines
