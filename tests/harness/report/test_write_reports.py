from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from pathlib import Path

from harness.report import read_json, write_reports

from .sample import sample_run


def test_every_report_is_written_where_it_says(tmp_path: Path) -> None:
    run = sample_run()
    paths = write_reports(run, tmp_path / "report")
    assert {k: p.name for k, p in paths.items()} == {
        "junit": "junit.xml",
        "html": "report.html",
        "json": "results.json",
        "artefacts": "artefacts",
        "fingerprint": "fingerprint.json",
    }
    assert all(p.parent == tmp_path / "report" for p in paths.values())
    assert ET.parse(paths["junit"]).getroot().get("tests") == "5"
    assert "monitor[threshold=30]" in paths["html"].read_text(encoding="utf-8")
    assert read_json(paths["json"]) == run
    assert (paths["artefacts"] / "index.json").is_file()
    fingerprint = json.loads(paths["fingerprint"].read_text(encoding="utf-8"))
    assert fingerprint == {"schema_version": 1, **asdict(run.fingerprint)}


def test_writing_again_replaces_the_reports(tmp_path: Path) -> None:
    run = sample_run()
    write_reports(run, tmp_path)
    run.scenarios = run.scenarios[:1]
    paths = write_reports(run, tmp_path)
    assert read_json(paths["json"]) == run
    assert ET.parse(paths["junit"]).getroot().get("tests") == "1"
    folders = sorted(p.name for p in paths["artefacts"].iterdir())
    assert folders == ["index.json", "scenarios_blink.yaml_blink"]


def test_only_folders_of_the_previous_run_are_removed(tmp_path: Path) -> None:
    write_reports(sample_run(), tmp_path)
    keep = tmp_path / "artefacts" / "notes"
    keep.mkdir()
    index = tmp_path / "artefacts" / "index.json"
    index.write_text(json.dumps([{"folder": "../report.html"}, {"folder": "notes/.."}]))
    write_reports(sample_run(), tmp_path)
    assert keep.is_dir() and (tmp_path / "report.html").is_file()
