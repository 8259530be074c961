"""A :class:`~harness.backends.base.Device` seen through its serial console.

Why shared: a real board (``serial``), a virtual board in its own process
(``emulated-pty``) and a Renode machine (``renode``) are all reached the same way -- a
console to read and a raw REPL to run code -- and all reach the IoT Core through a
:class:`~harness.netem.FaultProxy`.  What differs (how to reset, what power control there
is) the backends override.

Observing the LEDs.  The firmware prints no LED status line today, and reading GPIO7
through the raw REPL means stopping ``main.py`` (Ctrl-C) -- the running Steel program with
it -- and restarting it.  So :meth:`ConsoleDevice.led` reads the last ``led: on|off`` status
line on the console when the firmware prints one (``observe: console``, the default),
and raises :class:`~harness.backends.base.Unsupported` until it does; ``observe: repl``
in the rig opts into the disturbing REPL read.  A WS2812 cannot be read back at all: its
colour comes only from a ``pixel: R,G,B`` status line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..netem import FaultProxy
from .base import LogLine, TimeBase, Unsupported
from .power import PowerControl
from .rawrepl import RawRepl
from .serialdev import ConsoleCapture

_LED_LINE = re.compile(r"^led: (on|off)\s*$")
_PIXEL_LINE = re.compile(r"^pixel: (\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})\s*$")
OBSERVE_MODES = ("console", "repl")


class ConsoleDevice:
    """One board behind a console capture, a raw REPL and (optionally) a fault proxy."""

    backend_name = "console"

    def __init__(
        self,
        name: str,
        capture: ConsoleCapture,
        time: TimeBase,
        *,
        proxy: FaultProxy | None = None,
        power: PowerControl | None = None,
        facts: Mapping[str, Any] | None = None,
        observe: str = "console",
        repl_timeout: float = 10.0,
    ) -> None:
        if observe not in OBSERVE_MODES:
            raise ValueError(f"observe must be one of {', '.join(OBSERVE_MODES)}, not {observe!r}")
        self._name = name
        self.capture = capture
        self.repl = RawRepl(capture, timeout=repl_timeout)
        self._time = time
        self.proxy = proxy
        self.power = power
        self.facts: dict[str, Any] = dict(facts or {})
        self.observe = observe
        self.closers: list[Callable[[], None]] = []
        self._closed = False

    # --- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def backend(self) -> str:
        return self.backend_name

    @property
    def time(self) -> TimeBase:
        return self._time

    # --- observation ------------------------------------------------------------------------

    def led(self) -> bool:
        for line in reversed(self.capture.lines()):
            found = _LED_LINE.match(line.text)
            if found:
                return found.group(1) == "on"
        if self.observe == "repl":
            with self.repl.session():
                return self.repl.eval("__import__('machine').Pin(7).value()") == "1"
        raise Unsupported(
            f"{self.name}: the firmware has printed no `led: on|off` status line, and reading "
            "GPIO7 through the raw REPL would stop the running program; set `observe: repl` "
            "for this board in the rig to accept that"
        )

    def pixel(self) -> tuple[int, int, int]:
        for line in reversed(self.capture.lines()):
            found = _PIXEL_LINE.match(line.text)
            if found:
                r, g, b = (min(255, int(v)) for v in found.groups())
                return (r, g, b)
        raise Unsupported(
            f"{self.name}: a WS2812 cannot be read back, and the firmware has printed no "
            "`pixel: R,G,B` status line"
        )

    def log(self) -> Sequence[LogLine]:
        return self.capture.lines()

    def describe(self) -> dict[str, Any]:
        facts = dict(self.facts)
        facts["backend"] = self.backend
        facts["console_reconnects"] = self.capture.reconnects
        if self.proxy is not None:
            facts["proxy"] = f"{self.proxy.address[0]}:{self.proxy.address[1]}"
            facts["network"] = asdict(self.proxy.shape)
            facts["proxy_stats"] = asdict(self.proxy.stats)
        return facts

    # --- stimulus: what a console cannot do unless a backend says otherwise --------------------

    def set_sensors(self, values: Mapping[str, float]) -> None:
        raise Unsupported(self._no("set sensor values"))

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        raise Unsupported(self._no("drive a sensor by a model"))

    def press_button(self, hold: float = 0.1) -> None:
        raise Unsupported(self._no("press the BOOT button"))

    # --- faults -----------------------------------------------------------------------------

    def reset(self) -> None:
        raise Unsupported(self._no("reset the board"))

    def power_cycle(self, off_for: float = 0.0) -> None:
        if self.power is None:
            raise Unsupported(
                f"{self.name} has no power control in the rig (add `power:` to its entry)"
            )
        self.power.cycle(off_for)

    def cut_power_at_write(self, nth: int) -> None:
        raise Unsupported(self._no("cut power at a chosen flash write"))

    def skew_clock(self, seconds: float) -> None:
        raise Unsupported(self._no("skew the board's clock"))

    def set_network(self, *, down: bool = False, latency: float = 0.0, loss: float = 0.0) -> None:
        if self.proxy is None:
            raise Unsupported(f"{self.name}: its network does not go through a fault proxy")
        self.proxy.set(down=down, latency=latency, loss=loss)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.capture.close()
        if self.proxy is not None:
            self.proxy.close()
        while self.closers:
            self.closers.pop()()

    # --- helpers ----------------------------------------------------------------------------

    def _no(self, what: str) -> str:
        return f"{self.name}: the {self.backend} backend cannot {what}"
