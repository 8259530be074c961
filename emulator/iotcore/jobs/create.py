"""Validation of a CreateJob / UpdateJob request into a ``Job`` record."""

from __future__ import annotations

from typing import Any

from ..errors import conflict, invalid_request
from ..names import is_job_id
from ..strict_json import JsonRefused
from ..strict_json import loads as parse_strict
from .model import MAX_DOCUMENT_CHARS, AbortCriterion, Job, RetryCriterion, Rollout, Target

#: Configuration objects that DescribeJob echoes back as they were given.
CONFIG_KEYS = (
    "presignedUrlConfig",
    "jobExecutionsRolloutConfig",
    "abortConfig",
    "timeoutConfig",
    "jobExecutionsRetryConfig",
)

#: CreateJob features the local IoT Core refuses loudly rather than silently ignoring.
UNSUPPORTED = ("schedulingConfig", "jobTemplateArn", "destinationPackageVersions")


def build_job(
    job_id: str,
    body: dict[str, Any],
    targets: list[Target],
    now: float,
    job_arn: str,
    source_document: str | None,
) -> Job:
    if not is_job_id(job_id):
        raise invalid_request("jobId must be 1-64 characters of [a-zA-Z0-9_-]")
    for key in UNSUPPORTED:
        if body.get(key) is not None:
            raise invalid_request(f"{key} is not supported by the local IoT Core")
    if not targets:
        raise invalid_request("targets must name at least one thing or thing group")
    document = body.get("document")
    if document is not None and body.get("documentSource") is not None:
        raise invalid_request("document and documentSource are mutually exclusive")
    if document is None:
        document = source_document
    if not isinstance(document, str):
        raise invalid_request("a job needs a document or a documentSource")
    check_document(document)
    selection = body.get("targetSelection", "SNAPSHOT")
    if selection not in ("SNAPSHOT", "CONTINUOUS"):
        raise invalid_request("targetSelection must be SNAPSHOT or CONTINUOUS")
    description = body.get("description")
    if description is not None and not isinstance(description, str):
        raise invalid_request("description must be a string")

    job = Job(
        job_id=job_id,
        job_arn=job_arn,
        document=document,
        created_at=now,
        last_updated_at=now,
        targets=[t.arn for t in targets],
        target_selection=selection,
        description=description,
        document_source=body.get("documentSource"),
        window_start=now,
    )
    apply_configs(job, body)
    seen: set[str] = set()
    for target in targets:
        if target.group is not None:
            job.groups.append(target.group)
        for thing in target.things:
            if thing not in seen:
                seen.add(thing)
                job.pending.append(thing)
    return job


def check_document(document: str) -> None:
    """A job document must be JSON that can be delivered as it was given (strictly: no lone
    surrogates, no numbers out of range, bounded nesting)."""
    if len(document) > MAX_DOCUMENT_CHARS:
        raise invalid_request(f"the job document exceeds {MAX_DOCUMENT_CHARS} characters")
    try:
        parse_strict(document)
    except JsonRefused as refused:
        raise invalid_request(f"the job document must be valid JSON: {refused.message}") from None


def apply_configs(job: Job, body: dict[str, Any]) -> None:
    """Parse every configuration object present in ``body`` onto ``job`` (all or nothing)."""
    rollout = Rollout.parse(body["jobExecutionsRolloutConfig"]) if _has(body, 0) else job.rollout
    abort = AbortCriterion.parse_all(body["abortConfig"]) if _has(body, 1) else job.abort
    timeout = job.in_progress_timeout_minutes
    if _has(body, 2):
        raw = body["timeoutConfig"]
        minutes = raw.get("inProgressTimeoutInMinutes") if isinstance(raw, dict) else None
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 10080
        ):
            raise invalid_request("inProgressTimeoutInMinutes must be between 1 and 10080")
        timeout = minutes
    retry = RetryCriterion.parse_all(body["jobExecutionsRetryConfig"]) if _has(body, 3) else None
    presigned = job.presigned_expires
    if body.get("presignedUrlConfig") is not None:
        raw = body["presignedUrlConfig"]
        expires = raw.get("expiresInSec", 3600) if isinstance(raw, dict) else None
        if isinstance(expires, bool) or not isinstance(expires, int) or not 60 <= expires <= 3600:
            raise invalid_request("presignedUrlConfig.expiresInSec must be between 60 and 3600")
        presigned = expires
    job.rollout = rollout
    job.abort = abort
    job.in_progress_timeout_minutes = timeout
    if retry is not None:
        job.retry = retry
    job.presigned_expires = presigned
    for key in CONFIG_KEYS:
        if body.get(key) is not None:
            job.configs[key] = body[key]


_ORDER = ("jobExecutionsRolloutConfig", "abortConfig", "timeoutConfig", "jobExecutionsRetryConfig")


def _has(body: dict[str, Any], index: int) -> bool:
    return body.get(_ORDER[index]) is not None


def already_exists(job_id: str) -> Exception:
    return conflict("ResourceAlreadyExistsException", f"Job {job_id} already exists")
