"""Wall time, the time base of boards that cannot be paused (real boards, separate processes).

Why a class for something this small: a scenario waits "within 65 s" through the
:class:`~harness.backends.base.TimeBase` of its devices and must not care whether that is a
virtual clock that jumps or the room's clock that does not.  Every wall-time backend of one
session shares one instance (:func:`session_wall_time`), so their log lines share one origin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: Key under which the session's shared wall time base is kept in ``BackendSession.state``.
STATE_KEY = "timebase.wall"


class WallTimeBase:
    """Monotonic seconds since the time base was created; sleeps really sleep."""

    def __init__(self, *, poll: float = 0.01) -> None:
        self._origin = time.monotonic()
        self._poll = poll

    @property
    def virtual(self) -> bool:
        return False

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


def session_wall_time(state: dict[str, Any]) -> WallTimeBase:
    """The wall time base every wall-time backend of a session shares."""
    base = state.get(STATE_KEY)
    if not isinstance(base, WallTimeBase):
        base = WallTimeBase()
        state[STATE_KEY] = base
    return base
