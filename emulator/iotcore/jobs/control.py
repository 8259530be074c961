"""The control plane of the jobs service: the ``iot`` API's job operations.

CreateJob, UpdateJob, Describe/List, Cancel and Delete, plus the group-membership changes that
CONTINUOUS jobs follow. Each returns the MQTT messages its change causes, as AWS would send them.
"""

from __future__ import annotations

from typing import Any

from ..errors import conflict, invalid_request
from ..messages import Publish
from . import views
from .create import already_exists, apply_configs, build_job
from .engine import MAX_DELIVERED_DOCUMENT_BYTES, JobsEngine, delivered_size_bound
from .model import (
    CANCELED,
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    PENDING,
    QUEUED,
    REMOVED,
    Target,
)

JsonObject = dict[str, Any]


class ControlPlane(JobsEngine):
    """What the ``iot`` API may do to jobs and their executions."""

    def create_job(
        self,
        job_id: str,
        body: JsonObject,
        targets: list[Target],
        now: float,
        source_document: str | None = None,
    ) -> tuple[JsonObject, list[Publish]]:
        if job_id in self._jobs:
            raise already_exists(job_id)
        job = build_job(job_id, body, targets, now, self.job_arn_prefix + job_id, source_document)
        if delivered_size_bound(job.document) > MAX_DELIVERED_DOCUMENT_BYTES:
            raise invalid_request(
                "the job document with its presigned URLs filled in exceeds "
                f"{MAX_DELIVERED_DOCUMENT_BYTES // 1024} KB, more than an MQTT message can carry"
            )
        job.window_rate = job.rollout.rate(0, 0)
        self._jobs[job_id] = job
        self._execs[job_id] = {}
        self._changed.add(job_id)
        self._settle(job, now)
        publishes = self._flush(now)
        result: JsonObject = {"jobArn": job.job_arn, "jobId": job.job_id}
        if job.description is not None:
            result["description"] = job.description
        return result, publishes

    def update_job(self, job_id: str, body: JsonObject, now: float) -> list[Publish]:
        job = self._job(job_id)
        if body.get("description") is not None:
            job.description = str(body["description"])
        apply_configs(job, body)
        job.last_updated_at = now
        self._changed.add(job_id)
        self._settle(job, now)
        return self._flush(now)

    def describe_job(self, job_id: str) -> JsonObject:
        job = self._job(job_id)
        out: JsonObject = {"job": views.rest_job(job, self._latest(job), self.thing_arn_prefix)}
        if job.document_source is not None:
            out["documentSource"] = job.document_source
        return out

    def get_job_document(self, job_id: str) -> JsonObject:
        return {"document": self._job(job_id).document}

    def list_jobs(self, status: str | None, selection: str | None) -> list[JsonObject]:
        return [
            views.rest_job_summary(job)
            for job in self._jobs.values()
            if (status is None or job.status == status)
            and (selection is None or job.target_selection == selection)
        ]

    def list_executions_for_job(self, job_id: str, status: str | None) -> list[JsonObject]:
        self._job(job_id)
        return [
            {
                "thingArn": self.thing_arn_prefix + ex.thing_name,
                "jobExecutionSummary": views.rest_execution_summary(ex),
            }
            for ex in self._latest(self._jobs[job_id])
            if status is None or ex.status == status
        ]

    def list_executions_for_thing(self, thing: str, status: str | None) -> list[JsonObject]:
        out = []
        for job_id in self._by_thing.get(thing, []):
            history = self._execs.get(job_id, {}).get(thing)
            if history and (status is None or history[-1].status == status):
                out.append(
                    {
                        "jobId": job_id,
                        "jobExecutionSummary": views.rest_execution_summary(history[-1]),
                    }
                )
        return out

    def describe_job_execution(
        self, job_id: str, thing: str, number: int | None, now: float
    ) -> JsonObject:
        self._job(job_id)
        ex = self._rest_find(job_id, thing, number)
        return {"execution": views.rest_execution(ex, self.thing_arn_prefix + thing, now)}

    def cancel_job(
        self,
        job_id: str,
        force: bool,
        reason_code: str | None,
        comment: str | None,
        now: float,
    ) -> tuple[JsonObject, list[Publish]]:
        job = self._job(job_id)
        if job.status == JOB_COMPLETED:
            raise conflict("InvalidStateTransitionException", f"Job {job_id} is COMPLETED")
        job.status = JOB_CANCELED
        job.force_canceled = job.force_canceled or force
        job.reason_code = reason_code if reason_code is not None else job.reason_code
        job.comment = comment if comment is not None else job.comment
        job.last_updated_at = now
        job.pending.clear()
        for ex in self._latest(job):
            if ex.status == QUEUED or (force and ex.status == IN_PROGRESS):
                ex.force_canceled = ex.status == IN_PROGRESS
                self._transition(ex, CANCELED, now)
        self._changed.add(job_id)
        result: JsonObject = {"jobArn": job.job_arn, "jobId": job_id}
        if job.description is not None:
            result["description"] = job.description
        return result, self._flush(now)

    def cancel_job_execution(
        self,
        job_id: str,
        thing: str,
        force: bool,
        expected_version: int | None,
        details: dict[str, str] | None,
        now: float,
    ) -> list[Publish]:
        job = self._job(job_id)
        ex = self._rest_find(job_id, thing, None)
        if ex.terminal:
            raise conflict(
                "InvalidStateTransitionException",
                f"the job execution is {ex.status} and can no longer be canceled",
            )
        if ex.status == IN_PROGRESS and not force:
            raise conflict(
                "InvalidStateTransitionException",
                "the job execution is IN_PROGRESS; cancel it with force=true",
            )
        if expected_version is not None and expected_version != ex.version_number:
            raise conflict("VersionConflictException", "expectedVersion does not match")
        if details is not None:
            ex.status_details = dict(details)
        ex.force_canceled = ex.status == IN_PROGRESS
        self._transition(ex, CANCELED, now)
        self._settle(job, now)
        return self._flush(now)

    def delete_job(self, job_id: str, force: bool, now: float) -> list[Publish]:
        job = self._job(job_id)
        if job.status == JOB_IN_PROGRESS and not force:
            raise conflict(
                "InvalidStateTransitionException",
                f"Job {job_id} is IN_PROGRESS; delete it with force=true",
            )
        for thing in self._execs.pop(job_id, {}):
            self._by_thing[thing] = [j for j in self._by_thing.get(thing, []) if j != job_id]
            self._touched.add(thing)
        del self._jobs[job_id]
        self._changed.add(job_id)
        return self._flush(now)

    def delete_job_execution(
        self, job_id: str, thing: str, number: int, force: bool, now: float
    ) -> list[Publish]:
        self._job(job_id)
        ex = self._rest_find(job_id, thing, number)
        if not ex.terminal and not force:
            raise conflict(
                "InvalidStateTransitionException",
                "the job execution is not in a terminal state; delete it with force=true",
            )
        history = self._execs[job_id][thing]
        history.remove(ex)
        if not history:
            del self._execs[job_id][thing]
            self._by_thing[thing] = [j for j in self._by_thing.get(thing, []) if j != job_id]
        self._touched.add(thing)
        self._changed.add(job_id)
        return self._flush(now)

    def thing_added_to_group(self, group: str, thing: str, now: float) -> list[Publish]:
        """A CONTINUOUS job reaches things that join its target group later."""
        for job in self._jobs.values():
            if (
                job.target_selection == "CONTINUOUS"
                and job.status == JOB_IN_PROGRESS
                and group in job.groups
                and thing not in job.pending
                and not self._execs[job.job_id].get(thing)
            ):
                job.pending.append(thing)
                self._changed.add(job.job_id)
                self._settle(job, now)
        return self._flush(now)

    def thing_removed_from_group(self, group: str, thing: str, now: float) -> list[Publish]:
        """A thing leaving a CONTINUOUS job's group: its pending execution becomes REMOVED."""
        for job in self._jobs.values():
            if job.target_selection != "CONTINUOUS" or group not in job.groups:
                continue
            if thing in job.pending:
                job.pending.remove(thing)
                self._changed.add(job.job_id)
            history = self._execs[job.job_id].get(thing)
            if history and history[-1].status in PENDING:
                self._transition(history[-1], REMOVED, now)
                self._settle(job, now)
        return self._flush(now)
