"""Injectable time for the local IoT Core.

Job timeouts and rollout rates are measured in minutes; tests must be able to jump over those
minutes instead of sleeping through them, so every service reads time from a ``Clock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Source of wall-clock time in epoch seconds."""

    def now(self) -> float: ...


class SystemClock:
    """Real time, for interactive use and for the real fleet."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """Time that only moves when a test says so.

    Listeners are called after every ``advance`` so the local IoT Core can fire the timers
    (rollout windows, job timeouts) that became due, synchronously, before ``advance`` returns.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()
        self._listeners: list[Callable[[float], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a ManualClock cannot go backwards")
        with self._lock:
            self._now += seconds
            now = self._now
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now)
        return now

    def add_listener(self, listener: Callable[[float], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[float], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)
