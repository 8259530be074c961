"""Virtual time as scenarios see it: held between steps, waits end exactly at deadlines,
and messages the harness has not looked at yet keep time from moving."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from emulator.board.clock import VirtualClock
from emulator.device.inflight import InFlight
from harness.timebase import ScenarioTime, VirtualTimeBase, WallTimeBase


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    """A clock run by its own thread, with autojump, as an emulated fleet runs it."""
    clock = VirtualClock(autojump_threshold=0.01)
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
    clock.call_later(5, lambda: None)
    threading.Event().wait(0.1)  # autojump would have jumped by now
    assert base.now() == 0.0


def test_sleep_ends_exactly_at_its_deadline_with_timers_run(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    fired: list[float] = []
    for t in (10, 20, 30):
        clock.call_later(t, lambda: fired.append(clock.now()))
    base.sleep(25)
    assert base.now() == 25.0
    assert fired == [10.0, 20.0]
    threading.Event().wait(0.05)
    assert base.now() == 25.0  # held again


def test_wait_for_returns_when_the_predicate_holds_and_evaluates_it_once(
    clock: VirtualClock,
) -> None:
    base = VirtualTimeBase(clock)
    flag: list[float] = []
    clock.call_later(7, lambda: flag.append(clock.now()))
    calls: list[int] = []

    def consumed_once() -> bool:
        if flag and not calls:
            calls.append(1)
            return True
        return False

    assert base.wait_for(consumed_once, 60) is True
    assert calls == [1]
    assert 7.0 <= base.now() < 60.0


def test_wait_for_gives_up_at_the_timeout(clock: VirtualClock) -> None:
    base = VirtualTimeBase(clock)
    assert base.wait_for(lambda: False, 42) is False
    assert base.now() == 42.0


def test_an_observed_message_holds_time_until_the_harness_checked(clock: VirtualClock) -> None:
    inflight = InFlight(clock)
    base = VirtualTimeBase(clock, inflight=inflight)
    inflight.sent("dev-1", "t/dev-1", b"1")  # a device publishes ...
    inflight.observed("t/dev-1", b"1")  # ... the observer gets it: still held
    base.release()
    threading.Event().wait(0.1)
    assert base.now() == 0.0
    assert inflight.delivered() == 1
    base.hold()
    base.wait_for(lambda: False, 3)  # one check settles it; time then runs to the deadline
    assert base.now() == 3.0 and inflight.delivered() == 0


def test_a_message_that_never_arrives_stops_holding_after_its_expiry(clock: VirtualClock) -> None:
    inflight = InFlight(clock, expire=0.05)
    base = VirtualTimeBase(clock, inflight=inflight)
    inflight.to_devices(["dev-1"], "steel-programs/dev-1/load")
    assert base.wait_for(lambda: False, 10) is False
    assert base.now() == 10.0 and inflight.expired == 1 and inflight.pending == 0


def test_scenario_time_starts_at_zero() -> None:
    wall = WallTimeBase()
    scenario = ScenarioTime(wall)
    assert 0.0 <= scenario.now() < 1.0
    assert scenario.virtual is False
    assert scenario.wait_for(lambda: True, 1.0) is True
