"""What changed since the night before: the few lines a team reads each morning.

Compared per scenario id between the last night and the one before it:

* **new failure**: failed or errored tonight, passed (or was flaky) last night;
* **fixed**: passed tonight, failed or errored last night;
* **newly flaky**: flaky tonight, not flaky last night;
* **slower**: passed both nights and tonight took more than ``slower`` (a fraction) longer,
  and at least ``min_seconds`` longer (so a 0.1 s scenario is not "50 % slower" by noise);
* **new** and **gone** scenarios, and **changed** ones (a different scenario hash: its
  comparison with last night is noted as such, since the test itself is not the same).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import BAD, Night, ScenarioRecord

DEFAULT_SLOWER = 0.5
DEFAULT_MIN_SECONDS = 1.0


@dataclass
class Change:
    id: str
    before: str  # verdict last night ("" when new)
    after: str  # verdict tonight ("" when gone)
    note: str = ""  # e.g. "the scenario changed", "fails on emu-1, passes on emu-2"


@dataclass
class Changes:
    night: str
    previous: str | None
    new_failures: list[Change] = field(default_factory=list)
    still_failing: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    newly_flaky: list[Change] = field(default_factory=list)
    slower: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    gone: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not (
            self.new_failures or self.fixed or self.newly_flaky or self.slower or self.new
        ) and not (self.gone or self.changed)


def _flaky_note(record: ScenarioRecord) -> str:
    failed = [b for a in record.attempts if a.status in BAD for b in a.boards]
    passed = [b for a in record.attempts if a.status == "passed" for b in a.boards]
    if failed and passed and not set(failed) & set(passed):
        return f"failed on {', '.join(dict.fromkeys(failed))}, passed on {', '.join(passed)}"
    runs = len(record.attempts)
    return f"passed on attempt {runs} of {runs}" if runs else ""


def compare(
    tonight: Night,
    before: Night | None,
    *,
    slower: float = DEFAULT_SLOWER,
    min_seconds: float = DEFAULT_MIN_SECONDS,
) -> Changes:
    out = Changes(tonight.id, before.id if before else None)
    old = {r.id: r for r in before.scenarios} if before else {}
    new = {r.id: r for r in tonight.scenarios}
    for sid, record in new.items():
        prior = old.get(sid)
        if prior is None:
            if before is not None:
                out.new.append(Change(sid, "", record.verdict))
            if record.verdict in BAD:
                out.new_failures.append(Change(sid, "", record.verdict, "a new scenario"))
            elif record.verdict == "flaky":
                out.newly_flaky.append(Change(sid, "", "flaky", _flaky_note(record)))
            continue
        changed = prior.sha256 != record.sha256
        note = "the scenario changed since last night" if changed else ""
        if changed:
            out.changed.append(Change(sid, prior.verdict, record.verdict, note))
        if record.verdict in BAD:
            if prior.verdict in BAD:
                out.still_failing.append(Change(sid, prior.verdict, record.verdict, note))
            else:
                out.new_failures.append(Change(sid, prior.verdict, record.verdict, note))
        elif record.verdict == "passed" and prior.verdict in BAD:
            out.fixed.append(Change(sid, prior.verdict, record.verdict, note))
        if record.verdict == "flaky" and prior.verdict != "flaky":
            flaky = _flaky_note(record)
            out.newly_flaky.append(
                Change(sid, prior.verdict, "flaky", "; ".join(x for x in (flaky, note) if x))
            )
        if (
            record.verdict == "passed"
            and prior.verdict == "passed"
            and not changed
            and prior.duration > 0
            and record.duration > prior.duration * (1 + slower)
            and record.duration - prior.duration >= min_seconds
        ):
            ratio = record.duration / prior.duration - 1
            out.slower.append(
                Change(
                    sid,
                    "passed",
                    "passed",
                    f"{prior.duration:.1f}s -> {record.duration:.1f}s (+{ratio:.0%})",
                )
            )
    for sid, prior in old.items():
        if sid not in new:
            out.gone.append(Change(sid, prior.verdict, ""))
    return out


def render(changes: Changes) -> str:
    """The text ``steelhil history`` prints."""
    if changes.previous is None:
        lines = [f"night {changes.night}: the first night in the history"]
    else:
        lines = [f"night {changes.night} compared with {changes.previous}:"]
    sections = (
        ("new failures", changes.new_failures),
        ("newly flaky", changes.newly_flaky),
        ("fixed", changes.fixed),
        ("slower", changes.slower),
        ("still failing", changes.still_failing),
        ("new scenarios", changes.new),
        ("scenarios gone", changes.gone),
        ("scenarios changed", changes.changed),
    )
    for title, items in sections:
        if not items:
            continue
        lines.append(f"  {title} ({len(items)}):")
        for change in items:
            arrow = f"{change.before or '-'} -> {change.after or '-'}"
            note = f"  ({change.note})" if change.note else ""
            lines.append(f"    {change.id}: {arrow}{note}")
    if changes.quiet and changes.previous is not None and not changes.still_failing:
        lines.append("  nothing changed")
    return "\n".join(lines)
