"""JUnit XML, the format every CI test reporter reads (Jenkins, GitLab, GitHub actions).

One ``<testsuite>`` per scenario file and one ``<testcase>`` per scenario (and parameter row),
so CI's history tracks each scenario by the same name pytest shows.  CI pages show little
more than the failure message and ``<system-out>``, so those carry what a reader needs first:
the failing step, expected vs observed, where the step is written, and the devices' console
around the moment it failed.  Steps, devices and the run's fingerprint go in
``<properties>`` for tools that read them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from harness.results import RunFingerprint, RunResult, ScenarioResult, StepResult

from .events import logs_around
from .naming import case_name, classname
from .text import xml_safe

#: Console lines from this long before the failing step started (and after it ended).
LOG_BEFORE = 10.0
LOG_AFTER = 2.0
LOG_LIMIT = 200


def write_junit(run: RunResult, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(build_junit(run))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def build_junit(run: RunResult) -> ET.Element:
    counts = run.counts()
    root = _element(
        "testsuites",
        name="steelhil",
        tests=len(run.scenarios),
        failures=counts["failed"],
        errors=counts["error"],
        skipped=counts["skipped"],
        time=_seconds(run.duration),
        timestamp=_timestamp(run.started_at),
    )
    by_file: dict[str, list[ScenarioResult]] = {}
    for scenario in run.scenarios:
        by_file.setdefault(scenario.file, []).append(scenario)
    for file, scenarios in by_file.items():
        root.append(_suite(file, scenarios, run.fingerprint))
    return root


def _suite(file: str, scenarios: list[ScenarioResult], fingerprint: RunFingerprint) -> ET.Element:
    statuses = [s.status for s in scenarios]
    starts = sorted(s.started_at for s in scenarios if s.started_at)
    suite = _element(
        "testsuite",
        name=file,
        tests=len(scenarios),
        failures=statuses.count("failed"),
        errors=statuses.count("error"),
        skipped=statuses.count("skipped"),
        time=_seconds(sum(s.duration for s in scenarios)),
        timestamp=_timestamp(starts[0]) if starts else None,
        file=file,
    )
    suite.append(_properties(_fingerprint_properties(fingerprint)))
    for scenario in scenarios:
        suite.append(_testcase(scenario))
    return suite


def _testcase(scenario: ScenarioResult) -> ET.Element:
    case = _element(
        "testcase",
        classname=classname(scenario.file),
        name=case_name(scenario),
        time=_seconds(scenario.duration),
        file=scenario.file,
    )
    step = scenario.failed_step
    line = step.location.line if step and step.location else None
    if line is None and scenario.error_location is not None:
        line = scenario.error_location.line
    if line is not None:
        case.set("line", str(line))
    case.append(_properties(_scenario_properties(scenario)))

    if scenario.status == "skipped":
        case.append(_element("skipped", message=scenario.error or "skipped"))
    elif scenario.status in ("failed", "error"):
        tag = "failure" if scenario.status == "failed" else "error"
        message, text = _problem(scenario)
        outcome = _element(tag, message=message, type=step.kind if step else "scenario")
        outcome.text = xml_safe(text)
        case.append(outcome)
        out = _element("system-out")
        out.text = xml_safe(_console_excerpt(scenario, step))
        case.append(out)
    return case


def _problem(scenario: ScenarioResult) -> tuple[str, str]:
    """The one-line message and the full text of a failure or error."""
    step = scenario.failed_step
    if step is None:
        why = scenario.error or f"scenario {scenario.status} without a failing step"
        lines = [why]
        if scenario.error_location is not None:
            lines.append(f"at {scenario.error_location}")
        return why.splitlines()[0] if why else why, "\n".join(lines)
    message = f"step {step.index}: {step.message or step.title}"
    failed = [s for s in scenario.steps if s.status in ("failed", "error")]
    if len(failed) > 1:  # soft expectations: every failure, first first
        message = message.splitlines()[0] + f" (and {len(failed) - 1} more failed step(s))"
    text: list[str] = []
    for each in failed:
        text += [*([""] if text else []), *_step_lines(each)]
    return message.splitlines()[0], "\n".join(text)


def _step_lines(step: StepResult) -> list[str]:
    lines = [f"step {step.index} ({step.kind}): {step.title}"]
    if step.location is not None:
        lines.append(f"at {step.location}")
    lines.extend(f"included at {site}" for site in step.included_from)
    if step.message:
        lines.append(step.message)
    if step.expected is not None:
        lines.append(f"expected: {step.expected}")
    if step.observed is not None:
        lines.append(f"observed: {step.observed}")
    lines.append(f"time: {step.started:.3f} .. {step.ended:.3f}")
    if step.devices:
        lines.append(f"devices: {', '.join(step.devices)}")
    return lines


def _console_excerpt(scenario: ScenarioResult, step: StepResult | None) -> str:
    if step is not None:
        start, end = step.started, step.ended
        devices = step.devices or None
        heading = (
            f"device console from {LOG_BEFORE:g} s before step {step.index} "
            f"to {LOG_AFTER:g} s after it ({scenario.time_base} time):"
        )
    else:  # no step to anchor on: the end of each console
        start, end, devices = float("-inf"), float("inf"), None
        heading = "device console (last lines):"
    entries = logs_around(
        scenario, start, end, devices=devices, before=LOG_BEFORE, after=LOG_AFTER, limit=LOG_LIMIT
    )
    if not entries:
        return heading + "\n(no console output)\n"
    return heading + "\n" + "\n".join(e.format(with_device=True) for e in entries) + "\n"


def _fingerprint_properties(fp: RunFingerprint) -> list[tuple[str, str]]:
    props = [
        ("fingerprint.firmware_version", fp.firmware_version),
        ("fingerprint.firmware_sha256", fp.firmware_sha256),
        ("fingerprint.seed", str(fp.seed)),
        ("fingerprint.iotcore", fp.iotcore),
        ("fingerprint.steelhil_version", fp.steelhil_version),
        ("fingerprint.python", fp.python),
        ("fingerprint.platform", fp.platform),
    ]
    if fp.rig is not None:
        props.append(("fingerprint.rig", fp.rig))
    props.extend(
        (f"fingerprint.scenario_sha256.{file}", digest)
        for file, digest in sorted(fp.scenarios_sha256.items())
    )
    props.extend(
        (f"fingerprint.input_sha256.{file}", digest)
        for file, digest in sorted(fp.inputs_sha256.items())
    )
    return props


def _scenario_properties(scenario: ScenarioResult) -> list[tuple[str, str]]:
    props = [("scenario.id", scenario.id), ("time_base", scenario.time_base)]
    if scenario.scenario_sha256:
        props.append(("scenario.sha256", scenario.scenario_sha256))
    props.extend((f"input.{f}", d) for f, d in sorted(scenario.inputs_sha256.items()))
    props.extend((f"param.{k}", str(v)) for k, v in scenario.params.items())
    if scenario.tags:
        props.append(("tags", ",".join(scenario.tags)))
    props.extend((f"device.{d.name}", d.backend) for d in scenario.devices)
    for step in scenario.steps:
        props.append((f"step.{step.index}", f"{step.status} {step.kind}: {step.title}"))
    return props


def _properties(items: Iterable[tuple[str, str]]) -> ET.Element:
    props = ET.Element("properties")
    for name, value in items:
        props.append(_element("property", name=name, value=value))
    return props


def _element(tag: str, **attrs: object) -> ET.Element:
    """An element whose attributes are XML-safe text; ``None`` leaves an attribute out."""
    return ET.Element(tag, {k: xml_safe(str(v)) for k, v in attrs.items() if v is not None})


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _timestamp(iso: str) -> str | None:
    """JUnit's timestamp: ISO 8601 without a zone (the results' ``*_at`` are UTC)."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return iso
