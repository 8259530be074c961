"""What one night leaves in the history: its fingerprint and every scenario's verdict.

A scenario's *verdict* is its result after re-runs: ``flaky`` when it failed and then passed
on a re-run (on the same board or another), otherwise the status of its only or last
attempt.  Each attempt keeps the boards it ran on, so a scenario that fails on one board and
passes on another says which board to look at.

``night.json`` (kept beside each night's report) is this model as JSON; :func:`night_from_dict`
reads it back and names the field of a file that does not match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

Verdict = Literal["passed", "failed", "error", "skipped", "flaky"]
VERDICTS: tuple[Verdict, ...] = ("passed", "failed", "error", "skipped", "flaky")
#: Verdicts that mean the firmware (or the scenario) is broken, not merely unlucky.
BAD: frozenset[str] = frozenset({"failed", "error"})
NIGHT_FORMAT = 1


@dataclass
class Attempt:
    boards: list[str]
    status: str  # passed, failed, error, skipped
    duration: float
    message: str = ""


@dataclass
class ScenarioRecord:
    id: str
    file: str
    sha256: str
    verdict: Verdict
    duration: float  # of the attempt that decided the verdict
    attempts: list[Attempt] = field(default_factory=list)
    message: str = ""  # why the first failing attempt failed

    @property
    def boards(self) -> list[str]:
        seen: list[str] = []
        for attempt in self.attempts:
            seen.extend(b for b in attempt.boards if b not in seen)
        return seen


@dataclass
class Night:
    id: str  # e.g. 20261201T021700Z, or the CI's run id
    started_at: str  # ISO 8601 UTC
    duration: float
    firmware_version: str
    firmware_sha256: str
    rig: str = ""  # the rig file and its sha256
    candidate: str = ""  # what was built: a directory or a bundle, as given
    report: str = ""  # the night's report directory, relative to the history directory
    scenarios: list[ScenarioRecord] = field(default_factory=list)
    fingerprint: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        for record in self.scenarios:
            out[record.verdict] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"format": NIGHT_FORMAT, **asdict(self)}


class NightFormatError(ValueError):
    """A night.json that does not match the model; the message names the field."""


def _need(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, dict):
        raise NightFormatError(f"{where}: expected an object")
    if key not in data:
        raise NightFormatError(f"{where}: missing field '{key}'")
    value = data[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise NightFormatError(f"{where}.{key}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        raise NightFormatError(f"{where}.{key}: expected {_kind(kind)}, got {value!r}"[:200])
    return value


def _kind(kind: type | tuple[type, ...]) -> str:
    if kind is str:
        return "a string"
    if kind is list:
        return "a list"
    if kind is dict:
        return "an object"
    return "a number"


def night_from_dict(data: Any) -> Night:
    if not isinstance(data, dict):
        raise NightFormatError("expected a JSON object")
    version = data.get("format")
    if version != NIGHT_FORMAT:
        raise NightFormatError(f"format: this harness reads format {NIGHT_FORMAT}, not {version!r}")
    number = (int, float)
    records = []
    for i, raw in enumerate(_need(data, "scenarios", list, "night")):
        where = f"scenarios[{i}]"
        verdict = _need(raw, "verdict", str, where)
        if verdict not in VERDICTS:
            raise NightFormatError(f"{where}.verdict: expected one of {', '.join(VERDICTS)}")
        attempts = []
        for j, a in enumerate(_need(raw, "attempts", list, where)):
            at = f"{where}.attempts[{j}]"
            boards = _need(a, "boards", list, at)
            attempts.append(
                Attempt(
                    [str(b) for b in boards],
                    _need(a, "status", str, at),
                    float(_need(a, "duration", number, at)),
                    str(a.get("message", "")),
                )
            )
        records.append(
            ScenarioRecord(
                id=_need(raw, "id", str, where),
                file=_need(raw, "file", str, where),
                sha256=_need(raw, "sha256", str, where),
                verdict=cast(Verdict, verdict),
                duration=float(_need(raw, "duration", number, where)),
                attempts=attempts,
                message=str(raw.get("message", "")),
            )
        )
    fingerprint = data.get("fingerprint", {})
    return Night(
        id=_need(data, "id", str, "night"),
        started_at=_need(data, "started_at", str, "night"),
        duration=float(_need(data, "duration", number, "night")),
        firmware_version=_need(data, "firmware_version", str, "night"),
        firmware_sha256=_need(data, "firmware_sha256", str, "night"),
        rig=str(data.get("rig", "")),
        candidate=str(data.get("candidate", "")),
        report=str(data.get("report", "")),
        scenarios=records,
        fingerprint=fingerprint if isinstance(fingerprint, dict) else {},
    )
