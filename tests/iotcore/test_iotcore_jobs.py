"""AWS IoT Jobs over real MQTT/TLS and boto3 ``iot``, with a manual clock for timers."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.iotcore.client import MqttThing
from emulator.iotcore.clock import ManualClock
from emulator.iotcore.core import LocalIoTCore

from .conftest import Connect

pytestmark = pytest.mark.integration

DOC = {"operation": "ota", "version": "1.1.0"}


def jobs_client(client: MqttThing, thing: str) -> str:
    base = f"$aws/things/{thing}/jobs"
    client.subscribe(
        [
            f"{base}/notify",
            f"{base}/notify-next",
            f"{base}/get/+",
            f"{base}/start-next/+",
            f"{base}/+/get/+",
            f"{base}/+/update/+",
        ]
    )
    return base


def arn(core: LocalIoTCore, kind: str, name: str) -> str:
    return f"arn:aws:iot:{core.region}:123456789012:{kind}/{name}"


def create_job(core: LocalIoTCore, job_id: str, targets: list[str], **extra: Any) -> None:
    core.iot().create_job(jobId=job_id, targets=targets, document=json.dumps(DOC), **extra)


def test_job_lifecycle_through_boto3_and_mqtt(core: LocalIoTCore, device: Connect) -> None:
    _, d1 = device("dev-1")
    _, d2 = device("dev-2")
    b1, b2 = jobs_client(d1, "dev-1"), jobs_client(d2, "dev-2")
    iot = core.iot()
    iot.create_thing_group(thingGroupName="fleet")
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="dev-2")
    create_job(core, "ota-1", [arn(core, "thing", "dev-1"), arn(core, "thinggroup", "fleet")])

    for client, base in ((d1, b1), (d2, b2)):
        nxt = client.expect(f"{base}/notify-next").json()["execution"]
        assert (nxt["jobId"], nxt["status"], nxt["jobDocument"]) == ("ota-1", "QUEUED", DOC)

    kind, started = d1.request(
        f"{b1}/start-next", {"statusDetails": {"step": "download"}, "clientToken": "s"}
    )
    assert (kind, started["execution"]["status"]) == ("accepted", "IN_PROGRESS")
    kind, done = d1.request(
        f"{b1}/ota-1/update",
        {
            "status": "SUCCEEDED",
            "expectedVersion": 2,
            "includeJobExecutionState": True,
            "clientToken": "u",
        },
    )
    assert (kind, done["executionState"]["status"]) == ("accepted", "SUCCEEDED")
    assert d1.expect(f"{b1}/notify-next", where=lambda m: "execution" not in m.json())
    kind, _ = d2.request(f"{b2}/ota-1/update", {"status": "FAILED", "clientToken": "f"})
    assert kind == "accepted"

    job = iot.describe_job(jobId="ota-1")["job"]
    assert job["status"] == "COMPLETED"
    details = job["jobProcessDetails"]
    assert (details["numberOfSucceededThings"], details["numberOfFailedThings"]) == (1, 1)
    assert details["numberOfQueuedThings"] == details["numberOfInProgressThings"] == 0
    summaries = iot.list_job_executions_for_job(jobId="ota-1")["executionSummaries"]
    assert sorted(s["thingArn"].rsplit("/", 1)[1] for s in summaries) == ["dev-1", "dev-2"]
    for_thing = iot.list_job_executions_for_thing(thingName="dev-1")["executionSummaries"]
    assert [(s["jobId"], s["jobExecutionSummary"]["status"]) for s in for_thing] == [
        ("ota-1", "SUCCEEDED")
    ]
    execution = iot.describe_job_execution(jobId="ota-1", thingName="dev-1")["execution"]
    assert execution["statusDetails"] == {"detailsMap": {"step": "download"}}
    assert (execution["versionNumber"], execution["executionNumber"]) == (3, 1)
    assert iot.list_jobs(status="COMPLETED")["jobs"][0]["jobId"] == "ota-1"


def test_document_source_and_presigned_url_a_device_can_fetch(
    core: LocalIoTCore, device: Connect
) -> None:
    _, dev = device("dev-1")
    base = jobs_client(dev, "dev-1")
    s3 = core.s3()
    s3.create_bucket(Bucket="firmware-store")
    firmware = bytes(range(256)) * 64
    s3.put_object(Bucket="firmware-store", Key="app-1.1.0.bin", Body=firmware)
    document = {
        "url": "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/firmware-store/app-1.1.0.bin}"
    }
    s3.put_object(Bucket="firmware-store", Key="jobs/ota.json", Body=json.dumps(document).encode())
    core.iot().create_job(
        jobId="ota-src",
        targets=[arn(core, "thing", "dev-1")],
        documentSource="https://s3.amazonaws.com/firmware-store/jobs/ota.json",
        presignedUrlConfig={"expiresInSec": 300, "roleArn": "arn:aws:iam::123456789012:role/x"},
    )
    delivered = dev.expect(f"{base}/notify-next").json()["execution"]["jobDocument"]
    url = delivered["url"]
    assert url.startswith(f"{core.endpoint.api_endpoint_url}/firmware-store/app-1.1.0.bin?")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == firmware
    stored = core.iot().get_job_document(jobId="ota-src")["document"]
    assert json.loads(stored) == document
    assert core.iot().describe_job(jobId="ota-src")["documentSource"].endswith("jobs/ota.json")


def test_constant_rollout_releases_per_minute(
    manual_core: LocalIoTCore, manual_device: Connect, clock: ManualClock
) -> None:
    clients = {name: manual_device(name)[1] for name in ("dev-1", "dev-2", "dev-3")}
    for name, client in clients.items():
        jobs_client(client, name)
    create_job(
        manual_core,
        "staged",
        [arn(manual_core, "thing", n) for n in clients],
        jobExecutionsRolloutConfig={"maximumPerMinute": 2},
    )
    for name in ("dev-1", "dev-2"):
        clients[name].expect(f"$aws/things/{name}/jobs/notify-next")
    with pytest.raises(TimeoutError):
        clients["dev-3"].expect("$aws/things/dev-3/jobs/notify-next", timeout=0.5)
    details = manual_core.iot().describe_job(jobId="staged")["job"]["jobProcessDetails"]
    assert details["numberOfQueuedThings"] == 2
    assert details["processingTargets"] == [arn(manual_core, "thing", "dev-3")]
    clock.advance(60)
    clients["dev-3"].expect("$aws/things/dev-3/jobs/notify-next")
    assert (
        manual_core.iot().describe_job(jobId="staged")["job"]["jobProcessDetails"][
            "numberOfQueuedThings"
        ]
        == 3
    )


def test_abort_cancels_queued_executions_after_enough_failures(
    manual_core: LocalIoTCore, manual_device: Connect
) -> None:
    names = ["dev-1", "dev-2", "dev-3"]
    clients = {n: manual_device(n)[1] for n in names}
    for name, client in clients.items():
        jobs_client(client, name)
    abort = {
        "criteriaList": [
            {
                "failureType": "FAILED",
                "action": "CANCEL",
                "thresholdPercentage": 50,
                "minNumberOfExecutedThings": 2,
            }
        ]
    }
    create_job(
        manual_core, "risky", [arn(manual_core, "thing", n) for n in names], abortConfig=abort
    )
    d1, d2 = clients["dev-1"], clients["dev-2"]
    d1.request("$aws/things/dev-1/jobs/risky/update", {"status": "FAILED", "clientToken": "a"})
    assert manual_core.iot().describe_job(jobId="risky")["job"]["status"] == "IN_PROGRESS"
    d2.request("$aws/things/dev-2/jobs/risky/update", {"status": "FAILED", "clientToken": "b"})
    job = manual_core.iot().describe_job(jobId="risky")["job"]
    assert job["status"] == "CANCELED"
    assert job["jobProcessDetails"]["numberOfCanceledThings"] == 1
    clients["dev-3"].expect(
        "$aws/things/dev-3/jobs/notify-next", where=lambda m: "execution" not in m.json()
    )


def test_in_progress_timeout_moves_the_execution_to_timed_out(
    manual_core: LocalIoTCore, manual_device: Connect, clock: ManualClock
) -> None:
    _, dev = manual_device("dev-1")
    base = jobs_client(dev, "dev-1")
    create_job(
        manual_core,
        "slow",
        [arn(manual_core, "thing", "dev-1")],
        timeoutConfig={"inProgressTimeoutInMinutes": 5},
    )
    kind, started = dev.request(f"{base}/start-next", {"clientToken": "s"})
    assert started["execution"]["approximateSecondsBeforeTimedOut"] == 300
    clock.advance(299)
    assert (
        manual_core.iot().describe_job_execution(jobId="slow", thingName="dev-1")["execution"][
            "status"
        ]
        == "IN_PROGRESS"
    )
    clock.advance(2)
    dev.expect(f"{base}/notify-next", where=lambda m: "execution" not in m.json())
    execution = manual_core.iot().describe_job_execution(jobId="slow", thingName="dev-1")[
        "execution"
    ]
    assert execution["status"] == "TIMED_OUT"
    kind, rejected = dev.request(
        f"{base}/slow/update", {"status": "SUCCEEDED", "clientToken": "late"}
    )
    assert (kind, rejected["code"]) == ("rejected", "TerminalStateReached")
    assert (
        manual_core.iot().describe_job(jobId="slow")["job"]["jobProcessDetails"][
            "numberOfTimedOutThings"
        ]
        == 1
    )


def test_cancel_job_and_cancel_execution_reach_the_devices(
    core: LocalIoTCore, device: Connect
) -> None:
    _, d1 = device("dev-1")
    _, d2 = device("dev-2")
    b1, b2 = jobs_client(d1, "dev-1"), jobs_client(d2, "dev-2")
    create_job(core, "c1", [arn(core, "thing", "dev-1"), arn(core, "thing", "dev-2")])
    d1.expect(f"{b1}/notify-next")
    d2.expect(f"{b2}/notify-next")
    d1.request(f"{b1}/start-next", {"clientToken": "s"})
    core.iot().cancel_job_execution(jobId="c1", thingName="dev-2")
    d2.expect(f"{b2}/notify-next", where=lambda m: "execution" not in m.json())
    with pytest.raises(ClientError) as exc:
        core.iot().cancel_job_execution(jobId="c1", thingName="dev-1")
    assert exc.value.response["Error"]["Code"] == "InvalidStateTransitionException"
    core.iot().cancel_job(jobId="c1", force=True, comment="bad build")
    d1.expect(f"{b1}/notify-next", where=lambda m: "execution" not in m.json())
    job = core.iot().describe_job(jobId="c1")["job"]
    assert (job["status"], job["forceCanceled"], job["comment"]) == ("CANCELED", True, "bad build")


def test_bad_device_requests_get_documented_rejections(core: LocalIoTCore, device: Connect) -> None:
    _, dev = device("dev-1")
    base = jobs_client(dev, "dev-1")
    create_job(core, "j1", [arn(core, "thing", "dev-1")])
    kind, body = dev.request(
        f"{base}/no-such-job/update", {"status": "IN_PROGRESS", "clientToken": "x"}
    )
    assert (kind, body["code"], body["clientToken"]) == ("rejected", "ResourceNotFound", "x")
    dev.publish(f"{base}/j1/update", b"{not json")
    assert dev.expect(f"{base}/j1/update/rejected").json()["code"] == "InvalidJson"
    kind, body = dev.request(
        f"{base}/j1/update", {"status": "IN_PROGRESS", "expectedVersion": 9, "clientToken": "v"}
    )
    assert (kind, body["code"], body["executionState"]["versionNumber"]) == (
        "rejected",
        "VersionMismatch",
        1,
    )
    kind, body = dev.request(f"{base}/j1/update", {"status": "SUCCEEDED", "clientToken": "ok"})
    assert kind == "accepted"


def test_control_plane_errors(core: LocalIoTCore) -> None:
    core.provision("dev-1")
    create_job(core, "dup", [arn(core, "thing", "dev-1")])
    iot = core.iot()
    cases: list[tuple[Callable[[], object], str]] = [
        (
            lambda: create_job(core, "dup", [arn(core, "thing", "dev-1")]),
            "ResourceAlreadyExistsException",
        ),
        (lambda: create_job(core, "x", [arn(core, "thing", "ghost")]), "ResourceNotFoundException"),
        (lambda: iot.describe_job(jobId="ghost"), "ResourceNotFoundException"),
        (lambda: iot.delete_job(jobId="dup"), "InvalidStateTransitionException"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == code


def test_continuous_job_reaches_things_added_to_the_group(
    core: LocalIoTCore, device: Connect
) -> None:
    _, dev = device("dev-late")
    base = jobs_client(dev, "dev-late")
    iot = core.iot()
    iot.create_thing_group(thingGroupName="canary")
    iot.create_job(
        jobId="cont",
        targets=[arn(core, "thinggroup", "canary")],
        document=json.dumps(DOC),
        targetSelection="CONTINUOUS",
    )
    iot.add_thing_to_thing_group(thingGroupName="canary", thingName="dev-late")
    assert dev.expect(f"{base}/notify-next").json()["execution"]["jobId"] == "cont"
    iot.remove_thing_from_thing_group(thingGroupName="canary", thingName="dev-late")
    dev.expect(f"{base}/notify-next", where=lambda m: "execution" not in m.json())
    assert (
        iot.describe_job_execution(jobId="cont", thingName="dev-late")["execution"]["status"]
        == "REMOVED"
    )


def test_a_group_target_includes_its_child_groups(core: LocalIoTCore, device: Connect) -> None:
    _, dev = device("dev-child")
    base = jobs_client(dev, "dev-child")
    iot = core.iot()
    iot.create_thing_group(thingGroupName="fleet")
    iot.create_thing_group(thingGroupName="canary", parentGroupName="fleet")
    iot.add_thing_to_thing_group(thingGroupName="canary", thingName="dev-child")
    create_job(core, "nested", [arn(core, "thinggroup", "fleet")])
    assert dev.expect(f"{base}/notify-next").json()["execution"]["jobId"] == "nested"
    groups = iot.list_jobs(thingGroupName="fleet")["jobs"]
    assert [j["jobId"] for j in groups] == ["nested"]


def test_jobs_survive_a_restart_of_the_whole_core(tmp_path: Path) -> None:
    directory = tmp_path / "iotcore"
    with LocalIoTCore(directory) as core:
        creds = core.provision("dev-1")
        create_job(core, "persist", [arn(core, "thing", "dev-1")])
        with core.connect(creds) as dev:
            base = jobs_client(dev, "dev-1")
            dev.request(f"{base}/start-next", {"clientToken": "s"})
    with LocalIoTCore(directory) as core:
        assert (
            core.iot().describe_job(jobId="persist")["job"]["jobProcessDetails"][
                "numberOfInProgressThings"
            ]
            == 1
        )
        with core.connect(creds) as dev:
            base = jobs_client(dev, "dev-1")
            kind, _ = dev.request(
                f"{base}/persist/update", {"status": "SUCCEEDED", "clientToken": "d"}
            )
            assert kind == "accepted"
        assert core.iot().describe_job(jobId="persist")["job"]["status"] == "COMPLETED"
