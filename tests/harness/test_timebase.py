"""Virtual time as scenarios see it: held at a horizon between steps, waits that end at the
first instant an expectation holds or exactly at their deadline, and nothing in flight
ever passed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from emulator.board.clock import VirtualClock
from emulator.device.ledger import Ledger
from harness.timebase import ScenarioTime, VirtualTimeBase, WallTimeBase


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    """A clock run by its own thread, as an emulated fleet runs it (no autojump), held
    at 0 from the start."""
    clock = VirtualClock()
    clock.horizon = 0.0
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            clock.run_until(clock.now() + 3600, stop=stop.is_set)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield clock
    stop.set()
    clock.call_soon(lambda: None)
    thread.join(5)


def test_time_does_not_move_while_the_harness_holds_it(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    ran: list[float] = []
    clock.call_later(5, ran.append, 5.0)
    clock.call_soon(lambda: ran.append(clock.now()))  # due now: runs
    threading.Event().wait(0.1)
    assert base.now() == 0.0
    assert ran == [0.0]


def test_sleep_ends_exactly_at_its_deadline_with_timers_run(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    fired: list[float] = []
    for t in (10, 20, 25, 30):
        clock.call_later(t, lambda: fired.append(clock.now()))
    base.sleep(25)
    assert base.now() == 25.0
    assert fired == [10.0, 20.0, 25.0]  # the deadline's own instant is part of the wait
    threading.Event().wait(0.05)
    assert base.now() == 25.0  # held again


def test_wait_for_ends_at_the_first_instant_the_predicate_holds(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    flag: list[float] = []
    clock.call_later(7, lambda: flag.append(clock.now()))
    clock.call_later(9, lambda: flag.append(clock.now()))
    threads: set[str] = set()
    calls: list[int] = []

    def seen() -> bool:
        threads.add(threading.current_thread().name)
        calls.append(1)
        return bool(flag)

    assert base.wait_for(seen, 60) is True
    assert base.now() == 7.0
    assert flag == [7.0]  # time stopped at that instant
    assert threading.current_thread().name not in threads  # evaluated on the clock's thread
    assert len(calls) == 2  # at 0 (the first instant) and at 7: only when something happened


def test_a_predicate_that_held_is_never_evaluated_again(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    clock.call_later(3, lambda: None)
    calls: list[float] = []

    def once() -> bool:
        calls.append(clock.now())
        return clock.now() >= 3

    assert base.wait_for(once, 10) is True
    base.sleep(1)
    assert calls == [0.0, 3.0]


def test_wait_for_gives_up_at_the_timeout(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    assert base.wait_for(lambda: False, 42) is False
    assert base.now() == 42.0


def test_an_error_in_the_predicate_reaches_the_waiting_thread(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)

    def broken() -> bool:
        raise ValueError("bad expectation")

    with pytest.raises(ValueError, match="bad expectation"):
        base.wait_for(broken, 5)
    assert base.now() == 0.0
    assert base.wait_for(lambda: False, 1) is False  # the clock still works


def test_a_message_in_flight_holds_time_until_every_receiver_has_it(clock: VirtualClock) -> None:
    ledger = Ledger(clock)
    ledger.party("observer", ["#"])
    ledger.party("dev-1")
    ledger.subscribed("dev-1", [("cmd/dev-1", 1)])
    base = VirtualTimeBase(clock)
    clock.call_later(1, lambda: None)
    ledger.sent("observer", "cmd/dev-1", b"go")  # the harness publishes to the device
    waiter = threading.Thread(target=base.sleep, args=(5,))
    waiter.start()
    threading.Event().wait(0.1)
    assert base.now() == 0.0  # neither the observer nor the device has it yet
    got: list[tuple[str, float]] = []
    ledger.received("observer", "cmd/dev-1", b"go", lambda: got.append(("observer", clock.now())))
    threading.Event().wait(0.05)
    assert base.now() == 0.0 and got == []  # the device still has not: nothing settles
    ledger.received("dev-1", "cmd/dev-1", b"go", lambda: got.append(("dev-1", clock.now())))
    waiter.join(5)
    assert base.now() == 5.0
    assert got == [("observer", 0.0), ("dev-1", 0.0)]  # both at the instant it was sent


def test_a_message_that_never_arrives_stops_holding_after_its_expiry(clock: VirtualClock) -> None:
    ledger = Ledger(clock, expire=0.05).start(every=0.01)
    try:
        ledger.party("observer", ["#"])
        base = VirtualTimeBase(clock)
        ledger.sent("dev-1", "sensors/dev-1/data", b"{}")
        assert base.wait_for(lambda: False, 10) is False
        assert base.now() == 10.0 and ledger.expired == 1 and ledger.in_flight == 0
    finally:
        ledger.close()


def test_scenario_time_starts_at_zero() -> None:
    wall = WallTimeBase()
    scenario = ScenarioTime(wall)
    assert 0.0 <= scenario.now() < 1.0
    assert scenario.virtual is False
    assert scenario.wait_for(lambda: True, 1.0) is True
