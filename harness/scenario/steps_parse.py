"""A scenario's ``steps`` list -> :class:`Step` objects, included steps files expanded.

Each step is validated by the registered step type its action key names; problems are
located in the file the step is written in (a steps file's own line for an included step)
and carry on to the next step, so one load reports every mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .include import INCLUDE_KEY, StepsFile, Within, open_include
from .model import Scenario, Step
from .registry import STEPS, StepType
from .schema import Field, check
from .source import Document, PathKey, Problem, suggest

COMMON_STEP_FIELDS = {"title": Field("string", doc="what the step is for, in the report")}


def parse_steps(
    scenario: Scenario,
    steps: Any,
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    within: Within,
) -> None:
    """Append the steps of ``steps`` (the list at ``where`` in ``doc``) to the scenario."""
    if not isinstance(steps, list):
        problems.append(doc.problem(where, "steps is a list of steps"))
        return
    if not steps:
        problems.append(doc.problem(where, "a scenario needs at least one step"))
    for i, body in enumerate(steps):
        at: PathKey = (*where, i)
        if isinstance(body, Mapping) and INCLUDE_KEY in body:
            _include(scenario, body, at, doc, problems, within)
            continue
        built = parse_step(scenario, len(scenario.steps), body, at, doc, problems, within)
        if built is not None:
            scenario.steps.append(built)


def _include(
    scenario: Scenario,
    body: Mapping[str, Any],
    at: PathKey,
    doc: Document,
    problems: list[Problem],
    within: Within,
) -> None:
    opened: StepsFile | None = open_include(body, at, doc, problems, within)
    if opened is None:
        return
    scenario.add_input(opened.path, opened.doc.text.encode("utf-8"))
    inner: list[Problem] = []
    parse_steps(scenario, opened.steps, ("steps",), opened.doc, inner, opened.within)
    # A mistake inside a steps file is found through the include that used it: say which.
    problems.extend(Problem(f"{p.message}; included at {opened.site}", p.location) for p in inner)


def parse_step(
    scenario: Scenario,
    index: int,
    body: Any,
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    within: Within,
) -> Step | None:
    if not isinstance(body, Mapping) or not body:
        problems.append(
            doc.problem(where, "a step is a mapping such as {deploy: ...} or {expect: ...}")
        )
        return None
    actions = [k for k in body if k in STEPS]
    known = [*STEPS, *COMMON_STEP_FIELDS, INCLUDE_KEY]
    unknown = [k for k in body if k not in STEPS and k not in COMMON_STEP_FIELDS]
    for key in unknown:
        problems.append(
            doc.problem((*where, key), f"unknown step {key!r}{suggest(key, known)}", key=True)
        )
    if unknown:
        return None
    if len(actions) != 1:
        if not actions:
            choices = ", ".join(sorted([*STEPS, INCLUDE_KEY]))
            problems.append(doc.problem(where, f"a step needs one of: {choices}"))
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
    title_field = check(
        {k: v for k, v in body.items() if k in COMMON_STEP_FIELDS},
        COMMON_STEP_FIELDS,
        where,
        doc,
        problems,
        "a step",
    )
    args = parse_step_body(step_type, body[key], (*where, key), doc, problems, scenario)
    if len(problems) > before:
        return None
    title = title_field.get("title") or step_type.title(args)
    _files(step_type, args, (*where, key), doc, problems, scenario, within)
    return Step(
        index,
        step_type,
        args,
        doc.at((*where, key), key=True),
        str(title),
        included_from=list(within.sites),
    )


def _files(
    step_type: StepType,
    args: dict[str, Any],
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    scenario: Scenario,
    within: Within,
) -> None:
    """The files a step reads exist, and are passed on resolved (a step in a steps file
    names files beside that file, not beside the scenario)."""
    for written in step_type.files(args):
        target = (within.directory / written).resolve()
        if not target.is_file():
            problems.append(
                doc.problem((*where, "file"), f"file {written!r} not found beside {within.what}")
            )
            continue
        scenario.add_input(target)
        if args.get("file") == written:
            args["file"] = str(target)


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
        if isinstance(body, Mapping):
            body = _own_messages(step_type, body, where, doc, problems)
        args = check(body, step_type.fields, where, doc, problems, f"{step_type.key!r}")
        check_names(step_type.fields, args, where, doc, problems, scenario)
        if len(problems) == before:
            message = step_type.validate(args)
            if message:
                problems.append(doc.problem(where, message))
    return args


def _own_messages(
    step_type: StepType,
    body: Mapping[str, Any],
    where: PathKey,
    doc: Document,
    problems: list[Problem],
) -> Mapping[str, Any]:
    """Unknown keys the step type has its own message for are reported with it (and
    left out of the generic check, which would report them again)."""
    kept = dict(body)
    for key in body:
        if key in step_type.fields:
            continue
        message = step_type.unknown_field(str(key))
        if message is not None:
            problems.append(doc.problem((*where, key), message, key=True))
            del kept[key]
    return kept


def check_names(
    fields: Mapping[str, Field],
    args: dict[str, Any],
    where: PathKey,
    doc: Document,
    problems: list[Problem],
    scenario: Scenario,
) -> None:
    """Device and program names a step uses exist in the scenario."""
    for name, spec in fields.items():
        value = args.get(name)
        if spec.type == "device" and isinstance(value, str):
            known_device(value, (*where, name), doc, problems, scenario)
        elif spec.type == "devices" and isinstance(value, list):
            for i, v in enumerate(value):
                known_device(
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


def known_device(
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
