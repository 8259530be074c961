"""Time bases for scenarios: virtual (an emulated fleet's clock) and wall time (hardware).

A scenario says "within 65 s"; the time base decides how to wait (DESIGN.md principle 4).
On a virtual fleet the harness keeps the clock at a *horizon* whenever it is not waiting:
the fleet finishes what is due at the current instant but time does not move, so the
virtual time a step starts at is the time the previous one ended, however long the harness
took in real time.  A wait moves the horizon to its deadline and has the clock evaluate
the expectation at the end of every virtual instant (nothing due, nothing in flight), on
the clock's own thread: it ends at the first instant the expectation holds, or exactly at
the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from emulator.board.clock import VirtualClock


class WallTimeBase:
    """Monotonic seconds since the time base was made; sleeps really sleep (real boards,
    boards in other processes, and emulated boards in a run that mixes them in)."""

    virtual = False

    def __init__(self, *, poll: float = 0.01) -> None:
        self._origin = time.monotonic()
        self._poll = poll

    def now(self) -> float:
        return time.monotonic() - self._origin

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if predicate():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self._poll, left))


class VirtualTimeBase:
    """A virtual clock, held at its horizon by the harness between waits.

    ``real_limit`` bounds how long (real seconds) one wait may take, so a fleet whose clock
    is stuck cannot hang a run.
    """

    virtual = True

    def __init__(self, clock: VirtualClock, *, real_limit: float = 600.0) -> None:
        self.clock = clock
        self.real_limit = real_limit
        self._origin = clock.now()
        self.hold()

    def now(self) -> float:
        return self.clock.now() - self._origin

    def at(self, clock_time: float) -> float:
        """A time of the clock (a board's, say) in this time base."""
        return clock_time - self._origin

    def hold(self) -> None:
        """Time stays at the current instant (what is due there still runs)."""
        self.clock.horizon = self.clock.now()

    def release(self) -> None:
        self.clock.horizon = math.inf

    def sleep(self, seconds: float) -> None:
        self.wait_for(lambda: False, seconds)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """True at the first instant ``predicate()`` holds (it is evaluated once per instant
        in which something happened, on the clock's thread, and never again once it held);
        False when the instant ``timeout`` seconds from now is over.  Time is held after."""
        until = self.clock.now() + max(0.0, timeout)
        try:
            return self.clock.wait_until(predicate, until, self.real_limit)
        except TimeoutError as exc:
            raise TimeoutError(
                f"virtual time did not reach +{timeout:g}s within {self.real_limit:g} real "
                "seconds (is the fleet's clock running?)"
            ) from exc

    def close(self) -> None:
        self.release()


class ScenarioTime:
    """A time base seen from a scenario's start: ``now()`` is 0 when its steps begin."""

    def __init__(self, base: Any) -> None:
        self.base: Any = base
        self.origin: float = self.base.now()
        self.virtual = bool(getattr(base, "virtual", False))

    def now(self) -> float:
        return float(self.base.now()) - self.origin

    def sleep(self, seconds: float) -> None:
        self.base.sleep(seconds)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        return bool(self.base.wait_for(predicate, timeout))
