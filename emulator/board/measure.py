"""Measure what a virtual board costs: ``python -m emulator.board.measure [--count N]``.

Why: a fleet of a thousand boards in one process must be feasible, and the figure quoted in
docs/virtual-board.md has to be reproducible.  Boards share one clock; each runs a tiny app
that blinks the LED every second, logs a line every 10 s and reads the SHTC3 every 60 s, for
``--seconds`` of virtual time; memory is measured with ``tracemalloc`` (Python allocations
attributable to the boards) before and after running.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from .board import VirtualBoard
from .clock import VirtualClock


class _DemoApp:
    """Blink every second, log every 10 s, measure every 60 s (as the sensor monitor does)."""

    def __init__(self) -> None:
        self.board: VirtualBoard | None = None
        self.ticks = 0

    def start(self, board: VirtualBoard) -> None:
        self.board = board
        board.timers.call_later(1.0, self._tick)

    def stop(self, reason: str) -> None:
        self.board = None

    def _tick(self) -> None:
        board = self.board
        if board is None:
            return
        self.ticks += 1
        board.set_led(not board.led.on)
        if self.ticks % 10 == 0:
            board.console(f"tick {self.ticks}")
        if self.ticks % 60 == 0:
            board.i2c.writeto(0x70, b"\x35\x17")
            board.delay_ms(1)
            board.i2c.writeto(0x70, b"\x78\x66")
            board.delay_ms(13)
            board.i2c.readfrom(0x70, 6)
            board.i2c.writeto(0x70, b"\xb0\x98")
        board.timers.call_later(1.0, self._tick)


def measure(
    count: int, seconds: float, timeline_len: int | None = 10_000, history_len: int | None = 1_000
) -> dict[str, float]:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    clock = VirtualClock()
    boards = [
        VirtualBoard(
            f"dev-{i}",
            clock=clock,
            app=_DemoApp(),
            timeline_len=timeline_len,
            history_len=history_len,
        )
        for i in range(count)
    ]
    gc.collect()
    built = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    clock.advance(seconds)
    elapsed = time.perf_counter() - start
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    base_size = sum(stat.size for stat in base.statistics("filename"))
    tracemalloc.stop()
    assert all(b.powered for b in boards)
    return {
        "boards": count,
        "virtual_seconds": seconds,
        "bytes_per_board_idle": (built - base_size) / count,
        "bytes_per_board_after_run": (after - base_size) / count,
        "real_seconds_to_run": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--timeline-len", type=int, default=10_000)
    parser.add_argument("--history-len", type=int, default=1_000)
    args = parser.parse_args()
    figures = measure(args.count, args.seconds, args.timeline_len, args.history_len)
    for key, value in figures.items():
        print(f"{key}: {value:,.1f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
