"""Broker restarts (the harness's fault injection): nothing acknowledged at QoS 1 is lost."""

from __future__ import annotations

import os
import signal
import time

import pytest

from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.provision import ThingCredentials

pytestmark = pytest.mark.integration

LAB_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["iot:Publish", "iot:Receive"],
            "Resource": "arn:aws:iot:*:*:topic/lab/*",
        },
        {
            "Effect": "Allow",
            "Action": ["iot:Publish", "iot:Receive"],
            "Resource": "arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/*",
        },
    ],
}


def lab_things(core: LocalIoTCore) -> tuple[ThingCredentials, ThingCredentials]:
    pub = core.provision("dev-pub", policy_name="lab", policy_document=LAB_POLICY)
    sub = core.provision("dev-sub", policy_name="lab")
    return pub, sub


def persistent(core: LocalIoTCore, creds: ThingCredentials) -> MqttThing:
    return core.connect(creds, clean_start=False, session_expiry=3600)


def payloads(client: MqttThing, count: int, timeout: float = 20.0) -> list[bytes]:
    """Collect ``count`` distinct payloads (QoS 1 may redeliver; duplicates are allowed)."""
    seen: dict[bytes, None] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < count and time.monotonic() < deadline:
        try:
            seen[client.expect("lab/#", timeout=max(0.1, deadline - time.monotonic())).payload] = (
                None
            )
        except TimeoutError:
            break
    return list(seen)


def test_messages_queued_for_an_offline_persistent_session_survive_a_restart(
    core: LocalIoTCore,
) -> None:
    pub_creds, sub_creds = lab_things(core)
    sub = persistent(core, sub_creds)
    sub.subscribe("lab/#", qos=1)
    sub.close()
    with core.connect(pub_creds) as pub:
        for i in range(200):
            assert not pub.publish("lab/seq", str(i).encode()).is_failure
    core.restart_broker()
    sub = persistent(core, sub_creds)
    try:
        assert sub.session_present
        assert payloads(sub, 200) == [str(i).encode() for i in range(200)]
    finally:
        sub.close()


def test_connected_subscriber_loses_nothing_acknowledged_across_a_restart(
    core: LocalIoTCore,
) -> None:
    pub_creds, sub_creds = lab_things(core)
    sub = persistent(core, sub_creds)
    try:
        sub.subscribe("lab/#", qos=1)
        with core.connect(pub_creds) as pub:
            for i in range(500):
                assert not pub.publish("lab/burst", f"m{i}".encode()).is_failure
        core.restart_broker(down_for=0.3)
        got = payloads(sub, 500)
        assert sorted(got) == sorted(f"m{i}".encode() for i in range(500))
    finally:
        sub.close()


def test_retained_messages_and_services_survive_a_restart(core: LocalIoTCore) -> None:
    pub_creds, sub_creds = lab_things(core)
    with core.connect(pub_creds) as pub:
        pub.publish("lab/config", b"retained", retain=True)
    core.restart_broker()
    with core.connect(sub_creds) as sub:
        sub.subscribe("lab/config")
        message = sub.expect("lab/config")
        assert (message.payload, message.retain) == (b"retained", True)
        sub.subscribe("$aws/things/dev-sub/shadow/update/+")
        kind, _ = sub.request(
            "$aws/things/dev-sub/shadow/update",
            {"state": {"reported": {"up": 1}}, "clientToken": "r"},
        )
        assert kind == "accepted"


def test_requests_queued_while_the_services_are_offline_are_answered_in_order(
    core: LocalIoTCore,
) -> None:
    """The services hold a persistent session: requests published while they are offline
    wait in the broker and are answered when they come back."""
    _, sub_creds = lab_things(core)
    with core.connect(sub_creds) as dev:
        dev.subscribe("$aws/things/dev-sub/shadow/update/+")
        core.pause_services()
        for n in range(3):
            update = {"state": {"reported": {"n": n}}, "clientToken": f"q{n}"}
            assert not dev.publish("$aws/things/dev-sub/shadow/update", update).is_failure
        with pytest.raises(TimeoutError):
            dev.expect("$aws/things/dev-sub/shadow/update/accepted", timeout=0.5)
        core.resume_services()
        for n in range(3):
            accepted = dev.expect("$aws/things/dev-sub/shadow/update/accepted").json()
            assert (accepted["clientToken"], accepted["version"]) == (f"q{n}", n + 1)


def test_a_crashed_broker_is_restarted_by_the_supervisor(core: LocalIoTCore) -> None:
    creds = core.provision("dev-1")
    first_pid = core.broker_pid
    assert first_pid is not None
    os.kill(first_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while core.broker_pid == first_pid and time.monotonic() < deadline:
        time.sleep(0.05)
    assert core.wait_ready(10)
    assert core.broker_pid != first_pid
    with core.connect(creds) as dev:
        dev.subscribe("$aws/things/dev-1/shadow/get/+")
        kind, body = dev.request("$aws/things/dev-1/shadow/get", {"clientToken": "g"})
        assert (kind, body["code"]) == ("rejected", 404)


def test_the_same_core_object_restarts_on_the_same_ports(core: LocalIoTCore) -> None:
    """A whole-IoT-Core outage: stop() and start() again; devices reconnect as they were."""
    creds = core.provision("dev-1")
    before = core.endpoint
    core.iot_data().update_thing_shadow(thingName="dev-1", payload=b'{"state":{"desired":{"a":1}}}')
    core.stop()
    assert not core.running
    assert core.start() == before
    with core.connect(creds) as dev:
        dev.subscribe("$aws/things/dev-1/shadow/get/+")
        kind, body = dev.request("$aws/things/dev-1/shadow/get", {"clientToken": "g"})
        assert (kind, body["state"]["desired"], body["version"]) == ("accepted", {"a": 1}, 1)
