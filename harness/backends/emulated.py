"""The default backend: virtual boards in this process, on one virtual clock.

All boards of a run share one :class:`~emulator.device.fleet.Fleet` (one clock thread), kept
in the backend session; each scenario opens its devices on it and closes them at the end.
The fleet's links report what they send and receive to an
:class:`~emulator.device.inflight.InFlight` tracker, so virtual time never runs past a
message between the harness and a device (see :mod:`harness.timebase`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from emulator.board.clock import RealTimeClock, VirtualClock
from emulator.device.control import ControlError, DeviceControl
from emulator.device.fleet import Fleet
from emulator.device.inflight import InFlight
from harness.netem import FaultProxy
from harness.timebase import VirtualTimeBase

from .base import BackendSession, BoardSpec, LogLine, TimeBase, Unsupported
from .walltime import session_wall_time

_STATE = "emulated"

#: Real seconds the fleet's clock waits, once nothing is due and nothing holds it, before
#: jumping to the next deadline.  The harness tracks what is in flight to and from the
#: devices (holds), so this only covers traffic it cannot see (the services' answers to a
#: device); ``bench/scenario_bench.py`` shows what it costs per reading.
AUTOJUMP = 0.05


class _FleetState:
    def __init__(self, session: BackendSession) -> None:
        self.clock: RealTimeClock | VirtualClock
        if session.realtime:
            self.clock = RealTimeClock()
        else:
            self.clock = VirtualClock(autojump_threshold=AUTOJUMP)
        self.inflight = InFlight(self.clock)
        self.fleet = Fleet(
            session.core,  # type: ignore[arg-type]
            Path(session.workdir) / "emulated",
            clock=self.clock,
            monitor=self.inflight,
        ).start()
        session.on_observed.append(self.observed)
        self.time: TimeBase
        if session.realtime:
            self.time = session_wall_time(session.state)  # one origin with the other boards
        else:
            self.time = VirtualTimeBase(self.clock, inflight=self.inflight)

    def observed(self, topic: str, payload: bytes) -> None:
        """The harness's observer got a message: release what waited for it."""
        self.inflight.observed(topic, payload)
        # A device's shadow update is answered by the shadow service: virtual time waits
        # for the answer, so a shadow expectation sees the state the device reported.
        if topic.startswith("$aws/things/"):
            if topic.endswith("/shadow/update") or (
                "/shadow/name/" in topic and topic.endswith("/update")
            ):
                self.inflight.await_reply((topic,))
            elif topic.endswith("/update/accepted") or topic.endswith("/update/rejected"):
                self.inflight.replied((topic.rsplit("/", 1)[0],))

    def close(self) -> None:
        if isinstance(self.time, VirtualTimeBase):
            self.time.close()
        self.fleet.stop()


def fleet_state(session: BackendSession) -> _FleetState:
    state = session.state.get(_STATE)
    if state is None:
        state = _FleetState(session)
        session.state[_STATE] = state
        session.closers.append(state.close)
    assert isinstance(state, _FleetState)
    return state


class EmulatedBackend:
    name = "emulated"

    def open(self, spec: BoardSpec, session: BackendSession) -> EmulatedDevice:
        state = fleet_state(session)
        options = dict(spec.options)
        identity: dict[str, Any] = {}
        if "limits" in options:
            identity["limits"] = dict(options["limits"])
        if "metrics_interval" in options:
            identity["metrics_interval"] = float(options["metrics_interval"])
        # The device reaches the broker through its own fault proxy, so network faults act
        # on real TCP as they would for a board on the bench; bytes held in the proxy hold
        # virtual time (a delay costs real time, not virtual time).
        endpoint = session.core.endpoint
        proxy = FaultProxy(
            (endpoint.mqtt_host, endpoint.mqtt_port), seed=session.seed, holder=state.clock
        )
        identity["address"] = proxy.address
        seed = int(options.get("seed", session.seed))
        try:
            state.fleet.add(spec.name, seed=seed, **identity)
        except BaseException:
            proxy.close()
            raise
        return EmulatedDevice(state, spec, proxy)


class EmulatedDevice:
    """A :class:`~harness.backends.base.Device` over a board in the shared fleet."""

    def __init__(self, state: _FleetState, spec: BoardSpec, proxy: FaultProxy) -> None:
        self._state = state
        self._proxy = proxy
        self._fleet = state.fleet
        self._spec = spec
        self._lines: list[LogLine] = []
        self._partial = b""
        self.emulated = self._fleet.devices[spec.name]
        board = self.emulated.board
        self._unsubscribe = self._fleet.call(lambda: board.serial.subscribe(self._console))
        self._opened_at = state.time.now() - 1e-9
        # the same operations a device process offers on its control channel
        self._control = DeviceControl(board, state.clock, self._fleet.call)

    # --- identity ----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._spec.name

    @property
    def backend(self) -> str:
        return "emulated"

    @property
    def time(self) -> TimeBase:
        return self._state.time

    def describe(self) -> dict[str, Any]:
        board = self.emulated.board
        facts: dict[str, Any] = self._fleet.call(board.describe)
        agent = self.emulated.agent
        if agent is not None:
            facts["firmware_version"] = getattr(agent, "version", None)
        return facts

    # --- observation -----------------------------------------------------------------------

    def _console(self, chunk: bytes) -> None:  # the clock's thread
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        t = self._state.time.now()
        for raw in lines:
            text = raw.rstrip(b"\r").decode("utf-8", "replace")
            self._lines.append(LogLine(t, self.name, text))

    def log(self) -> Sequence[LogLine]:
        return list(self._lines)

    def led(self) -> bool:
        return self._control.led()

    def pixel(self) -> tuple[int, int, int]:
        return self._control.pixel()

    def history(self) -> list[tuple[float, str, str, dict[str, Any]]]:
        """LED, pixel and button changes since the device was opened, for the timeline
        (times in the device's time base)."""
        board = self.emulated.board
        offset = self._state.time.now() - self._state.clock.now()

        def collect() -> list[tuple[float, str, str, dict[str, Any]]]:
            out: list[tuple[float, str, str, dict[str, Any]]] = []
            for change in board.led.history:
                on = bool(change.value)
                out.append((change.t + offset, "led", f"LED {'on' if on else 'off'}", {"on": on}))
            for change in board.pixel.history:
                rgb = list(change.value)  # type: ignore[call-overload]
                out.append((change.t + offset, "pixel", f"pixel {rgb}", {"color": rgb}))
            for change in board.button.history:
                pressed = bool(change.value)
                summary = f"button {'pressed' if pressed else 'released'}"
                out.append((change.t + offset, "act", summary, {"pressed": pressed}))
            return [e for e in out if e[0] >= self._opened_at]

        result: list[tuple[float, str, str, dict[str, Any]]] = self._fleet.call(collect)
        return result

    # --- stimulus --------------------------------------------------------------------------

    def set_sensors(self, values: Mapping[str, float]) -> None:
        self._control.set_sensors(values)

    def set_sensor_model(self, quantity: str, model: Mapping[str, Any]) -> None:
        try:
            self._control.set_sensor_model(quantity, model)
        except ControlError as exc:
            raise Unsupported(str(exc)) from exc

    def press_button(self, hold: float = 0.1) -> None:
        self._control.press_button(hold)

    # --- faults ----------------------------------------------------------------------------

    def reset(self) -> None:
        self._control.reset()

    def power_cycle(self, off_for: float = 0.0) -> None:
        self._control.power_cycle(off_for)

    def cut_power_at_write(self, nth: int) -> None:
        self._control.cut_power_at_write(nth)

    def skew_clock(self, seconds: float) -> None:
        self._control.skew_clock(seconds)

    def set_network(self, *, down: bool = False, latency: float = 0.0, loss: float = 0.0) -> None:
        self._proxy.set(down=down, latency=latency, loss=loss)

    # --- the harness's publish path ------------------------------------------------------------

    def expect_delivery(self, topic: str) -> None:
        """The harness is about to publish ``topic`` to this device: hold virtual time until
        it arrives."""
        self._state.inflight.to_devices([self.name], topic)

    def close(self) -> None:
        self._unsubscribe()
        self._fleet.remove(self.name)
        self._proxy.close()
