"""``main.py`` of an emulated device: the firmware's agent on a virtual board.

This is the emulator's counterpart of the real board's ``/main.py``
(``firmware/ports/esp32c3/boot_main.py``, which picks the slot: :mod:`.boot` here) and of
the app it starts from the slot (``firmware/ports/esp32c3/app.py``): it reads the device's
config and certificates from the board's own flash, starts the same
:class:`firmware.agent.core.Agent` that runs on hardware, carries out the agent's actions
(network through a :class:`Network`, reboots through the board) and feeds it events:
ticks at the deadlines it asks for (on the board's virtual clock), network events, button
presses.  The board starts it at every boot and stops it at every reset or power cut, so
RAM state is lost exactly where a real board loses it.

Time: running Steel code takes virtual time, as it takes time on the board.  Each call
into the agent is a *burst* of the board's CPU (:mod:`emulator.board.cpu`): it starts at
the instant the event is handed over, and costs :data:`STEP_SECONDS` per VM step (a
procedure call) plus whatever the board waited for (``delay_ms``, sensor conversions).
What the agent does during the burst happens at the instant it reaches it: each action
it emits is stamped with the board's time at that step and carried out then -- a
``(mqtt-publish ...)`` made 300 steps into a slice leaves 300 steps' time after the slice
began -- and the board is busy until the burst's end: what arrives for it meanwhile is
handed over, in order, between bursts, as the board's main loop would.  Other boards are
not held up: each has its own CPU.  A runaway loop therefore costs its own board 50 virtual
seconds per million steps (the agent's step limit ends it there), and nothing else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from emulator.board.board import VirtualBoard
from emulator.board.clock import TimerHandle
from emulator.board.flash import PowerLost

from .boot import BootFailure, Firmware, boot
from .transfer import Transfers

#: Virtual seconds one Steel VM step costs on the board (docs/device.md, "Computation
#: costs virtual time", says how it was chosen).
STEP_SECONDS = 250e-6
#: Virtual seconds the agent's own work costs per event it handles (decoding a message,
#: the scheduler's round), before any Steel code runs.  Never zero: what a device does in
#: answer to something happens strictly after it, so no answer can overtake its cause.
EVENT_SECONDS = 0.5e-3

Trace = Callable[[str, dict[str, Any]], None]


class Link(Protocol):
    """What the app needs from a network connection (see :class:`DeviceLink`)."""

    def connect(self) -> None: ...

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None: ...

    def subscribe(self, filters: list[tuple[str, int]]) -> None: ...

    def unsubscribe(self, filters: list[str]) -> None: ...

    def sever(self, down_for: float = 0.0) -> None: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


class Network(Protocol):
    """Makes the device's link at boot: ``open(config, credentials, post, holder)``; the
    link reports through ``post(event)`` (from any thread) and holds the board's clock
    (``holder``) while network work it must wait for is in flight."""

    def open(
        self,
        config: Any,
        credentials: tuple[bytes, bytes, bytes],
        post: Callable[[object], None],
        holder: Any = None,
    ) -> Link: ...


#: Virtual seconds from a crash of ``main.py`` to the next boot (the board resets itself).
RESET_SECONDS = 0.5


def live_steps(agent: Any) -> int:
    """VM steps the agent's programs have run, counting the slice running now."""
    rt = agent.programs.runtime
    live = rt.interp.live_steps() if rt is not None else 0
    return int(agent.metrics.vm_steps_retired + live)


class AgentApp:
    """The firmware agent as the board's ``App``; one instance per board, across boots."""

    def __init__(
        self,
        network: Network,
        *,
        trace: Trace | None = None,
        seed: int | None = None,
        firmware_version: str | None = None,
        step_seconds: float = STEP_SECONDS,
        event_seconds: float = EVENT_SECONDS,
    ) -> None:
        self.network = network
        self.trace = trace
        self.seed = seed
        self.firmware_version = firmware_version
        self.step_seconds = step_seconds
        self.event_seconds = event_seconds
        self.board: VirtualBoard | None = None
        self.firmware: Firmware | None = None  # what the board booted
        self.agent: Any = None
        self.transfers: Transfers | None = None
        self.network_down = False
        self.link: Link | None = None
        self.boot_error: str | None = None
        self.boots = 0
        self.busy_until = 0.0  # the board's CPU is busy until then (virtual seconds)
        self.cpu_seconds = 0.0  # virtual CPU time spent in all bursts, for metrics
        self._generation = 0  # events and actions from a previous boot are dropped
        self._wake: TimerHandle | None = None
        self._inbox: deque[object] = deque()

    # --- the board's App protocol -------------------------------------------------------

    def start(self, board: VirtualBoard) -> None:
        self.board = board
        self.boots += 1
        self._generation += 1
        generation = self._generation
        self._inbox.clear()
        self.busy_until = board.clock.now()
        try:
            firmware = boot(board.fs)
        except PowerLost:
            return  # a cut while the selector wrote the boot record
        except BootFailure as exc:
            # As the board's main.py does: say why, and reset (the selector counts the
            # attempt, and gives up on a trial slot after three).
            self.boot_error = str(exc)
            board.console(f"main.py: cannot boot {exc}; resetting")
            board.timers.call_later(RESET_SECONDS, board.reset)
            return
        self.firmware = firmware
        version = self.firmware_version or firmware.version
        try:
            storage = firmware.storage_class(board.fs)
            config = firmware.load_config(storage)
            credentials = firmware.load_credentials(storage, config)
        except firmware.config_error as exc:
            # As on a board: main.py prints why it cannot run and the REPL stays.
            self.boot_error = str(exc)
            board.console(f"agent: cannot start: {exc}")
            board.main_exited()
            return
        self.boot_error = None
        jobs = None
        if firmware.ota is not None:
            jobs = firmware.ota.handler(config, storage, board.fs, version, firmware.slot)
        self.agent = firmware.agent_class(
            config,
            board,
            board.fs,
            version,
            trace=self.trace,
            seed=self.seed,
            storage=storage,
            jobs=jobs,
            stamp=board.cpu.now,
        )

        def post(event: object) -> None:
            # From the link's thread: hand over to the clock's thread.
            board.clock.call_soon(self._deliver, generation, event)

        self.link = self.network.open(config, credentials, post, board.clock)
        self.transfers = Transfers(
            board.clock,
            board.name,
            lambda event: self._deliver(generation, event),
            firmware.events,
        )
        self.transfers.network_down = self.network_down
        board.on_button(lambda event: self._deliver(generation, event))
        self._run(lambda agent: agent.start(board.monotonic()))

    def stop(self, reason: str) -> None:
        # May be called from inside a port call (a power cut during a flash write): only
        # flags and non-blocking requests here.
        self._generation += 1
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        self._inbox.clear()
        self.agent = None
        if self.transfers is not None:
            self.transfers.cancel()
            self.transfers = None
        if self.link is not None:
            link, self.link = self.link, None
            link.abort()

    def load_program(self, program_id: str, source: str, auto_start: bool = True) -> None:
        """Load a program as if a load request had arrived (the console, ``check``)."""
        board = self.board
        if board is None:
            raise RuntimeError("the board has not booted")
        now = board.monotonic()
        self._run(lambda agent: agent.load_program(now, program_id, source, auto_start))

    # --- feeding the agent ----------------------------------------------------------------

    def _deliver(self, generation: int, event: object) -> None:
        """An event for the agent (clock thread): now, or after the work the board is busy
        with, in arrival order."""
        board = self.board
        if generation != self._generation or self.agent is None or board is None:
            return
        firmware = self.firmware
        if firmware is not None:
            event = firmware.event(event)
        if self._inbox or board.clock.now() < self.busy_until:
            self._inbox.append(event)
            self._schedule()
            return
        self._handle(event)

    def _handle(self, event: object) -> None:
        board = self.board
        assert board is not None
        # Stamped when the board takes it, in the board's time.
        event.now = board.monotonic()  # type: ignore[attr-defined]
        self._run(lambda agent: agent.handle(event))

    def _on_wake(self, generation: int) -> None:
        self._wake = None
        board = self.board
        if generation != self._generation or self.agent is None or board is None:
            return
        if self._inbox:
            self._handle(self._inbox.popleft())
        else:
            now = board.monotonic()
            tick = self.firmware.events.Tick(now) if self.firmware is not None else None
            self._run(lambda agent: agent.handle(tick))

    def _run(self, step: Callable[[Any], list[object]]) -> None:
        """One burst: run ``step``, charge its CPU time, carry out its actions at the
        instants they were emitted, and schedule the next wake-up."""
        agent, board = self.agent, self.board
        if agent is None or board is None:
            return
        cpu = board.cpu
        seconds, overhead = self.step_seconds, self.event_seconds
        base = live_steps(agent)
        start = board.clock.now()
        cpu.begin(lambda: overhead + (live_steps(agent) - base) * seconds)
        try:
            actions = step(agent)
        except PowerLost:
            return  # the board is off; stop() has run
        finally:
            cost = cpu.end()
        stamps = agent.take_stamps()
        self.cpu_seconds += cost
        self.busy_until = start + cost
        if len(stamps) != len(actions) or not cpu.virtual:
            # real time: the work took its time already; or not emitted through emit()
            stamps = [start] * len(actions)
        generation = self._generation
        for action, at in zip(actions, stamps, strict=True):
            if at <= start:
                self._perform(action)
            else:
                board.timers.continue_at(at, self._perform_later, generation, action)
        self._schedule()

    def _perform_later(self, generation: int, action: object) -> None:
        if generation == self._generation and self.agent is not None:
            self._perform(action)

    def _schedule(self) -> None:
        agent, board = self.agent, self.board
        if agent is None or board is None:
            return
        if self._inbox:
            when: float | None = self.busy_until
        else:
            deadline = agent.next_deadline()
            when = None if deadline is None else max(deadline, self.busy_until)
        if self._wake is not None:
            if when is not None and self._wake.when == max(when, board.clock.now()):
                return
            self._wake.cancel()
            self._wake = None
        if when is None:
            return
        now = board.clock.now()
        when = max(when, now)
        if when <= self.busy_until:  # the work goes on: the board's own next step
            self._wake = board.timers.continue_at(when, self._on_wake, self._generation)
        else:
            self._wake = board.timers.call_at(when, self._on_wake, self._generation)

    def _perform(self, action: object) -> None:
        """Carry out one action (by name: the slot's firmware has its own classes)."""
        link, board = self.link, self.board
        if board is None:
            return
        kind = type(action).__name__
        if kind == "Connect":
            if link is not None:
                link.connect()
        elif kind == "Publish":
            if link is not None:
                a: Any = action
                link.publish(a.topic, a.payload, a.qos, a.retain)
        elif kind == "Subscribe":
            if link is not None:
                link.subscribe(list(action.filters))  # type: ignore[attr-defined]
        elif kind == "Unsubscribe":
            if link is not None:
                link.unsubscribe(list(action.filters))  # type: ignore[attr-defined]
        elif kind == "Fetch":
            if self.transfers is not None:
                self.transfers.fetch(action)
        elif kind == "Download":
            if self.transfers is not None:
                self.transfers.download(action)
        elif kind == "Reboot":
            board.console(f"agent: rebooting ({action.reason})")  # type: ignore[attr-defined]
            board.clock.call_soon(board.reset)

    def set_network_down(self, down: bool) -> None:
        """A network fault (from the harness): downloads stop where they are."""
        self.network_down = down
        if self.transfers is not None:
            self.transfers.set_network(down)
