"""The scenario's top-level sections other than steps: ``fleet``, ``programs``, ``sensors``.

Each reads its section into the :class:`~harness.scenario.model.Scenario` and reports every
problem with its location; nothing here runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .model import Scenario
from .quantities import unknown_quantity
from .schema import Field, check
from .source import Document, PathKey, Problem, suggest

TOP_FIELDS: dict[str, Field] = {
    "name": Field("string", doc="shown in reports; defaults to the file name"),
    "description": Field("string", doc="what the scenario proves, for the report"),
    "tags": Field("list", doc="select scenarios with -m/--tags"),
    "fleet": Field("object", doc="the devices the scenario needs"),
    "programs": Field("object", doc="program name -> .scm file beside the scenario"),
    "sensors": Field("object", doc="initial sensor values, for all devices or per device"),
    "params": Field("json", doc="a list of rows; the scenario runs once per row"),
    "matrix": Field("object", doc="name -> list of values; runs once per combination"),
    "seed": Field("integer", doc="seed for noise models and jitter (default 0)"),
    "timeout": Field("duration", doc="the whole scenario's limit in its time base (default 10m)"),
    "steps": Field("list", required=True, items="json", doc="what to do and expect, in order"),
}
FLEET_FIELDS: dict[str, Field] = {
    "devices": Field("json", doc="how many devices (a number) or their names (a list)"),
    "backend": Field("string", doc="emulated (default), emulated-pty, serial, renode"),
    "tags": Field("list", doc="rig tags a board must have"),
    "limits": Field("object", doc="agent limits (memory, steps, log rate) for the devices"),
}
DEVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RESERVED_NAMES = ("all", "any", "broadcast")


def read_fleet(scenario: Scenario, fleet: Any, doc: Document, problems: list[Problem]) -> None:
    spec = check(fleet, FLEET_FIELDS, ("fleet",), doc, problems, "fleet")
    devices = spec.get("devices", 1)
    if isinstance(devices, bool) or not isinstance(devices, int | list):
        problems.append(doc.problem(("fleet", "devices"), "devices is a number or a list of names"))
        devices = 1
    if isinstance(devices, int):
        if not 1 <= devices <= 1000:
            problems.append(doc.problem(("fleet", "devices"), "between 1 and 1000 devices"))
            devices = 1
        names = [f"dev-{i}" for i in range(1, devices + 1)]
    else:
        names = []
        for i, n in enumerate(devices):
            if not isinstance(n, str) or not DEVICE_NAME.match(n) or n in RESERVED_NAMES:
                problems.append(
                    doc.problem(
                        ("fleet", "devices", i),
                        f"{n!r} is not a device name "
                        "(letters, digits, . _ -; not all/any/broadcast)",
                    )
                )
            elif n in names:
                problems.append(
                    doc.problem(("fleet", "devices", i), f"device {n!r} is listed twice")
                )
            else:
                names.append(n)
    scenario.devices = names or ["dev-1"]
    scenario.backend = spec.get("backend")
    scenario.rig_tags = [str(t) for t in spec.get("tags", [])]
    scenario.limits = dict(spec.get("limits", {}))


def read_programs(
    scenario: Scenario, programs: Any, base: Path, doc: Document, problems: list[Problem]
) -> None:
    if not isinstance(programs, Mapping):
        problems.append(doc.problem(("programs",), "programs maps a name to a .scm file"))
        return
    for name, file in programs.items():
        where: PathKey = ("programs", name)
        if not isinstance(file, str):
            problems.append(doc.problem(where, "expected a file name (relative to the scenario)"))
            continue
        target = (base / file).resolve()
        scenario.program_files[name] = target
        try:
            data = target.read_bytes()
        except OSError:
            scenario.programs[name] = ""  # declared, so steps may name it; the file is the error
            problems.append(
                doc.problem(where, f"program file {file!r} not found beside the scenario")
            )
            continue
        try:
            scenario.programs[name] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            scenario.programs[name] = ""
            problems.append(
                doc.problem(where, f"program file {file!r} is not UTF-8 text (byte {exc.start})")
            )
            continue
        scenario.add_input(target, data)


def read_sensors(scenario: Scenario, sensors: Any, doc: Document, problems: list[Problem]) -> None:
    if not isinstance(sensors, Mapping):
        problems.append(
            doc.problem(("sensors",), "sensors maps a quantity (or a device) to values")
        )
        return
    for key, value in sensors.items():
        where: PathKey = ("sensors", key)
        if isinstance(value, Mapping):
            if key not in scenario.devices:
                problems.append(
                    doc.problem(
                        where, f"unknown device {key!r}{suggest(key, scenario.devices)}", key=True
                    )
                )
                continue
            target = scenario.sensors.setdefault(key, {})
            for q, v in value.items():
                if _sensor_value(v, (*where, q), doc, problems):
                    target[q] = float(v)
        elif _sensor_value(value, where, doc, problems):
            scenario.sensors.setdefault("*", {})[key] = float(value)


def _sensor_value(value: Any, where: PathKey, doc: Document, problems: list[Problem]) -> bool:
    message = unknown_quantity(str(where[-1]))
    if message is not None:
        problems.append(doc.problem(where, message, key=True))
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(doc.problem(where, f"a sensor value is a number, got {value!r}"))
        return False
    return True
