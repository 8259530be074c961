"""Scenario files -> :class:`Scenario` objects, or a :class:`LoadError` naming every problem
with file, line, column and field path.

The format is documented in docs/scenarios.md; :func:`json_schema` exports it for editors.
The sections are read by :mod:`.sections`, the steps by :mod:`.steps_parse` (included
steps files by :mod:`.include`), ``${placeholders}`` by :mod:`.params`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from harness.results import SourceLocation

from .include import Within, is_steps_file
from .model import Scenario
from .params import param_rows, row_label, substitute
from .quantities import SENSOR_QUANTITIES
from .registry import EXPECTATIONS, load_all
from .schema import check
from .schema_export import json_schema
from .sections import FLEET_FIELDS, TOP_FIELDS, read_fleet, read_programs, read_sensors
from .source import Document, LoadError, Problem, load_yaml
from .steps_parse import COMMON_STEP_FIELDS, check_names, parse_step_body, parse_steps


def discover(paths: list[Path]) -> list[Path]:
    """Scenario files under ``paths`` (directories are searched for ``*.yaml``/``*.yml``;
    steps files, ``*.steps.yaml``, are not scenarios and are left out)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*.y*ml")
                    if p.suffix in (".yaml", ".yml") and not is_steps_file(p)
                )
            )
        else:
            out.append(path)
    return out


def load_file(path: Path, display: str | None = None) -> list[Scenario]:
    """Every scenario a file defines (one per parameter row); none for a steps file,
    whose steps are checked where a scenario includes them."""
    load_all()
    display = display or str(path)
    if is_steps_file(path):
        return []
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
    rows = param_rows(doc, top, problems)
    if problems:
        raise LoadError(problems)
    scenarios = [_build(path, display, doc, raw, row, problems) for row in rows]
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


def _build(
    path: Path,
    display: str,
    doc: Document,
    raw: bytes,
    row: dict[str, Any],
    problems: list[Problem],
) -> Scenario:
    value = substitute(dict(doc.value), row, (), doc, problems)
    top = check(value, TOP_FIELDS, (), doc, problems, "the scenario")
    name = str(top.get("name") or path.stem)
    sid = f"{display}::{name}" + (f"[{row_label(row)}]" if row else "")
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
    read_fleet(scenario, top.get("fleet", {}), doc, problems)
    read_programs(scenario, top.get("programs", {}), path.parent, doc, problems)
    read_sensors(scenario, top.get("sensors", {}), doc, problems)
    if "steps" in value:
        within = Within(path.parent, str(PurePosixPath(display).parent))
        parse_steps(scenario, value["steps"], ("steps",), doc, problems, within)
    return scenario


def iter_scenarios(
    paths: list[Path], root: Path | None = None
) -> Iterator[tuple[Path, list[Scenario] | LoadError]]:
    """Each file with its scenarios, or the error that stopped it (the caller reports it as
    an error item and carries on with the next file)."""
    for path in discover(paths):
        display = display_path(path, root)
        try:
            yield path, load_file(path, display)
        except LoadError as exc:
            yield path, exc


#: A file further up than this from the current directory is named by its absolute path.
MAX_UP = 2


def display_path(path: Path, root: Path | None = None) -> str:
    """How reports and ids name a file: relative to ``root`` (default: the current
    directory), with ``..`` when it lies just outside (``../qa/x.yaml``), absolute when it
    lies far away.  An id stays short and readable, and the same file gets the same id in
    every report."""
    base = os.path.abspath(root or Path.cwd())
    target = os.path.abspath(path)
    try:
        relative = Path(os.path.relpath(target, base))
    except ValueError:  # another drive (Windows)
        return Path(target).as_posix()
    if relative.parts[: MAX_UP + 1] == ("..",) * (MAX_UP + 1):
        return Path(target).as_posix()
    return relative.as_posix()


__all__ = [
    "COMMON_STEP_FIELDS",
    "EXPECTATIONS",
    "FLEET_FIELDS",
    "SENSOR_QUANTITIES",
    "TOP_FIELDS",
    "LoadError",
    "Problem",
    "SourceLocation",
    "check_names",
    "discover",
    "display_path",
    "iter_scenarios",
    "json_schema",
    "load_file",
    "parse_step_body",
]
