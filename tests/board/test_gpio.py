"""LED, WS2812 and BOOT button: levels, histories stamped with virtual time, subscriptions."""

from __future__ import annotations

import pytest

from emulator.board.clock import VirtualClock
from emulator.board.gpio import Button, Change, Led, Pixel


def test_led_history_records_changes_at_virtual_times() -> None:
    clock = VirtualClock()
    led = Led(clock)
    for t, on in ((1.0, True), (2.0, False), (2.5, False), (3.0, True)):
        clock.advance(t - clock.now())
        led.set(on)
    assert list(led.history) == [Change(1.0, True), Change(2.0, False), Change(3.0, True)]
    assert led.on and led.level == 1


def test_pixel_records_rgb_and_rejects_out_of_range() -> None:
    clock = VirtualClock()
    pixel = Pixel(clock)
    assert pixel.color == (0, 0, 0)
    clock.advance(0.5)
    pixel.set(255, 0, 16)
    assert pixel.color == (255, 0, 16)
    assert list(pixel.history) == [Change(0.5, (255, 0, 16))]
    with pytest.raises(ValueError):
        pixel.set(256, 0, 0)


def test_button_is_pulled_up_and_reads_zero_when_pressed() -> None:
    button = Button(VirtualClock())
    assert button.level == 1 and not button.pressed
    button.press()
    assert button.level == 0 and button.pressed
    button.release()
    assert button.level == 1


def test_button_click_releases_after_the_duration_and_notifies_subscribers() -> None:
    clock = VirtualClock()
    button = Button(clock)
    seen: list[Change] = []
    unsubscribe = button.subscribe(seen.append)
    clock.advance(1.0)
    button.click(0.25)
    clock.advance(1.0)
    assert seen == [Change(1.0, True), Change(1.25, False)]
    unsubscribe()
    button.click(0.1)
    clock.advance(1.0)
    assert len(seen) == 2


def test_press_cancels_a_pending_click_release() -> None:
    clock = VirtualClock()
    button = Button(clock)
    button.click(0.5)
    button.press()  # held down: the click's release must not fire
    clock.advance(1.0)
    assert button.pressed
