"""Wall-clock time behind the virtual clock's interface (:mod:`emulator.board.clock`), for
runs against real boards and brokers: the same scheduling code then waits for real."""

from __future__ import annotations

import time
from collections.abc import Callable

from .clock import Clock


class RealTimeClock(Clock):
    """Wall-clock time behind the same interface, for runs against real boards and brokers.

    ``now()`` is ``time.monotonic()`` relative to construction (plus ``start``);
    ``run_until`` sleeps until each deadline, waking early when another thread schedules
    something sooner.
    """

    def __init__(self, start: float = 0.0) -> None:
        super().__init__()
        self._t0 = time.monotonic() - start
        self._skew = 0.0

    def now(self) -> float:
        return time.monotonic() - self._t0

    def wall_time(self) -> float:
        return time.time() + self._skew

    def skew(self, seconds: float) -> None:
        self._skew += seconds

    def consume(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        time.sleep(seconds)

    def run_until(self, deadline: float, stop: Callable[[], bool] | None = None) -> int:
        self._check_not_reentrant()
        fired = 0
        while True:
            handle = self._pop_due(self.now())
            if handle is not None:
                self._fire(handle)
                fired += 1
                if stop is not None and stop():
                    return fired
                continue
            now = self.now()
            if now >= deadline:
                return fired
            with self._cond:
                self._drop_cancelled_head()
                nxt = self._heap[0][0] if self._heap else deadline
                wait = min(nxt, deadline) - now
                if wait > 0:
                    self._cond.wait(wait)
