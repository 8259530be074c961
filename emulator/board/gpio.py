"""The board's pins that the firmware sees: GPIO7 LED, GPIO2 WS2812, GPIO9 BOOT button.

Why: the harness checks behaviour ("the LED turned on within 1 s of 31 °C") and reports it;
each pin keeps a bounded history of *changes* stamped with virtual time (the last
``history_len``, default 1,000), and the button is driven
by tests (``press``/``release``/``click``) and observed by whoever subscribes (the driver
around the agent turns changes into ``firmware.agent.events.Button``).  Facts from
reference/board.md: the LED is active high (IO7 -> 470 ohm -> anode), the BOOT button is
pulled up and pressed = 0.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import NamedTuple

from .clock import Clock, TimerHandle

LED_PIN = 7
PIXEL_PIN = 2
BUTTON_PIN = 9

HISTORY_LEN = 1_000


class Change(NamedTuple):
    """An output or input changed at virtual time ``t`` to ``value``."""

    t: float
    value: object


class _Recorder:
    """Shared part of the pins: a value, a bounded change history, observers."""

    __slots__ = ("_clock", "_initial", "_listeners", "_value", "history")

    def __init__(self, clock: Clock, initial: object, history_len: int | None) -> None:
        self._clock = clock
        self._initial = initial
        self._value = initial
        self.history: deque[Change] = deque(maxlen=history_len)
        self._listeners: list[Callable[[Change], None]] = []

    def _set(self, value: object) -> bool:
        if value == self._value:
            return False
        self._value = value
        change = Change(self._clock.now(), value)
        self.history.append(change)
        for listener in list(self._listeners):
            listener(change)
        return True

    def value_at(self, t: float) -> object:
        """The value at time ``t``: what the last change at or before ``t`` set.

        Why: a board stamps what it does at the instant its CPU reaches it, which may be
        later than the shared clock while the board's work is in progress; whoever looks
        "now" must not see a change from that board's future."""
        for change in reversed(self.history):
            if change.t <= t:
                return change.value
        full = self.history.maxlen is not None and len(self.history) == self.history.maxlen
        return self._value if full else self._initial

    def subscribe(self, listener: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``listener(change)`` on every change; returns an unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe


class Led(_Recorder):
    """The plain LED D2 on GPIO7, active high: pin level 1 = on."""

    __slots__ = ()

    def __init__(self, clock: Clock, history_len: int | None = HISTORY_LEN) -> None:
        super().__init__(clock, False, history_len)

    @property
    def on(self) -> bool:
        return bool(self._value)

    def on_at(self, t: float) -> bool:
        return bool(self.value_at(t))

    @property
    def level(self) -> int:
        """The GPIO7 pin level (active high, so equal to ``on``)."""
        return 1 if self._value else 0

    def set(self, on: bool) -> bool:
        """Drive the LED; returns True if that changed it (only changes are recorded)."""
        return self._set(bool(on))


class Pixel(_Recorder):
    """The WS2812B D9 on GPIO2: one RGB pixel, each component 0-255, off = (0, 0, 0)."""

    __slots__ = ()

    def __init__(self, clock: Clock, history_len: int | None = HISTORY_LEN) -> None:
        super().__init__(clock, (0, 0, 0), history_len)

    @property
    def color(self) -> tuple[int, int, int]:
        color: tuple[int, int, int] = self._value  # type: ignore[assignment]
        return color

    def color_at(self, t: float) -> tuple[int, int, int]:
        color: tuple[int, int, int] = self.value_at(t)  # type: ignore[assignment]
        return color

    def set(self, r: int, g: int, b: int) -> bool:
        for c in (r, g, b):
            if not isinstance(c, int) or not 0 <= c <= 255:
                raise ValueError(f"pixel components are integers 0-255, got {(r, g, b)!r}")
        return self._set((r, g, b))


class Button(_Recorder):
    """The BOOT button SW2 on GPIO9: pulled up, so the pin reads 0 while it is pressed."""

    __slots__ = ("_release_timer",)

    def __init__(self, clock: Clock, history_len: int | None = HISTORY_LEN) -> None:
        super().__init__(clock, False, history_len)
        self._release_timer: TimerHandle | None = None

    @property
    def pressed(self) -> bool:
        return bool(self._value)

    @property
    def level(self) -> int:
        """The GPIO9 pin level: 0 while pressed (button to GND), 1 when released (pull-up)."""
        return 0 if self._value else 1

    def press(self) -> None:
        self._cancel_release()
        self._set(True)

    def release(self) -> None:
        self._cancel_release()
        self._set(False)

    def click(self, duration: float = 0.1) -> TimerHandle:
        """Press now and release ``duration`` virtual seconds later (on the clock)."""
        if duration < 0:
            raise ValueError("duration must be >= 0")
        self.press()
        self._release_timer = self._clock.call_later(duration, self._set, False)
        return self._release_timer

    def _cancel_release(self) -> None:
        if self._release_timer is not None:
            self._release_timer.cancel()
            self._release_timer = None
