"""How jobs and executions look on the wire: MQTT payloads (epoch seconds, flat statusDetails)
and the REST shapes of the ``iot`` control plane (``detailsMap``, fractional seconds)."""

from __future__ import annotations

from typing import Any

from .model import (
    CANCELED,
    FAILED,
    IN_PROGRESS,
    QUEUED,
    REJECTED,
    REMOVED,
    SUCCEEDED,
    TIMED_OUT,
    Execution,
    Job,
)

JsonObject = dict[str, Any]


def summary(ex: Execution) -> JsonObject:
    """JobExecutionSummary as the MQTT API sends it."""
    out: JsonObject = {
        "jobId": ex.job_id,
        "queuedAt": int(ex.queued_at),
        "lastUpdatedAt": int(ex.last_updated_at),
        "versionNumber": ex.version_number,
        "executionNumber": ex.execution_number,
    }
    if ex.started_at is not None:
        out["startedAt"] = int(ex.started_at)
    return out


def execution(
    ex: Execution, now: float, document: Any | None, include_document: bool = True
) -> JsonObject:
    """JobExecution as the MQTT API sends it."""
    out: JsonObject = {
        "jobId": ex.job_id,
        "thingName": ex.thing_name,
        "status": ex.status,
        "queuedAt": int(ex.queued_at),
        "lastUpdatedAt": int(ex.last_updated_at),
        "versionNumber": ex.version_number,
        "executionNumber": ex.execution_number,
    }
    if ex.status_details:
        out["statusDetails"] = dict(ex.status_details)
    if ex.started_at is not None:
        out["startedAt"] = int(ex.started_at)
    remaining = seconds_before_timeout(ex, now)
    if remaining is not None:
        out["approximateSecondsBeforeTimedOut"] = remaining
    if include_document and document is not None:
        out["jobDocument"] = document
    return out


def execution_state(ex: Execution) -> JsonObject:
    out: JsonObject = {"status": ex.status, "versionNumber": ex.version_number}
    if ex.status_details:
        out["statusDetails"] = dict(ex.status_details)
    return out


def seconds_before_timeout(ex: Execution, now: float) -> int | None:
    deadline = ex.deadline()
    if deadline is None or ex.status != IN_PROGRESS:
        return None
    return max(0, int(deadline - now))


# --- REST (iot control plane) ----------------------------------------------------------------


def rest_execution(ex: Execution, thing_arn: str, now: float) -> JsonObject:
    out: JsonObject = {
        "jobId": ex.job_id,
        "status": ex.status,
        "forceCanceled": ex.force_canceled,
        "statusDetails": {"detailsMap": dict(ex.status_details)},
        "thingArn": thing_arn,
        "queuedAt": ex.queued_at,
        "lastUpdatedAt": ex.last_updated_at,
        "executionNumber": ex.execution_number,
        "versionNumber": ex.version_number,
    }
    if ex.started_at is not None:
        out["startedAt"] = ex.started_at
    remaining = seconds_before_timeout(ex, now)
    if remaining is not None:
        out["approximateSecondsBeforeTimedOut"] = remaining
    return out


def rest_execution_summary(ex: Execution) -> JsonObject:
    out: JsonObject = {
        "status": ex.status,
        "queuedAt": ex.queued_at,
        "lastUpdatedAt": ex.last_updated_at,
        "executionNumber": ex.execution_number,
        "retryAttempt": ex.retry_attempt,
    }
    if ex.started_at is not None:
        out["startedAt"] = ex.started_at
    return out


_COUNTERS = {
    QUEUED: "numberOfQueuedThings",
    IN_PROGRESS: "numberOfInProgressThings",
    SUCCEEDED: "numberOfSucceededThings",
    FAILED: "numberOfFailedThings",
    REJECTED: "numberOfRejectedThings",
    CANCELED: "numberOfCanceledThings",
    REMOVED: "numberOfRemovedThings",
    TIMED_OUT: "numberOfTimedOutThings",
}


def process_details(job: Job, latest: list[Execution], thing_arn_prefix: str) -> JsonObject:
    """``jobProcessDetails``: one count per thing, by the status of its latest execution."""
    counts = dict.fromkeys(_COUNTERS.values(), 0)
    for ex in latest:
        counts[_COUNTERS[ex.status]] += 1
    out: JsonObject = dict(counts)
    if job.pending:
        out["processingTargets"] = [thing_arn_prefix + t for t in job.pending]
    return out


def rest_job(job: Job, latest: list[Execution], thing_arn_prefix: str) -> JsonObject:
    out: JsonObject = {
        "jobArn": job.job_arn,
        "jobId": job.job_id,
        "targetSelection": job.target_selection,
        "status": job.status,
        "forceCanceled": job.force_canceled,
        "targets": list(job.targets),
        "createdAt": job.created_at,
        "lastUpdatedAt": job.last_updated_at,
        "jobProcessDetails": process_details(job, latest, thing_arn_prefix),
        "isConcurrent": False,
    }
    for key, value in (
        ("description", job.description),
        ("completedAt", job.completed_at),
        ("reasonCode", job.reason_code),
        ("comment", job.comment),
    ):
        if value is not None:
            out[key] = value
    out.update(job.configs)
    return out


def rest_job_summary(job: Job) -> JsonObject:
    out: JsonObject = {
        "jobArn": job.job_arn,
        "jobId": job.job_id,
        "targetSelection": job.target_selection,
        "status": job.status,
        "createdAt": job.created_at,
        "lastUpdatedAt": job.last_updated_at,
        "isConcurrent": False,
    }
    if job.completed_at is not None:
        out["completedAt"] = job.completed_at
    return out
