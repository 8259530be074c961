"""A control channel for an emulated device running in its own process (``steelhil device
run --control stdin``): one JSON object per line in, one per line out.

The serial console cannot carry these: entering the raw REPL stops ``main.py``, as on a
real board.  What a bench would do with a hand on the board -- warm the sensor, press BOOT,
pull the plug mid-write, read the LED -- the harness's emulated-pty backend does through
this channel.

Requests: ``{"op": "set_sensors", "values": {...}}``, ``{"op": "sensor_model", "quantity":
"temperature", "model": {...}}``, ``{"op": "press_button", "hold": 0.1}``,
``{"op": "cut_power_at_write", "nth": 1}``, ``{"op": "power_cycle", "off_for": 0}``,
``{"op": "reset"}``, ``{"op": "skew_clock", "seconds": 60}``, ``{"op": "led"}``,
``{"op": "pixel"}``.  Every reply has ``ok``; a failure has ``error`` and the device stays
up; ``led``/``pixel`` replies carry ``value``.  An optional ``id`` is echoed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from emulator.board.board import VirtualBoard
from emulator.board.clock import Clock
from emulator.board.models import DEFAULTS, Noise, Sequence, Trace, ValueModel

#: What the board's sensors measure.
QUANTITIES = tuple(DEFAULTS)


class ControlError(ValueError):
    pass


def build_model(quantity: str, spec: Mapping[str, Any], now: float) -> tuple[ValueModel, bool]:
    """A sensor model from its description (as scenario files write it); the flag says
    whether its time axis starts now (a trace) rather than at absolute times."""
    kind = spec.get("kind")
    if kind == "sequence":
        every = float(spec.get("every", 60.0))
        values = [float(v) for v in spec["values"]]
        points = [(now + i * every, v) for i, v in enumerate(values)]
        return Sequence(points, spec.get("interpolation", "step")), False
    if kind == "noise":
        sigma = float(spec.get("stddev", 1.0))
        return Noise(float(spec["mean"]), sigma, seed=int(spec.get("seed", 0))), False
    if kind == "csv":
        trace = Trace.load(Path(spec["file"]))
        return trace.model(str(spec.get("column", quantity))), True
    raise ControlError(f"unknown sensor model kind {kind!r}: sequence, noise or csv")


class DeviceControl:
    """Executes control requests on one board; ``call`` runs a function on the board's
    clock thread (a fleet's ``call``)."""

    def __init__(self, board: VirtualBoard, clock: Clock, call: Callable[[Callable[[], Any]], Any]):
        self.board = board
        self.clock = clock
        self.call = call

    def handle(self, line: str) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except ValueError as exc:
            return {"ok": False, "error": f"not JSON: {exc}"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request is a JSON object with an op"}
        reply: dict[str, Any] = {"id": request["id"]} if "id" in request else {}
        op = request.get("op")
        method = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        if method is None:
            ops = sorted(n[3:] for n in dir(self) if n.startswith("op_"))
            return {**reply, "ok": False, "error": f"unknown op {op!r}; ops: {', '.join(ops)}"}
        try:
            value = method(request)
        except (ControlError, KeyError, TypeError, ValueError, OSError) as exc:
            detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            return {**reply, "ok": False, "error": detail}
        reply["ok"] = True
        if value is not None:
            reply["value"] = value
        return reply

    # --- what a hand on the bench does (the emulated backend calls these directly) -----------

    def set_sensors(self, values: Mapping[str, Any]) -> None:
        for name, value in values.items():
            if name not in QUANTITIES:
                raise ControlError(
                    f"unknown quantity {name!r}; quantities: {', '.join(QUANTITIES)}"
                )
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ControlError(f"{name}: a number, not {value!r}")
        self.call(lambda: self.board.env.set(**{k: float(v) for k, v in values.items()}))

    def set_sensor_model(self, quantity: str, spec: Mapping[str, Any]) -> None:
        if quantity not in QUANTITIES:
            raise ControlError(f"unknown quantity {quantity!r}")
        now = self.clock.now()
        model, relative = build_model(quantity, spec, now)
        origin = now if relative else None
        self.call(lambda: self.board.env.set(origin, **{quantity: model}))

    def press_button(self, hold: float = 0.1) -> None:
        self.call(self.board.button.press)
        self.clock.call_later(hold, self.board.button.release)

    def cut_power_at_write(self, nth: int) -> None:
        if nth < 1:
            raise ControlError("nth is 1 or more (1 = the next write)")
        self.call(lambda: self.board.flash.cut_power_at(nth))

    def power_cycle(self, off_for: float = 0.0) -> None:
        board = self.board
        if off_for <= 0:
            self.call(lambda: board.power_cycle(0.0))
            return
        self.call(lambda: board.power_cut() if board.powered else None)
        self.clock.call_later(off_for, board.power_on)

    def reset(self) -> None:
        """EN: reboots a running board; a board left off (a power cut) is powered again."""
        board = self.board
        self.call(lambda: board.reset() if board.powered else board.power_on())

    def skew_clock(self, seconds: float) -> None:
        self.call(lambda: self.board.skew_wall_clock(seconds))

    def led(self) -> bool:
        """The LED now (not a change the board makes later in work it is in the middle of)."""
        return bool(self.call(lambda: self.board.led.on_at(self.clock.now())))

    def pixel(self) -> tuple[int, int, int]:
        color: tuple[int, int, int] = self.call(lambda: self.board.pixel.color_at(self.clock.now()))
        return color

    # --- the same as requests ------------------------------------------------------------

    def op_set_sensors(self, request: dict[str, Any]) -> None:
        values = request["values"]
        if not isinstance(values, dict):
            raise ControlError("values is an object of quantity -> number")
        self.set_sensors(values)

    def op_sensor_model(self, request: dict[str, Any]) -> None:
        self.set_sensor_model(request["quantity"], request["model"])

    def op_press_button(self, request: dict[str, Any]) -> None:
        self.press_button(float(request.get("hold", 0.1)))

    def op_cut_power_at_write(self, request: dict[str, Any]) -> None:
        self.cut_power_at_write(int(request["nth"]))

    def op_power_cycle(self, request: dict[str, Any]) -> None:
        self.power_cycle(float(request.get("off_for", 0.0)))

    def op_reset(self, request: dict[str, Any]) -> None:
        self.reset()

    def op_skew_clock(self, request: dict[str, Any]) -> None:
        self.skew_clock(float(request["seconds"]))

    def op_led(self, request: dict[str, Any]) -> bool:
        return self.led()

    def op_pixel(self, request: dict[str, Any]) -> list[int]:
        return list(self.pixel())


def serve(control: DeviceControl, source: TextIO, sink: TextIO) -> None:
    """Answer requests from ``source`` until it ends (one reply line per request line)."""
    for line in source:
        if not line.strip():
            continue
        sink.write(json.dumps(control.handle(line)) + "\n")
        sink.flush()
