"""The table ``steelhil run`` prints at the end: one row per scenario, so a reader sees at a
glance what failed and at which step (the failures themselves, in full, are printed above
it by :mod:`harness.report.failure`).

Sized to the terminal: scenario ids are never cut (a cut id cannot be pasted back into
``pytest`` or found in the HTML), and the failed step takes the width that is left; when
too little is left, it goes on a line of its own under the row.
"""

from __future__ import annotations

import shutil

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

#: Below this many columns left for the failed step, it moves to a line of its own.
MIN_REASON = 30
#: The indent of a failed step on its own line.
INDENT = "    "


def terminal_width(default: int = 120) -> int:
    """The terminal's width (``COLUMNS`` when set, as in any shell tool)."""
    return shutil.get_terminal_size((default, 24)).columns


def summary_table(run: RunResult, color: bool, *, width: int | None = None) -> str:
    """The table and a totals line; ``color`` adds ANSI colours (for a terminal, not logs).
    ``width`` is the terminal's (default: measured); no line is longer, except an id that
    alone is wider than the terminal."""
    width = width or terminal_width()
    rows = [_row(s) for s in run.scenarios]
    header = ("STATUS", "SCENARIO", "TIME", "FAILED STEP")
    widths = [
        max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
        for i in range(3)
    ]
    fixed = sum(widths) + 2 * 3
    inline = width - fixed >= MIN_REASON
    head = _format(header if inline else (*header[:3], ""), widths, width)
    lines = [f"{_BOLD}{head}{_RESET}" if color else head]
    for scenario, row in zip(run.scenarios, rows, strict=True):
        line = _format(row if inline else (*row[:3], ""), widths, width)
        if color:  # the status only: the rest stays readable on any background
            cut = widths[0]
            line = _COLOURS[scenario.status] + line[:cut] + _RESET + line[cut:]
        lines.append(line)
        if not inline and row[3]:
            lines.append(shorten(INDENT + row[3], max(width, len(INDENT) + 1)))
    if not rows:
        lines.append("(no scenarios ran)")
    lines.append(_totals(run, color))
    return "\n".join(lines) + "\n"


def _row(scenario: ScenarioResult) -> tuple[str, str, str, str]:
    name = one_line(f"{scenario.file}::{case_name(scenario)}")
    return (scenario.status.upper(), name, f"{scenario.duration:.1f}s", _failure(scenario))


def _failure(scenario: ScenarioResult) -> str:
    step = scenario.failed_step
    if step is not None:
        text = f"step {step.index}: {step.title}"
        if step.message:
            text += f" -- {step.message}"
        more = sum(s.status in ("failed", "error") for s in scenario.steps) - 1
        if more:  # soft expectations: several steps failed
            text = f"(+{more} more failed) {text}"
        return one_line(text)
    if scenario.status in ("failed", "error", "skipped") and scenario.error:
        where = f"{scenario.error_location}: " if scenario.error_location else ""
        return one_line(where + scenario.error)
    return ""


def _format(row: tuple[str, ...], widths: list[int], width: int) -> str:
    fixed = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  "
    if not row[3]:
        return fixed.rstrip()
    return fixed + shorten(row[3], max(width - len(fixed), 1))


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
