"""Issue 10, items 9 and 10 end to end: virtual boards running the firmware against the real
local IoT Core. A program's topic with a character brokers refuse, and a request nested
10,000 levels deep, are refused by the device, which stays connected (no reconnect loop) and
takes the next program; the device beside it is unaffected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.device.fleet import Fleet
from emulator.iotcore.client import Message, MqttThing
from emulator.iotcore.core import LocalIoTCore

pytestmark = pytest.mark.integration

TRACE: list[tuple[str, str, dict[str, Any]]] = []


@pytest.fixture
def fleet(iotcore: LocalIoTCore, tmp_path: Path) -> Iterator[Fleet]:
    TRACE.clear()
    with Fleet(iotcore, tmp_path / "fleet", trace=lambda *e: TRACE.append(e)) as f:
        yield f


@pytest.fixture
def cloud(iotcore: LocalIoTCore, fleet: Fleet) -> Iterator[MqttThing]:
    with iotcore.connect(fleet.observer_credentials()) as client:
        client.subscribe(["steel-programs/+/status", "alerts/#"])
        yield client


def connects(thing: str) -> int:
    return sum(
        1 for t, kind, f in TRACE if t == thing and kind == "session" and f["state"] == "connected"
    )


def status(cloud: MqttThing, thing: str, state: str, timeout: float = 30.0) -> dict[str, Any]:
    def wanted(m: Message) -> bool:
        return bool(m.json().get("state") == state)

    body: dict[str, Any] = cloud.expect(
        f"steel-programs/{thing}/status", timeout=timeout, where=wanted
    ).json()
    return body


def load(cloud: MqttThing, thing: str, program_id: str, source: str) -> None:
    body = json.dumps({"program_id": program_id, "source": source}).encode()
    cloud.publish(f"steel-programs/{thing}/load", body, qos=1)


def settled(fleet: Fleet, cloud: MqttThing) -> None:
    """Both devices up, the bystander running a program that keeps publishing."""
    fleet.add("dev-h")
    fleet.add("dev-b")
    fleet.wait_ready("dev-h", "dev-b")
    load(cloud, "dev-b", "b", '(mqtt-publish "alerts/ok" "1")')
    assert status(cloud, "dev-b", "finished")["program_id"] == "b"


def assert_fine_after(fleet: Fleet, cloud: MqttThing, connected_before: int) -> None:
    assert fleet.call(lambda: fleet.devices["dev-h"].agent.connected)
    assert connects("dev-h") == connected_before, "the device reconnected"
    load(cloud, "dev-h", "next", '(mqtt-publish "alerts/next" "2")')
    assert status(cloud, "dev-h", "finished")["program_id"] == "next"
    assert cloud.expect("alerts/dev-h/next", timeout=20).payload == b"2"
    load(cloud, "dev-b", "b2", '(mqtt-publish "alerts/ok" "3")')
    assert status(cloud, "dev-b", "finished")["program_id"] == "b2"


@pytest.mark.parametrize(
    "source",
    [
        '(mqtt-publish "alerts/a\x00b" "x")',
        '(mqtt-publish "alerts/\x1b[31m" "x")',
        '(mqtt-publish "alerts/\x7f" "x")',
        '(mqtt-subscribe "cmd/\x0a/#" (lambda (t p) 1))',
        '(mqtt-subscribe "cmd/\uffff" (lambda (t p) 1))',
    ],
    ids=["nul", "escape", "del", "newline-filter", "uffff-filter"],
)
def test_a_topic_brokers_refuse_is_a_contract_violation_not_a_reconnect_loop(
    fleet: Fleet, cloud: MqttThing, source: str
) -> None:
    settled(fleet, cloud)
    before = connects("dev-h")
    load(cloud, "dev-h", "bad", source)
    failed = status(cloud, "dev-h", "error")
    assert failed["error"]["kind"] == "ContractViolation"
    assert "is not allowed in a topic" in failed["error"]["message"]
    assert_fine_after(fleet, cloud, before)


@pytest.mark.parametrize("command", ["load", "start", "stop", "unload"])
def test_a_request_nested_10000_deep_is_rejected_as_invalid_json(
    fleet: Fleet, cloud: MqttThing, command: str
) -> None:
    settled(fleet, cloud)
    before = connects("dev-h")
    deep = b'{"program_id":"p","x":' + b"[" * 10000 + b"]" * 10000 + b"}"
    cloud.publish(f"steel-programs/dev-h/{command}", deep, qos=1)
    rejected = status(cloud, "dev-h", "rejected")
    assert (rejected["reason"], rejected["request"]) == ("invalid-json", command)
    assert fleet.call(lambda: fleet.devices["dev-h"].agent.metrics.internal_errors) == 0
    assert_fine_after(fleet, cloud, before)
