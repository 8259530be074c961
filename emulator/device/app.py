"""``main.py`` of an emulated device: the firmware's agent on a virtual board.

This is the emulator's counterpart of ``firmware/ports/esp32c3/main.py``: it reads the
device's config and certificates from the board's own flash, starts the same
:class:`firmware.agent.core.Agent` that runs on hardware, carries out the agent's actions
(network through a :class:`Network`, reboots through the board) and feeds it events:
ticks at the deadlines it asks for (on the board's virtual clock), network events, button
presses.  The board starts it at every boot and stops it at every reset or power cut, so
RAM state is lost exactly where a real board loses it.

Time: running Steel code takes virtual time too.  Each VM step (a procedure call) costs
:data:`STEP_SECONDS` of virtual time, an estimate for MicroPython on a 160 MHz ESP32-C3
(about 10x the WebAssembly build's measured cost per call).  Without it a runaway program
would hold virtual time still and a scenario could never get past it; with it, a
1,000,000-step loop takes ~50 virtual seconds before the agent's step limit ends it, as it
would on the board.
"""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from emulator.board.board import VirtualBoard
from emulator.board.clock import TimerHandle
from emulator.board.flash import PowerLost
from firmware.agent import events
from firmware.agent.config import ConfigError, load_config, load_credentials
from firmware.agent.core import Agent
from firmware.agent.storage import Storage
from firmware.agent.version import FIRMWARE_VERSION

STEP_SECONDS = 50e-6

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


class AgentApp:
    """The firmware agent as the board's ``App``; one instance per board, across boots."""

    def __init__(
        self,
        network: Network,
        *,
        trace: Trace | None = None,
        seed: int | None = None,
        firmware_version: str = FIRMWARE_VERSION,
        step_seconds: float = STEP_SECONDS,
    ) -> None:
        self.network = network
        self.trace = trace
        self.seed = seed
        self.firmware_version = firmware_version
        self.step_seconds = step_seconds
        self.board: VirtualBoard | None = None
        self.agent: Agent | None = None
        self.link: Link | None = None
        self.boot_error: str | None = None
        self.boots = 0
        self._generation = 0  # events from a previous boot's link are dropped
        self._tick: TimerHandle | None = None
        self._steps = 0

    # --- the board's App protocol -------------------------------------------------------

    def start(self, board: VirtualBoard) -> None:
        self.board = board
        self.boots += 1
        self._generation += 1
        generation = self._generation
        self._steps = 0
        try:
            storage = Storage(board.fs)
            config = load_config(storage)
            credentials = load_credentials(storage, config)
        except ConfigError as exc:
            # As on a board: main.py prints why it cannot run and the REPL stays.
            self.boot_error = str(exc)
            board.console(f"agent: cannot start: {exc}")
            board.main_exited()
            return
        self.boot_error = None
        self.agent = Agent(
            config,
            board,
            board.fs,
            self.firmware_version,
            trace=self.trace,
            seed=self.seed,
            storage=storage,
        )

        def post(event: object) -> None:
            # From the link's thread: hand over to the clock's thread.
            board.clock.call_soon(self._deliver, generation, event)

        self.link = self.network.open(config, credentials, post, board.clock)
        board.on_button(lambda event: self._deliver(generation, event))
        self._run(lambda agent: agent.start(board.monotonic()))

    def stop(self, reason: str) -> None:
        # May be called from inside a port call (a power cut during a flash write): only
        # flags and non-blocking requests here.
        self._generation += 1
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        self.agent = None
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
        if generation != self._generation or self.agent is None or self.board is None:
            return
        # Stamped on arrival, in the board's time (links run on other threads and clocks).
        event.now = self.board.monotonic()  # type: ignore[attr-defined]
        self._run(lambda agent: agent.handle(event))

    def _on_tick(self, generation: int) -> None:
        self._tick = None
        if generation != self._generation or self.agent is None or self.board is None:
            return
        now = self.board.monotonic()
        self._run(lambda agent: agent.handle(events.Tick(now)))

    def _run(self, step: Callable[[Agent], list[object]]) -> None:
        agent = self.agent
        board = self.board
        if agent is None or board is None:
            return
        try:
            actions = step(agent)
            self._account_time(agent, board)
            for action in actions:
                self._perform(action)
        except PowerLost:
            return  # the board is off; stop() has run
        self._schedule()

    def _account_time(self, agent: Agent, board: VirtualBoard) -> None:
        steps = agent.metrics_snapshot().get("vm_steps", 0)
        if steps > self._steps:
            board.clock.consume((steps - self._steps) * self.step_seconds)
        self._steps = steps

    def _schedule(self) -> None:
        agent, board = self.agent, self.board
        if agent is None or board is None:
            return
        deadline = agent.next_deadline()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        if deadline is None:
            return
        now = board.monotonic()
        self._tick = board.timers.call_at(max(deadline, now), self._on_tick, self._generation)

    def _perform(self, action: object) -> None:
        link, board = self.link, self.board
        if board is None:
            return
        if isinstance(action, events.Connect):
            if link is not None:
                link.connect()
        elif isinstance(action, events.Publish):
            if link is not None:
                link.publish(action.topic, action.payload, action.qos, action.retain)
        elif isinstance(action, events.Subscribe):
            if link is not None:
                link.subscribe(list(action.filters))
        elif isinstance(action, events.Unsubscribe):
            if link is not None:
                link.unsubscribe(list(action.filters))
        elif isinstance(action, events.Fetch):
            self._fetch(action)
        elif isinstance(action, events.Reboot):
            board.console(f"agent: rebooting ({action.reason})")
            board.clock.call_soon(board.reset)

    def _fetch(self, action: events.Fetch) -> None:
        board = self.board
        assert board is not None
        generation = self._generation

        def get() -> None:
            try:
                with urllib.request.urlopen(action.url, timeout=30) as response:
                    body: bytes | None = response.read()
                error = None
            except (OSError, ValueError) as exc:
                body, error = None, str(exc)
            event = events.Fetched(board.monotonic(), action.request_id, body, error)
            board.clock.call_soon(self._deliver, generation, event)

        threading.Thread(target=get, name=f"fetch-{board.name}", daemon=True).start()
