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
* ``consume(seconds)``: time spent busy inside a synchronous call.  On the shared clock
  it moves ``now`` for everyone; a board's own work is charged to the board instead, on
  its :class:`~emulator.board.cpu.BoardClock`, so that one busy board never delays
  another (each board has its own CPU).  The real clock just sleeps.

The real clock is :class:`~emulator.board.wallclock.RealTimeClock`.  The virtual clock's
*auto-advance* (``autojump_threshold``) is trio's autojump: when nothing is runnable for
that many **real** seconds, jump to the next deadline.  With the default 0 there is no
real waiting at all (a 60-second timer loop runs in microseconds).  Where other threads
take part (network I/O), they say what is in flight with holds and hand over what arrives
with ``call_settled``; then time is exact with no threshold at all (see
:class:`VirtualClock`).
"""

from __future__ import annotations

import heapq
import itertools
import math
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

    __slots__ = (
        "_clock",
        "_scope",
        "args",
        "callback",
        "cancelled",
        "continuation",
        "fired",
        "when",
    )

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
        # A board's next step in work it is doing (not a wait for the world): autojump need
        # not give the network time before jumping to it.
        self.continuation = False
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
    ``virtual`` says whether time is virtual (then work is charged to it) or real (then
    work takes the time it takes).
    """

    virtual = False

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

    def continue_at(self, when: float, callback: Callback, *args: Any) -> TimerHandle:
        """Like :meth:`call_at`, for the next step of work the owner is in the middle of
        (a board that computes): an autojumping clock jumps to it without waiting."""
        handle = self.call_at(when, callback, *args)
        handle.continuation = True
        return handle

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


class _Waiter:
    """Someone on another thread waiting for ``predicate`` (see :meth:`VirtualClock.wait_until`)."""

    __slots__ = ("done", "error", "predicate", "result", "seen", "until")

    def __init__(self, predicate: Callable[[], bool], until: float) -> None:
        self.predicate = predicate
        self.until = until
        self.seen = -1  # the clock's activity count at the last evaluation
        self.result = False
        self.error: BaseException | None = None
        self.done = False


class VirtualClock(Clock):
    """Virtual time: it moves only when told to (``advance``) or when idle (autojump).

    ``start`` is the initial ``now()``; ``epoch`` is the wall time at ``now() == 0``.

    What keeps it exact when other threads take part (an emulated fleet's network threads,
    the harness):

    * **holds** (:meth:`hold`): while anything holds the clock -- a message between two
      parties, a TLS handshake, a program download -- time does not move, whatever the
      autojump threshold.  A hold that is not released within ``max_hold`` real seconds is
      given up (``forced`` counts how often): a bug elsewhere must not stop time for good.
    * **settling** (:meth:`call_settled`): what arrives from other threads is run at the
      current instant once nothing is in flight, in the order of its key, so messages that
      arrive at the same virtual instant are handled in the same order on every run,
      however the host scheduled the threads that carried them.
    * **horizon**: time never moves past it (the harness keeps it at ``now`` between its
      steps); :meth:`wait_until` moves it, and evaluates a predicate at the end of every
      instant (nothing due, in flight or settling) until it holds or the deadline's instant
      is over.
    """

    virtual = True

    def __init__(
        self,
        start: float = 0.0,
        *,
        epoch: float = DEFAULT_EPOCH,
        autojump_threshold: float = 0.0,
        max_hold: float = MAX_HOLD,
    ) -> None:
        super().__init__()
        self._now = float(start)
        self._epoch = float(epoch)
        self._autojump = 0.0
        self.autojump_threshold = autojump_threshold
        self.max_hold = max_hold
        #: Real seconds; an attribute so that tests can replace it.
        self.real_clock: Callable[[], float] = time.monotonic
        self.forced = 0
        self._ignored_holds = 0  # holds given up after max_hold
        self._settling: list[tuple[Any, int, TimerHandle]] = []
        self._horizon = math.inf
        self._waiters: list[_Waiter] = []
        self._activity = 0  # callbacks fired so far
        self._idle_at = math.nan  # the instant at which autojump's wait began ...
        self._idle_since = 0.0  # ... and when, in real seconds

    def __repr__(self) -> str:
        horizon = "" if self._horizon == math.inf else f" horizon={self._horizon:.6f}"
        return (
            f"<VirtualClock now={self._now:.6f} holds={self._holds}{horizon} "
            f"autojump={self._autojump:g}s pending={self.pending()}>"
        )

    # --- settings --------------------------------------------------------------------------

    @property
    def autojump_threshold(self) -> float:
        """Real seconds of idleness after which time jumps to the next deadline (0: at once)."""
        return self._autojump

    @autojump_threshold.setter
    def autojump_threshold(self, value: float) -> None:
        if value < 0:
            raise ValueError("autojump_threshold must be >= 0")
        self._autojump = float(value)

    @property
    def horizon(self) -> float:
        """Time does not move past this (``inf``: no limit)."""
        return self._horizon

    @horizon.setter
    def horizon(self, value: float) -> None:
        with self._cond:
            self._horizon = float(value)
            self._cond.notify_all()

    # --- time ------------------------------------------------------------------------------

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

    def release(self) -> None:
        with self._cond:
            self._holds = max(0, self._holds - 1)
            self._ignored_holds = min(self._ignored_holds, self._holds)
            self._cond.notify_all()

    # --- settling ---------------------------------------------------------------------------

    def call_settled(self, key: Any, callback: Callback, *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` at the current instant once nothing holds the clock, after
        every callback already due then, and in ``key`` order among those settling together
        (keys must be comparable).  Any thread."""
        handle = TimerHandle(self, self._now, callback, args, None)
        with self._cond:
            heapq.heappush(self._settling, (key, next(self._seq), handle))
            self._cond.notify_all()
        return handle

    def _settle(self) -> bool:
        """Move what is settling into the queue at ``now``, if nothing is in flight."""
        with self._cond:
            if not self._settling or self._holds > self._ignored_holds:
                return False
            while self._settling:
                handle = heapq.heappop(self._settling)[2]
                if handle.cancelled:
                    self._cancelled_in_heap = max(0, self._cancelled_in_heap - 1)
                    continue
                handle.when = self._now
                heapq.heappush(self._heap, (self._now, next(self._seq), handle))
            return True

    def _wait_holds(self) -> bool:
        """Wait while something holds the clock and nothing else can run; True when the
        caller should look again (work due, holds gone, or a hold given up)."""
        with self._cond:
            give_up = self.real_clock() + self.max_hold
            while self._holds > self._ignored_holds:
                self._drop_cancelled_head()
                if self._heap and self._heap[0][0] <= self._now:
                    return True
                left = give_up - self.real_clock()
                if left <= 0:
                    self.forced += 1
                    self._ignored_holds = self._holds
                    return True
                self._cond.wait(min(left, 0.05))
            return True

    # --- waiting from another thread ----------------------------------------------------------

    def wait_until(
        self, predicate: Callable[[], bool], until: float, real_limit: float = 600.0
    ) -> bool:
        """From a thread that does not run the clock: let time run up to ``until`` and return
        True at the end of the first instant at which ``predicate()`` holds, False at the end
        of the instant ``until``.  The predicate runs on the clock's thread, only after
        something happened since it last ran, and never again once it held.  The horizon is
        left at the instant the wait ended.  Raises TimeoutError after ``real_limit`` real
        seconds (a clock nobody runs)."""
        waiter = _Waiter(predicate, until)
        with self._cond:
            self._waiters.append(waiter)
            self._horizon = max(self._now, until)
            self._cond.notify_all()
            give_up = self.real_clock() + real_limit
            while not waiter.done:
                left = give_up - self.real_clock()
                if left <= 0:
                    self._waiters.remove(waiter)
                    self._horizon = self._now
                    raise TimeoutError(
                        f"virtual time did not reach {until:g}s within {real_limit:g} real seconds "
                        f"(is the clock running? {self!r})"
                    )
                self._cond.wait(min(left, 0.5))
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _end_of_instant(self) -> None:
        """Evaluate the waiters (nothing is due, in flight or settling at ``now``)."""
        with self._cond:
            waiters = list(self._waiters)
        for waiter in waiters:
            if waiter.seen == self._activity and self._now < waiter.until:
                continue  # nothing happened since it was last asked
            waiter.seen = self._activity
            try:
                self._running_callbacks = True
                result = bool(waiter.predicate())
            except BaseException as exc:  # handed to the waiting thread
                waiter.error, result = exc, True
            finally:
                self._running_callbacks = False
            if result or self._now >= waiter.until:
                with self._cond:
                    waiter.result = result and waiter.error is None
                    waiter.done = True
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)
                    self._horizon = self._now
                    self._cond.notify_all()

    # --- running ----------------------------------------------------------------------------

    def run_until(self, deadline: float, stop: Callable[[], bool] | None = None) -> int:
        self._check_not_reentrant()
        fired = 0
        while True:
            handle = self._pop_due(self._now)
            if handle is not None:
                self._fire(handle)
                self._activity += 1
                fired += 1
                if stop is not None and stop():
                    return fired
                continue
            if self._settle():
                continue
            if self._holds > self._ignored_holds:
                self._wait_holds()
                continue
            if self._waiters:
                self._end_of_instant()
                if self._due_now():
                    continue
            limit = min(deadline, self._horizon)
            if self._now >= limit:
                if self._now >= deadline:
                    return fired
                self._park(stop)  # at the horizon: wait until it moves or work arrives
                if stop is not None and stop():
                    return fired
                continue
            if self._autojump > 0 and not self._continuation_next() and self._wait_for_work():
                continue
            nxt = self.next_deadline()
            self._now = limit if nxt is None or nxt > limit else max(self._now, nxt)

    def _due_now(self) -> bool:
        with self._cond:
            return self._due_or_settling()

    def _park(self, stop: Callable[[], bool] | None) -> None:
        with self._cond:
            while self._now >= self._horizon and not self._waiters and not self._settling:
                self._drop_cancelled_head()
                if self._heap and self._heap[0][0] <= self._now:
                    return
                if self._holds > self._ignored_holds or (stop is not None and stop()):
                    return
                self._cond.wait(0.5)

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
        """Autojump: give other threads ``autojump_threshold`` real seconds to post work.

        The threshold counts from when this instant first went idle: work posted meanwhile
        runs, but does not start the wait again (a thread that polls the fleet every few
        milliseconds must not stop time for good)."""
        with self._cond:
            if self._due_or_settling():
                return True
            real = self.real_clock()
            if self._idle_at != self._now:
                self._idle_at, self._idle_since = self._now, real
            left = self._autojump - (real - self._idle_since)
            if left <= 0:
                return False
            self._cond.wait(left)
            return self._due_or_settling() or self._holds > self._ignored_holds

    def _continuation_next(self) -> bool:
        with self._cond:
            self._drop_cancelled_head()
            return bool(self._heap) and self._heap[0][2].continuation

    def _due_or_settling(self) -> bool:
        self._drop_cancelled_head()
        return bool(self._settling) or bool(self._heap and self._heap[0][0] <= self._now)
