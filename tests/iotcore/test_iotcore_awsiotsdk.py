"""The fidelity proof: AWS's own device SDK (awsiotsdk, MQTT 5 client with the V2 shadow and
jobs clients) runs unmodified against the local IoT Core; only endpoint, port and CA differ."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from awscrt import mqtt_request_response
from awsiot import (
    ServiceStreamOptions,
    V2ServiceException,
    iotjobs,
    iotshadow,
    mqtt5_client_builder,
)

from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.provision import ThingCredentials

pytestmark = pytest.mark.integration

TIMEOUT = 15


@pytest.fixture
def sdk_client(core: LocalIoTCore) -> Iterator[tuple[ThingCredentials, Any]]:
    creds = core.provision("sdk-dev")
    connected: Future[Any] = Future()

    def on_success(data: Any) -> None:
        if not connected.done():
            connected.set_result(data)

    def on_failure(data: Any) -> None:
        if not connected.done():
            connected.set_exception(ConnectionError(str(data.exception)))

    client = mqtt5_client_builder.mtls_from_path(
        endpoint="localhost",
        port=core.endpoint.mqtt_port,
        ca_filepath=core.endpoint.ca_file,
        cert_filepath=creds.cert_file,
        pri_key_filepath=creds.key_file,
        client_id=creds.thing_name,
        on_lifecycle_connection_success=on_success,
        on_lifecycle_connection_failure=on_failure,
    )
    client.start()
    connected.result(TIMEOUT)
    yield creds, client
    client.stop()


def options() -> mqtt_request_response.ClientOptions:
    return mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=6,
        max_streaming_subscriptions=3,
        operation_timeout_in_seconds=TIMEOUT,
    )


def open_stream(factory: Any, request: Any) -> queue.Queue[Any]:
    """Open an SDK event stream and wait until its subscription is established."""
    events: queue.Queue[Any] = queue.Queue()
    established: Future[None] = Future()

    def on_status(event: Any) -> None:
        kind = mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED
        if event.type == kind and not established.done():
            established.set_result(None)

    stream = factory(
        request,
        ServiceStreamOptions(
            incoming_event_listener=events.put, subscription_status_listener=on_status
        ),
    )
    stream.open()
    established.result(TIMEOUT)
    events.stream = stream  # type: ignore[attr-defined]  # keep the stream alive with the queue
    return events


def test_sdk_shadow_get_update_delta_delete(
    core: LocalIoTCore, sdk_client: tuple[ThingCredentials, Any]
) -> None:
    creds, client = sdk_client
    thing = creds.thing_name
    shadow = iotshadow.IotShadowClientV2(client, options())
    deltas = open_stream(
        shadow.create_shadow_delta_updated_stream,
        iotshadow.ShadowDeltaUpdatedSubscriptionRequest(thing_name=thing),
    )

    with pytest.raises(V2ServiceException) as missing:
        shadow.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)).result(TIMEOUT)
    assert missing.value.modeled_error.code == 404

    reported = iotshadow.ShadowState(reported={"fw": "1.0", "led": "off"})
    updated = shadow.update_shadow(
        iotshadow.UpdateShadowRequest(thing_name=thing, state=reported)
    ).result(TIMEOUT)
    assert updated.version == 1
    assert updated.state.reported == {"fw": "1.0", "led": "off"}

    # the cloud side asks for a change through boto3; the device sees the delta
    core.iot_data().update_thing_shadow(
        thingName=thing, payload=json.dumps({"state": {"desired": {"led": "on"}}})
    )
    delta = deltas.get(timeout=TIMEOUT)
    assert (delta.state, delta.version) == ({"led": "on"}, 2)

    got = shadow.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)).result(TIMEOUT)
    assert got.state.delta == {"led": "on"}
    assert got.state.desired == {"led": "on"}
    assert got.version == 2

    with pytest.raises(V2ServiceException) as stale:
        shadow.update_shadow(
            iotshadow.UpdateShadowRequest(thing_name=thing, state=reported, version=1)
        ).result(TIMEOUT)
    assert (stale.value.modeled_error.code, stale.value.modeled_error.message) == (
        409,
        "Version conflict",
    )

    named = shadow.update_named_shadow(
        iotshadow.UpdateNamedShadowRequest(
            thing_name=thing, shadow_name="ota", state=iotshadow.ShadowState(reported={"slot": "a"})
        )
    ).result(TIMEOUT)
    assert named.version == 1
    assert shadow.get_named_shadow(
        iotshadow.GetNamedShadowRequest(thing_name=thing, shadow_name="ota")
    ).result(TIMEOUT).state.reported == {"slot": "a"}

    deleted = shadow.delete_shadow(iotshadow.DeleteShadowRequest(thing_name=thing)).result(TIMEOUT)
    assert deleted.version == 2


def test_sdk_job_notified_started_and_succeeded(
    core: LocalIoTCore, sdk_client: tuple[ThingCredentials, Any]
) -> None:
    creds, client = sdk_client
    thing = creds.thing_name
    jobs = iotjobs.IotJobsClientV2(client, options())
    nexts = open_stream(
        jobs.create_next_job_execution_changed_stream,
        iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name=thing),
    )
    changes = open_stream(
        jobs.create_job_executions_changed_stream,
        iotjobs.JobExecutionsChangedSubscriptionRequest(thing_name=thing),
    )
    document = {"operation": "ota", "version": "1.1.0"}
    core.iot().create_job(
        jobId="sdk-ota",
        targets=[f"arn:aws:iot:{core.region}:123456789012:thing/{thing}"],
        document=json.dumps(document),
    )

    notified = nexts.get(timeout=TIMEOUT).execution
    assert (notified.job_id, notified.status, notified.job_document) == (
        "sdk-ota",
        "QUEUED",
        document,
    )
    assert [s.job_id for s in changes.get(timeout=TIMEOUT).jobs["QUEUED"]] == ["sdk-ota"]

    pending = jobs.get_pending_job_executions(
        iotjobs.GetPendingJobExecutionsRequest(thing_name=thing)
    ).result(TIMEOUT)
    assert [j.job_id for j in pending.queued_jobs] == ["sdk-ota"]

    started = jobs.start_next_pending_job_execution(
        iotjobs.StartNextPendingJobExecutionRequest(
            thing_name=thing, step_timeout_in_minutes=5, status_details={"step": "download"}
        )
    ).result(TIMEOUT)
    assert (started.execution.job_id, started.execution.status) == ("sdk-ota", "IN_PROGRESS")
    assert started.execution.version_number == 2

    described = jobs.describe_job_execution(
        iotjobs.DescribeJobExecutionRequest(
            thing_name=thing, job_id="sdk-ota", include_job_document=True
        )
    ).result(TIMEOUT)
    assert described.execution.job_document == document

    done = jobs.update_job_execution(
        iotjobs.UpdateJobExecutionRequest(
            thing_name=thing,
            job_id="sdk-ota",
            status="SUCCEEDED",
            status_details={"step": "done"},
            expected_version=2,
            include_job_execution_state=True,
        )
    ).result(TIMEOUT)
    assert done.execution_state.status == "SUCCEEDED"
    assert done.execution_state.status_details == {"step": "done"}
    assert nexts.get(timeout=TIMEOUT).execution is None

    with pytest.raises(V2ServiceException) as unknown:
        jobs.update_job_execution(
            iotjobs.UpdateJobExecutionRequest(
                thing_name=thing, job_id="no-such-job", status="IN_PROGRESS"
            )
        ).result(TIMEOUT)
    assert unknown.value.modeled_error.code == "ResourceNotFound"

    job = core.iot().describe_job(jobId="sdk-ota")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
