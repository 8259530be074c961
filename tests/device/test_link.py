"""DeviceLink against the real local IoT Core (Mosquitto, mutual TLS)."""

from __future__ import annotations

import queue
import time

import pytest

from emulator.device.link import DeviceLink
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.provision import ThingCredentials
from firmware.agent.events import Connected, Disconnected, Message

pytestmark = pytest.mark.integration


def wait_for(events: queue.Queue[object], kind: type, timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            continue
        if isinstance(event, kind):
            return event
    raise AssertionError(f"no {kind.__name__} within {timeout} s")


def make_link(core: LocalIoTCore, thing: str) -> tuple[DeviceLink, queue.Queue[object]]:
    return link_for(core, core.provision(thing))


def link_for(core: LocalIoTCore, creds: ThingCredentials) -> tuple[DeviceLink, queue.Queue[object]]:
    events: queue.Queue[object] = queue.Queue()
    return DeviceLink.for_thing(core.endpoint, creds, events.put, time.monotonic), events


def test_connect_subscribe_publish_and_receive(iotcore: LocalIoTCore) -> None:
    link, events = make_link(iotcore, "dev-1")
    try:
        link.connect()
        connected = wait_for(events, Connected)
        assert isinstance(connected, Connected) and connected.session_present is False
        link.subscribe([("echo/dev-1/+", 1)])
        time.sleep(0.3)
        link.publish("echo/dev-1/ping", b'{"n": 1}', qos=1)
        message = wait_for(events, Message)
        assert isinstance(message, Message)
        assert (message.topic, message.payload) == ("echo/dev-1/ping", b'{"n": 1}')
        assert link.connected and link.stats.connects == 1
    finally:
        link.close()


def test_persistent_session_keeps_messages_sent_while_offline(iotcore: LocalIoTCore) -> None:
    creds = iotcore.provision("dev-2")
    link, events = link_for(iotcore, creds)
    link.connect()
    wait_for(events, Connected)
    link.subscribe([("steel-programs/dev-2/load", 1)])
    time.sleep(0.3)
    link.close()
    iotcore.iot_data().publish(topic="steel-programs/dev-2/load", qos=1, payload=b'{"x": 1}')
    time.sleep(0.3)
    again, events2 = link_for(iotcore, creds)
    try:
        again.connect()
        connected = wait_for(events2, Connected)
        assert isinstance(connected, Connected) and connected.session_present is True
        message = wait_for(events2, Message)
        assert isinstance(message, Message) and message.payload == b'{"x": 1}'
    finally:
        again.close()


def test_sever_reports_a_disconnect_and_reconnect_resumes_the_session(
    iotcore: LocalIoTCore,
) -> None:
    link, events = make_link(iotcore, "dev-3")
    try:
        link.connect()
        wait_for(events, Connected)
        link.sever(down_for=1.0)
        lost = wait_for(events, Disconnected)
        assert isinstance(lost, Disconnected) and "fault" in lost.reason
        link.connect()  # still inside the outage
        failed = wait_for(events, Disconnected)
        assert isinstance(failed, Disconnected) and "unreachable" in failed.reason
        time.sleep(1.1)
        link.connect()
        back = wait_for(events, Connected)
        assert isinstance(back, Connected) and back.session_present is True
        assert link.stats.connect_failures == 1 and link.stats.disconnects == 1
    finally:
        link.close()


def test_a_revoked_certificate_is_refused_without_breaking_the_link(
    iotcore: LocalIoTCore,
) -> None:
    creds = iotcore.provision("dev-4")
    events: queue.Queue[object] = queue.Queue()
    iotcore.revoke(creds)
    link = DeviceLink.for_thing(iotcore.endpoint, creds, events.put, time.monotonic)
    try:
        link.connect()
        refused = wait_for(events, Disconnected)
        assert isinstance(refused, Disconnected)
        assert not link.connected
        link.connect()
        assert isinstance(wait_for(events, Disconnected), Disconnected)
    finally:
        link.close()


def test_broker_restart_is_a_disconnect_then_the_session_resumes(iotcore: LocalIoTCore) -> None:
    link, events = make_link(iotcore, "dev-5")
    try:
        link.connect()
        wait_for(events, Connected)
        link.subscribe([("cmd/dev-5/+", 1)])
        time.sleep(0.3)
        iotcore.restart_broker()
        assert isinstance(wait_for(events, Disconnected), Disconnected)
        link.connect()
        back = wait_for(events, Connected)
        assert isinstance(back, Connected) and back.session_present is True
        iotcore.iot_data().publish(topic="cmd/dev-5/led", qos=1, payload=b"on")
        message = wait_for(events, Message)
        assert isinstance(message, Message) and message.payload == b"on"
    finally:
        link.close()


def test_a_link_works_with_descriptors_above_fd_setsize(iotcore: LocalIoTCore) -> None:
    """A fleet of ~335 devices uses descriptors past 1,024, which select() refuses."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        if hard != resource.RLIM_INFINITY and hard < 1200:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} is too low for this test")
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    fillers = []
    try:
        while True:  # occupy every descriptor below 1,100
            fd = os.open(os.devnull, os.O_RDONLY)
            fillers.append(fd)
            if fd >= 1100:
                break
        link, events = make_link(iotcore, "dev-many-fds")
        try:
            link.connect()
            assert isinstance(wait_for(events, Connected), Connected)
            link.subscribe([("echo/dev-many-fds/+", 1)])
            time.sleep(0.3)
            link.publish("echo/dev-many-fds/ping", b"high", qos=1)
            message = wait_for(events, Message)
            assert isinstance(message, Message) and message.payload == b"high"
            assert link.connected and link.stats.connects == 1
        finally:
            link.close()
    finally:
        for fd in fillers:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
