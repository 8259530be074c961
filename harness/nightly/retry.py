"""Which boards each attempt of a scenario runs on, and the verdict its attempts add up to.

Scenarios are spread over the rig: scenario *i* starts at board *i* (mod the boards it may
use), so a 4-board rig runs each board about equally and a board that breaks shows up as
failures on one board.  A failed scenario is re-run up to ``retries`` times, alternately on
the same boards and (when the rig has enough boards with its tags) on the next ones: a
scenario that fails on emu-1 and passes on emu-1 again is flaky; one that fails on emu-1
twice and passes on emu-2 points at emu-1.

Verdicts: the first attempt's status when it passed or was skipped; ``flaky`` when a re-run
passed; otherwise ``failed`` (or ``error`` when no attempt got as far as a failed step).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from harness.history.model import Verdict

T = TypeVar("T")


def boards_for_attempt(eligible: Sequence[T], needed: int, start: int, attempt: int) -> list[T]:
    """The boards attempt ``attempt`` (0 = the first run) uses."""
    if needed <= 0 or not eligible:
        return []
    count = len(eligible)
    shift = start
    if attempt > 0 and attempt % 2 == 0 and count > needed:
        shift = start + needed * (attempt // 2)
    return [eligible[(shift + k) % count] for k in range(min(needed, count))]


def verdict(statuses: Sequence[str]) -> Verdict:
    if not statuses:
        return "error"
    first = statuses[0]
    if first in ("passed", "skipped"):
        return "passed" if first == "passed" else "skipped"
    if "passed" in statuses[1:]:
        return "flaky"
    return "failed" if "failed" in statuses else "error"


def should_retry(status: str) -> bool:
    """Failed and errored attempts are re-run; a passed or skipped one is final."""
    return status in ("failed", "error")
