"""A loaded scenario: validated, parameters substituted, ready for the engine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.results import SourceLocation

from .registry import StepType


@dataclass
class Step:
    index: int  # its place in the scenario's steps, included ones counted in, from 0
    type: StepType
    args: dict[str, Any]
    location: SourceLocation  # where it is written: a steps file's own line when included
    title: str
    #: the ``include`` steps that brought it in, outermost first (empty when written in
    #: the scenario file itself)
    included_from: list[SourceLocation] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.type.kind

    @property
    def soft(self) -> bool:
        """A failure is recorded and the scenario goes on (``soft: true``)."""
        return self.type.is_soft(self.args)


@dataclass
class Scenario:
    id: str  # "scenarios/blink.yaml::blink[threshold=30]"
    name: str
    file: Path
    display_file: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)  # the names steps use
    backend: str | None = None
    rig_tags: list[str] = field(default_factory=list)
    programs: dict[str, str] = field(default_factory=dict)  # name -> source text
    program_files: dict[str, Path] = field(default_factory=dict)
    sensors: dict[str, dict[str, float]] = field(default_factory=dict)  # device|"*" -> values
    limits: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    timeout: float = 600.0
    sha256: str = ""
    location: SourceLocation | None = None
    #: every other file the scenario reads (programs, sensor traces, steps files),
    #: resolved, with the sha256 of the bytes read when it was loaded, in the order first
    #: read: the run's fingerprint and the results name exactly what ran
    inputs: dict[Path, str] = field(default_factory=dict)

    def add_input(self, path: Path, data: bytes | None = None) -> None:
        """Record a file the scenario reads (``data``: the bytes read, else read now)."""
        if path not in self.inputs:
            content = path.read_bytes() if data is None else data
            self.inputs[path] = hashlib.sha256(content).hexdigest()

    def sensors_for(self, device: str) -> dict[str, float]:
        values = dict(self.sensors.get("*", {}))
        values.update(self.sensors.get(device, {}))
        return values
