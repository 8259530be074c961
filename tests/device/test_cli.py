"""`steelhil device run` and `steelhil fleet up` against an IoT Core in another process."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.device.fleet import OBSERVER_POLICY, RemoteIoTCore
from emulator.iotcore.client import MqttThing
from emulator.iotcore.endpoint import Endpoint

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
STEELHIL = [sys.executable, "-m", "harness.cli"]
HELLO = """
(define n 0)
(define (tick)
  (set! n (+ n 1))
  (mqtt-publish "hello/n" (number->string n))
  (when (< n 1000) (set-timer "t" 1 tick)))
(tick)
"""


@pytest.fixture
def core_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "iotcore"
    up = subprocess.run(
        [*STEELHIL, "iotcore", "up", "--dir", str(directory), "--detach"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert up.returncode == 0, up.stderr
    try:
        yield directory
    finally:
        subprocess.run(
            [*STEELHIL, "iotcore", "down", "--dir", str(directory)], timeout=60, cwd=ROOT
        )


def observer(directory: Path) -> MqttThing:
    endpoint = Endpoint.load(directory / "endpoint.json")
    core = RemoteIoTCore(endpoint, directory / "things")
    creds = core.provision(
        "cli-observer", policy_name="steelhil-observer", policy_document=OBSERVER_POLICY
    )
    client = MqttThing(endpoint, creds).connect()
    client.subscribe(["hello/#", "steel-programs/+/status"])
    return client


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*STEELHIL, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def test_device_run_boots_a_board_that_runs_the_program_until_interrupted(
    core_dir: Path, tmp_path: Path
) -> None:
    program = tmp_path / "hello.scm"
    program.write_text(HELLO)
    keys = subprocess.run(
        [*STEELHIL, "ota", "keygen", "--out", str(tmp_path / "keys")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert keys.returncode == 0, keys.stderr
    with observer(core_dir) as cloud:
        process = start(
            [
                "device",
                "run",
                "--thing",
                "cli-dev",
                "--iotcore",
                str(core_dir),
                "--program",
                str(program),
                "--trust",
                str(tmp_path / "keys" / "ota-signing.pub.pem"),
            ]
        )
        try:
            first = cloud.expect("hello/cli-dev/n", timeout=60)
            second = cloud.expect("hello/cli-dev/n", timeout=10)
            assert int(second.payload) == int(first.payload) + 1  # real time: one a second
        finally:
            code, out, err = stop(process)
    assert code == 0, err
    assert "agent: connected" in out
    assert "ota: 1 signing key(s) trusted" in out
    assert "cli-dev running" in err


def test_fleet_up_runs_many_devices_on_virtual_time(core_dir: Path, tmp_path: Path) -> None:
    program = tmp_path / "hello.scm"
    program.write_text(HELLO)
    with observer(core_dir) as cloud:
        process = start(
            [
                "fleet",
                "up",
                "--count",
                "3",
                "--iotcore",
                str(core_dir),
                "--program",
                str(program),
                "--virtual",
                "--quiet",
                "--status-every",
                "1",
            ]
        )
        try:
            for name in ("dev-0001", "dev-0002", "dev-0003"):
                cloud.expect(f"hello/{name}/n", timeout=60, where=lambda m: int(m.payload) >= 20)
        finally:
            code, _, err = stop(process)
    assert code == 0, err
    assert "3/3 connected" in err


def test_device_run_without_an_iotcore_says_how_to_start_one(tmp_path: Path) -> None:
    result = subprocess.run(
        [*STEELHIL, "device", "run", "--thing", "x", "--iotcore", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "steelhil iotcore up --dir" in result.stderr


@pytest.mark.parametrize(
    ("content", "says"),
    [(None, "cannot read it"), (b"not a key", "PEM"), ("private", "private key")],
)
def test_a_trust_file_that_is_not_a_public_key_is_refused_before_anything_starts(
    tmp_path: Path, content: bytes | str | None, says: str
) -> None:
    path = tmp_path / "trust.pem"
    if content == "private":
        subprocess.run(
            [*STEELHIL, "ota", "keygen", "--out", str(tmp_path)], cwd=ROOT, timeout=60, check=True
        )
        path = tmp_path / "ota-signing.pem"
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = subprocess.run(
        [*STEELHIL, "fleet", "up", "--count", "1", "--trust", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"--trust {path}" in result.stderr and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
