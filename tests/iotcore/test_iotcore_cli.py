"""``steelhil iotcore`` end to end, in subprocesses: up, status, provision, down, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.iotcore.client import MqttThing
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials

pytestmark = [pytest.mark.integration, pytest.mark.slow]

IOTCORE = [sys.executable, "-m", "emulator.iotcore.cli"]
STEELHIL = [sys.executable, "-m", "harness.cli", "iotcore"]


def run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid)


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "zombie"
    return status.split("State:", 1)[1].split("\n", 1)[0].lower()


def wait_dead(pid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def shadow_round_trip(endpoint: Endpoint, creds: ThingCredentials) -> dict[str, Any]:
    with MqttThing(endpoint, creds).connect() as dev:
        dev.subscribe(f"$aws/things/{creds.thing_name}/shadow/update/+")
        kind, body = dev.request(
            f"$aws/things/{creds.thing_name}/shadow/update",
            {"state": {"reported": {"ok": 1}}, "clientToken": "cli"},
        )
        assert kind == "accepted"
        result: dict[str, Any] = body
        return result


def test_detached_up_status_provision_down_through_steelhil(tmp_path: Path) -> None:
    directory = tmp_path / "core"
    up = run([*STEELHIL, "up", "--dir", str(directory), "--detach"])
    assert up.returncode == 0, up.stderr
    endpoint = Endpoint.from_json(json.loads(up.stdout))
    assert endpoint == Endpoint.load(directory / "endpoint.json")
    assert {"mqtt_host", "mqtt_port", "ca_file", "api_endpoint_url", "region"} <= set(
        json.loads((directory / "endpoint.json").read_text())
    )
    try:
        status = run([*STEELHIL, "status", "--dir", str(directory)])
        assert status.returncode == 0, status.stdout
        assert json.loads(status.stdout)["running"] is True

        again = run([*STEELHIL, "up", "--dir", str(directory), "--detach"])
        assert again.returncode == 1
        assert "already running" in again.stderr

        provisioned = run([*STEELHIL, "provision", "cli-dev", "--dir", str(directory)])
        assert provisioned.returncode == 0, provisioned.stderr
        out = json.loads(provisioned.stdout)  # stdout holds only JSON
        assert {"thing_name", "cert_file", "key_file"} <= set(out)
        assert out["mqtt_port"] == endpoint.mqtt_port  # a number, as in endpoint.json
        creds = ThingCredentials.from_json(out)
        assert shadow_round_trip(endpoint, creds)["version"] == 1

        bad = run([*STEELHIL, "provision", "no spaces allowed", "--dir", str(directory)])
        assert (bad.returncode, bad.stdout) == (1, "")
        assert "invalid thing name" in bad.stderr
        pid = json.loads((directory / "iotcore.json").read_text())
    finally:
        down = run([*STEELHIL, "down", "--dir", str(directory)])
    assert down.returncode == 0, down.stderr
    assert wait_dead(pid["pid"]) and wait_dead(pid["broker_pid"])
    status = run([*STEELHIL, "status", "--dir", str(directory)])
    assert status.returncode == 3
    assert json.loads(status.stdout)["running"] is False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_foreground_up_stops_everything_on_a_signal(tmp_path: Path, signum: int) -> None:
    directory = tmp_path / "core"
    proc = subprocess.Popen(
        [*IOTCORE, "up", "--dir", str(directory)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        endpoint = Endpoint.from_json(json.loads(proc.stdout.readline()))
        info = json.loads((directory / "iotcore.json").read_text())
        provisioned = run([*IOTCORE, "provision", "sig-dev", "--dir", str(directory)])
        assert provisioned.returncode == 0, provisioned.stderr
        shadow_round_trip(endpoint, ThingCredentials.from_json(json.loads(provisioned.stdout)))
        proc.send_signal(signum)
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert wait_dead(info["broker_pid"])
    assert not (directory / "iotcore.json").exists()
    # and the state is still there for the next start
    assert (directory / "state" / "shadows" / "sig-dev" / "@classic.json").exists()


def test_state_survives_down_and_up(tmp_path: Path) -> None:
    directory = tmp_path / "core"
    assert run([*IOTCORE, "up", "--dir", str(directory), "--detach"]).returncode == 0
    try:
        out = run([*IOTCORE, "provision", "keep-me", "--dir", str(directory)])
        creds = ThingCredentials.from_json(json.loads(out.stdout))
        shadow_round_trip(Endpoint.load(directory), creds)
    finally:
        assert run([*IOTCORE, "down", "--dir", str(directory)]).returncode == 0
    assert run([*IOTCORE, "up", "--dir", str(directory), "--detach"]).returncode == 0
    try:
        assert shadow_round_trip(Endpoint.load(directory), creds)["version"] == 2
    finally:
        run([*IOTCORE, "down", "--dir", str(directory)])


def test_missing_mosquitto_says_how_to_install_it(tmp_path: Path) -> None:
    result = run([*IOTCORE, "up", "--dir", str(tmp_path), "--mosquitto", str(tmp_path / "nope")])
    assert result.returncode == 1
    assert "apt-get install mosquitto" in result.stderr
    assert "brew install mosquitto" in result.stderr


def test_provision_without_a_running_core_explains(tmp_path: Path) -> None:
    result = run([*IOTCORE, "provision", "x", "--dir", str(tmp_path)])
    assert result.returncode == 1
    assert "iotcore up --dir" in result.stderr
    assert result.stdout == ""
