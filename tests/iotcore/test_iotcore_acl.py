"""Per-thing permissions from policies: a device cannot touch another device's topics."""

from __future__ import annotations

import json

import pytest

from emulator.iotcore.core import LocalIoTCore

from .conftest import Connect

pytestmark = pytest.mark.integration

NOT_AUTHORIZED = 135


def test_device_cannot_publish_or_read_another_devices_topics(device: Connect) -> None:
    _, a = device("dev-a")
    _, b = device("dev-b")
    _, c = device("dev-c")
    b.subscribe(["dt/dev-b/#", "$aws/things/dev-b/shadow/update/accepted"])
    a.subscribe(["dt/dev-b/#", "$aws/things/dev-b/#", "#"])  # granted, but filtered at delivery

    denied = a.publish("dt/dev-b/cmd", b"evil")
    assert denied.value == NOT_AUTHORIZED
    b.publish("dt/dev-b/telemetry", b"mine")
    assert b.expect("dt/dev-b/telemetry").payload == b"mine"
    with pytest.raises(TimeoutError):
        b.expect("dt/dev-b/cmd", timeout=0.5)
    with pytest.raises(TimeoutError):
        a.expect("dt/dev-b/#", timeout=0.5)

    # the broker keeps serving everyone else, including the offender
    c.subscribe("dt/dev-c/#")
    c.publish("dt/dev-c/x", b"ok")
    assert c.expect("dt/dev-c/x").payload == b"ok"
    a.subscribe("dt/dev-a/#")
    a.publish("dt/dev-a/x", b"still here")
    assert a.expect("dt/dev-a/x").payload == b"still here"


def test_device_cannot_update_another_devices_shadow(core: LocalIoTCore, device: Connect) -> None:
    _, a = device("dev-a")
    _, b = device("dev-b")
    b.subscribe("$aws/things/dev-b/shadow/update/+")
    kind, _ = b.request("$aws/things/dev-b/shadow/update", {"state": {"reported": {"v": 1}}})
    assert kind == "accepted"
    denied = a.publish("$aws/things/dev-b/shadow/update", {"state": {"reported": {"v": 666}}})
    assert denied.value == NOT_AUTHORIZED
    doc = json.loads(core.iot_data().get_thing_shadow(thingName="dev-b")["payload"].read())
    assert doc["state"]["reported"] == {"v": 1}
    assert doc["version"] == 1


def test_broadcast_is_received_but_not_publishable_by_devices(
    core: LocalIoTCore, device: Connect
) -> None:
    _, a = device("dev-a")
    _, b = device("dev-b")
    for client in (a, b):
        client.subscribe("steel-programs/broadcast/load")
    assert a.publish("steel-programs/broadcast/load", b"{}").value == NOT_AUTHORIZED
    payload = {"program_id": "blink", "auto_start": True}
    core.iot_data().publish(
        topic="steel-programs/broadcast/load", qos=1, payload=json.dumps(payload)
    )
    for client in (a, b):
        assert client.expect("steel-programs/broadcast/load").json() == payload
    with pytest.raises(TimeoutError):
        a.expect("steel-programs/broadcast/load", timeout=0.3)


def test_custom_policy_and_a_new_policy_version_apply_to_live_connections(
    core: LocalIoTCore,
) -> None:
    narrow = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["iot:Publish", "iot:Receive"],
                "Resource": "arn:aws:iot:*:*:topic/lab/${iot:Connection.Thing.ThingName}/*",
            },
        ],
    }
    creds = core.provision("dev-n", policy_name="narrow", policy_document=narrow)
    with core.connect(creds) as client:
        client.subscribe(["lab/dev-n/#", "dt/dev-n/#"])
        assert client.publish("lab/dev-n/x", b"1").value == 0
        assert client.expect("lab/dev-n/x").payload == b"1"
        assert client.publish("dt/dev-n/x", b"2").value == NOT_AUTHORIZED

        wider = json.loads(json.dumps(narrow))
        wider["Statement"][1]["Resource"] = [
            "arn:aws:iot:*:*:topic/lab/${iot:Connection.Thing.ThingName}/*",
            "arn:aws:iot:*:*:topic/dt/${iot:Connection.Thing.ThingName}/*",
        ]
        core.iot().create_policy_version(
            policyName="narrow", policyDocument=json.dumps(wider), setAsDefault=True
        )
        assert client.publish("dt/dev-n/x", b"3").value == 0
        assert client.expect("dt/dev-n/x").payload == b"3"


def test_explicit_deny_wins_over_allow(core: LocalIoTCore) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "iot:Publish",
                "Resource": "arn:aws:iot:*:*:topic/secret/*",
            },
        ],
    }
    creds = core.provision("dev-d", policy_name="almost-all", policy_document=policy)
    with core.connect(creds) as client:
        # 0x10 "no matching subscribers" is a success code (Mosquitto sends it, AWS sends 0)
        assert not client.publish("anything/goes", b"1").is_failure
        assert client.publish("secret/x", b"1").value == NOT_AUTHORIZED
