"""The virtual ESP32-C3-DevKit-RUST-1: clock, pins, I2C sensors, flash, console, lifecycle.

Why: the agent and its drivers run unchanged against this object (it implements
``firmware.agent.ports.Board``), and the harness drives the world around it: sensor
values, the BOOT button, resets, power cuts, clock skew, the serial console.  Everything
observable is recorded on :attr:`VirtualBoard.timeline` with virtual timestamps.

Lifecycle, as on the real board:

* ``power_on()``: flash powered, sensors at their power-on state, the firmware boots and
  ``main.py`` runs: the :class:`App` (the driver around the agent) is started;
* ``reset()`` (EN button, ``machine.reset()``, a watchdog): RAM is lost (the app is stopped,
  its timers and button handlers dropped, the REPL's globals cleared), GPIO7 goes low, the
  WS2812 keeps its colour (it latches it and stays powered), the sensors keep their state,
  the flash keeps everything; then it boots again;
* ``soft_reset()`` (Ctrl-D, ``machine.soft_reset()``): the same for RAM, but pins are left as
  they are and ``main.py`` is skipped when the console is in raw-REPL mode;
* ``power_cut()`` / a cut armed on the flash (``board.flash.cut_power_at(n)``): the app is
  stopped, LED and pixel go dark, the console goes silent, and every port call raises
  :class:`~emulator.board.flash.PowerLost` until ``power_on()``; ``power_cycle(off_for)``
  cuts and restores.

Time: many boards may share one clock (a fleet then lives in one virtual time); each board
reads its own :attr:`cpu` clock, the shared time plus what its CPU has spent on the work
it is doing now (:mod:`emulator.board.cpu`), so ``delay_ms``, I2C clock stretching and a
program's computation cost the board virtual time without holding up the others.  The
board schedules on :attr:`timers`, a scope that a reset cancels.

``heap()`` is a model, not a measurement: the C3's initial MicroPython GC heap (64,000
bytes) with 11,392 bytes used after boot (both from a C3 report, micropython#14293), plus
whatever the app declares with :meth:`set_heap_used` (the Steel runtime meters its
programs' memory).  The CPython process's own memory says nothing about a board's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Protocol

from firmware.agent import events, ports

from .clock import Clock, VirtualClock
from .console import SOFT_REBOOT, SerialConsole
from .cpu import BoardClock
from .flash import Flash, PowerLost
from .fs import VirtualFileSystem
from .gpio import HISTORY_LEN, Button, Change, Led, Pixel
from .i2c import VirtualI2C
from .icm42670 import ICM42670
from .models import Environment
from .repl import RESET_CAUSES, format_exception
from .shtc3 import SHTC3
from .timeline import Timeline

HEAP_TOTAL = 64_000
HEAP_AT_BOOT = 11_392


class App(Protocol):
    """What runs as ``main.py``: the driver around the agent.

    ``start`` is called at every boot that runs ``main.py``; ``stop`` when the firmware
    stops for ``reason`` (``reset``, ``soft-reset``, ``power-cut``, ``interrupt``).  Both are
    called synchronously, ``stop`` possibly from inside a port call (a power cut during a
    flash write): set flags there, do not call back into the board.
    """

    def start(self, board: VirtualBoard) -> None: ...

    def stop(self, reason: str) -> None: ...


class VirtualBoard(ports.Board):  # type: ignore[misc]
    """One virtual ESP32-C3-DevKit-RUST-1.

    ``clock``: share one :class:`~emulator.board.clock.VirtualClock` between boards for a
    fleet; ``flash``: pass a previous board's flash (or a restored snapshot) to keep its
    files; ``app``: what runs as ``main.py``; ``powered``: power on now (default);
    ``timeline_len`` / ``history_len``: how many timeline events and pin changes each are
    kept (the oldest are dropped): these bound a board's memory in a long fleet run.
    """

    def __init__(
        self,
        name: str = "esp32c3",
        *,
        clock: Clock | None = None,
        flash: Flash | None = None,
        env: Environment | None = None,
        app: App | None = None,
        timeline_len: int | None = 10_000,
        history_len: int | None = HISTORY_LEN,
        bus_time: bool = False,
        heap_total: int = HEAP_TOTAL,
        powered: bool = True,
    ) -> None:
        self.name = name
        self.clock: Clock = clock if clock is not None else VirtualClock()
        # The board's own time: the shared clock plus its CPU's current work (see cpu.py).
        # Everything on the board reads it, so what the board does mid-work is stamped at
        # the instant it does it.
        self.cpu = BoardClock(self.clock)
        self.timers = self.cpu.scope()
        self.timeline = Timeline(self.cpu.now, timeline_len)
        self.env = env if env is not None else Environment()
        self.flash = flash if flash is not None else Flash()
        self.flash.on_power_cut(self._flash_cut)
        self.fs = VirtualFileSystem(self.flash)
        self.led = Led(self.cpu, history_len)
        self.pixel = Pixel(self.cpu, history_len)
        self.button = Button(self.cpu, history_len)
        self.led.subscribe(self._led_changed)
        self.pixel.subscribe(self._pixel_changed)
        self.button.subscribe(self._button_changed)
        self.i2c = VirtualI2C(self.cpu, bus_time=bus_time, guard=self._check_power)
        self.shtc3 = SHTC3(self.cpu, self.env)
        self.imu = ICM42670(self.cpu, self.env)
        self.i2c.attach(self.shtc3)
        self.i2c.attach(self.imu)
        self.serial = SerialConsole(self)
        self.app = app
        self.app_running = False
        self.powered = False
        self.boot_count = 0
        self.booted_at = 0.0
        self.reset_cause = RESET_CAUSES["PWRON_RESET"]
        self.wall_skew = 0.0
        self.heap_total = heap_total
        self.heap_used_by_app = 0
        self._button_handlers: list[Callable[[events.Button], None]] = []
        if powered:
            self.power_on()

    # --- firmware.agent.ports.Board --------------------------------------------------------

    def set_led(self, on: bool) -> None:
        self._check_power()
        self.led.set(bool(on))

    def set_pixel(self, r: int, g: int, b: int) -> None:
        self._check_power()
        self.pixel.set(r, g, b)

    def button_pressed(self) -> bool:
        self._check_power()
        return self.button.pressed

    def delay_ms(self, ms: float) -> None:
        self._check_power()
        self.cpu.consume(max(0.0, ms) / 1000.0)

    def wall_time(self) -> float:
        return self.cpu.wall_time() + self.wall_skew

    def heap(self) -> tuple[int, int]:
        """(free, total) bytes of the modelled MicroPython heap (see the module docstring)."""
        used = HEAP_AT_BOOT + self.heap_used_by_app
        return (max(0, self.heap_total - used), self.heap_total)

    def console(self, text: str) -> None:
        """A log line from the firmware: on the serial console and the timeline."""
        self._check_power()
        self.timeline.record("console", text)
        self.serial.print_line(text)

    # --- more for the firmware's driver ----------------------------------------------------

    def monotonic(self) -> float:
        """Monotonic seconds on the board's clock (what ``events.Tick.now`` carries)."""
        return self.cpu.now()

    def uptime(self) -> float:
        """Seconds since the last boot (``time.ticks_ms()`` counts from there)."""
        return self.cpu.now() - self.booted_at

    def on_button(self, handler: Callable[[events.Button], None]) -> Callable[[], None]:
        """Deliver BOOT button changes as ``firmware.agent.events.Button`` events.

        Like a ``Pin.irq`` handler it lives in RAM: a reset or power cut drops it.
        """
        self._button_handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._button_handlers:
                self._button_handlers.remove(handler)

        return unsubscribe

    def set_heap_used(self, nbytes: int) -> None:
        """The app's own heap use beyond the boot baseline (reset to 0 at every boot)."""
        self.heap_used_by_app = max(0, int(nbytes))

    def main_exited(self, exc: BaseException | None = None) -> None:
        """The app (``main.py``) ended by itself; an exception is printed as a traceback."""
        if not self.app_running:
            return
        self.app_running = False
        self.timers.cancel_all()
        self._button_handlers.clear()
        self.timeline.record("halt", "main-exited" if exc is None else "main-crashed")
        if exc is not None:
            self.serial.emit(format_exception(exc).encode("utf-8", "replace"))
        self.serial.app_stopped()

    @property
    def unique_id(self) -> bytes:
        """A stable 6-byte id derived from the name (``machine.unique_id()``: the MAC)."""
        return hashlib.sha256(self.name.encode()).digest()[:6]

    # --- the harness's levers ---------------------------------------------------------------

    def power_on(self) -> None:
        if self.powered:
            return
        self.flash.power_on()
        self.i2c.power_on_reset()
        self.powered = True
        self.timeline.record("power", "on")
        self.reset_cause = RESET_CAUSES["PWRON_RESET"]
        self._boot("power-on", run_main=True)

    def power_cut(self) -> None:
        """Power disappears now (the harness's fault, or a cut armed on the flash)."""
        if not self.powered:
            return
        self._halt("power-cut")
        self.powered = False
        self.flash.power_off()
        self.led.set(False)
        self.pixel.set(0, 0, 0)
        self.serial.powered_off()
        self.timeline.record("power", "off")

    def power_cycle(self, off_for: float = 0.0) -> None:
        """Cut power, and restore it ``off_for`` virtual seconds later (at once if 0)."""
        self.power_cut()
        if off_for > 0:
            self.cpu.call_later(off_for, self.power_on)
        else:
            self.power_on()

    def reset(self) -> None:
        """Hard reset (EN button, ``machine.reset()``): RAM lost, flash kept, boots again."""
        self._check_power()
        self._halt("reset")
        self.led.set(False)  # GPIO7 back to an input: the LED goes dark
        self.reset_cause = RESET_CAUSES["HARD_RESET"]
        self._boot("reset", run_main=True)

    def soft_reset(self) -> None:
        """Soft reset (Ctrl-D, ``machine.soft_reset()``): RAM lost, pins kept."""
        self._check_power()
        self.serial.emit(SOFT_REBOOT)
        raw = self.serial.mode in ("raw", "raw-paste")
        self._halt("soft-reset")
        self.reset_cause = RESET_CAUSES["SOFT_RESET"]
        self._boot("soft-reset", run_main=not raw, raw=raw)

    def interrupt(self) -> None:
        """Ctrl-C reached ``main.py``: the app stops, the board stays up (REPL)."""
        if self.app_running:
            self._stop_app("interrupt")

    def skew_wall_clock(self, seconds: float) -> None:
        """Fault: this board's wall clock runs ``seconds`` ahead (negative: behind)."""
        self.wall_skew += seconds
        self.timeline.record("skew", seconds)

    def describe(self) -> dict[str, Any]:
        """A summary for reports."""
        return {
            "name": self.name,
            "powered": self.powered,
            "boot_count": self.boot_count,
            "uptime": self.uptime() if self.powered else None,
            "app_running": self.app_running,
            "led": self.led.on,
            "pixel": self.pixel.color,
            "button": self.button.pressed,
            "console_mode": self.serial.mode,
            "flash_writes": self.flash.counters.writes,
            "power_cuts": self.flash.counters.power_cuts,
        }

    # --- internals --------------------------------------------------------------------------

    def _check_power(self) -> None:
        if not self.powered:
            raise PowerLost(f"{self.name} is unpowered")

    def _boot(self, reason: str, *, run_main: bool, raw: bool = False) -> None:
        self.boot_count += 1
        self.booted_at = self.cpu.now()
        self.heap_used_by_app = 0
        self.timeline.record("boot", reason)
        if run_main and self.app is not None:
            self.app_running = True
            self.serial.booted(app_running=True, raw=False)
            self.app.start(self)
        else:
            self.serial.booted(app_running=False, raw=raw)

    def _halt(self, reason: str) -> None:
        if self.app_running:
            self._stop_app(reason)
        else:
            self.timeline.record("halt", reason)
            self.timers.cancel_all()
            self._button_handlers.clear()
        self.serial.halted()

    def _stop_app(self, reason: str) -> None:
        self.app_running = False
        self.timers.cancel_all()
        self._button_handlers.clear()
        self.timeline.record("halt", reason)
        if self.app is not None:
            self.app.stop(reason)

    def _flash_cut(self) -> None:
        self.power_cut()

    def _led_changed(self, change: Change) -> None:
        self.timeline.record("led", change.value)

    def _pixel_changed(self, change: Change) -> None:
        self.timeline.record("pixel", change.value)

    def _button_changed(self, change: Change) -> None:
        self.timeline.record("button", change.value)
        if self.powered and self._button_handlers:
            event = events.Button(change.t, bool(change.value))
            for handler in list(self._button_handlers):
                handler(event)
