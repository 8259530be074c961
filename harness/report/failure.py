"""A failed scenario as text for a terminal: what pytest prints for a failing item, and
what ``steelhil run`` prints above its summary table.

Why in full: the person at the terminal needs the failing step's expected and observed
values to decide what to do next, and sending them to the HTML for a 60-character cut of
the reason costs a round trip every time.  Every failed step is shown (a soft expectation
fails without stopping the scenario, so there may be several), each with where it is
written, then the consoles of its devices around the moment it failed.
"""

from __future__ import annotations

from harness.results import ScenarioResult, StepResult

from .events import logs_around
from .text import one_line

#: Console lines shown per failed step (the latest ones, nearest the failure).
CONSOLE_LINES = 30


def banner(text: str, fill: str, width: int) -> str:
    """``____ text ____`` across the terminal, as pytest separates its failures."""
    inner = f" {text} "
    if len(inner) + 2 >= width:
        return fill * 2 + inner.rstrip()
    left = (width - len(inner)) // 2
    return fill * left + inner + fill * (width - len(inner) - left)


def failed_steps(result: ScenarioResult) -> list[StepResult]:
    return [s for s in result.steps if s.status in ("failed", "error")]


def failure_text(result: ScenarioResult, *, context: float = 5.0) -> str:
    """Which steps failed, where each is written, expected and observed, and the consoles
    around each failure.  A scenario that failed without a failing step (its fleet did not
    come up, it ran past its timeout) gets its error and where it was written."""
    lines: list[str] = []
    steps = failed_steps(result)
    for step in steps:
        lines.extend(_step(result, step, context))
    if result.error and (not steps or result.error not in {s.message for s in steps}):
        where = f" ({result.error_location})" if result.error_location else ""
        lines.append(one_line(f"{result.id}{where}: {result.error}"))
    if not lines:
        lines.append(f"{result.id}: {result.status}")
    return "\n".join(lines)


def _step(result: ScenarioResult, step: StepResult, context: float) -> list[str]:
    parts = [str(step.location)] if step.location else []
    parts += [f"included at {site}" for site in step.included_from]
    where = f" ({', '.join(parts)})" if parts else ""
    soft = " (soft: the scenario went on)" if _went_on(result, step) else ""
    lines = [one_line(f"step {step.index} {step.status}{where}: {step.title}{soft}")]
    if step.message:
        lines.append("  " + one_line(step.message))
    if step.expected:
        lines.append("  expected: " + one_line(step.expected))
    if step.observed:
        lines.append("  observed: " + one_line(step.observed))
    entries = logs_around(
        result,
        step.started,
        step.ended,
        before=context,
        after=context,
        limit=CONSOLE_LINES,
    )
    for device in dict.fromkeys(e.device for e in entries):
        lines.append(f"  console of {device} around t={step.ended:.3f}:")
        lines.extend(
            "    " + one_line(_console(e.t, e.text)) for e in entries if e.device == device
        )
    return lines


def _console(t: float | None, text: str) -> str:
    return f"{'-' if t is None else format(t, '.3f'):>10}  {text}"


def _went_on(result: ScenarioResult, step: StepResult) -> bool:
    """A failed step after which other steps still ran (a soft expectation)."""
    return step.status == "failed" and any(
        s.index > step.index and s.status != "skipped" for s in result.steps
    )
