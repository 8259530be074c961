"""Issue 10, items 1-3: shadow documents and API publishes that used to stop the services.

Each attack runs against the real broker and services, and ends with another device being
answered (shadow and jobs) by services that never lost their broker connection.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.limits import MAX_PAYLOAD_BYTES

from .conftest import Connect
from .hostile import Bystander, assert_clean_reply, assert_core_serves

pytestmark = pytest.mark.integration

TOO_LARGE = "The payload exceeds the maximum size allowed"


@pytest.fixture
def bystander(core: LocalIoTCore, device: Connect) -> Bystander:
    _, client = device("bystander")
    return Bystander(core, client, "bystander")


def attacker(device: Connect, thing: str = "dev-a") -> tuple[MqttThing, str]:
    _, client = device(thing)
    prefix = f"$aws/things/{thing}/shadow"
    client.subscribe([f"{prefix}/#"])  # every message about its shadow, to measure them
    return client, prefix


def update(client: MqttThing, prefix: str, body: bytes | dict[str, Any]) -> tuple[str, Any]:
    """Publish an update (raw bytes as given) and return the accepted/rejected reply."""
    client.publish(f"{prefix}/update", body)
    reply = client.expect(f"{prefix}/update/+", where=lambda m: m.topic.endswith("ed"))
    return reply.topic.rsplit("/", 1)[1], assert_clean_reply(reply.payload)


def api_error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response: Any = exc.value.response
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


# --- item 1: amplification --------------------------------------------------------------------


def test_an_update_whose_metadata_would_outgrow_a_message_is_refused_with_413(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    """4,000 array elements are under 8 KB of state, but one metadata timestamp each makes
    the document about 100 KB, and /update/documents carries two of them."""
    client, prefix = attacker(device)
    body = json.dumps({"state": {"reported": {"a": [1] * 4000}}}).encode()  # ~12 KB, as sent
    assert len(body) > 12000
    for _ in range(3):
        kind, rej = update(client, prefix, body)
        assert (kind, rej["code"], rej["message"]) == ("rejected", 413, TOO_LARGE)
    with pytest.raises(ClientError) as exc:
        core.iot_data().update_thing_shadow(thingName="dev-a", payload=body)
    assert api_error(exc)[:2] == ("RequestEntityTooLargeException", 413)
    # a smaller array still works, and every message the core sent fits the limit
    kind, _ = update(client, prefix, {"state": {"reported": {"a": [1] * 1000}}})
    assert kind == "accepted"
    kind, _ = update(client, prefix, {"state": {"reported": {"b": 2}}})
    assert kind == "accepted"
    for message in client.received(f"{prefix}/#"):
        assert len(message.payload) <= MAX_PAYLOAD_BYTES
    assert_core_serves(core, bystander)


def test_an_update_whose_accepted_echo_would_be_too_large_is_refused(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    """10,000 deletions store nothing, but /update/accepted echoes each with its timestamp."""
    client, prefix = attacker(device)
    deletions = {f"k{i}": None for i in range(10000)}
    body = json.dumps({"state": {"reported": deletions}}, separators=(",", ":")).encode()
    assert len(body) < MAX_PAYLOAD_BYTES
    kind, rej = update(client, prefix, body)
    assert (kind, rej["code"], rej["message"]) == ("rejected", 413, TOO_LARGE)
    assert_core_serves(core, bystander)


# --- item 2: oversized API publish --------------------------------------------------------------


def test_an_api_publish_over_128_kb_is_refused_and_one_of_128_kb_delivered(
    core: LocalIoTCore, device: Connect, bystander: Bystander
) -> None:
    _, dev = device("dev-a")
    dev.subscribe("dt/dev-a/big")
    with pytest.raises(ClientError) as exc:
        core.iot_data().publish(topic="dt/dev-a/big", qos=1, payload=b"x" * 200_000)
    assert api_error(exc) == ("RequestEntityTooLargeException", 413, TOO_LARGE)
    core.iot_data().publish(topic="dt/dev-a/big", qos=1, payload=b"y" * MAX_PAYLOAD_BYTES)
    assert dev.expect("dt/dev-a/big").payload == b"y" * MAX_PAYLOAD_BYTES
    assert_core_serves(core, bystander)


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("dt/dev-a/\x00nul", "U+0000"),
        ("dt/dev-a/line\nbreak", "U+000A"),
        ("dt/dev-a/\x7f", "U+007F"),
        ("dt/dev-a/\ufffe", "U+FFFE"),
        ("dt/dev-a/" + "x" * 250, "256 bytes"),
        ("a/b/c/d/e/f/g/h/i", "7 slashes"),
        ("dt/dev-a/+", "wildcards"),
    ],
)
def test_an_api_publish_to_a_topic_the_broker_or_aws_refuses_is_refused(
    core: LocalIoTCore, bystander: Bystander, topic: str, reason: str
) -> None:
    with pytest.raises(ClientError) as exc:
        core.iot_data().publish(topic=topic, qos=1, payload=b"{}")
    code, status, message = api_error(exc)
    assert (code, status) == ("InvalidRequestException", 400)
    assert reason in message
    assert_core_serves(core, bystander)


# --- item 3: poison ---------------------------------------------------------------------------

LONE_SURROGATE = b'{"state":{"reported":{"s":"\\ud800"}}}'
HUGE_NUMBER = b'{"state":{"reported":{"x":1e400}}}'
DEEP = b'{"state":{"reported":' + b'{"a":' * 10000 + b"1" + b"}" * 10000 + b"}}"
LONG_INTEGER = b'{"state":{"reported":{"x":' + b"7" * 5000 + b"}}}"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (LONE_SURROGATE, "Invalid JSON: a string holds a lone surrogate (U+D800-U+DFFF)"),
        (HUGE_NUMBER, "Invalid JSON: the number 1e400 is out of range"),
        (DEEP, "JSON contains too many levels of nesting; maximum is 6"),
        (LONG_INTEGER, "Invalid JSON: the number 777777777777777777777... is out of range"),
        (b'{"state":{"reported":{"x":NaN}}}', "Invalid JSON: NaN is not a JSON value"),
    ],
    ids=["lone-surrogate", "1e400", "10000-deep", "5000-digits", "NaN"],
)
def test_a_poisonous_update_is_refused_before_anything_is_stored(
    core: LocalIoTCore, device: Connect, bystander: Bystander, body: bytes, message: str
) -> None:
    client, prefix = attacker(device)
    kind, _ = update(client, prefix, {"state": {"reported": {"ok": 1}}})
    assert kind == "accepted"
    kind, rej = update(client, prefix, body)
    assert (kind, rej["code"], rej["message"]) == ("rejected", 400, message)
    with pytest.raises(ClientError) as exc:
        core.iot_data().update_thing_shadow(thingName="dev-a", payload=body)
    assert api_error(exc) == ("InvalidRequestException", 400, message)
    # nothing was stored: the shadow answers as before, over MQTT and REST, and after a restart
    kind, acc = update(client, prefix, {"state": {"reported": {"ok": 2}}})
    assert (kind, acc["version"]) == ("accepted", 2)
    core.stop()
    core.start()
    doc = json.loads(core.iot_data().get_thing_shadow(thingName="dev-a")["payload"].read())
    # (QoS 1 may hand the services the last request again after the restart: version >= 2)
    assert doc["state"]["reported"] == {"ok": 2} and doc["version"] >= 2
    fresh = core.connect(core.provision("bystander-2"))
    try:
        assert_core_serves(core, Bystander(core, fresh, "bystander-2"), connects=2)
    finally:
        fresh.close()


def test_a_shadow_poisoned_by_an_older_version_is_dropped_at_start(
    core: LocalIoTCore, bystander: Bystander
) -> None:
    """State written before the checks existed (a lone surrogate on disk) costs that one
    shadow, not the core: the others load and every thing is answered."""
    core.iot_data().update_thing_shadow(thingName="good", payload=b'{"state":{"desired":{"a":1}}}')
    core.stop()
    poisoned = core.directory / "state" / "shadows" / "bad" / "@classic.json"
    poisoned.parent.mkdir(parents=True)
    poisoned.write_text(
        '{"shadow":{"desired":null,"reported":{"s":"\\ud800"},"meta_desired":{},'
        '"meta_reported":{"s":{"timestamp":1}},"version":3}}'
    )
    core.start()
    iot_data = core.iot_data()
    good = json.loads(iot_data.get_thing_shadow(thingName="good")["payload"].read())
    assert good["state"]["desired"] == {"a": 1}
    with pytest.raises(ClientError) as exc:
        iot_data.get_thing_shadow(thingName="bad")
    assert api_error(exc)[:2] == ("ResourceNotFoundException", 404)
    fresh = core.connect(core.provision("bystander-2"))
    try:
        assert_core_serves(core, Bystander(core, fresh, "bystander-2"), connects=2)
    finally:
        fresh.close()
