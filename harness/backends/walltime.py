"""The wall time base a session's wall-time boards share (real boards, separate processes,
emulated boards in a mixed run), so their log lines and messages share one origin.  The
class itself is :class:`harness.timebase.WallTimeBase`."""

from __future__ import annotations

from typing import Any

from harness.timebase import WallTimeBase

__all__ = ["STATE_KEY", "WallTimeBase", "session_wall_time"]

#: Key under which the session's shared wall time base is kept in ``BackendSession.state``.
STATE_KEY = "timebase.wall"


def session_wall_time(state: dict[str, Any]) -> WallTimeBase:
    """The wall time base every wall-time backend of a session shares."""
    base = state.get(STATE_KEY)
    if not isinstance(base, WallTimeBase):
        base = WallTimeBase()
        state[STATE_KEY] = base
    return base
