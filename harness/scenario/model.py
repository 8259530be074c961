"""A loaded scenario: validated, parameters substituted, ready for the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.results import SourceLocation

from .registry import StepType


@dataclass
class Step:
    index: int
    type: StepType
    args: dict[str, Any]
    location: SourceLocation
    title: str

    @property
    def kind(self) -> str:
        return self.type.kind


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

    def sensors_for(self, device: str) -> dict[str, float]:
        values = dict(self.sensors.get("*", {}))
        values.update(self.sensors.get(device, {}))
        return values
