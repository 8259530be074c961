"""Messages in flight between the harness and emulated devices hold virtual time.

An autojumping clock moves on when nothing has happened for a few real milliseconds; a
message sitting in the broker is invisible to it.  Without this, a load request published by
the harness could reach the device a virtual minute late (the clock jumped to the next
telemetry timer meanwhile), and a reading published at t=60 could be stamped t=120 by the
observer.  Each message the harness waits for takes a hold on the clock until it arrives; a
message that never arrives (dropped by an ACL, a severed link) is given up after
``expire`` real seconds.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable

from emulator.board.clock import Clock

Key = tuple[str, ...]


class InFlight:
    def __init__(
        self,
        clock: Clock,
        *,
        expire: float = 2.0,
        watched: Callable[[str], bool] = lambda topic: True,
    ) -> None:
        self.clock = clock
        self.expire = expire
        self.watched = watched  # which device topics the harness observes
        self._lock = threading.Lock()
        self._pending: dict[Key, list[float]] = defaultdict(list)  # key -> deadlines
        self._owner: dict[Key, str] = {}
        self.expired = 0
        self._delivered = 0

    def _add(self, key: Key, thing: str) -> None:
        with self._lock:
            self._pending[key].append(time.monotonic() + self.expire)
            self._owner[key] = thing
        self.clock.hold()

    def _remove(self, key: Key) -> bool:
        with self._lock:
            queue = self._pending.get(key)
            if not queue:
                return False
            queue.pop(0)
            if not queue:
                del self._pending[key]
                self._owner.pop(key, None)
        self.clock.release()
        return True

    # --- harness -> device -------------------------------------------------------------------

    def to_devices(self, things: Iterable[str], topic: str) -> None:
        """The harness is about to publish ``topic`` to these devices."""
        for thing in things:
            self._add(("down", thing, topic), thing)

    # --- device -> harness (LinkMonitor) ------------------------------------------------

    def sent(self, thing: str, topic: str, payload: bytes) -> None:
        if self.watched(topic):
            self._add(("up", topic, payload.hex()), thing)

    def received(self, thing: str, topic: str, payload: bytes) -> None:
        self._remove(("down", thing, topic))

    def link_down(self, thing: str) -> None:
        """What a dropped link had in flight may come later or never: stop waiting for it."""
        with self._lock:
            keys = [k for k, owner in self._owner.items() if owner == thing]
        for key in keys:
            while self._remove(key):
                pass

    # --- the harness's observer ----------------------------------------------------------

    def observed(self, topic: str, payload: bytes) -> None:
        """The harness's observer got a device's message.  Its hold is kept until the
        harness has looked at it (:meth:`settle`): virtual time must not run on between a
        reading arriving and the expectation that waits for it being checked."""
        key = ("up", topic, payload.hex())
        with self._lock:
            queue = self._pending.get(key)
            if not queue:
                return
            queue.pop(0)
            if not queue:
                del self._pending[key]
                self._owner.pop(key, None)
            self._delivered += 1

    def await_reply(self, key: Key) -> None:
        """A request the harness observed (a device's shadow update) will be answered by a
        cloud service; hold time until the answer is observed too (:meth:`replied`)."""
        self._add(("reply", *key), key[0] if key else "")

    def replied(self, key: Key) -> None:
        full = ("reply", *key)
        with self._lock:
            queue = self._pending.get(full)
            if not queue:
                return
            queue.pop(0)
            if not queue:
                del self._pending[full]
                self._owner.pop(full, None)
            self._delivered += 1

    def delivered(self) -> int:
        """How many observed messages still hold the clock (take this before checking)."""
        return self._delivered

    def settle(self, upto: int) -> None:
        """The harness has checked everything observed before it took ``upto``."""
        with self._lock:
            n = min(upto, self._delivered)
            self._delivered -= n
        for _ in range(n):
            self.clock.release()

    def expire_old(self) -> None:
        now = time.monotonic()
        with self._lock:
            stale = [k for k, q in self._pending.items() if q and q[0] < now]
        for key in stale:
            if self._remove(key):
                self.expired += 1

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._pending.values())
