"""A power cut at every flash write while a program is stored: the emulated device (real
agent, real storage code, the board's pessimistic flash that tears writes) always boots
and runs the last complete program."""

from __future__ import annotations

from emulator.board.board import VirtualBoard
from emulator.board.clock import VirtualClock
from emulator.board.flash import Flash, FlashImage
from emulator.device.app import AgentApp
from emulator.device.device import DeviceIdentity, build_device
from emulator.device.network import OfflineNetwork

A = '(define (beat) (mqtt-publish "beat/v" "A") (set-timer "beat" 1 beat)) (beat)'
B = (
    ";; a longer program, so that storing it takes several flash writes\n"
    + "".join(f"(define (helper-{i} x) (+ x {i}))\n" for i in range(40))
    + '(define (beat) (mqtt-publish "beat/v" "B") (set-timer "beat" 1 beat)) (beat)'
)
IDENTITY = DeviceIdentity("cut-dev", "offline.invalid", 8883, b"ca", b"cert", b"key")


def beats(network: OfflineNetwork) -> list[bytes]:
    return [r.payload for r in network.links["cut-dev"].published if r.topic == "beat/cut-dev/v"]


def stored_with_a() -> FlashImage:
    network = OfflineNetwork()
    clock = VirtualClock()
    device = build_device(IDENTITY, network, clock=clock)
    clock.run_until(1)
    device.app.load_program("a", A)
    clock.run_until(clock.now() + 2)
    assert device.agent.program_id == "a" and beats(network)[-1] == b"A"
    return device.board.flash.snapshot()


def boot_from(image: FlashImage) -> tuple[VirtualBoard, AgentApp, OfflineNetwork, VirtualClock]:
    flash = Flash()
    flash.restore(image)
    network = OfflineNetwork()
    clock = VirtualClock()
    app = AgentApp(network)
    board = VirtualBoard("cut-dev", clock=clock, flash=flash, app=app)
    clock.run_until(clock.now() + 1)
    return board, app, network, clock


def test_a_power_cut_at_every_write_of_a_program_store_leaves_a_bootable_device() -> None:
    image = stored_with_a()
    # How many flash writes does storing B take (with no cut)?
    board, app, network, clock = boot_from(image)
    before = board.flash.counters.writes
    app.load_program("b", B)
    clock.run_until(clock.now() + 2)
    writes = board.flash.counters.writes - before
    assert app.agent is not None and app.agent.program_id == "b"
    assert writes >= 5, writes

    outcomes = []
    for n in range(1, writes + 1):
        board, app, network, clock = boot_from(image)
        board.flash.cut_power_at(n)
        app.load_program("b", B)
        assert not board.powered, f"no power cut at write {n}"
        board.power_on()  # reboot: RAM lost, flash as the cut left it
        clock.run_until(clock.now() + 3)
        agent = app.agent
        assert agent is not None, app.boot_error
        assert agent.program_state == "running", (n, agent.program_state)
        running = agent.program_id
        assert running in ("a", "b"), (n, running)
        assert beats(network)[-1] == running.upper().encode(), (n, running)
        outcomes.append(running)
    # Once B is committed it stays: the outcomes are some "a"s, then only "b"s.
    assert outcomes == sorted(outcomes)
    assert outcomes[0] == "a"
