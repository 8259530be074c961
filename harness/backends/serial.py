"""``serial``: a real ESP32-C3-DevKit-RUST-1 on a USB port.

Bringing a board up (:meth:`SerialBackend.open`):

1. find its port by ``port``, ``usb_location``, ``serial_number`` or ``mac`` (rig keys);
2. flash MicroPython and the firmware's filesystem image with esptool -- once per session,
   keyed by the SHA-256 of both images (``BackendSession.state["serial.flashed"]``);
3. start capturing the console (it is read for as long as the device is open);
4. start a :class:`~harness.netem.FaultProxy` to the IoT Core's broker, so
   ``set_network`` works on hardware too (``proxy: false`` connects straight to the broker,
   which AWS needs today: see docs/backends.md);
5. provision it through the raw REPL: the thing's certificates from
   ``session.core.provision(name)`` and a ``/config.json`` whose endpoint is the proxy;
6. hard-reset it through DTR/RTS; it re-enumerates, the capture reopens the port, and
   ``main.py`` starts the agent.

What a real board cannot do raises :class:`~harness.backends.base.Unsupported` with the
reason (its sensors measure the room; nothing presses its button).  Power cycling uses the
rig's ``power:`` driver.  The LED is read as :mod:`harness.backends.consoledevice` explains.

Not run here: there is no board on this machine.  The tests drive all of this against a
virtual board's console on a PTY behind a fake USB-Serial-JTAG (DTR/RTS reset and
re-enumeration), with esptool's command lines recorded rather than run.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from emulator.iotcore.provision import ThingCredentials
from firmware.agent.config import ConfigError, parse_config

from ..netem import FaultProxy
from .base import BackendError, BackendSession, BoardSpec, Unsupported
from .consoledevice import OBSERVE_MODES, ConsoleDevice
from .flashing import (
    DEFAULT_ESPTOOL,
    DEFAULT_FLASH_BAUD,
    build_fs_image,
    firmware_files,
    plan_flash,
)
from .power import power_from_config
from .schema import Field
from .serialdev import DEFAULT_BAUD, ConsoleCapture, PortQuery, open_serial, usb_jtag_hard_reset
from .walltime import session_wall_time

Runner = Callable[[Sequence[str]], None]
Opener = Callable[[str, int], Any]
Resetter = Callable[[ConsoleCapture], None]

#: The repository's firmware package (what ``firmware:`` defaults to).
FIRMWARE_DIR = Path(__file__).resolve().parents[2] / "firmware"
FLASHED_KEY = "serial.flashed"

PORT_KEYS = ("port", "usb_location", "serial_number", "mac")

OPTIONS: dict[str, Field] = {
    "port": Field("str", "device path (/dev/ttyACM0) or pyserial URL"),
    "usb_location": Field("str", "USB location as pyserial lists it (1-1.2:1.0)"),
    "serial_number": Field("str", "USB serial number (on a C3: its MAC)"),
    "mac": Field("str", "the board's MAC (matched against the USB serial number)"),
    "baud": Field("int", "console baud rate (USB CDC ignores it)", minimum=1),
    "power": Field("mapping", "power control: {driver: command|usb-relay|uhubctl|none, ...}"),
    "micropython": Field("path", "the MicroPython ESP32_GENERIC_C3 .bin to flash at 0x0"),
    "firmware": Field("path", "the firmware package directory (default: the repository's)"),
    "main": Field("path", "the board's /main.py (default firmware/ports/esp32c3/boot_main.py)"),
    "flash": Field("bool", "flash at the first open of the session (default true)"),
    "erase": Field("bool", "erase the whole flash first (default false)"),
    "flash_baud": Field("int", "esptool's baud rate (default 460800)", minimum=1),
    "esptool": Field("argv", "how to run esptool (default: this Python's -m esptool)"),
    "proxy": Field("bool", "route MQTT through a fault proxy (default true; false: direct)"),
    "proxy_host": Field("str", "the address the board reaches this machine on"),
    "proxy_bind": Field("str", "where the fault proxy listens (default 0.0.0.0)"),
    "wifi": Field("mapping", "{ssid: NAME, password_env: VARIABLE} written into /config.json"),
    "observe": Field("choice", "how led() reads GPIO7", choices=OBSERVE_MODES),
    "limits": Field("mapping", "resource limits for /config.json (docs/steel-api.md)"),
}


def run_esptool(argv: Sequence[str]) -> None:
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendError(f"esptool could not run ({' '.join(argv)}): {exc}") from exc
    if done.returncode != 0:
        said = (done.stdout + done.stderr).strip()[-600:]
        raise BackendError(f"esptool failed (exit {done.returncode}): {said}")


def device_files(
    thing: str,
    host: str,
    port: int,
    credentials: ThingCredentials,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, bytes]:
    """The files provisioning writes, in order: certificates under content-addressed names
    (as ``firmware.agent.config.save_credentials`` names them), then ``/config.json``, the
    commit point -- a reset half-way leaves the previous config naming complete files."""
    blobs = {
        "ca": Path(credentials.ca_file).read_bytes(),
        "cert": Path(credentials.cert_file).read_bytes(),
        "key": Path(credentials.key_file).read_bytes(),
    }
    paths = {k: f"/certs/{k}-{hashlib.sha256(v).hexdigest()[:8]}.pem" for k, v in blobs.items()}
    config: dict[str, Any] = {
        "thing_name": thing,
        "endpoint": {"host": host, "port": port},
        "certificates": dict(paths),
    }
    config.update(extra or {})
    try:
        parse_config(config)
    except ConfigError as exc:
        raise BackendError(
            f"{thing}: the config the harness would write is invalid: {exc}"
        ) from exc
    files = {paths[k]: blobs[k] for k in blobs}
    files["/config.json"] = json.dumps(config, separators=(",", ":")).encode()
    return files


def outward_address() -> str:
    """This machine's address on its default route (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects a route
        return str(probe.getsockname()[0])
    except OSError as exc:
        raise BackendError(
            "cannot tell which address a board on the network reaches this machine on; "
            "set `proxy_host` for the board in the rig"
        ) from exc
    finally:
        probe.close()


def extra_config(spec: BoardSpec) -> dict[str, Any]:
    """``limits`` and ``wifi`` from the rig entry, as /config.json carries them."""
    extra: dict[str, Any] = {}
    if spec.options.get("limits"):
        extra["limits"] = dict(spec.options["limits"])
    wifi = spec.options.get("wifi")
    if wifi:
        entry = {"ssid": str(wifi.get("ssid", ""))}
        variable = wifi.get("password_env")
        if variable:
            if variable not in os.environ:
                raise BackendError(
                    f"{spec.name}: the Wi-Fi password variable ${variable} is not set"
                )
            entry["password"] = os.environ[variable]
        extra["wifi"] = entry
    return extra


class SerialDevice(ConsoleDevice):
    backend_name = "serial"

    def __init__(self, *args: Any, resetter: Resetter, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._resetter = resetter

    def reset(self) -> None:
        self._resetter(self.capture)

    def set_sensors(self, values: Mapping[str, float]) -> None:
        raise Unsupported(f"{self.name} is a real board: its SHTC3 and IMU measure the room")

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        raise Unsupported(f"{self.name} is a real board: its {quantity} sensor measures the room")

    def press_button(self, hold: float = 0.1) -> None:
        raise Unsupported(
            f"{self.name} is a real board: nothing in the rig presses its BOOT button"
        )

    def cut_power_at_write(self, nth: int) -> None:
        raise Unsupported(
            f"{self.name} is a real board: it cannot lose power at a chosen flash write; "
            "use power_cycle with the rig's power control instead"
        )

    def skew_clock(self, seconds: float) -> None:
        raise Unsupported(
            f"{self.name} is a real board: its clock is set from NTP at boot and the "
            "firmware takes no offset"
        )


def hard_reset(capture: ConsoleCapture) -> None:
    """DTR/RTS reset, then reopen: the C3 re-enumerates on every reset.  If the capture
    already noticed the port vanish and found it again, reopening would only lose bytes."""
    seen = capture.reconnects
    usb_jtag_hard_reset(capture.wait_port())
    if capture.reconnects == seen:
        capture.reopen()


class SerialBackend:
    """Real boards.  ``runner`` (esptool), ``comports`` (port listing), ``opener`` (pyserial)
    and ``resetter`` are replaceable for tests; the defaults touch real hardware."""

    name = "serial"
    options = OPTIONS

    def __init__(
        self,
        *,
        runner: Runner = run_esptool,
        comports: Callable[[], Sequence[Any]] | None = None,
        opener: Opener | None = None,
        resetter: Resetter = hard_reset,
        boot_timeout: float = 20.0,
    ) -> None:
        self._runner = runner
        self._comports = comports
        self._opener: Opener = opener or (lambda url, baud: open_serial(url, baud))
        self._resetter = resetter
        self.boot_timeout = boot_timeout

    def open(self, spec: BoardSpec, session: BackendSession) -> SerialDevice:
        options = spec.options
        query = PortQuery(*(options.get(k) for k in PORT_KEYS))
        if not (query.port or query.by_usb):
            raise BackendError(
                f"board {spec.name}: the rig must say which port it is on ({', '.join(PORT_KEYS)})"
            )
        workdir = Path(session.workdir) / "serial"
        workdir.mkdir(parents=True, exist_ok=True)
        if options.get("flash", True):
            self._flash(spec, session, query, workdir)

        time_base = session_wall_time(session.state)
        baud = int(options.get("baud", DEFAULT_BAUD))
        capture = ConsoleCapture(
            spec.name,
            lambda: self._opener(query.find(self._comports), baud),
            now=time_base.now,
            log_path=workdir / f"{spec.name}.log",
            reopen_timeout=self.boot_timeout,
        ).start()
        endpoint = session.core.endpoint
        proxy: FaultProxy | None = None
        if options.get("proxy", True):
            try:
                proxy = FaultProxy(
                    (endpoint.mqtt_host, endpoint.mqtt_port),
                    seed=session.seed,
                    bind=str(options.get("proxy_bind", "0.0.0.0")),
                )
            except OSError as exc:
                capture.close()
                raise BackendError(
                    f"board {spec.name}: cannot start its network proxy: {exc}"
                ) from exc
        device = SerialDevice(
            spec.name,
            capture,
            time_base,
            proxy=proxy,
            power=power_from_config(options.get("power")),
            facts={"port": query.describe(), "thing": spec.name},
            observe=str(options.get("observe", "console")),
            resetter=self._resetter,
        )
        try:
            if proxy is not None:
                host, port = str(options.get("proxy_host") or outward_address()), proxy.address[1]
            else:  # straight to the broker (AWS: its certificate names only its own host)
                host, port = endpoint.mqtt_host, endpoint.mqtt_port
            credentials = session.core.provision(spec.name)
            files = device_files(spec.name, host, port, credentials, extra_config(spec))
            with device.repl.session(resume=False):
                device.repl.write_files(files)
            device.facts["endpoint"] = f"{host}:{port}"
            device.reset()
        except BaseException:
            device.close()
            raise
        return device

    def _flash(
        self, spec: BoardSpec, session: BackendSession, query: PortQuery, workdir: Path
    ) -> None:
        options = spec.options
        if not options.get("micropython"):
            raise BackendError(
                f"board {spec.name}: name the MicroPython image with `micropython:` in the "
                "rig, or set `flash: false` if the board is flashed already"
            )
        root = Path(options.get("firmware") or FIRMWARE_DIR)
        main = Path(options["main"]) if options.get("main") else None
        image = build_fs_image(firmware_files(root, main))
        plan = plan_flash(
            query.find(self._comports),
            Path(options["micropython"]),
            image,
            workdir,
            baud=int(options.get("flash_baud", DEFAULT_FLASH_BAUD)),
            esptool=list(options.get("esptool") or DEFAULT_ESPTOOL),
            erase=bool(options.get("erase", False)),
        )
        flashed: dict[str, str] = session.state.setdefault(FLASHED_KEY, {})
        if flashed.get(spec.name) == plan.key:
            return
        for argv in plan.commands:
            self._runner(argv)
        flashed[spec.name] = plan.key
