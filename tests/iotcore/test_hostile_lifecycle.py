"""Issue 10, items 11-13: the core's lifecycle under faults: a killed ``up``, a second ``up``
on the same directory, a broker killed with messages queued."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.processes import alive
from emulator.iotcore.provision import ThingCredentials

from .test_iotcore_restart import LAB_POLICY

pytestmark = pytest.mark.integration

IOTCORE = [sys.executable, "-m", "emulator.iotcore.cli"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*IOTCORE, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def wait_for(condition: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.05)
    return False


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def broker_pid(directory: Path) -> int:
    try:
        return int((directory / "broker" / "mosquitto.pid").read_text().strip())
    except (OSError, ValueError):
        return 0


def shadow_answered(endpoint: Endpoint, creds: ThingCredentials) -> bool:
    with MqttThing(endpoint, creds).connect() as dev:
        prefix = f"$aws/things/{creds.thing_name}/shadow"
        dev.subscribe(f"{prefix}/update/+")
        kind, _ = dev.request(f"{prefix}/update", {"state": {"reported": {"up": 1}}})
        return kind == "accepted"


# --- item 11: down after up was killed --------------------------------------------------------


@pytest.mark.slow
def test_down_stops_the_broker_a_killed_up_left_even_after_a_supervised_restart(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "core"
    assert run("up", "--dir", str(directory), "--detach").returncode == 0
    endpoint = Endpoint.load(directory)
    info = json.loads((directory / "iotcore.json").read_text())
    first = info["broker_pid"]
    try:
        os.kill(first, signal.SIGKILL)  # the supervisor restarts it under a new pid
        assert wait_for(lambda: broker_pid(directory) not in (0, first))
        assert wait_for(lambda: listening(endpoint.mqtt_port))
        second = broker_pid(directory)
        os.kill(info["pid"], signal.SIGKILL)  # and now `up` dies without cleaning up
        assert wait_for(lambda: not alive(info["pid"]))
        assert alive(second) and listening(endpoint.mqtt_port)
        down = run("down", "--dir", str(directory))
        assert down.returncode == 0, down.stderr
        assert f"pid {second}" in down.stderr
        assert wait_for(lambda: not alive(second))
        assert not listening(endpoint.mqtt_port)
        status = run("status", "--dir", str(directory))
        assert status.returncode == 3 and json.loads(status.stdout)["broker_pids"] == []
    finally:
        for pid in (info["pid"], broker_pid(directory)):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# --- item 12: the same ports on the same directory --------------------------------------------


@pytest.mark.slow
def test_up_again_on_a_directory_keeps_its_ports_so_devices_reconnect(tmp_path: Path) -> None:
    directory = tmp_path / "core"
    assert run("up", "--dir", str(directory), "--detach").returncode == 0
    try:
        before = Endpoint.load(directory)
        out = run("provision", "kept", "--dir", str(directory))
        creds = ThingCredentials.from_json(json.loads(out.stdout))
    finally:
        assert run("down", "--dir", str(directory)).returncode == 0
    assert run("up", "--dir", str(directory), "--detach").returncode == 0
    try:
        after = Endpoint.load(directory)
        assert (after.mqtt_port, after.api_endpoint_url) == (
            before.mqtt_port,
            before.api_endpoint_url,
        )
        assert shadow_answered(before, creds)  # with what it was provisioned with
    finally:
        assert run("down", "--dir", str(directory)).returncode == 0
    # a kept port that something else took: a clear refusal, and --port 0 for a new one
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", before.mqtt_port))
        squatter.listen()
        refused = run("up", "--dir", str(directory), "--detach")
        assert refused.returncode == 1
        assert f"port {before.mqtt_port}" in refused.stderr and "--port" in refused.stderr
        moved = run("up", "--dir", str(directory), "--detach", "--port", "0")
        try:
            assert moved.returncode == 0, moved.stderr
            assert Endpoint.load(directory).mqtt_port != before.mqtt_port
        finally:
            run("down", "--dir", str(directory))


# --- item 13: queued messages and a broker crash ----------------------------------------------


def queue_for_offline_subscriber(core: LocalIoTCore, count: int) -> ThingCredentials:
    pub = core.provision("dev-pub", policy_name="lab", policy_document=LAB_POLICY)
    sub = core.provision("dev-sub", policy_name="lab")
    with core.connect(sub, clean_start=False, session_expiry=3600) as subscriber:
        subscriber.subscribe("lab/#", qos=1)
    with core.connect(pub) as publisher:
        for i in range(count):
            assert not publisher.publish("lab/q", f"queued-{i:04d}".encode()).is_failure
    return sub


def collect(core: LocalIoTCore, creds: ThingCredentials, count: int) -> tuple[bool, list[bytes]]:
    with core.connect(creds, clean_start=False, session_expiry=3600) as subscriber:
        seen: dict[bytes, None] = {}
        while len(seen) < count:
            try:
                seen[subscriber.expect("lab/#", timeout=3).payload] = None
            except TimeoutError:
                break
        return subscriber.session_present, list(seen)


def test_queued_messages_survive_a_broker_sigkill_with_the_default_autosave(
    core: LocalIoTCore,
) -> None:
    sub = queue_for_offline_subscriber(core, 1000)
    db = core.directory / "broker" / "mosquitto.db"
    # The broker writes after the pass that queued the last message; wait for that write
    # (bounded), then crash it.
    assert wait_for(lambda: db.exists() and b"queued-0999" in db.read_bytes(), 10)
    core.restart_broker(hard=True)
    present, got = collect(core, sub, 1000)
    assert present
    assert got == [f"queued-{i:04d}".encode() for i in range(1000)]


def test_a_rare_autosave_loses_what_was_queued_on_a_sigkill(tmp_path: Path) -> None:
    """The trade-off the setting makes: with a save every hour, a crash loses the hour."""
    with LocalIoTCore(tmp_path / "core", autosave="seconds:3600") as core:
        assert core.autosave.mode == "seconds"
        sub = queue_for_offline_subscriber(core, 50)
        core.restart_broker(hard=True)
        present, got = collect(core, sub, 50)
        assert not present and got == []


def test_autosave_values_are_checked() -> None:
    with pytest.raises(ValueError, match="every-change, changes:N, seconds:N or on-exit"):
        LocalIoTCore("/nonexistent", autosave="sometimes")
