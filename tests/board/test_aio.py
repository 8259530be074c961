"""asyncio on a board clock: virtual sleeps, one order with board timers, autojump with I/O."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from emulator.board import VirtualBoard, VirtualClock
from emulator.board.aio import run


def test_an_hour_of_asyncio_sleeps_takes_no_real_time_and_interleaves_with_board_timers() -> None:
    clock = VirtualClock()
    board = VirtualBoard(clock=clock)
    order: list[tuple[float, str]] = []

    def board_tick() -> None:
        order.append((clock.now(), "board"))
        board.timers.call_later(25.0, board_tick)

    board.timers.call_later(25.0, board_tick)

    async def telemetry() -> None:
        for _ in range(60):
            await asyncio.sleep(60)
            order.append((asyncio.get_running_loop().time(), "asyncio"))

    run(telemetry(), clock)
    assert clock.now() == 3600.0
    asyncio_times = [t for t, who in order if who == "asyncio"]
    assert asyncio_times == [60.0 * i for i in range(1, 61)]
    assert [t for t, _ in order] == sorted(t for t, _ in order)
    assert sum(1 for _, who in order if who == "board") == 144  # every 25 s, 3600 s included


def test_consumed_time_is_seen_by_the_loop() -> None:
    clock = VirtualClock()
    board = VirtualBoard(clock=clock)

    async def measure() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        board.delay_ms(12.1)
        return loop.time() - start

    assert abs(run(measure(), clock) - 0.0121) < 1e-9


def test_autojump_threshold_lets_real_io_arrive_before_a_virtual_timeout() -> None:
    clock = VirtualClock()
    a, b = socket.socketpair()

    def peer() -> None:
        time.sleep(0.01)  # real time: a broker answering
        b.sendall(b"CONNACK")

    async def client() -> bytes:
        loop = asyncio.get_running_loop()
        threading.Thread(target=peer).start()
        a.setblocking(False)
        return await asyncio.wait_for(loop.sock_recv(a, 16), timeout=30)

    try:
        assert run(client(), clock, autojump_threshold=0.5) == b"CONNACK"
        assert clock.now() < 30
    finally:
        a.close()
        b.close()


def test_without_a_threshold_a_silent_peer_times_out_in_virtual_time() -> None:
    clock = VirtualClock()
    a, b = socket.socketpair()

    async def client() -> str:
        loop = asyncio.get_running_loop()
        a.setblocking(False)
        try:
            await asyncio.wait_for(loop.sock_recv(a, 16), timeout=30)
        except TimeoutError:
            return "timeout"
        return "data"

    try:
        assert run(client(), clock) == "timeout"
        assert clock.now() >= 30
    finally:
        a.close()
        b.close()
