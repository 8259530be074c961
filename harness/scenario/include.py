"""Reusable steps: ``- include: common/deploy.steps.yaml`` with ``with: {program: x}``.

A steps file is a scenario's building block, as a keyword is in Robot Framework: a list of
steps with named parameters, so a 17-step scenario reads as its intent.  It is YAML::

    description: deploy a program and wait until it runs
    params:
      program: {doc: a name from the scenario's programs}   # no default: required
      within: {default: 10s}
    steps:
      - deploy: "${program}"
      - expect:
          status: {state: running, program_id: "${program}"}
          within: "${within}"

Why its own ``${...}`` scope: a steps file is used by many scenarios, so it may only rely
on the parameters it declares; an unknown one is an error in the steps file, located
there.  Its steps keep their own file and line, so a failure points at the line that
failed, and the report says which include brought it in.  Steps files are named
``*.steps.yaml``: runs and pytest never take one for a scenario.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness.results import SourceLocation

from .params import substitute
from .schema import Field, check
from .source import Document, LoadError, PathKey, Problem, load_yaml, suggest

INCLUDE_KEY = "include"
STEPS_SUFFIXES = (".steps.yaml", ".steps.yml")
INCLUDE_FIELDS: dict[str, Field] = {
    INCLUDE_KEY: Field("string", required=True, doc="a steps file, relative to this file"),
    "with": Field("object", doc="values for the steps file's params"),
}
STEPS_FILE_FIELDS: dict[str, Field] = {
    "description": Field("string", doc="what the steps do, for people"),
    "params": Field("object", doc="name -> {default: ..., doc: ...}; no default: required"),
    "steps": Field("list", required=True, items="json", doc="the steps, as in a scenario"),
}
PARAM_FIELDS: dict[str, Field] = {
    "default": Field("json", doc="the value when the include gives none"),
    "doc": Field("string", doc="what the parameter is for"),
}
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Within:
    """Where steps are being read: the directory relative paths start from, how that
    directory is displayed, the steps files being included (to refuse a cycle) and the
    include steps that led here."""

    directory: Path
    display_dir: str
    what: str = "the scenario"
    chain: tuple[Path, ...] = ()
    sites: tuple[SourceLocation, ...] = ()


@dataclass
class StepsFile:
    path: Path
    doc: Document
    steps: list[Any]
    within: Within
    site: SourceLocation


def is_steps_file(path: Path) -> bool:
    return path.name.endswith(STEPS_SUFFIXES)


def open_include(
    body: Mapping[str, Any],
    at: PathKey,
    doc: Document,
    problems: list[Problem],
    within: Within,
) -> StepsFile | None:
    """Read the steps file an include names and fill in its parameters; every problem is
    appended (located in the scenario for the include itself, in the steps file for its
    contents).  None when its steps cannot be used."""
    before = len(problems)
    spec = check(body, INCLUDE_FIELDS, at, doc, problems, "'include'")
    if len(problems) > before:
        return None
    site = doc.at((*at, INCLUDE_KEY), key=True)
    written = str(spec[INCLUDE_KEY])
    target = (within.directory / written).resolve()
    display = PurePosixPath(os.path.normpath(os.path.join(within.display_dir, written))).as_posix()
    where: PathKey = (*at, INCLUDE_KEY)
    if not is_steps_file(target):
        problems.append(
            doc.problem(
                where,
                f"a steps file is named *.steps.yaml (runs never take one for a scenario), "
                f"got {written!r}",
            )
        )
        return None
    if target in within.chain:
        names = [p.name for p in (*within.chain, target)]
        problems.append(doc.problem(where, f"steps files include each other: {' -> '.join(names)}"))
        return None
    if not target.is_file():
        problems.append(
            doc.problem(where, f"steps file {written!r} not found beside {within.what}")
        )
        return None
    suffix = f"; included at {site}"
    try:
        steps_doc = load_yaml(target, display)
    except LoadError as exc:
        problems.extend(Problem(p.message + suffix, p.location) for p in exc.problems)
        return None
    inner: list[Problem] = []
    top = check(steps_doc.value, STEPS_FILE_FIELDS, (), steps_doc, inner, "a steps file")
    declared = _params(top.get("params", {}), steps_doc, inner)
    problems.extend(Problem(p.message + suffix, p.location) for p in inner)
    if inner or not isinstance(steps_doc.value, Mapping):
        return None
    row = _values(spec.get("with", {}), declared, at, doc, problems, display)
    if row is None:
        return None
    known = f"; {display} has the params: {', '.join(declared) or 'none'}"
    steps = substitute(steps_doc.value.get("steps"), row, ("steps",), steps_doc, inner, known=known)
    # Its steps are still read after an unknown ${name}, so one load reports every mistake.
    problems.extend(Problem(p.message + suffix, p.location) for p in inner)
    return StepsFile(
        path=target,
        doc=steps_doc,
        steps=steps,
        within=Within(
            directory=target.parent,
            display_dir=str(PurePosixPath(display).parent),
            what="the steps file",
            chain=(*within.chain, target),
            sites=(*within.sites, site),
        ),
        site=site,
    )


_REQUIRED = object()


def _params(spec: Any, doc: Document, problems: list[Problem]) -> dict[str, Any]:
    """The declared parameters: name -> default (``_REQUIRED`` when there is none)."""
    out: dict[str, Any] = {}
    if not isinstance(spec, Mapping):
        return out
    for name, value in spec.items():
        where: PathKey = ("params", name)
        if not _PARAM_NAME.match(name):
            problems.append(
                doc.problem(
                    where, f"{name!r} is not a parameter name (letters, digits, _)", key=True
                )
            )
            continue
        if value is None:
            out[name] = _REQUIRED
            continue
        about = check(value, PARAM_FIELDS, where, doc, problems, f"parameter {name!r}")
        out[name] = about.get("default", _REQUIRED) if isinstance(value, Mapping) else _REQUIRED
    return out


def _values(
    given: Mapping[str, Any],
    declared: dict[str, Any],
    at: PathKey,
    doc: Document,
    problems: list[Problem],
    display: str,
) -> dict[str, Any] | None:
    before = len(problems)
    valid = ", ".join(declared) or "none"
    for name in given:
        if name not in declared:
            problems.append(
                doc.problem(
                    (*at, "with", name),
                    f"unknown parameter {name!r} for {display}{suggest(name, declared)}; "
                    f"params: {valid}",
                    key=True,
                )
            )
    missing = [n for n, d in declared.items() if d is _REQUIRED and n not in given]
    if missing:
        names = " and ".join(repr(n) for n in missing)
        what = "parameter" if len(missing) == 1 else "parameters"
        it = "it" if len(missing) == 1 else "them"
        message = f"{display} needs the {what} {names} (set {it} in with)"
        problems.append(doc.problem((*at, INCLUDE_KEY), message, key=True))
    if len(problems) > before:
        return None
    row = {n: d for n, d in declared.items() if d is not _REQUIRED}
    row.update(given)
    return row
