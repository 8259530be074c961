"""The AWS IoT Jobs service as a sans-IO state machine.

Devices talk to it over MQTT (``handle``), release engineers and the harness over the ``iot``
control plane (``create_job``, ``describe_job``, ...), and time moves it on (``tick``). Every
call takes ``now`` and returns the MQTT messages AWS would publish, so rollouts, timeouts and
aborts are deterministic under a manual clock and testable without a broker.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from ..errors import conflict, not_found
from ..messages import Publish, publish_json
from ..names import STATUS_DETAIL_KEY, is_job_id, is_thing_name
from ..s3url import parse_s3_url
from . import views
from .create import already_exists, apply_configs, build_job
from .model import (
    CANCELED,
    DEVICE_SETTABLE,
    DEVICE_TERMINAL,
    EXECUTED,
    EXECUTION_STATUSES,
    FAILED,
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    MAX_STEP_TIMEOUT_MINUTES,
    PENDING,
    QUEUED,
    REMOVED,
    ROLLOUT_WINDOW_SECONDS,
    SUCCEEDED,
    TIMED_OUT,
    Execution,
    Job,
    Target,
)

JsonObject = dict[str, Any]

#: ``presign(bucket, key, expires_in_seconds) -> URL``; supplied by whoever owns the S3 endpoint.
Presigner = Callable[[str, str, int], str]

#: (pending list as (job, execution number, status), first pending) last notified to a thing
_NotifyState = tuple[tuple[tuple[str, int, str], ...], tuple[str, int] | None]

MAX_NOTIFY_EXECUTIONS = 15
MAX_CLIENT_TOKEN_CHARS = 64
MAX_STATUS_DETAIL_VALUE = 1024
_PLACEHOLDER = re.compile(r"\$\{aws:iot:s3-presigned-url:([^}]+)\}")


class JobsRejection(Exception):
    """A device request answered on ``.../rejected``."""

    def __init__(self, code: str, message: str, state: Execution | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.state = state


def parse_jobs_topic(topic: str) -> tuple[str, list[str]] | None:
    parts = topic.split("/")
    if len(parts) < 5 or parts[0] != "$aws" or parts[1] != "things" or parts[3] != "jobs":
        return None
    return parts[2], parts[4:]


class JobsService:
    """Jobs, their executions per thing, rollout windows, timers and notifications."""

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        presign: Presigner | None = None,
        partition: str = "aws",
    ) -> None:
        self._jobs: dict[str, Job] = {}
        #: job id -> thing -> executions, oldest first (retries append)
        self._execs: dict[str, dict[str, list[Execution]]] = {}
        #: thing -> job ids with an execution for it, in creation order
        self._by_thing: dict[str, list[str]] = {}
        self._seq = 0
        self._changed: set[str] = set()
        self._touched: set[str] = set()
        #: thing -> (pending list signature, first pending) as last notified
        self._notified: dict[str, _NotifyState] = {}
        self._presign = presign
        self.thing_arn_prefix = f"arn:{partition}:iot:{region}:{account_id}:thing/"
        self.job_arn_prefix = f"arn:{partition}:iot:{region}:{account_id}:job/"

    # ===== device side (MQTT) =================================================================

    def handle(self, topic: str, payload: bytes, now: float) -> list[Publish]:
        parsed = parse_jobs_topic(topic)
        if parsed is None:
            return []
        thing, rest = parsed
        if rest[0] in ("notify", "notify-next") or rest[-1] in ("accepted", "rejected"):
            return []  # our own output, or a device publishing where only the service should
        token: str | None = None
        try:
            request = _parse_request(payload)
            token = _client_token(request)
            if not is_thing_name(thing):
                raise JobsRejection("InvalidRequest", "invalid thing name")
            if rest == ["get"]:
                doc = self._get_pending(thing, now)
            elif rest == ["start-next"]:
                doc = self._start_next(thing, request, now)
            elif len(rest) == 2 and rest[1] == "get":
                doc = self._describe(thing, rest[0], request, now)
            elif len(rest) == 2 and rest[1] == "update":
                doc = self._update(thing, rest[0], request, now)
            else:
                raise JobsRejection("InvalidTopic", f"The topic {topic} is not a jobs API topic")
        except JobsRejection as rej:
            error: JsonObject = {"code": rej.code, "message": rej.message, "timestamp": int(now)}
            if token is not None:
                error["clientToken"] = token
            if rej.state is not None:
                error["executionState"] = views.execution_state(rej.state)
            return [publish_json(f"{topic}/rejected", error), *self._flush(now)]
        doc["timestamp"] = int(now)
        if token is not None:
            doc["clientToken"] = token
        return [publish_json(f"{topic}/accepted", doc), *self._after_device_op(thing, now)]

    def _after_device_op(self, thing: str, now: float) -> list[Publish]:
        for job_id in list(self._by_thing.get(thing, [])):
            job = self._jobs.get(job_id)
            if job is not None:
                self._settle(job, now)
        return self._flush(now)

    def _get_pending(self, thing: str, now: float) -> JsonObject:
        pending = self._pending(thing)
        return {
            "inProgressJobs": [views.summary(e) for e in pending if e.status == IN_PROGRESS],
            "queuedJobs": [views.summary(e) for e in pending if e.status == QUEUED],
        }

    def _start_next(self, thing: str, request: JsonObject, now: float) -> JsonObject:
        details = _status_details(request)
        step = _step_timeout(request, allow_cancel=False)
        pending = self._pending(thing)
        if not pending:
            return {}
        ex = pending[0]
        if ex.status == QUEUED:
            self._transition(ex, IN_PROGRESS, now)
            if details is not None:
                ex.status_details = details
            if step is not None:
                ex.step_deadline = now + step * 60
        return {"execution": views.execution(ex, now, self._document_for_device(ex.job_id))}

    def _describe(self, thing: str, job_id: str, request: JsonObject, now: float) -> JsonObject:
        include = request.get("includeJobDocument", True)
        if not isinstance(include, bool):
            raise JobsRejection("InvalidRequest", "includeJobDocument must be a boolean")
        if job_id == "$next":
            pending = self._pending(thing)
            if not pending:
                return {}
            ex = pending[0]
        else:
            ex = self._find(thing, job_id, request.get("executionNumber"))
        doc = self._document_for_device(ex.job_id) if include else None
        return {"execution": views.execution(ex, now, doc, include)}

    def _update(self, thing: str, job_id: str, request: JsonObject, now: float) -> JsonObject:
        status = request.get("status")
        if not isinstance(status, str):
            raise JobsRejection("InvalidRequest", "status is required")
        if status not in EXECUTION_STATUSES:
            raise JobsRejection("InvalidRequest", f"unknown status {status}")
        details = _status_details(request)
        step = _step_timeout(request, allow_cancel=True)
        flags = {}
        for flag in ("includeJobExecutionState", "includeJobDocument"):
            value = request.get(flag, False)
            if not isinstance(value, bool):
                raise JobsRejection("InvalidRequest", f"{flag} must be a boolean")
            flags[flag] = value
        expected = request.get("expectedVersion")
        if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
            raise JobsRejection("InvalidRequest", "expectedVersion must be an integer")
        ex = self._find(thing, job_id, request.get("executionNumber"))
        if expected is not None and expected != ex.version_number:
            raise JobsRejection("VersionMismatch", "expectedVersion does not match", ex)
        if ex.terminal:
            if ex.status in DEVICE_TERMINAL:
                raise JobsRejection(
                    "InvalidStateTransition",
                    f"the job execution is already {ex.status} and cannot change to {status}",
                    ex,
                )
            raise JobsRejection(
                "TerminalStateReached", f"the job execution was {ex.status} by the service", ex
            )
        if status not in DEVICE_SETTABLE:
            raise JobsRejection(
                "InvalidStateTransition", f"a device cannot set the status {status}", ex
            )
        if details is not None:
            ex.status_details = details
        if status != ex.status:
            self._transition(ex, status, now)
        else:
            ex.version_number += 1
            ex.last_updated_at = now
            self._changed.add(ex.job_id)
        if step is not None and not ex.terminal:
            ex.step_deadline = None if step == -1 else now + step * 60
        doc: JsonObject = {}
        if flags["includeJobExecutionState"]:
            doc["executionState"] = views.execution_state(ex)
        if flags["includeJobDocument"]:
            doc["jobDocument"] = self._document_for_device(ex.job_id)
        return doc

    def _find(self, thing: str, job_id: str, number: Any) -> Execution:
        if not is_job_id(job_id):
            raise JobsRejection("InvalidRequest", f"invalid job id {job_id!r}")
        history = self._execs.get(job_id, {}).get(thing)
        if not history:
            raise JobsRejection(
                "ResourceNotFound", f"No job execution of job {job_id} exists for {thing}"
            )
        if number is None:
            return history[-1]
        if isinstance(number, bool) or not isinstance(number, int):
            raise JobsRejection("InvalidRequest", "executionNumber must be an integer")
        for ex in history:
            if ex.execution_number == number:
                return ex
        raise JobsRejection("ResourceNotFound", f"No execution number {number} of job {job_id}")

    # ===== control plane (the iot API) =======================================================

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

    # ===== time ===============================================================================

    def tick(self, now: float) -> list[Publish]:
        """Fire whatever became due: rollout windows, step and in-progress timeouts."""
        for job in list(self._jobs.values()):
            for history in self._execs[job.job_id].values():
                ex = history[-1]
                deadline = ex.deadline()
                if ex.status == IN_PROGRESS and deadline is not None and deadline <= now:
                    self._transition(ex, TIMED_OUT, now)
            self._settle(job, now)
        return self._flush(now)

    def next_due(self) -> float | None:
        """The earliest time at which ``tick`` has something to do, if any."""
        times: list[float] = []
        for job in self._jobs.values():
            if job.pending and job.status == JOB_IN_PROGRESS:
                times.append(job.window_start + ROLLOUT_WINDOW_SECONDS)
            for history in self._execs[job.job_id].values():
                deadline = history[-1].deadline()
                if deadline is not None and history[-1].status == IN_PROGRESS:
                    times.append(deadline)
        return min(times) if times else None

    # ===== persistence ========================================================================

    def drain_changes(self) -> set[str]:
        changed, self._changed = self._changed, set()
        return changed

    def export(self, job_id: str) -> JsonObject | None:
        job = self._jobs.get(job_id)
        if job is None:
            return None
        return {
            "job": job.to_json(),
            "executions": {
                thing: [ex.to_json() for ex in history]
                for thing, history in self._execs[job_id].items()
            },
        }

    def load(self, data: JsonObject) -> None:
        job = Job.from_json(data["job"])
        self._jobs[job.job_id] = job
        per_thing: dict[str, list[Execution]] = {}
        for thing, items in data.get("executions", {}).items():
            per_thing[thing] = [Execution.from_json(x) for x in items]
            self._seq = max([self._seq, *(ex.seq for ex in per_thing[thing])])
            self._by_thing.setdefault(thing, []).append(job.job_id)
        self._execs[job.job_id] = per_thing
        for jobs in self._by_thing.values():
            jobs.sort(key=lambda j: self._jobs[j].created_at if j in self._jobs else 0.0)

    # ===== internals ==========================================================================

    def _job(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise not_found(f"Job {job_id} does not exist")
        return job

    def _rest_find(self, job_id: str, thing: str, number: int | None) -> Execution:
        history = self._execs.get(job_id, {}).get(thing)
        if history:
            if number is None:
                return history[-1]
            for ex in history:
                if ex.execution_number == number:
                    return ex
        raise not_found(f"Job execution of {job_id} on {thing} does not exist")

    def _latest(self, job: Job) -> list[Execution]:
        return [history[-1] for history in self._execs[job.job_id].values() if history]

    def _pending(self, thing: str) -> list[Execution]:
        out = []
        for job_id in self._by_thing.get(thing, []):
            history = self._execs.get(job_id, {}).get(thing)
            if history and history[-1].status in PENDING:
                out.append(history[-1])
        out.sort(key=lambda e: (e.status != IN_PROGRESS, e.queued_at, e.seq))
        return out

    def _queue(self, job: Job, thing: str, now: float, number: int, attempt: int) -> Execution:
        self._seq += 1
        ex = Execution(
            job_id=job.job_id,
            thing_name=thing,
            execution_number=number,
            queued_at=now,
            seq=self._seq,
            last_updated_at=now,
            retry_attempt=attempt,
        )
        history = self._execs[job.job_id].setdefault(thing, [])
        if not history:
            self._by_thing.setdefault(thing, []).append(job.job_id)
        history.append(ex)
        self._touched.add(thing)
        self._changed.add(job.job_id)
        return ex

    def _transition(self, ex: Execution, status: str, now: float) -> None:
        ex.status = status
        ex.last_updated_at = now
        ex.version_number += 1
        if status == IN_PROGRESS and ex.started_at is None:
            ex.started_at = now
            job = self._jobs.get(ex.job_id)
            if job is not None and job.in_progress_timeout_minutes is not None:
                ex.in_progress_deadline = now + job.in_progress_timeout_minutes * 60
        if ex.terminal:
            ex.step_deadline = None
            ex.in_progress_deadline = None
        self._touched.add(ex.thing_name)
        self._changed.add(ex.job_id)

    def _settle(self, job: Job, now: float) -> None:
        """Bring a job up to date: retries, abort criteria, rollout and completion."""
        for thing, history in self._execs[job.job_id].items():
            ex = history[-1]
            if ex.status in (FAILED, TIMED_OUT) and self._retry_allowed(job, history):
                self._queue(job, thing, now, ex.execution_number + 1, ex.retry_attempt + 1)
        if job.status == JOB_IN_PROGRESS and self._abort_due(job):
            job.status = JOB_CANCELED
            job.comment = "The job was canceled because its abortConfig criteria were met."
            job.reason_code = "ABORT_CRITERIA_MET"
            job.last_updated_at = now
            job.pending.clear()
            for ex in self._latest(job):
                if ex.status == QUEUED:
                    self._transition(ex, CANCELED, now)
            self._changed.add(job.job_id)
        self._roll_out(job, now)
        if (
            job.status == JOB_IN_PROGRESS
            and job.target_selection == "SNAPSHOT"
            and not job.pending
            and all(ex.terminal for ex in self._latest(job))
        ):
            job.status = JOB_COMPLETED
            job.completed_at = now
            job.last_updated_at = now
            self._changed.add(job.job_id)

    def _roll_out(self, job: Job, now: float) -> None:
        if job.status != JOB_IN_PROGRESS or not job.pending:
            return
        elapsed = now - job.window_start
        if elapsed >= ROLLOUT_WINDOW_SECONDS:
            windows = math.floor(elapsed / ROLLOUT_WINDOW_SECONDS)
            job.window_start += windows * ROLLOUT_WINDOW_SECONDS
            job.released_in_window = 0
            succeeded = sum(1 for ex in self._latest(job) if ex.status == SUCCEEDED)
            job.window_rate = job.rollout.rate(job.notified, succeeded)
        count = min(job.window_rate - job.released_in_window, len(job.pending))
        if count <= 0:
            return
        release, job.pending[:] = job.pending[:count], job.pending[count:]
        for thing in release:
            self._queue(job, thing, now, number=1, attempt=0)
        job.released_in_window += count
        job.notified += count
        job.last_updated_at = now
        self._changed.add(job.job_id)

    @staticmethod
    def _retry_allowed(job: Job, history: list[Execution]) -> bool:
        """Retries are new executions; ``history[:-1]`` are the attempts already retried."""
        if not job.retry or job.status != JOB_IN_PROGRESS or len(history) > 10:
            return False
        status = history[-1].status
        limits = {c.failure_type: c.retries for c in job.retry}
        if status in limits:
            return sum(1 for ex in history[:-1] if ex.status == status) < limits[status]
        return len(history) - 1 < limits.get("ALL", 0)

    def _abort_due(self, job: Job) -> bool:
        if not job.abort:
            return False
        latest = self._latest(job)
        executed = [ex for ex in latest if ex.status in EXECUTED]
        for crit in job.abort:
            if len(executed) < crit.min_executed:
                continue
            if crit.failure_type == "ALL":
                failures = sum(1 for ex in executed if ex.status != SUCCEEDED)
            else:
                failures = sum(1 for ex in executed if ex.status == crit.failure_type)
            if failures and failures * 100.0 >= crit.threshold_percentage * len(executed):
                return True
        return False

    def _document_for_device(self, job_id: str) -> Any:
        """The job document as delivered over MQTT, with presigned-URL placeholders filled."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        document = json.loads(job.document)
        if self._presign is None:
            return document
        return _substitute(document, self._presign, job.presigned_expires)

    def _flush(self, now: float) -> list[Publish]:
        """Publish notify / notify-next for every thing whose pending list changed."""
        out: list[Publish] = []
        for thing in sorted(self._touched):
            pending = self._pending(thing)
            signature = tuple((e.job_id, e.execution_number, e.status) for e in pending)
            first = (pending[0].job_id, pending[0].execution_number) if pending else None
            last_sig, last_first = self._notified.get(thing, ((), None))
            base = f"$aws/things/{thing}/jobs"
            if signature != last_sig:
                jobs: JsonObject = {}
                shown = pending[:MAX_NOTIFY_EXECUTIONS]
                for status in (IN_PROGRESS, QUEUED):
                    items = [views.summary(e) for e in shown if e.status == status]
                    if items:
                        jobs[status] = items
                out.append(publish_json(f"{base}/notify", {"timestamp": int(now), "jobs": jobs}))
            if first != last_first:
                doc: JsonObject = {"timestamp": int(now)}
                if pending:
                    doc["execution"] = views.execution(
                        pending[0], now, self._document_for_device(pending[0].job_id)
                    )
                out.append(publish_json(f"{base}/notify-next", doc))
            self._notified[thing] = (signature, first)
        self._touched.clear()
        return out


# ----- request parsing helpers ------------------------------------------------------------------


def _parse_request(payload: bytes) -> JsonObject:
    if not payload.strip():
        return {}
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise JobsRejection(
            "InvalidJson",
            "The contents of the request were not interpreted as valid UTF-8-encoded JSON",
        ) from None
    if not isinstance(obj, dict):
        raise JobsRejection("InvalidJson", "The request must be a JSON object")
    return obj


def _client_token(request: JsonObject) -> str | None:
    token = request.get("clientToken")
    if token is None:
        return None
    if not isinstance(token, str) or not 1 <= len(token) <= MAX_CLIENT_TOKEN_CHARS:
        raise JobsRejection("InvalidRequest", "clientToken must be 1-64 characters")
    return token


def _status_details(request: JsonObject) -> dict[str, str] | None:
    details = request.get("statusDetails")
    if details is None:
        return None
    if not isinstance(details, dict):
        raise JobsRejection("InvalidRequest", "statusDetails must be an object")
    for key, value in details.items():
        if STATUS_DETAIL_KEY.fullmatch(key) is None:
            raise JobsRejection("InvalidRequest", f"invalid statusDetails key {key!r}")
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_STATUS_DETAIL_VALUE:
            raise JobsRejection(
                "InvalidRequest", f"statusDetails.{key} must be a string of 1-1024 characters"
            )
    return dict(details)


def _step_timeout(request: JsonObject, allow_cancel: bool) -> int | None:
    step = request.get("stepTimeoutInMinutes")
    if step is None:
        return None
    valid = isinstance(step, int) and not isinstance(step, bool)
    if valid and (1 <= step <= MAX_STEP_TIMEOUT_MINUTES or (allow_cancel and step == -1)):
        return int(step)
    raise JobsRejection("InvalidRequest", "stepTimeoutInMinutes must be between 1 and 10080")


def _substitute(value: Any, presign: Presigner, expires: int) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            parsed = parse_s3_url(match.group(1))
            if parsed is None:
                return match.group(0)
            return presign(parsed[0], parsed[1], expires)

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, presign, expires) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, presign, expires) for v in value]
    return value
