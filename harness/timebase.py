"""Time bases for scenarios: virtual (an emulated fleet's clock) and wall time (hardware).

A scenario says "within 65 s"; the time base decides how to wait (DESIGN.md principle 4).
On a virtual fleet the harness keeps the clock *held* whenever it is not waiting, so the
virtual time a step starts at is the time the previous one ended, however long the harness
took in real time; a wait releases the hold and arms a barrier timer at its deadline that
takes the hold back the instant virtual time reaches it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from emulator.board.clock import Clock
from emulator.device.inflight import InFlight

_POLL = 0.005


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
    """An autojumping virtual clock, held by the harness between waits.

    ``real_limit`` bounds how long (real seconds) one wait may take, so a fleet whose clock
    is stuck cannot hang a run.  ``inflight`` (optional) holds the clock for messages the
    harness has received but not yet looked at; each poll settles those it has checked.
    """

    virtual = True

    def __init__(
        self,
        clock: Clock,
        *,
        real_limit: float = 600.0,
        inflight: InFlight | None = None,
    ) -> None:
        self.clock = clock
        self.real_limit = real_limit
        self.inflight = inflight
        self._origin = clock.now()
        self._held = False
        self.hold()

    def now(self) -> float:
        return self.clock.now() - self._origin

    def hold(self) -> None:
        if not self._held:
            self.clock.hold()
            self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self.clock.release()

    def sleep(self, seconds: float) -> None:
        self.wait_for(lambda: False, seconds)

    def _check(self, predicate: Callable[[], bool]) -> bool:
        inflight = self.inflight
        if inflight is None:
            return bool(predicate())
        inflight.expire_old()
        seen = inflight.delivered()
        try:
            return bool(predicate())
        finally:
            inflight.settle(seen)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        if self._check(predicate):
            return True
        target = self.clock.now() + max(0.0, timeout)
        lock = threading.Lock()
        reached = threading.Event()

        def barrier() -> None:  # on the clock's thread, at exactly ``target``
            with lock:
                if not reached.is_set():
                    self.clock.hold()
                    reached.set()

        handle = self.clock.call_at(target, barrier)
        self.release()
        give_up = time.monotonic() + self.real_limit
        satisfied = False
        try:
            while not reached.wait(_POLL):
                if self._check(predicate):
                    satisfied = True
                    break
                if time.monotonic() > give_up:
                    raise TimeoutError(
                        f"virtual time did not reach +{timeout:g}s within {self.real_limit:g} "
                        "real seconds (is the fleet's clock running?)"
                    )
        finally:
            with lock:
                if reached.is_set():
                    self._held = True  # the barrier's hold is ours now
                else:
                    handle.cancel()
                    reached.set()
                    self.hold()
        # A predicate may consume what satisfied it (a message): never evaluate it twice.
        return satisfied or self._check(predicate)

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
