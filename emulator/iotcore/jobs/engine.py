"""The state of the jobs service and what moves it: queueing, transitions, rollout windows,
retries, aborts, timers, the notify messages and persistence.

The device API (``device.py``) and the control plane (``control.py``) both change jobs only
through these methods, so every rule (a retry is a new execution, an abort cancels only what
is queued, ``notify-next`` goes out only when the next execution changes) lives in one place.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from ..errors import not_found
from ..limits import MAX_PAYLOAD_BYTES
from ..messages import Publish, dumps, publish_json
from ..s3url import parse_s3_url
from . import views
from .model import (
    CANCELED,
    EXECUTED,
    FAILED,
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    PENDING,
    QUEUED,
    ROLLOUT_WINDOW_SECONDS,
    SUCCEEDED,
    TIMED_OUT,
    Execution,
    Job,
)

JsonObject = dict[str, Any]

#: ``presign(bucket, key, expires_in_seconds) -> URL``; supplied by whoever owns the S3 endpoint.
Presigner = Callable[[str, str, int], str]

#: (pending list as (job, execution number, status), first pending) last notified to a thing
_NotifyState = tuple[tuple[tuple[str, int, str], ...], tuple[str, int] | None]

MAX_NOTIFY_EXECUTIONS = 15
#: What an execution message adds to its document and statusDetails: ids, times, numbers, the
#: clientToken and the topic, with room to spare.
EXECUTION_OVERHEAD_BYTES = 2048
#: The job document as delivered (presigned URLs filled in) must leave room for statusDetails.
MAX_DELIVERED_DOCUMENT_BYTES = 64 * 1024
#: AWS's presigned-URL placeholders: the current ``-v2`` form (its URL URL-encoded the way
#: the S3 SDK encodes it) and the older one (the URL as written).
_PLACEHOLDER = re.compile(r"\$\{aws:iot:s3-presigned-url(-v2)?:([^}]+)\}")


class JobsEngine:
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

    def execution_fits(self, job_id: str, details: dict[str, str]) -> bool:
        """Whether an execution of ``job_id`` with ``details`` stays under the message limit
        in every message that carries it with its document."""
        job = self._jobs.get(job_id)
        document = delivered_size_bound(job.document) if job is not None else 0
        return len(dumps(details)) + document + EXECUTION_OVERHEAD_BYTES <= MAX_PAYLOAD_BYTES

    def _document_for_device(self, job_id: str) -> Any:
        """The job document as delivered over MQTT, with presigned-URL placeholders filled."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        return self._delivered_document(job)

    def _delivered_document(self, job: Job) -> Any:
        """``job``'s document with its presigned-URL placeholders filled in."""
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


def delivered_size_bound(document: str) -> int:
    """An upper bound of the document's size once its presigned-URL placeholders are filled
    in (a presigned URL is its S3 URL plus well under 1 KB of query string)."""
    return len(document.encode("utf-8")) + 1024 * len(_PLACEHOLDER.findall(document))


def _substitute(value: Any, presign: Presigner, expires: int) -> Any:
    """``value`` with every presigned-URL placeholder replaced by a URL for the local S3."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            url = unquote(match.group(2)) if match.group(1) else match.group(2)
            parsed = parse_s3_url(url)
            if parsed is None:
                return match.group(0)
            return presign(parsed[0], parsed[1], expires)

        return _PLACEHOLDER.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, presign, expires) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, presign, expires) for v in value]
    return value
