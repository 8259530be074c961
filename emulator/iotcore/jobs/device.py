"""The device side of the jobs service: AWS IoT Jobs' MQTT API.

``get``, ``start-next``, ``{jobId}/get`` and ``{jobId}/update`` are answered on ``/accepted``
or ``/rejected`` with AWS's error codes, and every change is followed by the ``notify`` and
``notify-next`` messages it causes.
"""

from __future__ import annotations

from typing import Any

from ..messages import Publish, publish_json
from ..names import is_job_id, is_thing_name
from . import views
from .engine import JobsEngine
from .model import (
    DEVICE_SETTABLE,
    DEVICE_TERMINAL,
    EXECUTION_STATUSES,
    IN_PROGRESS,
    QUEUED,
    Execution,
)
from .requests import (
    JobsRejection,
    client_token,
    parse_jobs_topic,
    parse_request,
    status_details,
    step_timeout,
)

JsonObject = dict[str, Any]


class DeviceApi(JobsEngine):
    """What a device may ask of the jobs service over MQTT."""

    def handle(self, topic: str, payload: bytes, now: float) -> list[Publish]:
        parsed = parse_jobs_topic(topic)
        if parsed is None:
            return []
        thing, rest = parsed
        if rest[0] in ("notify", "notify-next") or rest[-1] in ("accepted", "rejected"):
            return []  # our own output, or a device publishing where only the service should
        token: str | None = None
        try:
            request = parse_request(payload)
            token = client_token(request)
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
                shown = topic if len(topic) <= 256 else topic[:253] + "..."
                raise JobsRejection("InvalidTopic", f"The topic {shown} is not a jobs API topic")
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
        details = status_details(request)
        step = step_timeout(request, allow_cancel=False)
        pending = self._pending(thing)
        if not pending:
            return {}
        ex = pending[0]
        self._check_fits(ex.job_id, details)
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
        details = status_details(request)
        step = step_timeout(request, allow_cancel=True)
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
        self._check_fits(ex.job_id, details)
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

    def _check_fits(self, job_id: str, details: dict[str, str] | None) -> None:
        """Refuse statusDetails that would push the execution (which carries the job document
        in every later notify-next and start-next) over the 128 KB message limit."""
        if details is not None and not self.execution_fits(job_id, details):
            raise JobsRejection(
                "InvalidRequest",
                "statusDetails would make the job execution exceed the 128 KB message limit",
            )

    def _find(self, thing: str, job_id: str, number: Any) -> Execution:
        if not is_job_id(job_id):
            shown = job_id if len(job_id) <= 64 else job_id[:61] + "..."
            raise JobsRejection("InvalidRequest", f"invalid job id {shown!r}")
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
