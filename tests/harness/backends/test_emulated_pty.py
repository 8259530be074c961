"""emulated-pty: `steelhil device run --pty` in its own process, driven like hardware."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.device.fleet import OBSERVER_POLICY
from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials
from harness import backends
from harness.backends.base import BackendError, BackendSession, BoardSpec
from harness.backends.emulated_pty import EmulatedPtyBackend, EmulatedPtyDevice


@pytest.fixture(autouse=True)
def registered() -> None:
    backends.register("emulated-pty", EmulatedPtyBackend)


@pytest.fixture
def observer(iotcore: LocalIoTCore) -> Iterator[MqttThing]:
    creds = iotcore.provision("pty-observer", policy_name="obs", policy_document=OBSERVER_POLICY)
    client = MqttThing(iotcore.endpoint, creds).connect()
    yield client
    client.close()


def open_device(
    iotcore: LocalIoTCore, tmp_path: Path, name: str, **options: object
) -> tuple[EmulatedPtyDevice, BackendSession]:
    session = BackendSession(iotcore, tmp_path / "work", realtime=True)
    device = backends.get("emulated-pty").open(
        BoardSpec(name, "emulated-pty", options=options), session
    )
    assert isinstance(device, EmulatedPtyDevice)
    return device, session


@pytest.mark.integration
def test_the_device_comes_up_runs_a_program_and_its_console_is_captured(
    iotcore: LocalIoTCore, observer: MqttThing, tmp_path: Path
) -> None:
    observer.subscribe(["$aws/things/pty-1/shadow/get", "steel-programs/pty-1/status"])
    device, _ = open_device(iotcore, tmp_path, "pty-1", limits={"steps": 200000})
    try:
        # provisioned through the REPL, reset, and connected through the proxy
        observer.expect("$aws/things/pty-1/shadow/get", timeout=60)
        assert device.proxy is not None
        assert device.proxy.stats.accepted >= 1
        device.capture.expect("agent: pty-1 booting", timeout=30)
        # provisioned anew: a new identity at the broker, listening once it asked again
        observer.expect("$aws/things/pty-1/shadow/get", timeout=60)

        observer.publish(
            "steel-programs/pty-1/load",
            {"program_id": "hello", "source": '(log "info" "hello over the pty")'},
        )
        device.capture.expect(r"\[info\] hello: hello over the pty", timeout=30)
        assert any(line.text.endswith("hello over the pty") for line in device.log())
        assert all(line.device == "pty-1" for line in device.log())
        assert not any("raw REPL" in line.text for line in device.log())

        device.set_network(down=True)
        device.capture.expect("agent: disconnected", timeout=30)
        device.set_network()
        device.capture.expect("agent: connected", timeout=60)

        facts = device.describe()
        assert facts["backend"] == "emulated-pty" and facts["pty"].startswith("/dev/")
        assert device.time.virtual is False
    finally:
        device.close()
    assert device.process.process.returncode is not None  # the process was stopped


@pytest.mark.integration
def test_reset_and_power_cycle_reboot_the_board(
    iotcore: LocalIoTCore, observer: MqttThing, tmp_path: Path
) -> None:
    observer.subscribe("$aws/things/pty-2/shadow/get")
    device, _ = open_device(iotcore, tmp_path, "pty-2")
    try:
        observer.expect("$aws/things/pty-2/shadow/get", timeout=60)
        device.reset()
        device.capture.expect("agent: pty-2 booting", timeout=30)
        observer.expect("$aws/things/pty-2/shadow/get", timeout=60)  # connected again

        device.set_network(latency=0.01)
        device.power_cycle(0.2)
        device.capture.expect("agent: pty-2 booting", timeout=30)
        observer.expect("$aws/things/pty-2/shadow/get", timeout=60)
        assert device.proxy is not None and device.proxy.shape.latency == 0.01  # kept
        # the bench-hand operations go through the process's control channel
        device.set_sensors({"temperature": 30.0})
        with pytest.raises(BackendError, match="unknown quantity 'pressure'"):
            device.set_sensors({"pressure": 1.0})
        assert device.led() is False and device.pixel() == (0, 0, 0)
        device.skew_clock(60)
        device.cut_power_at_write(2)
    finally:
        device.close()


def test_a_device_process_that_fails_is_reported_with_what_it_said(tmp_path: Path) -> None:
    class NoCore:
        endpoint = Endpoint("127.0.0.1", 1, str(tmp_path / "ca.pem"))

        def provision(self, thing_name: str) -> ThingCredentials:
            raise AssertionError("never reached")

    failing = [
        sys.executable,
        "-c",
        "import sys; print('no IoT Core here', file=sys.stderr); sys.exit(2)",
    ]
    session = BackendSession(NoCore(), tmp_path / "work")
    spec = BoardSpec("pty-3", "emulated-pty", options={"command": failing})
    with pytest.raises(BackendError, match="exited with 2; it said: no IoT Core here"):
        EmulatedPtyBackend().open(spec, session)
