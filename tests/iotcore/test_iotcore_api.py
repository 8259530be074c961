"""The AWS APIs beside IoT: iot-data publish reaching MQTT, S3 for firmware, CloudWatch."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path

import pytest

from emulator.iotcore.client import ConnectionRefused
from emulator.iotcore.core import LocalIoTCore

from .conftest import Connect

pytestmark = pytest.mark.integration
pytest_plugins = ["pytester"]


def test_iot_data_publish_is_delivered_on_mqtt(core: LocalIoTCore, device: Connect) -> None:
    _, dev = device("dev-1")
    dev.subscribe("steel-programs/dev-1/load")
    load = {"program_id": "blink", "auto_start": True}
    core.iot_data().publish(topic="steel-programs/dev-1/load", qos=1, payload=json.dumps(load))
    message = dev.expect("steel-programs/dev-1/load")
    assert (message.json(), message.qos) == (load, 1)
    core.iot_data().publish(topic="steel-programs/dev-1/load", qos=1, retain=True, payload=b"kept")
    dev.expect("steel-programs/dev-1/load")
    # a second certificate for the same thing (a rotation) sees the retained message
    rotated = core.provision("dev-1")
    with core.connect(rotated, client_id="dev-1-rotated") as second:
        second.subscribe("steel-programs/dev-1/load")
        message = second.expect("steel-programs/dev-1/load")
        assert (message.payload, message.retain) == (b"kept", True)


def test_iot_data_publish_to_a_shadow_topic_is_served(core: LocalIoTCore, device: Connect) -> None:
    """AWS routes an HTTP publish on a reserved topic to the shadow service, so do we."""
    _, dev = device("dev-1")
    dev.subscribe("$aws/things/dev-1/shadow/update/accepted")
    core.iot_data().publish(
        topic="$aws/things/dev-1/shadow/update",
        qos=1,
        payload=json.dumps({"state": {"desired": {"x": 1}}}),
    )
    assert dev.expect("$aws/things/dev-1/shadow/update/accepted").json()["version"] == 1


def test_s3_presigned_urls_serve_firmware_to_a_device(core: LocalIoTCore) -> None:
    s3 = core.s3()
    s3.create_bucket(Bucket="programs")
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": "programs", "Key": "blink.scm"}, ExpiresIn=60
    )
    request = urllib.request.Request(
        url, data=b"(led-on)", method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    get = s3.generate_presigned_url("get_object", Params={"Bucket": "programs", "Key": "blink.scm"})
    ranged = urllib.request.Request(get, headers={"Range": "bytes=1-3"})
    with urllib.request.urlopen(ranged, timeout=10) as response:
        assert (response.status, response.read()) == (206, b"led")


def test_cloudwatch_device_metrics(core: LocalIoTCore) -> None:
    cw = core.endpoint.cloudwatch()
    now = dt.datetime.now(dt.UTC)
    cw.put_metric_data(
        Namespace="Steel/Devices",
        MetricData=[
            {
                "MetricName": "HeapFree",
                "Dimensions": [{"Name": "ThingName", "Value": "dev-1"}],
                "Value": v,
                "Timestamp": now,
            }
            for v in (100.0, 300.0)
        ],
    )
    stats = cw.get_metric_statistics(
        Namespace="Steel/Devices",
        MetricName="HeapFree",
        Dimensions=[{"Name": "ThingName", "Value": "dev-1"}],
        StartTime=now - dt.timedelta(minutes=5),
        EndTime=now + dt.timedelta(minutes=5),
        Period=600,
        Statistics=["Average", "SampleCount"],
    )
    (point,) = stats["Datapoints"]
    assert (point["Average"], point["SampleCount"]) == (200.0, 2.0)


def test_the_pytest_plugin_gives_a_core_and_devices(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_device(iotcore, iotcore_devices):
            creds, client = iotcore_devices("plugin-dev")
            client.subscribe("dt/plugin-dev/#")
            client.publish("dt/plugin-dev/x", b"hi")
            assert client.expect("dt/plugin-dev/x").payload == b"hi"
            assert iotcore.iot().describe_thing(thingName="plugin-dev")["thingName"] == "plugin-dev"
        """
    )
    result = pytester.runpytest_subprocess("-p", "emulator.iotcore.pytest_plugin")
    result.assert_outcomes(passed=1)


def test_the_registry_survives_a_restart(tmp_path: Path) -> None:
    directory = tmp_path / "iotcore"
    with LocalIoTCore(directory) as core:
        iot = core.iot()
        iot.create_thing_type(thingTypeName="esp32c3")
        active = core.provision("dev-1", attributes={"rig": "bench-3"})
        parked = core.provision("dev-2")
        core.deactivate(parked)
        iot.create_thing(thingName="dev-3", thingTypeName="esp32c3")
        iot.create_thing_group(thingGroupName="fleet")
        iot.create_thing_group(thingGroupName="canary", parentGroupName="fleet")
        iot.add_thing_to_thing_group(thingGroupName="canary", thingName="dev-1")
    with LocalIoTCore(directory) as core:
        iot = core.iot()
        assert iot.describe_thing(thingName="dev-1")["attributes"] == {"rig": "bench-3"}
        assert iot.describe_thing(thingName="dev-3")["thingTypeName"] == "esp32c3"
        members = iot.list_things_in_thing_group(thingGroupName="canary")["things"]
        assert members == ["dev-1"]
        parent = iot.describe_thing_group(thingGroupName="canary")["thingGroupMetadata"]
        assert parent["parentGroupName"] == "fleet"
        described = iot.describe_certificate(certificateId=parked.certificate_id)
        assert described["certificateDescription"]["status"] == "INACTIVE"
        with pytest.raises(ConnectionRefused):
            core.client(parked).connect(timeout=5)
        with core.connect(active) as dev:
            assert dev.connected
        assert iot.list_principal_things(principal=active.certificate_arn)["things"] == ["dev-1"]
