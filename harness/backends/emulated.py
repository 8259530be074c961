"""The default backend: virtual boards in this process, on one virtual clock.

The boards of a scenario share one :class:`~emulator.device.fleet.Fleet` (one clock thread),
kept in the backend session while any of them is open: each scenario starts on a fresh
virtual clock at 0, so what it records does not depend on the scenarios run before it in
the same process.
On virtual time a :class:`~emulator.device.ledger.Ledger` is told everything the devices,
the harness's observer and the local IoT Core's services send and receive, so virtual
time never moves while a message is on its way, and what arrives at one instant is handed
over in the same order on every run (see :mod:`harness.timebase`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from emulator.board.clock import VirtualClock
from emulator.board.wallclock import RealTimeClock
from emulator.device.control import ControlError, DeviceControl
from emulator.device.fleet import Fleet
from emulator.device.ledger import Ledger
from emulator.iotcore.bridge import REQUEST_FILTERS, SERVICES_PARTY
from harness.netem import FaultProxy
from harness.observer import OBSERVED_FILTERS, OBSERVER_PARTY
from harness.ota.runkeys import run_keys
from harness.timebase import VirtualTimeBase

from .base import BackendSession, BoardSpec, LogLine, TimeBase, Unsupported
from .walltime import session_wall_time

_STATE = "emulated"


class _FleetState:
    def __init__(self, session: BackendSession) -> None:
        self.session = session
        self.clock: RealTimeClock | VirtualClock
        self.ledger: Ledger | None = None
        self.services_tracked = False
        if session.realtime:
            self.clock = RealTimeClock()
        else:
            # No autojump threshold: the ledger says when nothing is in flight.
            self.clock = VirtualClock()
            self.ledger = self._ledger(session, self.clock)
        self.time: TimeBase
        if isinstance(self.clock, VirtualClock):
            self.time = VirtualTimeBase(self.clock)  # held from the start
        else:
            self.time = session_wall_time(session.state)  # one origin with the other boards
        self.fleet = Fleet(
            session.core,  # type: ignore[arg-type]
            Path(session.workdir) / "emulated",
            clock=self.clock,
            monitor=self.ledger,
        ).start()

    def _ledger(self, session: BackendSession, clock: VirtualClock) -> Ledger:
        ledger = Ledger(clock).start()
        ledger.party(OBSERVER_PARTY, OBSERVED_FILTERS)
        if session.observer is not None:
            session.observer.gate = ledger
        monitor = getattr(session.core, "monitor_traffic", None)
        if callable(monitor):  # the local IoT Core's services, in this process
            ledger.party(SERVICES_PARTY, REQUEST_FILTERS, no_local=True)
            monitor(ledger)
            self.services_tracked = True
        return ledger

    def board_time(self, clock_time: float) -> float:
        """A board's clock reading in the devices' time base."""
        if isinstance(self.time, VirtualTimeBase):
            return self.time.at(clock_time)
        return self.time.now()

    def device_closed(self) -> None:
        """The last device of a scenario closes its fleet: the next scenario starts afresh."""
        if self.fleet.devices or self.session.state.get(_STATE) is not self:
            return
        del self.session.state[_STATE]
        if self.close in self.session.closers:
            self.session.closers.remove(self.close)
        self.close()

    def close(self) -> None:
        if isinstance(self.time, VirtualTimeBase):
            self.time.close()
        try:
            self.fleet.stop()
        finally:
            if self.ledger is not None:
                if self.services_tracked:
                    self.session.core.monitor_traffic(None)  # type: ignore[attr-defined]
                if self.session.observer is not None:
                    self.session.observer.gate = None
                self.ledger.close()


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
        # every board of the run trusts the run's own signing key (harness/ota/runkeys.py)
        identity["ota_trust"] = (run_keys(session.state).trusted_pem,)
        # The device reaches the broker through its own fault proxy, so a network that is
        # down acts on real TCP as it would for a board on the bench; bytes in the proxy
        # hold virtual time.  On virtual time, latency and loss are the link's (virtual
        # seconds); on wall time the proxy adds them.
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
            facts["firmware_version"] = getattr(agent, "firmware_version", None)
        return facts

    # --- observation -----------------------------------------------------------------------

    def _console(self, chunk: bytes) -> None:  # the clock's thread
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        t = self._state.board_time(self.emulated.board.cpu.now())  # when the board printed it
        for raw in lines:
            text = raw.rstrip(b"\r").decode("utf-8", "replace")
            self._lines.append(LogLine(t, self.name, text))

    def log(self) -> Sequence[LogLine]:
        """The console so far (not what the board prints later in work it is in the middle
        of: its lines are stamped when the board printed them)."""
        now = self._state.time.now()
        return [line for line in self._lines if line.t <= now]

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
        if self._state.ledger is None:  # wall time: the proxy delays in real time
            self._proxy.set(down=down, latency=latency, loss=loss)
            return
        self._proxy.set(down=down)
        links = self._fleet.network.links
        seed = self._spec.options.get("seed", self._state.session.seed)

        app = self.emulated.app

        def apply() -> None:
            app.set_network_down(down)  # downloads stop here too
            link = links.get(self.name)
            if link is None:
                return
            link.shape(latency=latency, loss=loss, seed=int(seed))
            if down:
                link.sever()  # at this instant, not when the reset reaches its socket

        self._fleet.call(apply)

    # --- the harness's publish path ------------------------------------------------------------

    def expect_delivery(self, topic: str) -> None:
        """A cloud service is about to send ``topic`` to this device (after an API call of
        the harness).  The ledger knows already when the services are the local IoT Core's;
        otherwise (AWS) virtual time waits for it explicitly."""
        ledger = self._state.ledger
        if ledger is not None and not self._state.services_tracked:
            ledger.expect(self.name, topic)

    def expect_disconnect(self) -> None:
        """Its connection is about to be cut from the broker's side (a restart, a revoked
        certificate): virtual time waits until the device has noticed."""
        if self._state.ledger is not None:
            self._state.ledger.expect_down(self.name)

    def close(self) -> None:
        self._unsubscribe()
        try:
            self._fleet.remove(self.name)
        finally:
            self._proxy.close()
            self._state.device_closed()
