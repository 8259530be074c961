"""Run one Steel program on a virtual board, offline, on virtual time: the seed's
``steel_test``.

The program runs on the same agent and device API as on a board, with sensors set by the
caller and no cloud: what it publishes is recorded, and the whole run (130 virtual seconds
of a 60-second timer loop) takes milliseconds.  The result is a trace of events with their
virtual time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emulator.board.clock import VirtualClock
from emulator.board.models import Environment

from .device import DeviceIdentity, build_device
from .network import OfflineNetwork

#: Trace kinds reported by default (``--all`` adds the agent's own bookkeeping).
PROGRAM_KINDS = ("led", "pixel", "publish", "shadow", "log", "output", "timer", "error", "status")

_PLACEHOLDER = b"not used offline"


@dataclass
class CheckResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    final_state: str | None = None
    error: dict[str, Any] | None = None

    @property
    def failed(self) -> bool:
        return self.final_state in ("error", "rejected")


def run_program(
    source: str,
    *,
    name: str = "program.scm",
    duration: float = 60.0,
    sensors: dict[str, float] | None = None,
    thing_name: str = "check-device",
    kinds: tuple[str, ...] | None = PROGRAM_KINDS,
) -> CheckResult:
    """Run ``source`` for ``duration`` virtual seconds; returns its trace."""
    result = CheckResult()
    clock = VirtualClock()
    env = Environment()
    if sensors:
        env.set(**sensors)

    def trace(kind: str, fields: dict[str, Any]) -> None:
        if kind == "status":
            result.final_state = fields.get("state", result.final_state)
            if fields.get("error"):
                result.error = fields["error"]
        if kinds is None or kind in kinds:
            record(kind, fields)

    def record(kind: str, fields: dict[str, Any]) -> None:
        # The board's time when it happened (the agent stamps the start of its round).
        board = boards[0] if boards else None
        t = board.cpu.now() if board is not None else fields.get("t", clock.now())
        event = {"t": round(float(t), 6), "kind": kind}
        event.update({k: v for k, v in fields.items() if k != "t"})
        result.events.append(event)

    boards: list[Any] = []
    identity = DeviceIdentity(
        thing_name, "offline.invalid", 8883, _PLACEHOLDER, _PLACEHOLDER, _PLACEHOLDER
    )
    device = build_device(identity, OfflineNetwork(), clock=clock, env=env, trace=trace)
    boards.append(device.board)
    clock.run_until(clock.now())  # let it connect (offline: at once)
    agent = device.agent
    if agent is None:
        raise RuntimeError(device.app.boot_error or "the agent did not start")
    program_id = name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "program"
    device.app.load_program(_safe_id(program_id), source)
    clock.run_until(clock.now() + duration)
    device.board.power_cut()
    return result


def _safe_id(text: str) -> str:
    allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
    cleaned = "".join(c if c in allowed else "-" for c in text)[:64]
    return cleaned or "program"
