"""Unit tests of the ServiceHost that runs the cores: routing, persistence, output order."""

from __future__ import annotations

import json
from pathlib import Path

from emulator.iotcore.clock import ManualClock
from emulator.iotcore.jobs import JobsService, Target
from emulator.iotcore.messages import Publish
from emulator.iotcore.services import ServiceHost
from emulator.iotcore.shadow import ShadowService
from emulator.iotcore.store import StateStore


def host(tmp_path: Path) -> tuple[ServiceHost, list[Publish], ManualClock]:
    clock = ManualClock(start=1_700_000_000.0)
    services = ServiceHost(ShadowService(), JobsService(), StateStore(tmp_path), clock)
    sent: list[Publish] = []
    services.attach(sent.append)
    return services, sent, clock


def test_routing_is_by_topic_level_not_substring(tmp_path: Path) -> None:
    """Things may be named "jobs" or "shadow"; the fourth topic level decides the service."""
    services, sent, _ = host(tmp_path)
    services.on_message("$aws/things/jobs/shadow/update", b'{"state":{"reported":{"a":1}}}')
    assert sent[0].topic == "$aws/things/jobs/shadow/update/accepted"
    services.on_message("$aws/things/shadow/jobs/get", b'{"clientToken":"c"}')
    assert sent[-1].topic == "$aws/things/shadow/jobs/get/accepted"
    services.on_message("dt/dev-1/x", b"{}")
    services.on_message("$aws/things", b"{}")
    assert len(sent) == 3  # accepted + documents, then the jobs answer; nothing for the rest


def test_changes_are_on_disk_before_the_answer_and_survive_a_new_host(tmp_path: Path) -> None:
    services, _, clock = host(tmp_path)
    order: list[str] = []

    def send(message: Publish) -> None:
        order.append("sent:" + str((tmp_path / "shadows" / "dev-1" / "@classic.json").exists()))

    services.attach(send)
    services.on_message("$aws/things/dev-1/shadow/update", b'{"state":{"desired":{"x":1}}}')
    assert order[0] == "sent:True"
    target = Target("arn:aws:iot:us-east-1:123456789012:thing/dev-1", ("dev-1",))
    services.run(lambda now: services.jobs.create_job("j1", {"document": "{}"}, [target], now))

    fresh, _, _ = host(tmp_path)
    fresh.load()
    doc = fresh.shadows.get("dev-1", "", clock.now())
    assert doc["state"]["desired"] == {"x": 1}
    assert fresh.jobs.describe_job("j1")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 1
    assert json.loads((tmp_path / "jobs" / "j1.json").read_text())["job"]["job_id"] == "j1"


def test_output_is_held_while_detached_and_a_bad_message_costs_nothing(tmp_path: Path) -> None:
    services, sent, _ = host(tmp_path)
    services.attach(None)
    services.on_message("$aws/things/dev-1/shadow/get", b"")
    services.on_message("$aws/things/dev-1/jobs/x/update", b"\xff\xfe")
    assert sent == []
    services.attach(sent.append)
    assert [p.topic.rsplit("/", 1)[1] for p in sent] == ["rejected", "rejected"]
