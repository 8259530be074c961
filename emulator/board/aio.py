"""An asyncio event loop that runs on a board clock, with trio-style auto-advance.

Why: the driver around the agent may well be asyncio (MQTT client, fetches, the agent's
ticks); under a :class:`~emulator.board.clock.VirtualClock` its ``asyncio.sleep(60)`` must
take no real time, and board timers (``board.timers``) and asyncio's own timers must fire in
one virtual-time order.  ``new_event_loop(clock)`` gives a loop whose ``time()`` *is* the
clock and whose selector fires the clock's due timers on every turn; when nothing is
runnable it waits for I/O at most ``autojump_threshold`` **real** seconds and then jumps
virtual time to the next deadline (asyncio's or the clock's), exactly as trio's
``MockClock(autojump_threshold=...)`` does.

* ``autojump_threshold=0`` (default): pure virtual time; right for runs with no real I/O.
* With real sockets (a local Mosquitto) use a small threshold (say 0.05): a reply already on
  its way arrives before time jumps past a timeout waiting for it.  Nothing can know that a
  slow peer is "about to" answer, so a threshold that is too small can still jump early.
* With a :class:`~emulator.board.clock.RealTimeClock` the loop never jumps; it just runs the
  clock's timers on time.

Other threads should hand work to the loop with ``loop.call_soon_threadsafe`` (which wakes
it), not with ``clock.call_soon``.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

from .clock import Clock, VirtualClock


class _ClockSelector(selectors.BaseSelector):
    """Wraps the default selector; every ``select`` is a turn of the board clock too."""

    def __init__(self, clock: Clock, autojump_threshold: float) -> None:
        self._inner = selectors.DefaultSelector()
        self._clock = clock
        self._threshold = autojump_threshold
        self._virtual = isinstance(clock, VirtualClock)

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def get_map(self) -> Any:
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        clock = self._clock
        clock.run_until(clock.now())  # board timers that are due run on this turn
        now = clock.now()
        deadline = clock.next_deadline()
        wait = timeout
        if deadline is not None:
            until_deadline = max(0.0, deadline - now)
            wait = until_deadline if wait is None else min(wait, until_deadline)
        if not self._virtual:
            events = self._inner.select(wait)
            clock.run_until(clock.now())
            return events
        if wait is None:
            return self._inner.select(None)  # nothing scheduled anywhere: wait for I/O
        events = self._inner.select(min(wait, self._threshold) if wait > 0 else 0)
        if events or wait <= 0:
            return events
        clock.run_until(now + wait)  # idle for the threshold: jump to the next deadline
        return []


class _ClockEventLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: Clock, selector: _ClockSelector) -> None:
        self._board_clock = clock
        super().__init__(selector)

    def time(self) -> float:
        return self._board_clock.now()


def new_event_loop(clock: Clock, autojump_threshold: float = 0.0) -> asyncio.AbstractEventLoop:
    """An event loop on ``clock`` (see the module docstring); run it with ``run_until_complete``."""
    if autojump_threshold < 0:
        raise ValueError("autojump_threshold must be >= 0")
    return _ClockEventLoop(clock, _ClockSelector(clock, autojump_threshold))


def run(coro: Any, clock: Clock, autojump_threshold: float = 0.0) -> Any:
    """``asyncio.run`` on a board clock: run ``coro`` to completion and close the loop."""
    loop = new_event_loop(clock, autojump_threshold)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
