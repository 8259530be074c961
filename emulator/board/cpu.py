"""A board's own time: the shared clock plus what the board's CPU has spent on its current
piece of work.

Why: every board in a fleet has its own CPU.  When one of them computes for 80 ms of
virtual time (a Steel loop, a 12 ms SHTC3 conversion it waits for), *its* time moves on
while it works -- what it stamps, the LED change it makes, the message it sends happen at
the instant it reaches them -- but the shared clock, and every other board, must not be
dragged along.  So the driver of a board (the emulated device's app) opens a *burst*
around each piece of work: inside it, this clock's ``now()`` is the shared time at the
start of the burst plus the CPU time spent so far (``consume`` for delays and bus time,
plus a meter the driver supplies, e.g. VM steps x seconds per step); at its end the
driver learns what the burst cost, and schedules what follows at that later instant.

Outside a burst this clock *is* the shared clock (``consume`` then moves shared time, as
for a REPL's ``time.sleep`` on a board running on its own clock).  On a real-time clock
there is nothing to charge: work takes the time it takes, and ``consume`` sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import Callback, Clock, TimerHandle, TimerScope

Meter = Callable[[], float]


class BoardClock(Clock):
    """One board's view of ``shared`` (see the module docstring)."""

    def __init__(self, shared: Clock) -> None:
        super().__init__()
        self.shared = shared
        self.virtual = shared.virtual
        self._in_burst = False
        self._spent = 0.0
        self._meter: Meter | None = None

    # --- bursts ------------------------------------------------------------------------------

    def begin(self, meter: Meter | None = None) -> None:
        """Start a piece of work at the shared clock's current instant; ``meter()`` returns
        the CPU seconds it has used so far, besides what is ``consume``-d."""
        self._in_burst = self.virtual
        self._spent = 0.0
        self._meter = meter if self.virtual else None

    def end(self) -> float:
        """End the burst; returns the virtual seconds it took (>= 0)."""
        cost = self.elapsed()
        self._in_burst = False
        self._spent = 0.0
        self._meter = None
        return cost

    @property
    def in_burst(self) -> bool:
        return self._in_burst

    def elapsed(self) -> float:
        """CPU seconds spent in the current burst (0 outside one)."""
        if not self._in_burst:
            return 0.0
        used = self._meter() if self._meter is not None else 0.0
        return self._spent + max(0.0, used)

    # --- time -------------------------------------------------------------------------------

    def now(self) -> float:
        return self.shared.now() + self.elapsed()

    def wall_time(self) -> float:
        return self.shared.wall_time() + self.elapsed()

    def consume(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        if self._in_burst:
            self._spent += seconds
        else:
            self.shared.consume(seconds)

    def run_until(self, deadline: float, stop: Callable[[], bool] | None = None) -> int:
        return self.shared.run_until(deadline, stop)

    # --- the shared queue and holds -------------------------------------------------------------

    def _schedule(
        self, when: float, callback: Callback, args: tuple[Any, ...], scope: TimerScope | None
    ) -> TimerHandle:
        return self.shared._schedule(when, callback, args, scope)

    def call_soon(self, callback: Callback, *args: Any) -> TimerHandle:
        """At the shared clock's current instant (a thread hand-over, not board work)."""
        return self.shared.call_soon(callback, *args)

    def scope(self) -> TimerScope:
        return TimerScope(self)

    def next_deadline(self) -> float | None:
        return self.shared.next_deadline()

    def pending(self) -> int:
        return self.shared.pending()

    def hold(self) -> None:
        self.shared.hold()

    def release(self) -> None:
        self.shared.release()

    @property
    def holds(self) -> int:
        return self.shared.holds
