from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.report.artefacts import write_artefacts
from harness.report.naming import unique_names
from harness.results import RunResult, ScenarioResult, TimelineEvent

from .sample import CONTROL, HOSTILE, UNICODE, fingerprint, sample_run


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _folders(directory: Path) -> dict[str, Path]:
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    return {entry["id"]: directory / entry["folder"] for entry in index}


def test_a_folder_per_scenario_with_safe_names(tmp_path: Path) -> None:
    run = sample_run()
    directory = write_artefacts(run, tmp_path / "artefacts")
    folders = _folders(directory)
    assert list(folders) == [s.id for s in run.scenarios]
    for folder in folders.values():
        assert folder.is_dir() and folder.parent == directory
        assert not set(folder.name) & set('/\\:*?"<>|[] ')
        assert not folder.name.startswith(".")
        assert (folder / "timeline.jsonl").is_file()
    assert folders["scenarios/sensors.yaml::monitor[threshold=30]"].name == (
        "scenarios_sensors.yaml_monitor_threshold=30"
    )


def test_device_logs_have_one_timed_line_per_entry(tmp_path: Path) -> None:
    folder = _folders(write_artefacts(sample_run(), tmp_path))[
        "scenarios/sensors.yaml::monitor[threshold=30]"
    ]
    lines = (folder / "dev-1.log").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "[     1.000] agent: booting, long ago",
        "[    95.000] reading sensors",
        "[   130.000] bad\x00byte \x1b[31mred\x1b[0m \x07bell",  # the console as it was
        "[   166.000] after the step",
    ]
    assert (folder / "dev-2.log").read_text(encoding="utf-8") == "[   150.000] wifi: lost link\n"


def test_mqtt_traces_decode_json_payloads(tmp_path: Path) -> None:
    folder = _folders(write_artefacts(sample_run(), tmp_path))[
        "scenarios/sensors.yaml::monitor[threshold=30]"
    ]
    records = _jsonl(folder / "dev-1.mqtt.jsonl")
    assert records == [
        {
            "direction": "from-device",
            "payload": {"note": UNICODE, "temperature": 31.5},
            "t": 120.0,
            "topic": "sensors/dev-1/data",
        },
        {"direction": "from-device", "payload": HOSTILE, "t": 121.0, "topic": "sensors/dev-1/raw"},
    ]
    assert (folder / "dev-2.mqtt.jsonl").read_text(encoding="utf-8") == ""


def test_timeline_has_every_event_in_time_order(tmp_path: Path) -> None:
    run = sample_run()
    folders = _folders(write_artefacts(run, tmp_path))
    events = _jsonl(folders["scenarios/sensors.yaml::monitor[threshold=30]"] / "timeline.jsonl")
    assert len(events) == len(run.scenarios[1].timeline)
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert events[0] == {
        "data": {"text": "agent: booting, long ago"},
        "device": "dev-1",
        "kind": "log",
        "summary": "boot",
        "t": 1.0,
    }
    assert any(e["data"].get("text") == CONTROL for e in events)
    # A timeline without step events gets the steps, so "which step was running" is there.
    blink = _jsonl(folders["scenarios/blink.yaml::blink"] / "timeline.jsonl")
    assert [e["kind"] for e in blink] == ["step", "log", "step", "led", "pixel"]


def test_untimed_logs_and_multiline_entries(tmp_path: Path) -> None:
    scenario = ScenarioResult(
        id="a.yaml::a",
        name="a",
        file="a.yaml",
        status="passed",
        logs={"dev-9": ["first", "second"]},
        timeline=[TimelineEvent(1.0, "log", "dev-8", "x", {"text": "two\nlines\r"})],
    )
    folder = _folders(write_artefacts(RunResult(fingerprint(), [scenario]), tmp_path))["a.yaml::a"]
    assert (folder / "dev-9.log").read_text(encoding="utf-8").splitlines() == [
        "[         -] first",
        "[         -] second",
    ]
    assert (folder / "dev-8.log").read_text(encoding="utf-8") == "[     1.000] two\\nlines\\r\n"


def test_colliding_names_get_distinct_folders(tmp_path: Path) -> None:
    scenarios = [
        ScenarioResult(id=i, name="x", file="x.yaml", status="passed")
        for i in ("x.yaml::a/b", "x.yaml::a:b", "X.YAML::A/B", "." * 3, "y" * 300)
    ]
    folders = _folders(write_artefacts(RunResult(fingerprint(), scenarios), tmp_path))
    names = [f.name for f in folders.values()]
    assert len({n.lower() for n in names}) == 5
    assert all(0 < len(n) <= 80 for n in names)
    assert unique_names(["a/b", "a:b"]) == ["a_b", "a_b-2"]
