"""The assembled board: port contract, lifecycle (reset, soft reset, power), timeline, fleet."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.board import PowerLost, VirtualBoard, VirtualClock
from emulator.board.timeline import Event
from firmware.agent import events, ports


class BlinkApp:
    """A stand-in for the driver around the agent: blinks the LED every second from boot."""

    def __init__(self) -> None:
        self.starts = 0
        self.stops: list[str] = []
        self.board: VirtualBoard | None = None
        self.buttons: list[events.Button] = []

    def start(self, board: VirtualBoard) -> None:
        self.starts += 1
        self.board = board
        board.console("agent: start")
        board.on_button(self.buttons.append)
        board.timers.call_later(1.0, self.blink)

    def blink(self) -> None:
        assert self.board is not None
        self.board.set_led(not self.board.led.on)
        self.board.timers.call_later(1.0, self.blink)

    def stop(self, reason: str) -> None:
        self.stops.append(reason)


def test_implements_the_port_interfaces() -> None:
    board = VirtualBoard()
    assert isinstance(board, ports.Board)
    assert isinstance(board.i2c, ports.I2CBus)
    assert isinstance(board.fs, ports.FileSystem)


def test_port_calls() -> None:
    clock = VirtualClock(epoch=1_700_000_000.0)
    board = VirtualBoard(clock=clock)
    board.set_led(True)
    board.set_pixel(0, 128, 255)
    assert board.led.on and board.pixel.color == (0, 128, 255)
    assert board.button_pressed() is False
    board.button.press()
    assert board.button_pressed() is True
    board.delay_ms(12.1)
    assert clock.now() == pytest.approx(0.0121)
    assert board.wall_time() == pytest.approx(1_700_000_000.0121)
    board.skew_wall_clock(-3600)
    assert board.wall_time() == pytest.approx(1_699_996_400.0121)
    free, total = board.heap()
    assert total == 64_000 and free == 64_000 - 11_392
    board.set_heap_used(20_000)
    assert board.heap()[0] == 64_000 - 11_392 - 20_000


def test_app_blinks_on_virtual_time_and_the_timeline_tells_the_story() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.clock.advance(3.5)
    assert [c.t for c in board.led.history] == [1.0, 2.0, 3.0]
    assert [e.data for e in board.timeline.events("led")] == [True, False, True]
    assert board.timeline.events("console") == [Event(0.0, "console", "agent: start")]
    assert board.serial.read().endswith(b"agent: start\r\n")
    assert [e.kind for e in board.timeline][:2] == ["power", "boot"]


def test_button_changes_reach_the_app_as_agent_events() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.clock.advance(5.0)
    board.button.click(0.2)
    board.clock.advance(1.0)
    assert [(e.now, e.pressed) for e in app.buttons] == [(5.0, True), (5.2, False)]
    assert all(isinstance(e, events.Button) for e in app.buttons)


def test_reset_loses_ram_keeps_flash_and_restarts_the_app() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.fs.write("/program.scm", b"(blink)")
    board.set_pixel(1, 2, 3)
    board.clock.advance(1.5)  # LED on
    board.reset()
    assert app.stops == ["reset"] and app.starts == 2
    assert not board.led.on  # GPIO back to input
    assert board.pixel.color == (1, 2, 3)  # the WS2812 latches its colour
    assert board.fs.read("/program.scm") == b"(blink)"
    assert board.uptime() == 0.0 and board.boot_count == 2
    assert len(board.timers) == 1  # only the new boot's blink timer
    board.clock.advance(1.0)
    assert board.led.on  # blinking again, one second after the reset


def test_button_handlers_live_in_ram() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.reset()
    board.button.press()
    assert len(app.buttons) == 1  # once, from the handler registered at the second boot


def test_power_cut_stops_everything_until_power_returns() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.fs.write("/keep", b"1")
    board.set_pixel(9, 9, 9)
    board.clock.advance(1.0)
    board.power_cut()
    assert app.stops == ["power-cut"]
    assert not board.led.on and board.pixel.color == (0, 0, 0)
    calls: tuple[Callable[[], object], ...] = (
        lambda: board.set_led(True),
        lambda: board.fs.read("/keep"),
        lambda: board.i2c.readfrom(0x70, 6),
        lambda: board.console("x"),
    )
    for call in calls:
        with pytest.raises(PowerLost):
            call()
    board.clock.advance(10.0)
    assert board.led.history[-1].t == 1.0  # no timer of the dead firmware fired
    board.power_on()
    assert app.starts == 2 and board.fs.read("/keep") == b"1"
    assert [e.data for e in board.timeline.events("power")] == ["on", "off", "on"]


def test_power_cycle_with_off_time_uses_the_clock() -> None:
    board = VirtualBoard()
    board.power_cycle(off_for=2.0)
    assert not board.powered
    board.clock.advance(2.0)
    assert board.powered and board.boot_count == 2


def test_a_cut_armed_on_the_flash_turns_the_board_off_mid_write() -> None:
    class StoringApp(BlinkApp):
        def start(self, board: VirtualBoard) -> None:
            super().start(board)
            board.timers.call_later(5.0, self.save)

        def save(self) -> None:
            assert self.board is not None
            self.board.fs.write("/program", bytes(1000))

    app = StoringApp()
    board = VirtualBoard(app=app)
    board.flash.cut_power_at(2)
    with pytest.raises(PowerLost):
        board.clock.advance(10.0)
    assert not board.powered and app.stops == ["power-cut"]
    assert board.clock.now() == 5.0
    assert len(board.flash.file("/program") or b"") == 256 + 128
    board.clock.advance(10.0)  # the rest of the virtual time passes with the board off
    board.power_on()
    assert board.fs.read("/program") == bytes(384)


def test_soft_reset_keeps_pins_and_reruns_main() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.clock.advance(1.0)
    board.soft_reset()
    assert board.led.on and app.stops == ["soft-reset"] and app.starts == 2


def test_main_exited_with_an_exception_prints_it_and_opens_the_repl() -> None:
    app = BlinkApp()
    board = VirtualBoard(app=app)
    board.serial.read()
    board.main_exited(ValueError("bad config"))
    out = board.serial.read()
    assert out.startswith(b"ValueError: bad config\r\n")
    assert out.endswith(b">>> ")
    assert len(board.timers) == 0


def test_timeline_is_bounded() -> None:
    board = VirtualBoard(timeline_len=5)
    for i in range(10):
        board.console(f"line {i}")
    assert len(board.timeline) == 5 and board.timeline.dropped == 7  # power and boot too
    assert board.timeline.events()[-1].data == "line 9"


def test_a_fleet_of_a_thousand_boards_shares_one_clock() -> None:
    clock = VirtualClock()
    apps = [BlinkApp() for _ in range(1000)]
    boards = [VirtualBoard(f"dev-{i}", clock=clock, app=app) for i, app in enumerate(apps)]
    clock.advance(60.0)
    assert all(len(b.led.history) == 60 for b in boards)
    assert boards[0].unique_id != boards[1].unique_id
