"""Unit tests of the sans-IO jobs service: protocol, state machine, rollout, abort, timers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.iotcore.errors import ApiError
from emulator.iotcore.jobs import JobsService, Target
from emulator.iotcore.messages import Publish

T0 = 1_700_000_000.0
DOC = json.dumps({"operation": "ota", "url": "https://example.invalid/fw.bin"})


def things(*names: str) -> list[Target]:
    return [Target(f"arn:aws:iot:us-east-1:123456789012:thing/{n}", (n,)) for n in names]


def req(svc: JobsService, thing: str, op: str, body: Any = None, now: float = T0) -> list[Publish]:
    payload = (
        b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    return svc.handle(f"$aws/things/{thing}/jobs/{op}", payload, now)


def one(pubs: list[Publish], topic_end: str) -> Any:
    found = [p for p in pubs if p.topic.endswith(topic_end)]
    assert len(found) == 1, [p.topic for p in pubs]
    return found[0].json()


def counts(svc: JobsService, job_id: str) -> dict[str, Any]:
    details: dict[str, Any] = svc.describe_job(job_id)["job"]["jobProcessDetails"]
    return details


def test_create_notifies_each_target() -> None:
    svc = JobsService()
    result, pubs = svc.create_job("j1", {"document": DOC}, things("a", "b"), T0)
    assert result["jobArn"].endswith(":job/j1")
    assert sorted(p.topic for p in pubs) == [
        "$aws/things/a/jobs/notify",
        "$aws/things/a/jobs/notify-next",
        "$aws/things/b/jobs/notify",
        "$aws/things/b/jobs/notify-next",
    ]
    nxt = one(pubs, "a/jobs/notify-next")
    assert nxt["execution"]["jobId"] == "j1"
    assert nxt["execution"]["status"] == "QUEUED"
    assert nxt["execution"]["jobDocument"] == json.loads(DOC)
    assert one(pubs, "a/jobs/notify")["jobs"]["QUEUED"][0]["executionNumber"] == 1
    assert counts(svc, "j1")["numberOfQueuedThings"] == 2
    assert svc.describe_job("j1")["job"]["status"] == "IN_PROGRESS"


def test_device_lifecycle_get_start_next_succeed() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    pending = one(req(svc, "a", "get", {"clientToken": "c1"}), "get/accepted")
    assert pending["clientToken"] == "c1"
    assert [j["jobId"] for j in pending["queuedJobs"]] == ["j1"]

    pubs = req(svc, "a", "start-next", {"statusDetails": {"step": "download"}}, T0 + 5)
    started = one(pubs, "start-next/accepted")["execution"]
    assert (started["status"], started["versionNumber"]) == ("IN_PROGRESS", 2)
    assert started["statusDetails"] == {"step": "download"}
    assert started["startedAt"] == int(T0) + 5
    # the list changed status; the next execution did not change, so no notify-next
    assert one(pubs, "a/jobs/notify")["jobs"]["IN_PROGRESS"][0]["jobId"] == "j1"
    assert not [p for p in pubs if p.topic.endswith("notify-next")]

    pubs = req(
        svc,
        "a",
        "j1/update",
        {"status": "SUCCEEDED", "expectedVersion": 2, "includeJobExecutionState": True},
        T0 + 9,
    )
    state = one(pubs, "j1/update/accepted")["executionState"]
    assert state == {
        "status": "SUCCEEDED",
        "versionNumber": 3,
        "statusDetails": {"step": "download"},
    }
    assert one(pubs, "notify-next") == {"timestamp": int(T0) + 9}
    assert one(pubs, "a/jobs/notify")["jobs"] == {}
    job = svc.describe_job("j1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["completedAt"] == T0 + 9
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1


def test_describe_next_and_by_id() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    svc.create_job("j2", {"document": "{}"}, things("a"), T0 + 1)
    nxt = one(req(svc, "a", "$next/get"), "$next/get/accepted")["execution"]
    assert nxt["jobId"] == "j1"
    by_id = one(req(svc, "a", "j2/get", {"includeJobDocument": False}), "j2/get/accepted")
    assert by_id["execution"]["jobId"] == "j2"
    assert "jobDocument" not in by_id["execution"]


@pytest.mark.parametrize(
    ("op", "body", "code"),
    [
        ("j1/update", b"{oops", "InvalidJson"),
        ("j1/update", {"statusDetails": {}}, "InvalidRequest"),
        ("j1/update", {"status": "DANCING"}, "InvalidRequest"),
        ("j1/update", {"status": "QUEUED"}, "InvalidStateTransition"),
        ("j1/update", {"status": "IN_PROGRESS", "expectedVersion": 7}, "VersionMismatch"),
        ("j1/update", {"status": "IN_PROGRESS", "statusDetails": {"k": 1}}, "InvalidRequest"),
        ("j1/update", {"status": "IN_PROGRESS", "stepTimeoutInMinutes": 0}, "InvalidRequest"),
        ("nope/update", {"status": "IN_PROGRESS"}, "ResourceNotFound"),
        ("nope/get", {}, "ResourceNotFound"),
        ("j1/frobnicate", {}, "InvalidTopic"),
        ("start-next", {"clientToken": "x" * 65}, "InvalidRequest"),
    ],
)
def test_bad_device_requests_are_rejected(op: str, body: Any, code: str) -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    pubs = req(svc, "a", op, body)
    rejected = one(pubs, f"{op}/rejected")
    assert rejected["code"] == code
    assert rejected["timestamp"] == int(T0)
    if code == "VersionMismatch":
        assert rejected["executionState"]["versionNumber"] == 1


def test_terminal_execution_cannot_move() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    req(svc, "a", "j1/update", {"status": "SUCCEEDED"})
    rej = one(req(svc, "a", "j1/update", {"status": "IN_PROGRESS", "clientToken": "t"}), "rejected")
    assert (rej["code"], rej["clientToken"]) == ("InvalidStateTransition", "t")
    assert rej["executionState"]["status"] == "SUCCEEDED"


def test_constant_rollout_rate() -> None:
    svc = JobsService()
    body = {"document": DOC, "jobExecutionsRolloutConfig": {"maximumPerMinute": 2}}
    svc.create_job("j1", body, things("a", "b", "c", "d", "e"), T0)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 2
    assert len(counts(svc, "j1")["processingTargets"]) == 3
    svc.tick(T0 + 59)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 2
    pubs = svc.tick(T0 + 60)
    assert sorted({p.topic.split("/")[2] for p in pubs}) == ["c", "d"]
    svc.tick(T0 + 120)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 5
    assert "processingTargets" not in counts(svc, "j1")
    assert svc.next_due() is None


def test_exponential_rollout_grows_per_window() -> None:
    svc = JobsService()
    rollout = {
        "exponentialRate": {
            "baseRatePerMinute": 1,
            "incrementFactor": 2,
            "rateIncreaseCriteria": {"numberOfNotifiedThings": 1},
        }
    }
    names = [f"t{i}" for i in range(10)]
    svc.create_job(
        "j1", {"document": DOC, "jobExecutionsRolloutConfig": rollout}, things(*names), T0
    )
    released = [counts(svc, "j1")["numberOfQueuedThings"]]
    for minute in range(1, 4):
        svc.tick(T0 + 60 * minute)
        released.append(counts(svc, "j1")["numberOfQueuedThings"])
    # rates 1, 2 (1 notified), 8 (3 notified) -> capped by the 10 targets
    assert released == [1, 3, 10, 10]


def test_rollout_by_succeeded_things() -> None:
    svc = JobsService()
    rollout = {
        "exponentialRate": {
            "baseRatePerMinute": 1,
            "incrementFactor": 3,
            "rateIncreaseCriteria": {"numberOfSucceededThings": 1},
        }
    }
    svc.create_job(
        "j1", {"document": DOC, "jobExecutionsRolloutConfig": rollout}, things(*"abcde"), T0
    )
    svc.tick(T0 + 60)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 2  # nobody succeeded: still 1/min
    req(svc, "a", "j1/update", {"status": "SUCCEEDED"}, T0 + 70)
    svc.tick(T0 + 120)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 1 + 3


def test_abort_is_armed_only_after_min_executed_things() -> None:
    svc = JobsService()
    abort = {
        "criteriaList": [
            {
                "failureType": "FAILED",
                "action": "CANCEL",
                "thresholdPercentage": 50,
                "minNumberOfExecutedThings": 3,
            }
        ]
    }
    svc.create_job("j1", {"document": DOC, "abortConfig": abort}, things(*"abcde"), T0)
    req(svc, "a", "j1/update", {"status": "FAILED"})
    req(svc, "b", "j1/update", {"status": "FAILED"})
    assert svc.describe_job("j1")["job"]["status"] == "IN_PROGRESS"  # 2 executed < 3
    req(svc, "c", "start-next", {})
    req(svc, "d", "j1/update", {"status": "SUCCEEDED"})
    job = svc.describe_job("j1")["job"]
    assert job["status"] == "CANCELED"  # 2 of 3 executed failed = 66 % >= 50 %
    details = job["jobProcessDetails"]
    assert details["numberOfCanceledThings"] == 1  # e was QUEUED
    assert details["numberOfInProgressThings"] == 1  # c keeps running
    assert details["numberOfFailedThings"] == 2


def test_in_progress_timeout_and_step_timeout() -> None:
    svc = JobsService()
    body = {"document": DOC, "timeoutConfig": {"inProgressTimeoutInMinutes": 10}}
    svc.create_job("j1", body, things("a", "b"), T0)
    req(svc, "a", "start-next", {"stepTimeoutInMinutes": 2})
    started = one(req(svc, "b", "start-next", {}), "accepted")["execution"]
    assert started["approximateSecondsBeforeTimedOut"] == 600
    assert svc.next_due() == T0 + 120
    svc.tick(T0 + 119)
    assert counts(svc, "j1")["numberOfInProgressThings"] == 2
    pubs = svc.tick(T0 + 121)
    assert one(pubs, "a/jobs/notify-next") == {"timestamp": int(T0) + 121}
    assert counts(svc, "j1")["numberOfTimedOutThings"] == 1
    # the step timer cannot extend the in-progress bound; -1 cancels a step timer
    req(svc, "b", "j1/update", {"status": "IN_PROGRESS", "stepTimeoutInMinutes": 60}, T0 + 200)
    svc.tick(T0 + 601)
    assert counts(svc, "j1")["numberOfTimedOutThings"] == 2
    rej = one(req(svc, "b", "j1/update", {"status": "SUCCEEDED"}, T0 + 700), "rejected")
    assert rej["code"] == "TerminalStateReached"
    assert svc.describe_job("j1")["job"]["status"] == "COMPLETED"


def test_retry_creates_a_new_execution() -> None:
    svc = JobsService()
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]}
    svc.create_job("j1", {"document": DOC, "jobExecutionsRetryConfig": retry}, things("a"), T0)
    pubs = req(svc, "a", "j1/update", {"status": "FAILED"}, T0 + 1)
    nxt = one(pubs, "notify-next")["execution"]
    assert (nxt["jobId"], nxt["executionNumber"], nxt["status"]) == ("j1", 2, "QUEUED")
    assert svc.describe_job_execution("j1", "a", 1, T0)["execution"]["status"] == "FAILED"
    req(svc, "a", "j1/update", {"status": "FAILED"}, T0 + 2)
    job = svc.describe_job("j1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfFailedThings"] == 1


def test_cancel_job_without_and_with_force() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a", "b"), T0)
    req(svc, "a", "start-next", {})
    _, pubs = svc.cancel_job("j1", False, "WHY", "because", T0 + 1)
    assert one(pubs, "b/jobs/notify-next") == {"timestamp": int(T0) + 1}
    job = svc.describe_job("j1")["job"]
    assert (job["status"], job["reasonCode"], job["comment"]) == ("CANCELED", "WHY", "because")
    assert job["jobProcessDetails"]["numberOfInProgressThings"] == 1
    svc.cancel_job("j1", True, None, None, T0 + 2)
    ex = svc.describe_job_execution("j1", "a", None, T0)["execution"]
    assert (ex["status"], ex["forceCanceled"]) == ("CANCELED", True)
    rej = one(req(svc, "a", "j1/update", {"status": "SUCCEEDED"}), "rejected")
    assert rej["code"] == "TerminalStateReached"


def test_cancel_job_execution_rules() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a", "b"), T0)
    req(svc, "a", "start-next", {})
    with pytest.raises(ApiError) as info:
        svc.cancel_job_execution("j1", "a", False, None, None, T0)
    assert info.value.error_type == "InvalidStateTransitionException"
    with pytest.raises(ApiError) as info:
        svc.cancel_job_execution("j1", "b", False, 5, None, T0)
    assert info.value.error_type == "VersionConflictException"
    svc.cancel_job_execution("j1", "b", False, 1, {"why": "test"}, T0)
    ex = svc.describe_job_execution("j1", "b", None, T0)["execution"]
    assert ex["status"] == "CANCELED"
    assert ex["statusDetails"] == {"detailsMap": {"why": "test"}}
    with pytest.raises(ApiError) as info:
        svc.describe_job_execution("j1", "zzz", None, T0)
    assert info.value.status == 404


def test_create_job_validation() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    cases: list[tuple[str, dict[str, Any], list[Target]]] = [
        ("j1", {"document": DOC}, things("a")),
        ("bad id!", {"document": DOC}, things("a")),
        ("j2", {"document": "not json"}, things("a")),
        ("j2", {}, things("a")),
        ("j2", {"document": DOC}, []),
        (
            "j2",
            {"document": DOC, "jobExecutionsRolloutConfig": {"maximumPerMinute": 0}},
            things("a"),
        ),
        ("j2", {"document": DOC, "timeoutConfig": {"inProgressTimeoutInMinutes": 0}}, things("a")),
        ("j2", {"document": DOC, "schedulingConfig": {"startTime": "x"}}, things("a")),
    ]
    for job_id, body, targets in cases:
        with pytest.raises(ApiError):
            svc.create_job(job_id, body, targets, T0)
    assert [j["jobId"] for j in svc.list_jobs(None, None)] == ["j1"]


def test_delete_job_and_execution() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a"), T0)
    with pytest.raises(ApiError):
        svc.delete_job("j1", False, T0)
    pubs = svc.delete_job("j1", True, T0)
    assert one(pubs, "notify-next") == {"timestamp": int(T0)}
    assert svc.list_executions_for_thing("a", None) == []
    svc.create_job("j2", {"document": DOC}, things("a"), T0)
    req(svc, "a", "j2/update", {"status": "REJECTED"})
    svc.delete_job_execution("j2", "a", 1, False, T0)
    assert svc.list_executions_for_job("j2", None) == []


def test_continuous_job_follows_group_membership() -> None:
    svc = JobsService()
    target = Target("arn:aws:iot:us-east-1:123456789012:thinggroup/fleet", ("a",), group="fleet")
    svc.create_job("j1", {"document": DOC, "targetSelection": "CONTINUOUS"}, [target], T0)
    pubs = svc.thing_added_to_group("fleet", "b", T0 + 1)
    assert one(pubs, "b/jobs/notify-next")["execution"]["jobId"] == "j1"
    svc.thing_removed_from_group("fleet", "a", T0 + 2)
    assert svc.describe_job_execution("j1", "a", None, T0)["execution"]["status"] == "REMOVED"
    assert svc.describe_job("j1")["job"]["status"] == "IN_PROGRESS"  # continuous never completes


def test_presigned_url_placeholder_is_filled_for_devices_only() -> None:
    urls: list[tuple[str, str, int]] = []

    def presign(bucket: str, key: str, expires: int) -> str:
        urls.append((bucket, key, expires))
        return f"http://local/{bucket}/{key}?sig=1"

    svc = JobsService(presign=presign)
    doc = json.dumps({"url": "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw/app.bin}"})
    body = {"document": doc, "presignedUrlConfig": {"expiresInSec": 300}}
    _, pubs = svc.create_job("j1", body, things("a"), T0)
    assert one(pubs, "notify-next")["execution"]["jobDocument"] == {
        "url": "http://local/fw/app.bin?sig=1"
    }
    assert urls == [("fw", "app.bin", 300)]
    assert svc.get_job_document("j1")["document"] == doc


def test_export_load_round_trip() -> None:
    svc = JobsService()
    svc.create_job("j1", {"document": DOC}, things("a", "b"), T0)
    req(svc, "a", "start-next", {"statusDetails": {"k": "v"}})
    changed = svc.drain_changes()
    assert changed == {"j1"}
    fresh = JobsService()
    for job_id in changed:
        data = svc.export(job_id)
        assert data is not None
        fresh.load(json.loads(json.dumps(data)))
    assert fresh.describe_job("j1") == svc.describe_job("j1")
    nxt = one(req(fresh, "a", "$next/get"), "accepted")["execution"]
    assert (nxt["status"], nxt["statusDetails"]) == ("IN_PROGRESS", {"k": "v"})


def test_own_output_topics_are_ignored() -> None:
    svc = JobsService()
    assert req(svc, "a", "notify", {}) == []
    assert req(svc, "a", "get/accepted", {}) == []
    assert svc.handle("$aws/things/a/shadow/get", b"", T0) == []


def test_update_job_changes_the_rollout_of_a_running_job() -> None:
    svc = JobsService()
    body = {"document": DOC, "jobExecutionsRolloutConfig": {"maximumPerMinute": 1}}
    svc.create_job("j1", body, things("a", "b", "c"), T0)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 1
    svc.update_job("j1", {"jobExecutionsRolloutConfig": {"maximumPerMinute": 5}}, T0 + 1)
    svc.tick(T0 + 60)
    assert counts(svc, "j1")["numberOfQueuedThings"] == 3
    described = svc.describe_job("j1")["job"]
    assert described["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 5}
