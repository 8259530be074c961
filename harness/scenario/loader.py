"""Scenario files -> :class:`Scenario` objects, or a :class:`LoadError` naming every problem
with file, line, column and field path.

The format is documented in docs/scenarios.md; :func:`json_schema` exports it for editors.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from emulator.device.control import QUANTITIES
from harness.results import SourceLocation

from .model import Scenario, Step
from .registry import EXPECTATIONS, STEPS, load_all
from .schema import Field, check, object_schema
from .source import Document, LoadError, PathKey, Problem, load_yaml, suggest

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
COMMON_STEP_FIELDS = {"title": Field("string", doc="what the step is for, in the report")}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def discover(paths: list[Path]) -> list[Path]:
    """Scenario files under ``paths`` (directories are searched for ``*.yaml``/``*.yml``)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.y*ml") if p.suffix in (".yaml", ".yml")))
        else:
            out.append(path)
    return out


def load_file(path: Path, display: str | None = None) -> list[Scenario]:
    """Every scenario a file defines (one per parameter row)."""
    load_all()
    display = display or str(path)
    doc = load_yaml(path, display)
    raw = path.read_bytes()
    problems: list[Problem] = []
    if not isinstance(doc.value, Mapping):
        raise LoadError(
            [doc.problem((), "a scenario file is a mapping with name, fleet and steps")]
        )
    # Only the parameter rows first: every other field may use ${placeholders}, so it is
    # checked per row, after substitution.
    rows_spec = {k: TOP_FIELDS[k] for k in ("params", "matrix")}
    rows_part = {k: v for k, v in doc.value.items() if k in rows_spec}
    top = check(rows_part, rows_spec, (), doc, problems, "the scenario")
    rows = _param_rows(doc, top, problems)
    if problems:
        raise LoadError(problems)
    scenarios: list[Scenario] = []
    for row in rows:
        scenarios.append(_build(path, display, doc, raw, row, problems))
    if problems:
        raise LoadError(_dedupe(problems))
    return scenarios


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _param_rows(
    doc: Document, top: dict[str, Any], problems: list[Problem]
) -> list[dict[str, Any]]:
    params, matrix = top.get("params"), top.get("matrix")
    if params is not None and matrix is not None:
        problems.append(doc.problem(("matrix",), "use either params or matrix, not both", key=True))
        return [{}]
    if matrix is not None:
        names = list(matrix)
        for name in names:
            if not isinstance(matrix[name], list) or not matrix[name]:
                problems.append(doc.problem(("matrix", name), "a matrix entry is a non-empty list"))
                return [{}]
        return [
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*matrix.values())
        ]
    if params is not None:
        if not isinstance(params, list) or not params:
            problems.append(doc.problem(("params",), "params is a non-empty list of mappings"))
            return [{}]
        rows = []
        for i, row in enumerate(params):
            if not isinstance(row, Mapping):
                problems.append(doc.problem(("params", i), "each params row is a mapping"))
            else:
                rows.append(dict(row))
        return rows or [{}]
    return [{}]


def _substitute(
    value: Any, row: dict[str, Any], path: PathKey, doc: Document, problems: list[Problem]
) -> Any:
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value)
        if whole:
            name = whole.group(1)
            if name in row:
                return row[name]

        def repl(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in row:
                problems.append(
                    doc.problem(path, f"unknown parameter ${{{name}}}{suggest(name, row)}")
                )
                return m.group(0)
            return str(row[name])

        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute(v, row, (*path, k), doc, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, row, (*path, i), doc, problems) for i, v in enumerate(value)]
    return value


def _row_label(row: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in row.items())


def _build(
    path: Path,
    display: str,
    doc: Document,
    raw: bytes,
    row: dict[str, Any],
    problems: list[Problem],
) -> Scenario:
    value = _substitute(dict(doc.value), row, (), doc, problems)
    top = check(value, TOP_FIELDS, (), doc, problems, "the scenario")
    name = str(top.get("name") or path.stem)
    sid = f"{display}::{name}" + (f"[{_row_label(row)}]" if row else "")
    scenario = Scenario(
        id=sid,
        name=name,
        file=path,
        display_file=display,
        description=str(top.get("description", "")),
        tags=[str(t) for t in top.get("tags", [])],
        params=row,
        seed=int(top.get("seed", 0)),
        timeout=float(top.get("timeout", 600.0)),
        sha256=hashlib.sha256(raw).hexdigest(),
        location=doc.at(()),
    )
    _fleet(scenario, top.get("fleet", {}), doc, problems)
    _programs(scenario, top.get("programs", {}), path.parent, doc, problems)
    _sensors(scenario, top.get("sensors", {}), doc, problems)
    steps = value.get("steps")
    if isinstance(steps, list):
        if not steps:
            problems.append(doc.problem(("steps",), "a scenario needs at least one step"))
        for i, body in enumerate(steps):
            built = _step(scenario, i, body, doc, problems)
            if built is not None:
                scenario.steps.append(built)
    return scenario


def _fleet(scenario: Scenario, fleet: Any, doc: Document, problems: list[Problem]) -> None:
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
            if not isinstance(n, str) or not _NAME.match(n) or n in ("all", "any", "broadcast"):
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


def _programs(
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
            scenario.programs[name] = target.read_text(encoding="utf-8")
        except OSError:
            scenario.programs[name] = ""  # declared, so steps may name it; the file is the error
            problems.append(
                doc.problem(where, f"program file {file!r} not found beside the scenario")
            )


def _sensors(scenario: Scenario, sensors: Any, doc: Document, problems: list[Problem]) -> None:
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


#: What a virtual board's sensors measure (the SHTC3 and the ICM-42670).
SENSOR_QUANTITIES = QUANTITIES


def _sensor_value(value: Any, where: PathKey, doc: Document, problems: list[Problem]) -> bool:
    quantity = str(where[-1])
    if quantity not in SENSOR_QUANTITIES:
        problems.append(
            doc.problem(
                where,
                f"unknown sensor quantity {quantity!r}{suggest(quantity, SENSOR_QUANTITIES)}; "
                f"quantities: {', '.join(SENSOR_QUANTITIES)}",
                key=True,
            )
        )
        return False
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(doc.problem(where, f"a sensor value is a number, got {value!r}"))
        return False
    return True


def _step(
    scenario: Scenario, index: int, body: Any, doc: Document, problems: list[Problem]
) -> Step | None:
    where: PathKey = ("steps", index)
    if not isinstance(body, Mapping) or not body:
        problems.append(
            doc.problem(where, "a step is a mapping such as {deploy: ...} or {expect: ...}")
        )
        return None
    actions = [k for k in body if k in STEPS]
    unknown = [k for k in body if k not in STEPS and k not in COMMON_STEP_FIELDS]
    for key in unknown:
        problems.append(
            doc.problem(
                (*where, key),
                f"unknown step {key!r}{suggest(key, [*STEPS, *COMMON_STEP_FIELDS])}",
                key=True,
            )
        )
    if unknown:
        return None
    if len(actions) != 1:
        if not actions:
            problems.append(doc.problem(where, f"a step needs one of: {', '.join(sorted(STEPS))}"))
        else:
            problems.append(
                doc.problem(
                    (*where, actions[1]),
                    f"one action per step, got {' and '.join(actions)}",
                    key=True,
                )
            )
        return None
    key = actions[0]
    step_type = STEPS[key]
    before = len(problems)
    args = parse_step_body(step_type, body[key], (*where, key), doc, problems, scenario)
    if len(problems) > before:
        return None
    title = body.get("title") or step_type.title(args)
    return Step(index, step_type, args, doc.at((*where, key), key=True), str(title))


def parse_step_body(
    step_type: Any,
    body: Any,
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    scenario: Scenario,
) -> dict[str, Any]:
    """Validate one step's body, including the device and program names it uses."""
    parse = getattr(step_type, "parse", None)
    if parse is not None:
        args: dict[str, Any] = parse(body, where, doc, problems, scenario)
    else:
        if not isinstance(body, Mapping) and step_type.scalar_field is not None:
            body = {step_type.scalar_field: body}
        before = len(problems)
        args = check(body, step_type.fields, where, doc, problems, f"{step_type.key!r}")
        check_names(step_type.fields, args, where, doc, problems, scenario)
        if len(problems) == before:
            message = step_type.validate(args)
            if message:
                problems.append(doc.problem(where, message))
    return args


def check_names(
    fields: Mapping[str, Field],
    args: dict[str, Any],
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    scenario: Scenario,
) -> None:
    for name, spec in fields.items():
        value = args.get(name)
        if spec.type == "device" and isinstance(value, str):
            _known_device(value, (*where, name), doc, problems, scenario)
        elif spec.type == "devices" and isinstance(value, list):
            for i, v in enumerate(value):
                _known_device(
                    v,
                    (*where, name, i) if len(value) > 1 else (*where, name),
                    doc,
                    problems,
                    scenario,
                )
        elif name == "program" and isinstance(value, str) and value not in scenario.programs:
            problems.append(
                doc.problem(
                    (*where, name),
                    f"unknown program {value!r}{suggest(value, scenario.programs)}; "
                    f"programs: {', '.join(scenario.programs) or 'none declared'}",
                )
            )


def _known_device(
    name: str, where: PathKey, doc: Document, problems: list[Problem], scenario: Scenario
) -> None:
    if name not in scenario.devices:
        problems.append(
            doc.problem(
                where,
                f"unknown device {name!r}{suggest(name, scenario.devices)}; "
                f"the fleet has {', '.join(scenario.devices)}",
            )
        )


def iter_scenarios(
    paths: list[Path], root: Path | None = None
) -> Iterator[tuple[Path, list[Scenario] | LoadError]]:
    """Each file with its scenarios, or the error that stopped it (the caller reports it as
    an error item and carries on with the next file)."""
    for path in discover(paths):
        display = _display(path, root)
        try:
            yield path, load_file(path, display)
        except LoadError as exc:
            yield path, exc


def _display(path: Path, root: Path | None) -> str:
    base = root or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def json_schema() -> dict[str, Any]:
    """The scenario format as JSON Schema (draft 2020-12) for editors."""
    load_all()
    step_variants = []
    for key, st in sorted(STEPS.items()):
        body_schema = getattr(st, "body_schema", None)
        body: dict[str, Any] = body_schema() if body_schema else object_schema(st.fields, st.doc)
        if st.scalar_field is not None and not body_schema:
            scalar = object_schema(st.fields)["properties"][st.scalar_field]
            body = {"anyOf": [body, scalar]}
        step_variants.append(
            {
                "type": "object",
                "properties": {key: body, "title": {"type": "string"}},
                "required": [key],
                "additionalProperties": False,
                "description": st.doc,
            }
        )
    top = object_schema(TOP_FIELDS)
    top["properties"]["fleet"] = object_schema(FLEET_FIELDS)
    top["properties"]["fleet"]["properties"]["devices"] = {
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "array", "items": {"type": "string"}},
        ]
    }
    top["properties"]["steps"] = {"type": "array", "items": {"oneOf": step_variants}}
    top["properties"]["params"] = {"type": "array", "items": {"type": "object"}}
    top["properties"]["programs"] = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "steelhil scenario",
        **top,
    }


__all__ = [
    "EXPECTATIONS",
    "LoadError",
    "Problem",
    "SourceLocation",
    "discover",
    "iter_scenarios",
    "json_schema",
    "load_file",
]
