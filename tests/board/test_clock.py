"""The virtual clock: ordering, cancellation, scopes, consume, autojump, wall time."""

from __future__ import annotations

import threading
import time

import pytest

from emulator.board.clock import VirtualClock
from emulator.board.wallclock import RealTimeClock


def test_advance_fires_due_timers_in_deadline_order_and_ties_in_scheduling_order() -> None:
    clock = VirtualClock()
    fired: list[tuple[str, float]] = []
    clock.call_at(2.0, lambda: fired.append(("b", clock.now())))
    clock.call_at(1.0, lambda: fired.append(("a", clock.now())))
    clock.call_at(2.0, lambda: fired.append(("c", clock.now())))
    clock.call_at(5.0, lambda: fired.append(("late", clock.now())))
    assert clock.advance(3.0) == 3
    assert fired == [("a", 1.0), ("b", 2.0), ("c", 2.0)]
    assert clock.now() == 3.0
    assert clock.next_deadline() == 5.0


def test_callbacks_scheduled_while_advancing_fire_in_the_same_advance() -> None:
    clock = VirtualClock()
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(clock.now())
        clock.call_later(1.0, tick)

    clock.call_later(1.0, tick)
    clock.advance(60.0)
    assert ticks == [float(i) for i in range(1, 61)]


def test_a_60_second_timer_loop_runs_for_an_hour_of_virtual_time() -> None:
    clock = VirtualClock()
    count = 0

    def telemetry() -> None:
        nonlocal count
        count += 1
        clock.call_later(60.0, telemetry)

    clock.call_later(60.0, telemetry)
    clock.advance(3600.0)
    assert count == 60
    assert clock.now() == 3600.0


def test_cancelled_handles_do_not_fire() -> None:
    clock = VirtualClock()
    fired: list[int] = []
    handle = clock.call_later(1.0, fired.append, 1)
    clock.call_later(2.0, fired.append, 2)
    assert handle.pending
    handle.cancel()
    assert not handle.pending and handle.cancelled
    clock.advance(5.0)
    assert fired == [2]
    assert clock.pending() == 0


def test_many_cancellations_are_compacted_without_losing_live_timers() -> None:
    clock = VirtualClock()
    fired: list[int] = []
    handles = [clock.call_later(float(i), fired.append, i) for i in range(1, 301)]
    for h in handles:
        if h.args[0] % 3:
            h.cancel()
    assert clock.pending() == 100
    clock.advance(400.0)
    assert fired == [i for i in range(1, 301) if i % 3 == 0]


def test_scope_cancel_all_drops_only_that_scope() -> None:
    clock = VirtualClock()
    scope = clock.scope()
    fired: list[str] = []
    scope.call_later(1.0, fired.append, "board")
    scope.call_at(2.0, fired.append, "board2")
    clock.call_later(1.5, fired.append, "harness")
    assert len(scope) == 2
    assert scope.cancel_all() == 2
    clock.advance(3.0)
    assert fired == ["harness"]
    assert len(scope) == 0


def test_consume_moves_time_without_firing_and_late_timers_fire_on_next_advance() -> None:
    clock = VirtualClock()
    fired: list[float] = []
    clock.call_at(0.010, lambda: fired.append(clock.now()))
    clock.consume(0.0121)
    assert fired == []
    assert clock.now() == pytest.approx(0.0121)
    clock.advance(0)
    assert fired == [pytest.approx(0.0121)]


def test_advance_from_inside_a_callback_is_refused() -> None:
    clock = VirtualClock()
    errors: list[Exception] = []

    def bad() -> None:
        try:
            clock.advance(1.0)
        except RuntimeError as exc:
            errors.append(exc)

    clock.call_soon(bad)
    clock.advance(0)
    assert len(errors) == 1


def test_negative_advance_is_an_error() -> None:
    with pytest.raises(ValueError):
        VirtualClock().advance(-1)


def test_exception_in_a_callback_propagates_and_the_queue_survives() -> None:
    clock = VirtualClock()
    fired: list[int] = []

    def boom() -> None:
        raise ValueError("boom")

    clock.call_at(1.0, boom)
    clock.call_at(2.0, fired.append, 2)
    with pytest.raises(ValueError):
        clock.advance(5.0)
    assert clock.now() == 1.0
    clock.advance(4.0)
    assert fired == [2]


def test_run_until_idle_jumps_through_every_deadline() -> None:
    clock = VirtualClock()
    fired: list[float] = []
    for t in (10.0, 3600.0, 86400.0):
        clock.call_at(t, lambda: fired.append(clock.now()))
    assert clock.run_until_idle() == 3
    assert fired == [10.0, 3600.0, 86400.0]
    assert clock.now() == 86400.0


def test_run_until_idle_with_a_limit_stops_a_periodic_loop() -> None:
    clock = VirtualClock()
    count = 0

    def tick() -> None:
        nonlocal count
        count += 1
        clock.call_later(1.0, tick)

    clock.call_later(1.0, tick)
    clock.run_until_idle(limit=10.5)
    assert count == 10
    assert clock.now() == 10.5


def test_step_fires_the_next_group() -> None:
    clock = VirtualClock()
    fired: list[str] = []
    clock.call_at(4.0, fired.append, "x")
    clock.call_at(4.0, fired.append, "y")
    clock.call_at(9.0, fired.append, "z")
    assert clock.step() == 2
    assert clock.now() == 4.0
    assert clock.step() == 1
    assert clock.step() == 0


def test_run_until_stop_predicate_ends_early() -> None:
    clock = VirtualClock()
    seen: list[int] = []
    for i in range(5):
        clock.call_at(float(i + 1), seen.append, i)
    clock.run_until(100.0, stop=lambda: len(seen) == 2)
    assert seen == [0, 1]
    assert clock.now() == 2.0


def test_autojump_lets_another_thread_post_work_before_jumping() -> None:
    clock = VirtualClock(autojump_threshold=0.05)
    order: list[str] = []

    def network_thread() -> None:
        clock.call_soon(order.append, "message")

    clock.call_at(30.0, order.append, "timer")
    clock.call_soon(lambda: threading.Thread(target=network_thread).start())
    clock.run_until(60.0)
    assert order == ["message", "timer"]
    assert clock.now() == 60.0


def test_wall_time_is_epoch_plus_virtual_time_and_skewable() -> None:
    clock = VirtualClock(epoch=1_700_000_000.0)
    clock.advance(90.0)
    assert clock.wall_time() == 1_700_000_090.0
    clock.skew(-30.0)
    assert clock.wall_time() == 1_700_000_060.0
    assert clock.now() == 90.0


def test_real_time_clock_has_the_same_interface() -> None:
    clock = RealTimeClock()
    fired: list[float] = []
    handle = clock.call_later(0.02, lambda: fired.append(clock.now()))
    clock.call_later(0.01, lambda: fired.append(clock.now()))
    handle.cancel()
    clock.advance(0.05)
    assert len(fired) == 1 and fired[0] >= 0.01
    assert clock.now() >= 0.05
    assert abs(clock.wall_time() - time.time()) < 5
    before = clock.now()
    clock.consume(0.01)
    assert clock.now() - before >= 0.01
