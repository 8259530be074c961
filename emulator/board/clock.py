"""Time for virtual boards: one interface, a virtual and a real implementation.

Why: a scenario says "the LED blinks every second" or "telemetry every 60 s"; on a virtual
board that must take milliseconds of real time, on a real board it takes wall time, and the
code that schedules the work must not care which (DESIGN.md, "time is a resource"; trio's
``MockClock`` is the model).

Both clocks offer:

* ``now()``: monotonic seconds; ``wall_time()``: seconds since 1970 (virtual: an epoch plus
  ``now()``, skewable, so the harness can inject clock skew as a fault);
* ``call_at`` / ``call_later`` / ``call_soon``: schedule a callback, get a cancellable
  :class:`TimerHandle`;
* ``advance(seconds)`` / ``run_until(t)``: let time pass, firing everything that falls due,
  in deadline order (ties in scheduling order);
* ``consume(seconds)``: time spent *busy* inside a synchronous call (``delay_ms``, I2C
  clock stretching). A single-core board that is blocked runs no other callback meanwhile:
  the virtual clock moves ``now`` forward without firing anything, and timers that became
  due fire, late, as soon as control is back in ``advance``/``run_until``. The real clock
  just sleeps.

The virtual clock's *auto-advance* (``autojump_threshold``) is trio's autojump: when nothing
is runnable for that many **real** seconds, jump to the next deadline. With the default 0
there is no real waiting at all (a 60-second timer loop runs in microseconds); a small
threshold leaves room for other threads (network I/O) to post work with ``call_soon``
before virtual time jumps past it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

Callback = Callable[..., object]

#: Longest a hold keeps autojump waiting, in real seconds.
MAX_HOLD = 30.0

#: Default virtual epoch: 2024-11-27T09:33:20Z, a fixed instant so traces are reproducible.
DEFAULT_EPOCH = 1_732_700_000.0


class TimerHandle:
    """A scheduled callback; ``cancel()`` it to keep it from firing."""

    __slots__ = ("_clock", "_scope", "args", "callback", "cancelled", "fired", "when")

    def __init__(
        self,
        clock: Clock,
        when: float,
        callback: Callback,
        args: tuple[Any, ...],
        scope: TimerScope | None,
    ) -> None:
        self._clock = clock
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False
        self.fired = False
        self._scope = scope

    @property
    def pending(self) -> bool:
        """True until the callback has run or the handle was cancelled."""
        return not (self.cancelled or self.fired)

    def cancel(self) -> None:
        if not self.pending:
            return
        self.cancelled = True
        if self._scope is not None:
            self._scope._forget(self)
            self._scope = None
        self._clock._note_cancelled()

    def _run(self) -> None:
        self.fired = True
        if self._scope is not None:
            self._scope._forget(self)
            self._scope = None
        self.callback(*self.args)

    def __repr__(self) -> str:
        state = "cancelled" if self.cancelled else "fired" if self.fired else "pending"
        return f"<TimerHandle {state} at {self.when:.6f} {self.callback!r}>"


class Clock:
    """The interface both clocks implement, and the timer queue they share.

    Subclasses provide ``now``, ``wall_time``, ``consume`` and ``run_until``.  The queue is
    protected by a lock so other threads may schedule (``call_soon`` from a network thread);
    callbacks always run in the thread that is running the clock, outside the lock.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, TimerHandle]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._running_callbacks = False
        self._cancelled_in_heap = 0
        self._holds = 0

    # --- holds -----------------------------------------------------------------------------

    def hold(self) -> None:
        """Something real is in flight (a TLS handshake, a SUBACK): until :meth:`release`,
        autojump must not move virtual time past it.  Any thread; counted."""
        with self._cond:
            self._holds += 1

    def release(self) -> None:
        with self._cond:
            self._holds = max(0, self._holds - 1)
            self._cond.notify_all()

    @property
    def holds(self) -> int:
        return self._holds

    # --- time ------------------------------------------------------------------------------

    def now(self) -> float:
        """Monotonic seconds."""
        raise NotImplementedError

    def wall_time(self) -> float:
        """Seconds since 1970-01-01 UTC."""
        raise NotImplementedError

    def consume(self, seconds: float) -> None:
        """Spend ``seconds`` busy (see the module docstring); fires nothing."""
        raise NotImplementedError

    def run_until(self, deadline: float, stop: Callable[[], bool] | None = None) -> int:
        """Fire, in order, everything due up to ``deadline``; return how many fired.

        ``stop`` is checked after every callback; when it returns True the run ends early
        (time stays where the last callback ran).
        """
        raise NotImplementedError

    def advance(self, seconds: float) -> int:
        """Let ``seconds`` pass, firing what falls due; return how many callbacks ran."""
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        return self.run_until(self.now() + seconds)

    # --- scheduling ------------------------------------------------------------------------

    def call_at(self, when: float, callback: Callback, *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` when the clock reaches ``when`` (monotonic seconds)."""
        return self._schedule(when, callback, args, None)

    def call_later(self, delay: float, callback: Callback, *args: Any) -> TimerHandle:
        return self._schedule(self.now() + max(0.0, delay), callback, args, None)

    def call_soon(self, callback: Callback, *args: Any) -> TimerHandle:
        """Run ``callback`` at the current time; safe to call from any thread."""
        return self._schedule(self.now(), callback, args, None)

    def scope(self) -> TimerScope:
        """A group of timers that can be cancelled together (a board's RAM, say)."""
        return TimerScope(self)

    def next_deadline(self) -> float | None:
        """When the earliest pending timer is due, or None when nothing is scheduled."""
        with self._cond:
            self._drop_cancelled_head()
            return self._heap[0][0] if self._heap else None

    def pending(self) -> int:
        """How many timers are scheduled and not cancelled."""
        with self._cond:
            return max(0, len(self._heap) - self._cancelled_in_heap)

    def _schedule(
        self, when: float, callback: Callback, args: tuple[Any, ...], scope: TimerScope | None
    ) -> TimerHandle:
        handle = TimerHandle(self, when, callback, args, scope)
        with self._cond:
            heapq.heappush(self._heap, (when, next(self._seq), handle))
            self._cond.notify_all()
        return handle

    def _note_cancelled(self) -> None:
        with self._cond:
            self._cancelled_in_heap += 1
            if self._cancelled_in_heap > 64 and self._cancelled_in_heap * 2 > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled_in_heap = 0

    def _drop_cancelled_head(self) -> None:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
            self._cancelled_in_heap = max(0, self._cancelled_in_heap - 1)

    def _pop_due(self, now: float) -> TimerHandle | None:
        with self._cond:
            self._drop_cancelled_head()
            if self._heap and self._heap[0][0] <= now:
                return heapq.heappop(self._heap)[2]
            return None

    def _fire(self, handle: TimerHandle) -> None:
        self._running_callbacks = True
        try:
            handle._run()
        finally:
            self._running_callbacks = False

    def _check_not_reentrant(self) -> None:
        if self._running_callbacks:
            raise RuntimeError(
                "the clock cannot be advanced from inside one of its callbacks; "
                "use consume() for time spent busy"
            )


class TimerScope:
    """Timers owned by one party, cancelled together by :meth:`cancel_all`.

    Why: a virtual board's timers live in its RAM; a reset or power cut must drop them all
    while the shared clock (and the other boards' timers) carries on.
    """

    __slots__ = ("_clock", "_handles")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._handles: set[TimerHandle] = set()

    def call_at(self, when: float, callback: Callback, *args: Any) -> TimerHandle:
        handle = self._clock._schedule(when, callback, args, self)
        self._handles.add(handle)
        return handle

    def call_later(self, delay: float, callback: Callback, *args: Any) -> TimerHandle:
        return self.call_at(self._clock.now() + max(0.0, delay), callback, *args)

    def call_soon(self, callback: Callback, *args: Any) -> TimerHandle:
        return self.call_at(self._clock.now(), callback, *args)

    def cancel_all(self) -> int:
        """Cancel every pending timer of this scope; return how many there were."""
        handles, self._handles = self._handles, set()
        for handle in handles:
            handle._scope = None
            handle.cancel()
        return len(handles)

    def __len__(self) -> int:
        return len(self._handles)

    def _forget(self, handle: TimerHandle) -> None:
        self._handles.discard(handle)


class VirtualClock(Clock):
    """Virtual time: it moves only when told to (``advance``) or when idle (autojump).

    ``start`` is the initial ``now()``; ``epoch`` is the wall time at ``now() == 0``.
    """

    def __init__(
        self,
        start: float = 0.0,
        *,
        epoch: float = DEFAULT_EPOCH,
        autojump_threshold: float = 0.0,
    ) -> None:
        super().__init__()
        if autojump_threshold < 0:
            raise ValueError("autojump_threshold must be >= 0")
        self._now = float(start)
        self._epoch = float(epoch)
        self.autojump_threshold = autojump_threshold

    def now(self) -> float:
        return self._now

    def wall_time(self) -> float:
        return self._epoch + self._now

    @property
    def epoch(self) -> float:
        return self._epoch

    def skew(self, seconds: float) -> None:
        """Shift wall time by ``seconds`` (positive: ahead); monotonic time is untouched."""
        self._epoch += seconds

    def consume(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        self._now += seconds

    def run_until(self, deadline: float, stop: Callable[[], bool] | None = None) -> int:
        self._check_not_reentrant()
        fired = 0
        while True:
            handle = self._pop_due(self._now)
            if handle is not None:
                self._fire(handle)
                fired += 1
                if stop is not None and stop():
                    return fired
                continue
            if self._now >= deadline:
                return fired
            if self.autojump_threshold > 0 and self._wait_for_work():
                continue
            nxt = self.next_deadline()
            self._now = deadline if nxt is None or nxt > deadline else max(self._now, nxt)

    def run_until_idle(self, limit: float | None = None) -> int:
        """Jump from deadline to deadline until nothing is scheduled (or ``limit`` seconds
        of virtual time have passed); return how many callbacks ran."""
        end = float("inf") if limit is None else self._now + limit
        fired = 0
        while True:
            nxt = self.next_deadline()
            if nxt is None:
                return fired
            if nxt > end:
                return fired + self.run_until(end)
            fired += self.run_until(max(nxt, self._now))

    def step(self) -> int:
        """Jump to the next deadline and fire everything due then; 0 if nothing is scheduled."""
        nxt = self.next_deadline()
        if nxt is None:
            return 0
        return self.run_until(max(nxt, self._now))

    def _wait_for_work(self) -> bool:
        """Autojump: give other threads ``autojump_threshold`` real seconds to post work,
        and longer while something holds the clock (at most :data:`MAX_HOLD` seconds, so a
        hold that is never released cannot stop time for good)."""
        with self._cond:
            self._drop_cancelled_head()
            if self._heap and self._heap[0][0] <= self._now:
                return True
            self._cond.wait(self.autojump_threshold)
            give_up = time.monotonic() + MAX_HOLD
            while self._holds > 0 and time.monotonic() < give_up:
                self._drop_cancelled_head()
                if self._heap and self._heap[0][0] <= self._now:
                    return True
                self._cond.wait(0.05)
            self._drop_cancelled_head()
            return bool(self._heap) and self._heap[0][0] <= self._now


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
