"""``renode`` (EXPERIMENTAL): an ESP32-C3 machine in Renode, reached through its monitor and
a UART socket.

Renode has no ESP32-C3 platform upstream and is not installed where this was written.  The
project's platform description (``emulator/renode/esp32c3.repl``) models the core, the
memory map and the UARTs only, so MicroPython does not boot on it; what this backend gives
today is the plumbing -- launching Renode, driving its monitor, capturing UART0 through the
same :class:`~harness.backends.serialdev.ConsoleCapture` and raw REPL as hardware -- tested
against :mod:`emulator.renode.standin`, which speaks the monitor protocol.  Nothing here has
run against a real Renode.

Bringing a machine up (:meth:`RenodeBackend.open`)::

    renode --disable-xwt --port MONITOR           # the monitor on a telnet-style socket
    mach create "NAME"
    machine LoadPlatformDescription @esp32c3.repl
    emulation CreateServerSocketTerminal UART "uart-NAME" false
    connector Connect sysbus.uart0 uart-NAME
    sysbus LoadELF @IMAGE                         # only with `elf:` in the rig
    start

Renode is started by :func:`~harness.backends.renode_launch.renode_launcher`: the ``renode``
on PATH, or, when there is none and a Docker engine answers, the ``antmicro/renode`` image
through the Docker SDK with the platform files mounted (``docker: auto|always|never``).

``reset`` is ``pause``, ``machine Reset``, ``start``; ``power_cycle`` waits ``off_for``
between pausing and resetting (an approximation: Renode has no supply to cut).  The
machine has no network, sensors or button model, so those raise ``Unsupported``.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator.renode import PLATFORM

from .base import BackendError, BackendSession, BoardSpec, TimeBase, Unsupported
from .consoledevice import ConsoleDevice
from .renode_launch import DOCKER_MODES, Running, renode_launcher
from .schema import Field
from .serialdev import ConsoleCapture, open_serial
from .walltime import session_wall_time

OPTIONS: dict[str, Field] = {
    "renode": Field("argv", "how to run Renode (default [renode])"),
    "platform": Field("path", "the .repl (default emulator/renode/esp32c3.repl)"),
    "elf": Field("path", "an image to load with sysbus LoadELF before start"),
    "uart": Field("str", "the UART peripheral to capture (default uart0)"),
    "start_timeout": Field("float", "seconds to wait for the monitor (default 60)", minimum=1),
    "docker": Field(
        "choice",
        "start Renode from its Docker image: auto (default), always, never",
        choices=DOCKER_MODES,
    ),
    "docker_image": Field("str", "the Renode image (default antmicro/renode:latest)"),
    "docker_url": Field("str", "the Docker engine (default $DOCKER_HOST or the local socket)"),
}

#: Renode answers every command on one text channel; these start its refusals.
ERROR_PREFIXES = (
    "No such command or device",
    "There was an error",
    "Bad parameters",
    "Internal error",
    "Could not find",
)
_IAC = re.compile(rb"\xff[\xfb-\xfe].|\xff\xfa.*?\xff\xf0|\xff[\xf0-\xfa]", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
#: The prompt: ``(monitor)`` or ``(machine name)`` with a space, alone at the end of a line
#: (so "sysbus (SystemBus)" inside a peripheral tree is not mistaken for one).
_PROMPT = re.compile(r"(?:^|\n)\(([\w.:-]+)\) $")


class RenodeError(BackendError):
    """Renode refused a monitor command (the message is Renode's own text)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clean(raw: bytes) -> str:
    text = _IAC.sub(b"", raw).decode("utf-8", "replace")
    return _ANSI.sub("", text).replace("\r", "")


class RenodeMonitor:
    """Renode's monitor over its telnet port: ``execute(command)`` returns the output."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.history: list[str] = []
        self.prompt = ""
        self._sock: socket.socket | None = None
        self._buffer = b""

    def connect(self, timeout: float = 60.0, alive: Any = None) -> str:
        """Connect (Renode takes seconds to start) and read up to the first prompt."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError as exc:
                if alive is not None and not alive():
                    raise BackendError("Renode exited before its monitor came up") from exc
                if time.monotonic() > deadline:
                    raise BackendError(
                        f"Renode's monitor did not open port {self.port} within {timeout:g} s"
                    ) from exc
                time.sleep(0.2)
        return self._until_prompt(timeout)

    def execute(self, command: str) -> str:
        if self._sock is None:
            raise BackendError("the Renode monitor is not connected")
        self.history.append(command)
        self._sock.sendall(command.encode() + b"\n")
        text = self._until_prompt(self.timeout)
        lines = text.split("\n")
        if lines and lines[0].strip() == command.strip():
            lines = lines[1:]  # the echo
        output = "\n".join(line.rstrip() for line in lines).strip()
        if any(line.lstrip().startswith(ERROR_PREFIXES) for line in output.splitlines()):
            raise RenodeError(f"Renode refused {command!r}: {output}")
        return output

    def _until_prompt(self, timeout: float) -> str:
        assert self._sock is not None
        deadline = time.monotonic() + timeout
        while True:
            text = _clean(self._buffer)
            found = _PROMPT.search(text)
            if found is not None:
                self.prompt = found.group(1)
                self._buffer = b""
                return text[: found.start()]
            left = deadline - time.monotonic()
            if left <= 0:
                raise BackendError(
                    f"no prompt from Renode's monitor within {timeout:g} s; "
                    f"it said: {text[-300:]!r}"
                )
            self._sock.settimeout(min(left, 1.0))
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            if not data:
                raise BackendError(f"Renode closed its monitor; last words: {text[-300:]!r}")
            self._buffer += data

    def quit(self) -> None:
        """``quit``: Renode answers and exits without a prompt."""
        if self._sock is None:
            return
        with contextlib.suppress(OSError):
            self.history.append("quit")
            self._sock.sendall(b"quit\n")
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None


class RenodeDevice(ConsoleDevice):
    backend_name = "renode"

    def __init__(
        self,
        name: str,
        capture: ConsoleCapture,
        time_base: TimeBase,
        *,
        monitor: RenodeMonitor,
        process: Running,
        facts: Mapping[str, Any],
    ) -> None:
        super().__init__(name, capture, time_base, facts=facts)
        self.monitor = monitor
        self.process = process

    def reset(self) -> None:
        self.monitor.execute("pause")
        self.monitor.execute("machine Reset")
        self.monitor.execute("start")

    def power_cycle(self, off_for: float = 0.0) -> None:
        self.monitor.execute("pause")
        self.time.sleep(off_for)
        self.monitor.execute("machine Reset")
        self.monitor.execute("start")

    def set_network(self, *, down: bool = False, latency: float = 0.0, loss: float = 0.0) -> None:
        raise Unsupported(f"{self.name}: the Renode machine has no network model (no Wi-Fi)")

    def set_sensors(self, values: Mapping[str, float]) -> None:
        raise Unsupported(f"{self.name}: the Renode platform models no I2C sensors")

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        raise Unsupported(f"{self.name}: the Renode platform models no I2C sensors")

    def press_button(self, hold: float = 0.1) -> None:
        raise Unsupported(f"{self.name}: the Renode platform models no GPIO (no BOOT button)")

    def cut_power_at_write(self, nth: int) -> None:
        raise Unsupported(f"{self.name}: the Renode platform models no flash controller")

    def skew_clock(self, seconds: float) -> None:
        raise Unsupported(f"{self.name}: the Renode platform models no RTC")

    def describe(self) -> dict[str, Any]:
        facts = super().describe()
        facts["experimental"] = True
        if self.process.pid is not None:
            facts["renode_pid"] = self.process.pid
        return facts

    def close(self) -> None:
        if self._closed:
            return
        self.capture.close()  # before Renode's UART socket goes away under it
        self.monitor.quit()
        self.process.stop()
        super().close()


class RenodeBackend:
    name = "renode"
    options = OPTIONS

    def open(self, spec: BoardSpec, session: BackendSession) -> RenodeDevice:
        options = spec.options
        launcher = renode_launcher(options)
        platform = Path(options.get("platform") or PLATFORM)
        uart = str(options.get("uart", "uart0"))
        workdir = Path(session.workdir) / "renode" / spec.name
        workdir.mkdir(parents=True, exist_ok=True)
        monitor_port, uart_port = free_port(), free_port()
        process = launcher.start(
            ["--disable-xwt", "--port", str(monitor_port)],
            [monitor_port, uart_port],
            workdir / "renode.log",
        )
        monitor = RenodeMonitor(monitor_port)
        capture: ConsoleCapture | None = None
        try:
            monitor.connect(float(options.get("start_timeout", 60.0)), alive=process.alive)
            terminal = f"uart-{spec.name}"
            monitor.execute(f'mach create "{spec.name}"')
            monitor.execute(f"machine LoadPlatformDescription @{launcher.path(platform)}")
            monitor.execute(f'emulation CreateServerSocketTerminal {uart_port} "{terminal}" false')
            monitor.execute(f"connector Connect sysbus.{uart} {terminal}")
            if options.get("elf"):
                monitor.execute(f"sysbus LoadELF @{launcher.path(Path(options['elf']))}")
            time_base = session_wall_time(session.state)
            capture = ConsoleCapture(
                spec.name,
                lambda: open_serial(f"socket://127.0.0.1:{uart_port}"),
                now=time_base.now,
                log_path=workdir / "console.log",
            ).start()
            monitor.execute("start")
        except BaseException:
            if capture is not None:
                capture.close()
            monitor.quit()
            process.stop()
            raise
        return RenodeDevice(
            spec.name,
            capture,
            time_base,
            monitor=monitor,
            process=process,
            facts={
                "platform": str(platform),
                "renode": launcher.describe(),
                "monitor_port": monitor_port,
                "uart": f"{uart} on 127.0.0.1:{uart_port}",
            },
        )
