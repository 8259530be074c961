"""``emulated-pty``: a virtual board in its own process, driven through a PTY like hardware.

Why: the in-process ``emulated`` backend never touches pyserial, the raw REPL or the console
capture.  This one launches ``steelhil device run --thing NAME --iotcore DIR --pty`` and then
does exactly what the ``serial`` backend does to a real board -- open the port with pyserial,
capture the console, provision certificates and ``/config.json`` through the raw REPL,
reset -- so every run of it tests the serial path for real (minus esptool and USB).

The device process is given an IoT Core directory of its own whose ``endpoint.json`` is the
session's IoT Core with the MQTT address replaced by a per-device
:class:`~harness.netem.FaultProxy`; provisioning through the REPL then writes the proxy's
address into the board's ``/config.json`` too.  The time base is wall time.

Faults: ``reset`` is ``machine.reset()`` through the raw REPL; ``power_cycle`` is an
approximation with process signals (the proxy drops the connection as a dying radio would,
the process is stopped with SIGSTOP for ``off_for``, resumed, then reset: RAM is lost and
the LED goes dark, but the WS2812 keeps its colour and no flash write is torn).  Sensors,
the button, a power cut at a flash write, clock skew and reading the LED and the pixel go
through the process's control channel (``--control stdin``, JSON lines; see
:mod:`emulator.device.control`): what a hand on the bench does, not the serial port.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..netem import FaultProxy
from .base import BackendError, BackendSession, BoardSpec
from .consoledevice import OBSERVE_MODES, ConsoleDevice
from .schema import Field
from .serial import device_files, extra_config
from .serialdev import ConsoleCapture, open_serial
from .walltime import session_wall_time

#: ``steelhil`` as this interpreter runs it.
STEELHIL = (sys.executable, "-m", "harness.cli")
_PTY_LINE = re.compile(r"serial console on (\S+)")

OPTIONS: dict[str, Field] = {
    "sensors": Field("mapping", "initial sensor values ({temperature: 21.5, ...})"),
    "provision": Field(
        "choice",
        "repl: certificates and config through the raw REPL (default); process: keep what "
        "`device run` provisioned",
        choices=("repl", "process"),
    ),
    "command": Field("argv", "how to run steelhil (default: this Python's -m harness.cli)"),
    "proxy": Field("bool", "route MQTT through a fault proxy (default true; false: direct)"),
    "observe": Field("choice", "how led() reads GPIO7", choices=OBSERVE_MODES),
    "limits": Field("mapping", "resource limits for /config.json (docs/steel-api.md)"),
    "start_timeout": Field("float", "seconds to wait for the PTY (default 60)", minimum=1),
}

CONTROL_TIMEOUT = 10.0


class DeviceProcess:
    """``steelhil device run ... --pty``: started, its PTY path read from stderr, its stderr
    kept in a file, stopped with SIGINT (then SIGKILL)."""

    def __init__(self, argv: list[str], log_path: Path, start_timeout: float) -> None:
        self.argv = argv
        self.log_path = log_path
        self._log = log_path.open("a", encoding="utf-8")
        self._found = threading.Event()
        self.pty_path: str | None = None
        self._tail: list[str] = []
        self._control_lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,  # the control channel: requests in,
                stdout=subprocess.PIPE,  # replies out
                bufsize=1,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # a Ctrl-C at the terminal is the harness's to handle
            )
        except OSError as exc:
            self._log.close()
            raise BackendError(f"cannot start {' '.join(argv)}: {exc}") from exc
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._found.wait(start_timeout) or self.pty_path is None:
            said = " | ".join(self._tail[-8:]) or "nothing"
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5 if self._found.is_set() else 0.1)  # EOF: it is exiting
            code = self.process.poll()
            self.stop()
            state = (
                f"exited with {code}" if code is not None else f"gave no PTY in {start_timeout:g} s"
            )
            raise BackendError(f"the device process {state}; it said: {said}")

    def _read(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        for line in stream:
            self._log.write(line)
            self._log.flush()
            self._tail = [*self._tail[-20:], line.strip()]
            found = _PTY_LINE.search(line)
            if found and self.pty_path is None:
                self.pty_path = found.group(1)
                self._found.set()
        self._found.set()  # EOF: the process is gone

    def control(self, op: str, **fields: Any) -> Any:
        """One control request; returns its ``value`` or raises BackendError."""
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None or self.process.poll() is not None:
            raise BackendError("the device process has exited")
        with self._control_lock:
            try:
                stdin.write(json.dumps({"op": op, **fields}) + "\n")
                stdin.flush()
            except OSError as exc:
                raise BackendError(f"the device process does not take requests: {exc}") from exc
            box: list[str] = []
            reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
            reader.start()
            reader.join(CONTROL_TIMEOUT)
        if not box or not box[0]:
            raise BackendError(f"no answer to {op!r} from the device process")
        reply = json.loads(box[0])
        if not reply.get("ok"):
            raise BackendError(f"{op}: {reply.get('error')}")
        return reply.get("value")

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)  # a paused process cannot handle SIGINT
                self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._reader.join(timeout=5)
        self._log.close()


class EmulatedPtyDevice(ConsoleDevice):
    backend_name = "emulated-pty"

    def __init__(self, *args: Any, process: DeviceProcess, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process = process

    def describe(self) -> dict[str, Any]:
        facts = super().describe()
        facts.update(pid=self.process.pid, pty=self.process.pty_path)
        code = self.process.process.poll()
        if code is not None:
            facts["exited"] = code
        return facts

    def reset(self) -> None:
        """``machine.reset()`` through the raw REPL: a hard reset of the virtual board."""
        with self.capture.quiet():
            self.repl.enter()
            self.repl.exec_no_follow("import machine\nmachine.reset()")

    def power_cycle(self, off_for: float = 0.0) -> None:
        shape = self.proxy.shape if self.proxy is not None else None
        if self.proxy is not None:
            self.proxy.set(down=True)  # the radio dies with the power: no DISCONNECT
        self.process.pause()
        try:
            self.time.sleep(off_for)
        finally:
            self.process.resume()
        try:
            self.reset()
        finally:
            if self.proxy is not None and shape is not None:
                self.proxy.set(down=shape.down, latency=shape.latency, loss=shape.loss)

    def led(self) -> bool:
        return bool(self.process.control("led"))

    def pixel(self) -> tuple[int, int, int]:
        r, g, b = self.process.control("pixel")
        return (int(r), int(g), int(b))

    def set_sensors(self, values: Mapping[str, float]) -> None:
        self.process.control("set_sensors", values=dict(values))

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        self.process.control("sensor_model", quantity=quantity, model=dict(model))

    def press_button(self, hold: float = 0.1) -> None:
        self.process.control("press_button", hold=hold)

    def cut_power_at_write(self, nth: int) -> None:
        self.process.control("cut_power_at_write", nth=nth)

    def skew_clock(self, seconds: float) -> None:
        self.process.control("skew_clock", seconds=seconds)


class EmulatedPtyBackend:
    name = "emulated-pty"
    options = OPTIONS

    def open(self, spec: BoardSpec, session: BackendSession) -> EmulatedPtyDevice:
        options = spec.options
        workdir = Path(session.workdir) / "emulated-pty" / spec.name
        workdir.mkdir(parents=True, exist_ok=True)
        endpoint = session.core.endpoint
        proxy: FaultProxy | None = None
        host, port = endpoint.mqtt_host, endpoint.mqtt_port
        if options.get("proxy", True):
            proxy = FaultProxy((endpoint.mqtt_host, endpoint.mqtt_port), seed=session.seed)
            host, port = proxy.address
        core_dir = workdir / "iotcore"
        dataclasses.replace(endpoint, mqtt_host=host, mqtt_port=port).save(
            core_dir / "endpoint.json"
        )
        argv = [*(options.get("command") or STEELHIL), "device", "run", "--thing", spec.name]
        argv += ["--iotcore", str(core_dir), "--pty", "--quiet", "--control", "stdin"]
        for quantity, value in (options.get("sensors") or {}).items():
            argv += ["--sensor", f"{quantity}={value}"]
        try:
            process = DeviceProcess(
                argv, workdir / "process.log", float(options.get("start_timeout", 60.0))
            )
        except BaseException:
            if proxy is not None:
                proxy.close()
            raise
        assert process.pty_path is not None
        pty_path = process.pty_path
        time_base = session_wall_time(session.state)
        try:
            capture = ConsoleCapture(
                spec.name,
                lambda: open_serial(pty_path),
                now=time_base.now,
                log_path=workdir / "console.log",
            ).start()
        except BaseException:
            process.stop()
            if proxy is not None:
                proxy.close()
            raise
        device = EmulatedPtyDevice(
            spec.name,
            capture,
            time_base,
            proxy=proxy,
            facts={"thing": spec.name, "argv": " ".join(argv)},
            observe=str(options.get("observe", "console")),
            process=process,
        )
        device.closers.append(process.stop)
        try:
            if options.get("provision", "repl") == "repl":
                credentials = session.core.provision(spec.name)
                files = device_files(spec.name, host, port, credentials, extra_config(spec))
                observer = session.observer
                mark = observer.position if observer is not None else None
                with device.repl.session(resume=False):
                    device.repl.write_files(files)
                device.reset()
                if mark is not None:
                    _wait_reconnected(observer, mark, spec.name)
        except BaseException:
            device.close()
            raise
        return device  # it boots on its own; the engine waits for it to connect


#: Real seconds a re-provisioned device has to connect again.
RECONNECT_TIMEOUT = 60.0


def _wait_reconnected(observer: Any, mark: int, thing: str) -> None:
    """Until the device, booted on its new certificate, has asked for its shadow again.

    Why: the new certificate is a new identity at the broker (its own session), so what is
    sent before the device has subscribed again is lost; the shadow request goes out after
    its subscriptions, on the same connection.  A request from before the reset (the first
    boot, on the process's own certificate) must not count."""
    topic = f"$aws/things/{thing}/shadow/get"
    deadline = time.monotonic() + RECONNECT_TIMEOUT
    while not observer.since(mark, topic):
        if time.monotonic() > deadline:
            raise BackendError(
                f"{thing} did not connect again within {RECONNECT_TIMEOUT:g}s of being "
                "provisioned through its REPL (see its console log)"
            )
        time.sleep(0.02)
