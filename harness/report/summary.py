"""The table ``steelhil run`` prints at the end: one row per scenario, so a reader sees at a
glance what failed and at which step, then goes to the HTML report for the why."""

from __future__ import annotations

from harness.results import RunResult, ScenarioResult, Status

from .naming import case_name
from .text import one_line, shorten

_COLOURS: dict[Status, str] = {
    "passed": "\x1b[32m",  # green
    "failed": "\x1b[31m",  # red
    "error": "\x1b[35m",  # magenta: the scenario or the rig broke, not the firmware
    "skipped": "\x1b[33m",  # yellow
}
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"

#: The name column never takes more than this, so the failed step stays on screen.
NAME_WIDTH = 60


def summary_table(run: RunResult, color: bool, *, width: int = 120) -> str:
    """The table and a totals line; ``color`` adds ANSI colours (for a terminal, not logs).
    Rows are cut to ``width`` characters (the terminal's width)."""
    rows = [_row(s) for s in run.scenarios]
    header = ("STATUS", "SCENARIO", "TIME", "FAILED STEP")
    widths = [
        max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
        for i in range(3)
    ]
    head = _format(header, widths, width)
    lines = [f"{_BOLD}{head}{_RESET}" if color else head]
    for scenario, row in zip(run.scenarios, rows, strict=True):
        line = _format(row, widths, width)
        if color:  # the status only: the rest stays readable on any background
            cut = widths[0]
            line = _COLOURS[scenario.status] + line[:cut] + _RESET + line[cut:]
        lines.append(line)
    if not rows:
        lines.append("(no scenarios ran)")
    lines.append(_totals(run, color))
    return "\n".join(lines) + "\n"


def _row(scenario: ScenarioResult) -> tuple[str, str, str, str]:
    name = shorten(one_line(f"{scenario.file}::{case_name(scenario)}"), NAME_WIDTH)
    return (scenario.status.upper(), name, f"{scenario.duration:.1f}s", _failure(scenario))


def _failure(scenario: ScenarioResult) -> str:
    step = scenario.failed_step
    if step is not None:
        text = f"step {step.index}: {step.title}"
        if step.message:
            text += f" -- {step.message}"
        return one_line(text)
    if scenario.status in ("failed", "error", "skipped") and scenario.error:
        where = f"{scenario.error_location}: " if scenario.error_location else ""
        return one_line(where + scenario.error)
    return ""


def _format(row: tuple[str, ...], widths: list[int], width: int) -> str:
    fixed = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
    return shorten(f"{fixed}  {row[3]}".rstrip(), width)


def _totals(run: RunResult, color: bool) -> str:
    c = run.counts()
    verdict = "PASSED" if run.ok else "FAILED"
    text = (
        f"{verdict}: {c['passed']} passed, {c['failed']} failed, {c['error']} errors, "
        f"{c['skipped']} skipped in {run.duration:.1f}s"
    )
    if not color:
        return text
    colour = _COLOURS["passed"] if run.ok else _COLOURS["failed"]
    return f"{_BOLD}{colour}{text}{_RESET}"
