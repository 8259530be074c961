"""Job and job-execution records, with the configuration objects parsed from CreateJob."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import invalid_request

QUEUED = "QUEUED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
REJECTED = "REJECTED"
REMOVED = "REMOVED"
CANCELED = "CANCELED"

EXECUTION_STATUSES = frozenset(
    {QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED}
)
PENDING = frozenset({QUEUED, IN_PROGRESS})
TERMINAL = EXECUTION_STATUSES - PENDING
#: Terminal states a device reports itself; the others are set by the service.
DEVICE_TERMINAL = frozenset({SUCCEEDED, FAILED, REJECTED})
DEVICE_SETTABLE = frozenset({IN_PROGRESS}) | DEVICE_TERMINAL
#: Outcomes that count as "executed" for abort criteria.
EXECUTED = frozenset({SUCCEEDED, FAILED, REJECTED, TIMED_OUT})

JOB_IN_PROGRESS = "IN_PROGRESS"
JOB_CANCELED = "CANCELED"
JOB_COMPLETED = "COMPLETED"

MAX_STEP_TIMEOUT_MINUTES = 10080
MAX_DOCUMENT_CHARS = 32768
ROLLOUT_WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Target:
    """One CreateJob target, resolved by the caller: a thing, or a thing group's members."""

    arn: str
    things: tuple[str, ...]
    group: str | None = None


@dataclass
class Execution:
    job_id: str
    thing_name: str
    execution_number: int
    queued_at: float
    seq: int
    status: str = QUEUED
    status_details: dict[str, str] = field(default_factory=dict)
    started_at: float | None = None
    last_updated_at: float = 0.0
    version_number: int = 1
    step_deadline: float | None = None
    in_progress_deadline: float | None = None
    force_canceled: bool = False
    retry_attempt: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def deadline(self) -> float | None:
        times = [t for t in (self.step_deadline, self.in_progress_deadline) if t is not None]
        return min(times) if times else None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Execution:
        return cls(**data)


@dataclass
class Rollout:
    """``jobExecutionsRolloutConfig``: how many things are notified per minute."""

    maximum_per_minute: int = 1000
    base_rate: int | None = None
    increment_factor: float = 1.0
    notified_step: int | None = None
    succeeded_step: int | None = None

    @classmethod
    def parse(cls, raw: Any) -> Rollout:
        if raw is None:
            return cls()
        if not isinstance(raw, dict):
            raise invalid_request("jobExecutionsRolloutConfig must be an object")
        out = cls()
        if "maximumPerMinute" in raw:
            out.maximum_per_minute = _int_in(raw["maximumPerMinute"], 1, 1000, "maximumPerMinute")
        exp = raw.get("exponentialRate")
        if exp is not None:
            if not isinstance(exp, dict):
                raise invalid_request("exponentialRate must be an object")
            out.base_rate = _int_in(exp.get("baseRatePerMinute"), 1, 1000, "baseRatePerMinute")
            factor = exp.get("incrementFactor")
            if not isinstance(factor, int | float) or not 1.1 <= factor <= 5:
                raise invalid_request("incrementFactor must be between 1.1 and 5")
            out.increment_factor = float(factor)
            crit = exp.get("rateIncreaseCriteria")
            if not isinstance(crit, dict) or len(crit) != 1:
                raise invalid_request(
                    "rateIncreaseCriteria needs exactly one of numberOfNotifiedThings "
                    "and numberOfSucceededThings"
                )
            if "numberOfNotifiedThings" in crit:
                out.notified_step = _int_in(
                    crit["numberOfNotifiedThings"], 1, 10**9, "numberOfNotifiedThings"
                )
            elif "numberOfSucceededThings" in crit:
                out.succeeded_step = _int_in(
                    crit["numberOfSucceededThings"], 1, 10**9, "numberOfSucceededThings"
                )
            else:
                raise invalid_request("unknown rateIncreaseCriteria")
        return out

    def rate(self, notified: int, succeeded: int) -> int:
        """Things to notify in a rollout window that starts with these counts."""
        if self.base_rate is None:
            return self.maximum_per_minute
        if self.notified_step is not None:
            steps = notified // self.notified_step
        else:
            steps = succeeded // (self.succeeded_step or 1)
        rate = self.base_rate * self.increment_factor ** min(steps, 64)
        return max(1, min(1000, self.maximum_per_minute, math.floor(rate)))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class AbortCriterion:
    failure_type: str
    threshold_percentage: float
    min_executed: int

    @classmethod
    def parse_all(cls, raw: Any) -> list[AbortCriterion]:
        if raw is None:
            return []
        crit = raw.get("criteriaList") if isinstance(raw, dict) else None
        if not isinstance(crit, list) or not crit:
            raise invalid_request("abortConfig.criteriaList must hold at least one criterion")
        out = []
        for item in crit:
            if not isinstance(item, dict):
                raise invalid_request("abort criteria must be objects")
            ftype = item.get("failureType")
            if ftype not in ("FAILED", "REJECTED", "TIMED_OUT", "ALL"):
                raise invalid_request(f"invalid abort failureType {ftype!r}")
            if item.get("action") != "CANCEL":
                raise invalid_request("the only abort action is CANCEL")
            pct = item.get("thresholdPercentage")
            if isinstance(pct, bool) or not isinstance(pct, int | float) or not 0 <= pct <= 100:
                raise invalid_request("thresholdPercentage must be between 0 and 100")
            minimum = _int_in(item.get("minNumberOfExecutedThings"), 1, 10**9, "minNumber")
            out.append(cls(str(ftype), float(pct), minimum))
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RetryCriterion:
    failure_type: str
    retries: int

    @classmethod
    def parse_all(cls, raw: Any) -> list[RetryCriterion]:
        if raw is None:
            return []
        crit = raw.get("criteriaList") if isinstance(raw, dict) else None
        if not isinstance(crit, list) or not 1 <= len(crit) <= 2:
            raise invalid_request("jobExecutionsRetryConfig.criteriaList holds 1 or 2 criteria")
        out = []
        for item in crit:
            if not isinstance(item, dict):
                raise invalid_request("retry criteria must be objects")
            ftype = item.get("failureType")
            if ftype not in ("FAILED", "TIMED_OUT", "ALL"):
                raise invalid_request(f"invalid retry failureType {ftype!r}")
            out.append(cls(str(ftype), _int_in(item.get("numberOfRetries"), 0, 10, "retries")))
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Job:
    job_id: str
    job_arn: str
    document: str
    created_at: float
    targets: list[str]
    target_selection: str = "SNAPSHOT"
    description: str | None = None
    document_source: str | None = None
    status: str = JOB_IN_PROGRESS
    last_updated_at: float = 0.0
    completed_at: float | None = None
    force_canceled: bool = False
    reason_code: str | None = None
    comment: str | None = None
    rollout: Rollout = field(default_factory=Rollout)
    abort: list[AbortCriterion] = field(default_factory=list)
    in_progress_timeout_minutes: int | None = None
    retry: list[RetryCriterion] = field(default_factory=list)
    presigned_expires: int = 3600
    #: The CreateJob configuration objects, echoed verbatim by DescribeJob.
    configs: dict[str, Any] = field(default_factory=dict)
    #: Things not notified yet (the rollout queue), in target order.
    pending: list[str] = field(default_factory=list)
    #: Thing groups targeted, for CONTINUOUS jobs.
    groups: list[str] = field(default_factory=list)
    notified: int = 0
    window_start: float = 0.0
    window_rate: int = 0
    released_in_window: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        data = dict(data)
        data["rollout"] = Rollout(**data["rollout"])
        data["abort"] = [AbortCriterion(**c) for c in data["abort"]]
        data["retry"] = [RetryCriterion(**c) for c in data["retry"]]
        return cls(**data)


def _int_in(value: Any, low: int, high: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid_request(f"{name} must be an integer between {low} and {high}")
    return value
