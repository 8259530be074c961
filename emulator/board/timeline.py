"""What happened on a board, in virtual-time order, for traces and reports.

Why: a scenario's evidence is "the LED went on at t=60.0, the console said X at t=60.0,
power was cut at t=61.2"; every part of the board appends here with the current clock time
so a report can show one ordered story.  The timeline is bounded (oldest entries dropped and
counted) so a fleet of a thousand boards running for hours cannot grow without limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple


class Event(NamedTuple):
    """One thing that happened: ``t`` (virtual seconds), ``kind`` and kind-specific data."""

    t: float
    kind: str
    data: Any


#: The kinds a :class:`~emulator.board.board.VirtualBoard` records, and their ``data``.
KINDS = {
    "led": "bool: the GPIO7 LED is on",
    "pixel": "(r, g, b) of the WS2812 on GPIO2",
    "button": "bool: the BOOT button (GPIO9) is pressed",
    "console": "str: one line written to the serial console by the firmware",
    "boot": "str: why the board started (power-on, reset, soft-reset)",
    "halt": "str: why the firmware stopped (reset, power-cut, interrupt, soft-reset)",
    "power": "str: 'off' or 'on'",
    "skew": "float: wall-clock skew injected, in seconds",
}


class Timeline:
    """A bounded, append-only list of :class:`Event`."""

    __slots__ = ("_clock", "_events", "_listeners", "dropped")

    def __init__(self, now: Callable[[], float], maxlen: int | None = 10_000) -> None:
        self._clock = now
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._listeners: list[Callable[[Event], None]] = []
        self.dropped = 0

    def record(self, kind: str, data: Any = None) -> Event:
        event = Event(self._clock(), kind, data)
        if self._events.maxlen is not None and len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)
        for listener in self._listeners:
            listener(event)
        return event

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener`` for every new event; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def events(self, kind: str | None = None, since: float | None = None) -> list[Event]:
        """The recorded events, optionally only one kind and/or those at or after ``since``."""
        return [
            e
            for e in self._events
            if (kind is None or e.kind == kind) and (since is None or e.t >= since)
        ]

    def clear(self) -> None:
        self._events.clear()
        self.dropped = 0

    def __iter__(self) -> Iterator[Event]:
        return iter(list(self._events))

    def __len__(self) -> int:
        return len(self._events)
