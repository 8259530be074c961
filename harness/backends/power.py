"""Power control for real boards: small drivers, registered by name (labgrid's model).

A rig entry's ``power:`` mapping names its ``driver`` and that driver's keys::

    power: {driver: command, power_on: [relayctl, "1", "on"], power_off: [relayctl, "1", "off"]}
    power: {driver: usb-relay, port: /dev/ttyUSB3, channel: 1}
    power: {driver: uhubctl, location: "1-1", port: 2}
    power: {driver: none}

* ``command`` runs shell-less argvs (a ``cycle`` argv may use ``{off_for}``); the keys are
  ``power_on``/``power_off`` because YAML 1.1 reads a bare ``on:``/``off:`` as true/false;
* ``usb-relay`` speaks the LCUS-1 family's serial protocol (CH340, 9600 baud): four bytes
  ``A0 <channel> <state> <sum>``, e.g. ``A0 01 01 A2`` closes relay 1, ``A0 01 00 A1``
  opens it.  ``wiring: normally-open`` (default) means a closed relay powers the board;
* ``uhubctl`` switches a USB hub port's VBUS (``uhubctl -l LOCATION -p PORT -a on|off``),
  which powers the board when it is powered from that port;
* ``none``: the board cannot be power-cycled; asking raises ``Unsupported``.

A new driver is a :class:`PowerDriver` passed to :func:`register_power`.

``check()`` (used by ``steelhil rig check`` before a night starts) says whether a driver
answers without switching anything: the ``command`` driver runs its optional ``status``
argv (else it checks that its programs exist), the relay's port must open, and uhubctl is
asked for the port's status.  It returns None when the driver answers, else why not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .base import BackendError, Unsupported
from .schema import Field

Runner = Callable[[Sequence[str]], None]
Opener = Callable[[str, int], Any]


class PowerControl(Protocol):
    """Switch one board's supply."""

    def on(self) -> None: ...

    def off(self) -> None: ...

    def cycle(self, off_for: float = 0.0) -> None: ...


def check_power(power: PowerControl) -> str | None:
    """None if the driver answers, else why not (drivers without ``check`` answer)."""
    check = getattr(power, "check", None)
    if check is None:
        return None
    try:
        found: str | None = check()
    except BackendError as exc:
        return str(exc)
    return found


def _program_missing(argv: Sequence[str]) -> str | None:
    program = argv[0]
    if os.sep in program:
        if os.path.isfile(program) and os.access(program, os.X_OK):
            return None
        return f"{program} is not an executable file"
    return None if shutil.which(program) else f"{program} is not on PATH"


def run_argv(argv: Sequence[str]) -> None:
    """Run a command without a shell; a failure says which command and what it printed."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackendError(f"power command {list(argv)} failed: {exc}") from exc
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-300:]
        raise BackendError(
            f"power command {list(argv)} exited with {done.returncode}: {said or 'no output'}"
        )


@dataclass
class Deps:
    """What drivers touch in the world (tests replace them)."""

    runner: Runner = run_argv
    opener: Opener | None = None
    sleep: Callable[[float], None] = time.sleep


@dataclass
class CommandPower:
    on_argv: list[str]
    off_argv: list[str]
    cycle_argv: list[str] | None = None
    deps: Deps = field(default_factory=Deps)
    status_argv: list[str] | None = None

    def check(self) -> str | None:
        if self.status_argv is not None:
            self.deps.runner(self.status_argv)
            return None
        for argv in (self.on_argv, self.off_argv):
            missing = _program_missing(argv)
            if missing:
                return missing
        return None

    def on(self) -> None:
        self.deps.runner(self.on_argv)

    def off(self) -> None:
        self.deps.runner(self.off_argv)

    def cycle(self, off_for: float = 0.0) -> None:
        if self.cycle_argv is not None:
            self.deps.runner([a.replace("{off_for}", f"{off_for:g}") for a in self.cycle_argv])
            return
        self.off()
        self.deps.sleep(off_for)
        self.on()


def lcus_frame(channel: int, closed: bool) -> bytes:
    """One LCUS relay command: header 0xA0, channel, state, and their 8-bit sum."""
    state = 1 if closed else 0
    return bytes([0xA0, channel, state, (0xA0 + channel + state) & 0xFF])


@dataclass
class LcusRelay:
    port: str
    channel: int = 1
    baud: int = 9600
    normally_open: bool = True
    deps: Deps = field(default_factory=Deps)

    def check(self) -> str | None:
        port = self._open()
        port.close()
        return None

    def _open(self) -> Any:
        opener = self.deps.opener
        if opener is None:
            from .serialdev import open_serial

            def opener(url: str, baud: int) -> Any:
                return open_serial(url, baud, timeout=1.0)

        return opener(self.port, self.baud)

    def _set(self, closed: bool) -> None:
        port = self._open()
        try:
            port.write(lcus_frame(self.channel, closed))
            if hasattr(port, "flush"):
                port.flush()
        finally:
            port.close()

    def on(self) -> None:
        self._set(self.normally_open)

    def off(self) -> None:
        self._set(not self.normally_open)

    def cycle(self, off_for: float = 0.0) -> None:
        self.off()
        self.deps.sleep(max(off_for, 0.5))  # let the board's capacitors drain
        self.on()


@dataclass
class Uhubctl:
    location: str
    port: int
    command: list[str] = field(default_factory=lambda: ["uhubctl"])
    deps: Deps = field(default_factory=Deps)

    def _argv(self, action: str) -> list[str]:
        return [*self.command, "-l", self.location, "-p", str(self.port), "-a", action]

    def check(self) -> str | None:
        self.deps.runner([*self.command, "-l", self.location, "-p", str(self.port)])
        return None

    def on(self) -> None:
        self.deps.runner(self._argv("on"))

    def off(self) -> None:
        self.deps.runner(self._argv("off"))

    def cycle(self, off_for: float = 0.0) -> None:
        self.off()
        self.deps.sleep(max(off_for, 0.5))
        self.on()


class NoPower:
    def _refuse(self) -> None:
        raise Unsupported("this board has no power control (`power: {driver: none}` in the rig)")

    def on(self) -> None:
        self._refuse()

    def off(self) -> None:
        self._refuse()

    def cycle(self, off_for: float = 0.0) -> None:
        self._refuse()


@dataclass(frozen=True)
class PowerDriver:
    """A driver's rig keys (besides ``driver``) and how to build it from them."""

    fields: Mapping[str, Field]
    build: Callable[[Mapping[str, Any], Deps], PowerControl]


def _command(c: Mapping[str, Any], deps: Deps) -> PowerControl:
    status = c.get("status")
    return CommandPower(
        list(c["power_on"]),
        list(c["power_off"]),
        c.get("cycle"),
        deps,
        list(status) if status else None,
    )


def _relay(c: Mapping[str, Any], deps: Deps) -> PowerControl:
    return LcusRelay(
        c["port"],
        int(c.get("channel", 1)),
        int(c.get("baud", 9600)),
        c.get("wiring", "normally-open") == "normally-open",
        deps,
    )


def _uhubctl(c: Mapping[str, Any], deps: Deps) -> PowerControl:
    return Uhubctl(str(c["location"]), int(c["port"]), list(c.get("command", ["uhubctl"])), deps)


_DRIVERS: dict[str, PowerDriver] = {
    "command": PowerDriver(
        {
            "power_on": Field("argv", "command that powers the board", required=True),
            "power_off": Field("argv", "command that cuts its power", required=True),
            "cycle": Field("argv", "command for a cycle; {off_for} is replaced by seconds"),
            "status": Field("argv", "command that exits 0 when the switch answers (rig check)"),
        },
        _command,
    ),
    "usb-relay": PowerDriver(
        {
            "port": Field("str", "the relay's serial port", required=True),
            "channel": Field("int", "relay number on the module (1-8)", minimum=1),
            "baud": Field("int", "default 9600", minimum=1),
            "wiring": Field(
                "choice",
                "which contacts feed the board",
                choices=("normally-open", "normally-closed"),
            ),
        },
        _relay,
    ),
    "uhubctl": PowerDriver(
        {
            "location": Field("str", "hub location as uhubctl prints it (-l)", required=True),
            "port": Field("int", "hub port number (-p)", required=True, minimum=1),
            "command": Field("argv", "how to run uhubctl (default [uhubctl])"),
        },
        _uhubctl,
    ),
    "none": PowerDriver({}, lambda c, deps: NoPower()),
}


def register_power(name: str, driver: PowerDriver) -> None:
    _DRIVERS[name] = driver


def drivers() -> dict[str, PowerDriver]:
    return dict(_DRIVERS)


def power_from_config(config: Mapping[str, Any] | None, deps: Deps | None = None) -> PowerControl:
    """The driver a rig entry's ``power:`` mapping describes (``none`` when absent).

    The rig loader has checked the keys; this checks again only what it must to build.
    """
    if not config:
        return NoPower()
    name = config.get("driver")
    driver = _DRIVERS.get(str(name))
    if driver is None:
        raise BackendError(
            f"unknown power driver {name!r}; available: {', '.join(sorted(_DRIVERS))}"
        )
    missing = [k for k, f in driver.fields.items() if f.required and k not in config]
    if missing:
        raise BackendError(f"power driver {name!r} needs {', '.join(missing)}")
    return driver.build(config, deps or Deps())
