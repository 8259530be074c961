"""The artefacts folder: the raw evidence of a run as plain files, for reading with ``less``,
``grep`` and ``jq`` or attaching to a bug, where the HTML is too much and JUnit too little.

    artefacts/
      index.json                  scenario id -> folder, status (folder names are lossy)
      <scenario>/
        <device>.log              console, one line per entry: "[   12.345] text"
        <device>.mqtt.jsonl       {"t", "topic", "payload", "direction"} per message
        timeline.jsonl            every timeline event in time order
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.results import RunResult, ScenarioResult

from .events import device_names, log_entries, mqtt_record, timeline
from .jsonfile import dumps
from .naming import safe_name, unique_names


def write_artefacts(run: RunResult, directory: Path) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _remove_previous(directory)
    folders = unique_names([s.id for s in run.scenarios])
    index = []
    for scenario, folder in zip(run.scenarios, folders, strict=True):
        write_scenario_artefacts(scenario, directory / folder)
        index.append({"id": scenario.id, "status": scenario.status, "folder": folder})
    _write_text(directory / "index.json", dumps(index, indent=2) + "\n")
    return directory


def _remove_previous(directory: Path) -> None:
    """Remove the folders an earlier run listed in its index, so a re-used report directory
    never mixes two runs' evidence.  Only those: the directory may hold other files."""
    index = directory / "index.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for entry in entries if isinstance(entries, list) else []:
        name = entry.get("folder") if isinstance(entry, dict) else None
        if isinstance(name, str) and name == safe_name(name):  # a plain child, never a path
            shutil.rmtree(directory / name, ignore_errors=True)


def write_scenario_artefacts(scenario: ScenarioResult, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    devices = device_names(scenario)
    events = timeline(scenario)
    for device, stem in zip(devices, unique_names(devices), strict=True):
        lines = [_one_line(e.format()) for e in log_entries(scenario, device)]
        _write_lines(folder / f"{stem}.log", lines)
        mqtt = [dumps(mqtt_record(e)) for e in events if e.kind == "mqtt" and e.device == device]
        _write_lines(folder / f"{stem}.mqtt.jsonl", mqtt)
    records = [
        dumps({"t": e.t, "kind": e.kind, "device": e.device, "summary": e.summary, "data": e.data})
        for e in events
    ]
    _write_lines(folder / "timeline.jsonl", records)
    return folder


def _one_line(text: str) -> str:
    """A console entry on exactly one line of the log file, so line counts mean entries."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _write_lines(path: Path, lines: list[str]) -> None:
    _write_text(path, "".join(line + "\n" for line in lines))


def _write_text(path: Path, text: str) -> None:
    # Lone surrogates (undecodable device bytes) become \udcNN: valid UTF-8, and inside
    # JSON strings a valid escape.
    path.write_bytes(text.encode("utf-8", "backslashreplace"))
