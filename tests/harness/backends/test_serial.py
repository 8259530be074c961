"""The serial backend against a fake board that speaks the real protocols.

The "board" is a virtual board's console on a PTY behind a fake USB-Serial-JTAG (DTR/RTS
reset, re-enumeration under a new path with the same serial number); esptool is recorded,
not run.  The last test runs the firmware agent on that board against the real local IoT
Core, through the backend's fault proxy.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from emulator.board import VirtualBoard
from emulator.board.littlefs_image import from_image
from emulator.board.pty_console import PtyConsole
from emulator.board.wallclock import RealTimeClock
from emulator.device.app import AgentApp
from emulator.device.fleet import OBSERVER_POLICY
from emulator.device.network import IoTCoreNetwork
from emulator.iotcore.client import MqttThing
from emulator.iotcore.core import LocalIoTCore
from emulator.iotcore.endpoint import Endpoint
from emulator.iotcore.provision import ThingCredentials
from harness.backends.base import BackendError, BackendSession, BoardSpec, Unsupported
from harness.backends.serial import FIRMWARE_DIR, SerialBackend, SerialDevice
from harness.ota import compile as mpy

from .conftest import ChattyApp, FakeUsbJtag, PtyBoard

ROOT = Path(__file__).resolve().parents[3]


class FakeCore:
    """An IoT Core that hands out certificates and is never connected to."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        (directory / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nCA\n")
        self.endpoint = Endpoint("127.0.0.1", 1, str(directory / "ca.pem"))
        self.provisioned: list[str] = []

    def provision(self, thing_name: str) -> ThingCredentials:
        self.provisioned.append(thing_name)
        cert, key = self.dir / f"{thing_name}.crt", self.dir / f"{thing_name}.key"
        cert.write_text(f"-----BEGIN CERTIFICATE-----\n{thing_name}\n")
        key.write_text(f"-----BEGIN EC PRIVATE KEY-----\n{thing_name}\n")
        return ThingCredentials(
            thing_name, str(cert), str(key), "id", "arn", "policy", self.endpoint.ca_file
        )


class Recorder:
    def __init__(self) -> None:
        self.argvs: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> None:
        self.argvs.append(list(argv))


@pytest.fixture
def jtag(pty_board: PtyBoard) -> FakeUsbJtag:
    return FakeUsbJtag(pty_board)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "ESP32_GENERIC_C3-v1.27.0.bin"
    path.write_bytes(b"\xe9" + bytes(4095))  # an ESP image starts with 0xE9
    return path


@pytest.fixture
def main_py(tmp_path: Path) -> Path:
    path = tmp_path / "main.py"
    path.write_text("import firmware.ports.esp32c3\n")
    return path


def backend_for(jtag: FakeUsbJtag, runner: Recorder | None = None) -> SerialBackend:
    return SerialBackend(
        runner=runner or Recorder(), comports=jtag.comports, opener=jtag.open, boot_timeout=10
    )


def spec_for(jtag: FakeUsbJtag, image: Path, main_py: Path, **options: object) -> BoardSpec:
    base: dict[str, object] = {
        "serial_number": jtag.serial_number,
        "micropython": str(image),
        "main": str(main_py),
        "esptool": ["esptool"],
        "proxy_host": "127.0.0.1",
        "proxy_bind": "127.0.0.1",
    }
    base.update(options)
    return BoardSpec("bench-c3", "serial", frozenset({"c3"}), base)


def test_flashes_once_per_session_with_the_documented_command_line(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    runner = Recorder()
    backend = backend_for(jtag, runner)
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    spec = spec_for(jtag, image, main_py)
    port = jtag.fake.path
    backend.open(spec, session).close()

    assert len(runner.argvs) == 1
    argv = runner.argvs[0]
    fs_path = argv[-1]
    assert argv == [
        "esptool",
        "--chip",
        "esp32c3",
        "--port",
        port,
        "--baud",
        "460800",
        "--before",
        "default-reset",
        "--after",
        "hard-reset",
        "write-flash",
        "0x0",
        str(image),
        "0x200000",
        fs_path,
    ]
    flashed = from_image(Path(fs_path).read_bytes()).snapshot()  # what MicroPython would mount
    agent_core = FIRMWARE_DIR / "agent" / "core.py"  # compiled, as a board bundle carries it
    compiled = mpy.compiler().compile(agent_core.read_bytes(), "firmware/agent/core.py")
    assert flashed.files["/slots/a/firmware/agent/core.mpy"] == compiled
    assert not [p for p in flashed.files if p.startswith("/slots/") and p.endswith(".py")]
    assert flashed.files["/main.py"] == main_py.read_bytes()  # the rig's, over the boot main
    selector = (FIRMWARE_DIR / "boot" / "selector.py").read_bytes()
    assert flashed.files["/lib/steel_boot.py"] == selector
    assert json.loads(flashed.files["/slots/a/slot.json"])["format"] == 1
    assert not any(p.startswith("/firmware/") for p in flashed.files)
    assert not any("__pycache__" in p for p in flashed.files)

    backend.open(spec, session).close()  # same firmware, same session: not flashed again
    assert len(runner.argvs) == 1
    main_py.write_text("import firmware.ports.esp32c3  # changed\n")
    backend.open(spec, session).close()
    assert len(runner.argvs) == 2
    backend.open(spec, BackendSession(FakeCore(tmp_path / "c2"), tmp_path / "w2")).close()
    assert len(runner.argvs) == 3  # a new session flashes again


def test_erase_adds_an_erase_command_first(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    runner = Recorder()
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    port = jtag.fake.path
    backend_for(jtag, runner).open(spec_for(jtag, image, main_py, erase=True), session).close()
    common = ["esptool", "--chip", "esp32c3", "--port", port, "--baud", "460800"]
    assert runner.argvs[0] == [
        *common,
        "--before",
        "default-reset",
        "--after",
        "no-reset",
        "erase-flash",
    ]
    assert runner.argvs[1][:12] == [
        *common,
        "--before",
        "default-reset",
        "--after",
        "hard-reset",
        "write-flash",
    ]


def test_provisions_through_the_raw_repl_and_resets_through_dtr_rts(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    core = FakeCore(tmp_path / "core")
    session = BackendSession(core, tmp_path / "work")
    first_path = jtag.fake.path
    limits = {"steps": 50000}
    device = backend_for(jtag).open(spec_for(jtag, image, main_py, limits=limits), session)
    try:
        board = jtag.fake.board

        def read(path: str) -> bytes:
            data = board.fs.read(path)
            assert data is not None, f"{path} is not on the board"
            return bytes(data)

        config = json.loads(read("/config.json"))
        assert device.proxy is not None
        assert config["thing_name"] == "bench-c3"
        assert config["endpoint"] == {"host": "127.0.0.1", "port": device.proxy.address[1]}
        assert config["limits"] == limits
        cert = read(config["certificates"]["cert"])
        assert cert == (tmp_path / "core" / "bench-c3.crt").read_bytes()
        assert read(config["certificates"]["ca"]).startswith(b"-----BEGIN CERT")
        assert core.provisioned == ["bench-c3"]

        assert jtag.resets == 1  # a DTR/RTS reset, not a soft reset
        assert jtag.fake.path != first_path  # the board re-enumerated ...
        assert device.capture.wait_port(10) is not None  # ... and was found again
        board.console("after the reset")
        device.capture.expect("after the reset", timeout=10)
        assert device.capture.reconnects >= 1
        facts = device.describe()
        assert facts["backend"] == "serial" and "F4:12:FA:C3:00:01" in facts["port"]

        device.reset()
        assert jtag.resets == 2
        board.console("after the second reset")
        device.capture.expect("after the second reset", timeout=10)
    finally:
        device.close()


def test_without_a_proxy_the_board_connects_straight_to_the_broker(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    core = FakeCore(tmp_path / "core")
    session = BackendSession(core, tmp_path / "work")
    device = backend_for(jtag).open(spec_for(jtag, image, main_py, proxy=False), session)
    try:
        config = json.loads(jtag.fake.board.fs.read("/config.json") or b"{}")
        assert config["endpoint"] == {"host": "127.0.0.1", "port": core.endpoint.mqtt_port}
        assert device.proxy is None
        with pytest.raises(Unsupported, match="fault proxy"):
            device.set_network(down=True)
    finally:
        device.close()


def test_what_a_real_board_cannot_do_is_unsupported_with_a_reason(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    device = backend_for(jtag).open(spec_for(jtag, image, main_py), session)
    try:
        assert isinstance(device, SerialDevice)
        for attempt, reason in (
            (lambda: device.set_sensors({"temperature": 30.0}), "measure the room"),
            (lambda: device.set_sensor_model("temperature", {"kind": "noise"}), "room"),
            (lambda: device.press_button(), "BOOT button"),
            (lambda: device.cut_power_at_write(3), "power_cycle"),
            (lambda: device.skew_clock(60), "NTP"),
            (lambda: device.power_cycle(), "no power control"),
            (lambda: device.pixel(), "WS2812"),
        ):
            with pytest.raises(Unsupported, match=reason):
                attempt()
        assert device.time.virtual is False
    finally:
        device.close()


def test_power_cycle_uses_the_rigs_power_driver(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    record = tmp_path / "power.log"
    say = "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')"
    power = {
        "driver": "command",
        "power_on": [sys.executable, "-c", say, str(record), "on"],
        "power_off": [sys.executable, "-c", say, str(record), "off"],
    }
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    device = backend_for(jtag).open(spec_for(jtag, image, main_py, power=power), session)
    try:
        device.power_cycle(0.01)
        assert record.read_text().split() == ["off", "on"]
    finally:
        device.close()


def test_led_comes_from_status_lines_or_on_request_from_the_repl(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    quiet = backend_for(jtag).open(spec_for(jtag, image, main_py), session)
    board = jtag.fake.board
    try:
        with pytest.raises(Unsupported, match="observe: repl"):
            quiet.led()
        board.console("led: on")
        board.console("pixel: 255, 0, 16")
        quiet.capture.expect("pixel", timeout=5)
        assert quiet.led() is True
        assert quiet.pixel() == (255, 0, 16)
        board.console("led: off")
        quiet.capture.expect("led: off", timeout=5)
        assert quiet.led() is False
    finally:
        quiet.close()

    probing = backend_for(jtag).open(spec_for(jtag, image, main_py, observe="repl"), session)
    try:
        app = board.app
        assert isinstance(app, ChattyApp)
        board.set_led(True)
        starts = app.starts
        assert probing.led() is True  # read through the REPL ...
        probing.capture.expect(f"app: boot {starts + 1}", timeout=5)  # ... and main.py resumed
        assert not any("Pin(7)" in line.text for line in probing.log())
    finally:
        probing.close()


def test_a_board_the_rig_does_not_locate_is_an_error(
    jtag: FakeUsbJtag, image: Path, main_py: Path, tmp_path: Path
) -> None:
    session = BackendSession(FakeCore(tmp_path / "core"), tmp_path / "work")
    backend = backend_for(jtag)
    with pytest.raises(BackendError, match="which port"):
        backend.open(BoardSpec("nowhere", "serial", options={}), session)
    no_image = spec_for(jtag, image, main_py)
    options = dict(no_image.options)
    del options["micropython"]
    with pytest.raises(BackendError, match="micropython:"):
        backend.open(BoardSpec("bench-c3", "serial", options=options), session)
    missing = spec_for(jtag, image, main_py, serial_number="00:00:00:00:00:00")
    with pytest.raises(BackendError, match="no serial port with serial number"):
        backend.open(missing, session)


# --- the whole path, with the firmware agent and the real local IoT Core -----------------


class RunningBoard:
    """A virtual board on a real-time clock that runs on its own thread, like hardware."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.clock = RealTimeClock()
        self.network = IoTCoreNetwork(workdir / "links")
        self.app = AgentApp(self.network)
        self.board = VirtualBoard(name, clock=self.clock, app=self.app)  # no config yet
        console = PtyConsole(self.board.serial, dispatch=self.clock.call_soon)
        self.pty = PtyBoard(self.board, self.app, console, dispatch=self.clock.call_soon)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.clock.run_until(self.clock.now() + 3600, stop=self._stop.is_set)

    def reset(self) -> None:
        self.clock.call_soon(self.board.reset)

    def close(self) -> None:
        self._stop.set()
        self.clock.call_soon(lambda: None)
        self._thread.join(10)
        self.pty.pty.close()
        if self.board.powered:
            self.board.power_cut()
        self.network.close()


@pytest.fixture
def running_board(tmp_path: Path) -> Iterator[RunningBoard]:
    board = RunningBoard("serial-e2e", tmp_path / "board")
    yield board
    board.close()


@pytest.mark.integration
def test_the_agent_comes_up_through_the_proxy_runs_a_program_and_survives_a_drop(
    running_board: RunningBoard, iotcore: LocalIoTCore, image: Path, main_py: Path, tmp_path: Path
) -> None:
    jtag = FakeUsbJtag(running_board.pty, reset=running_board.reset)
    session = BackendSession(iotcore, tmp_path / "work")
    spec = BoardSpec("serial-e2e", "serial", options=spec_for(jtag, image, main_py).options)
    observer = MqttThing(
        iotcore.endpoint,
        iotcore.provision("observer", policy_name="obs", policy_document=OBSERVER_POLICY),
    ).connect()
    observer.subscribe(["$aws/things/serial-e2e/shadow/get", "steel-programs/serial-e2e/status"])
    device = backend_for(jtag).open(spec, session)
    try:
        # ready once it asks for its shadow (its boot lines may precede the port's reopening,
        # and MicroPython's USB console drops what nobody reads, as here)
        observer.expect("$aws/things/serial-e2e/shadow/get", timeout=30)
        assert device.proxy is not None and device.proxy.stats.accepted >= 1
        observer.publish(
            "steel-programs/serial-e2e/load",
            {"program_id": "hello", "source": '(log "info" "hello from steel")'},
        )
        device.capture.expect("hello from steel", timeout=30)
        assert any("hello from steel" in line.text for line in device.log())

        device.set_network(down=True)
        device.capture.expect("agent: disconnected", timeout=30)
        device.set_network()
        device.capture.expect("agent: connected", timeout=60)
    finally:
        device.close()
        observer.close()
