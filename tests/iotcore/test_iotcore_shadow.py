"""The Device Shadow service over real MQTT/TLS and through boto3 ``iot-data``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore

from .conftest import Connect

pytestmark = pytest.mark.integration


def shadow_client(client: MqttThing, thing: str, name: str = "") -> str:
    prefix = f"$aws/things/{thing}/shadow" + (f"/name/{name}" if name else "")
    client.subscribe([f"{prefix}/get/+", f"{prefix}/update/+", f"{prefix}/delete/+"])
    return prefix


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response: Any = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_update_get_delta_documents_delete_over_mqtt(device: Connect) -> None:
    _, dev = device("dev-1")
    p = shadow_client(dev, "dev-1")
    kind, acc = dev.request(
        f"{p}/update", {"state": {"reported": {"led": "off"}}, "clientToken": "1"}
    )
    assert (kind, acc["version"], acc["clientToken"]) == ("accepted", 1, "1")
    docs = dev.expect(f"{p}/update/documents").json()
    assert docs["current"]["state"] == {"reported": {"led": "off"}}

    kind, acc = dev.request(
        f"{p}/update", {"state": {"desired": {"led": "on"}}, "clientToken": "2"}
    )
    assert kind == "accepted"
    delta = dev.expect(f"{p}/update/delta").json()
    assert (delta["state"], delta["version"], delta["clientToken"]) == ({"led": "on"}, 2, "2")
    docs = dev.expect(f"{p}/update/documents", where=lambda m: m.json()["current"]["version"] == 2)
    assert docs.json()["previous"]["state"] == {"reported": {"led": "off"}}

    kind, got = dev.request(f"{p}/get", {"clientToken": "3"})
    assert kind == "accepted"
    assert got["state"] == {
        "desired": {"led": "on"},
        "reported": {"led": "off"},
        "delta": {"led": "on"},
    }
    assert set(got["metadata"]) == {"desired", "reported"}

    kind, deleted = dev.request(f"{p}/delete", {"clientToken": "4"})
    assert (kind, deleted["version"]) == ("accepted", 2)
    kind, missing = dev.request(f"{p}/get", {"clientToken": "5"})
    assert (kind, missing["code"]) == ("rejected", 404)


def test_named_shadows_over_mqtt_and_rest(core: LocalIoTCore, device: Connect) -> None:
    _, dev = device("dev-1")
    p = shadow_client(dev, "dev-1", "ota")
    kind, _ = dev.request(f"{p}/update", {"state": {"reported": {"fw": "1.0"}}, "clientToken": "a"})
    assert kind == "accepted"
    data = core.iot_data()
    data.update_thing_shadow(thingName="dev-1", shadowName="config", payload=b'{"state":{}}')
    listed = data.list_named_shadows_for_thing(thingName="dev-1")
    assert listed["results"] == ["config", "ota"]
    doc = json.loads(data.get_thing_shadow(thingName="dev-1", shadowName="ota")["payload"].read())
    assert doc["state"]["reported"] == {"fw": "1.0"}
    with pytest.raises(ClientError) as exc:
        data.get_thing_shadow(thingName="dev-1")  # the classic shadow was never created
    assert error_code(exc) == ("ResourceNotFoundException", 404)


def test_rest_update_reaches_the_device_as_aws_would_send_it(
    core: LocalIoTCore, device: Connect
) -> None:
    _, dev = device("dev-1")
    p = shadow_client(dev, "dev-1")
    dev.request(f"{p}/update", {"state": {"reported": {"temp": 20}}, "clientToken": "r"})
    update = {"state": {"desired": {"temp": 22}}, "clientToken": "from-cloud"}
    out = core.iot_data().update_thing_shadow(thingName="dev-1", payload=json.dumps(update))
    accepted = json.loads(out["payload"].read())
    assert (accepted["version"], accepted["clientToken"]) == (2, "from-cloud")
    assert dev.expect(f"{p}/update/accepted", where=lambda m: m.json()["version"] == 2)
    delta = dev.expect(f"{p}/update/delta").json()
    assert (delta["state"], delta["clientToken"]) == ({"temp": 22}, "from-cloud")
    core.iot_data().delete_thing_shadow(thingName="dev-1")
    assert dev.expect(f"{p}/delete/accepted").json()["version"] == 2


def test_rest_errors_carry_aws_error_types(core: LocalIoTCore) -> None:
    data = core.iot_data()
    data.update_thing_shadow(thingName="dev-1", payload=b'{"state":{"reported":{"a":1}}}')
    cases: list[tuple[bytes, tuple[str, int]]] = [
        (b'{"state":{},"version":7}', ("ConflictException", 409)),
        (b"{broken", ("InvalidRequestException", 400)),
        (b'{"nostate":1}', ("InvalidRequestException", 400)),
        (
            json.dumps({"state": {"reported": {"x": "y" * 9000}}}).encode(),
            ("RequestEntityTooLargeException", 413),
        ),
    ]
    for payload, expected in cases:
        with pytest.raises(ClientError) as exc:
            data.update_thing_shadow(thingName="dev-1", payload=payload)
        assert error_code(exc) == expected
    with pytest.raises(ClientError) as exc:
        data.delete_thing_shadow(thingName="dev-1", shadowName="nope")
    assert error_code(exc) == ("ResourceNotFoundException", 404)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{this is not json", 400),
        (b'{"clientToken":"t"}', 400),
        (
            json.dumps({"state": {"reported": {"big": "x" * 9000}}, "clientToken": "t"}).encode(),
            413,
        ),
        (b'{"state":{"reported":{"a":1}},"version":42,"clientToken":"t"}', 409),
        (b"\xc3\x28", 415),
    ],
)
def test_bad_mqtt_updates_are_rejected_and_the_service_keeps_serving(
    device: Connect, payload: bytes, code: int
) -> None:
    _, dev = device("dev-1")
    p = shadow_client(dev, "dev-1")
    dev.publish(f"{p}/update", payload)
    rejected = dev.expect(f"{p}/update/rejected").json()
    assert rejected["code"] == code
    kind, ok = dev.request(f"{p}/update", {"state": {"reported": {"fine": 1}}, "clientToken": "ok"})
    assert (kind, ok["version"]) == ("accepted", 1)


def test_payload_over_the_mqtt_limit_disconnects_only_the_sender(device: Connect) -> None:
    _, big = device("dev-big")
    _, other = device("dev-ok")
    big.publish("dt/dev-big/blob", b"x" * (200 * 1024), qos=0)
    assert big.wait_disconnected(5) is not None
    other.subscribe("dt/dev-ok/#")
    other.publish("dt/dev-ok/ping", b"1")
    assert other.expect("dt/dev-ok/ping").payload == b"1"


def test_shadows_survive_a_restart_of_the_whole_core(tmp_path: Path) -> None:
    directory = tmp_path / "iotcore"
    with LocalIoTCore(directory) as core:
        creds = core.provision("dev-1")
        core.iot_data().update_thing_shadow(
            thingName="dev-1", payload=b'{"state":{"desired":{"a":1}}}'
        )
        core.iot_data().update_thing_shadow(
            thingName="dev-1", shadowName="ota", payload=b'{"state":{"reported":{"fw":"2"}}}'
        )
    with LocalIoTCore(directory) as core:
        doc = json.loads(core.iot_data().get_thing_shadow(thingName="dev-1")["payload"].read())
        assert (doc["state"]["desired"], doc["version"]) == ({"a": 1}, 1)
        assert core.iot_data().list_named_shadows_for_thing(thingName="dev-1")["results"] == ["ota"]
        # the registry came back too: the same certificate still connects
        assert core.iot().describe_thing(thingName="dev-1")["thingName"] == "dev-1"
        with core.connect(creds) as dev:
            p = shadow_client(dev, "dev-1")
            kind, acc = dev.request(
                f"{p}/update", {"state": {"reported": {"a": 1}}, "clientToken": "x"}
            )
            assert (kind, acc["version"]) == ("accepted", 2)
