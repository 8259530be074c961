"""Virtual time stays exact while Steel programs compute: what a device sends at virtual t
is seen at t, deadlines end exactly, handlers answer while another task computes, and the
same scenario gives the same trace on every run -- on an idle machine and beside a CPU hog,
for one board and for fifty.

These run real scenario files through the real engine, the real broker (mutual TLS), the
real shadow service and the firmware's own agent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from emulator.board.clock import DEFAULT_EPOCH
from emulator.device.app import EVENT_SECONDS, STEP_SECONDS
from firmware.agent.config import LIMITS
from harness.engine import Engine
from harness.iotcore import LocalCore, local_core
from harness.results import ScenarioResult
from harness.scenario.loader import load_file

pytestmark = pytest.mark.integration

SPIN = "(define (spin) (spin))\n(spin)\n"
FIB = """
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(mqtt-publish "out" "before")
(fib 21)
(mqtt-publish "out" "after")
"""
# A handler that must answer while the program's main task computes for 50 s.
PING_WHILE_SPINNING = """
(mqtt-subscribe "ping" (lambda (topic payload) (mqtt-publish "pong" payload)))
(log "info" "listening")
(define (spin) (spin))
(spin)
"""
# Everything at once: timers, a handler, computation between publishes, the shadow.
BUSY = """
(define (fib n) (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(mqtt-subscribe "ping"
  (lambda (topic payload)
    (mqtt-publish "pong" (number->string (+ (fib 10) (string->number payload))))))
(define (tick)
  (mqtt-publish "tick" (number->string (fib 14)))
  (shadow-update "ticks" (fib 5))
  (set-timer "tick" 2 tick))
(set-timer "tick" 1 tick)
(log "info" "listening")
(mqtt-publish "out" "before")
(mqtt-publish "out" (number->string (fib 18)))
"""
BUSY_STEPS = """
steps:
  - deploy: busy
  - expect: {log: {contains: listening}}
  - publish: {device: dev-1, topic: ping, payload: "1"}
  - expect: {mqtt: {topic: pong, payload: 56}, within: 5s}
  - expect: {mqtt: {topic: out, payload: 2584}, within: 10s}
  - wait: 6s
  - publish: {device: dev-1, topic: ping, payload: "2"}
  - expect: {mqtt: {device: dev-1, topic: pong, payload: 57}, within: 5s}
"""


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCore]:
    with local_core(tmp_path_factory.mktemp("core")) as c:
        yield c


@pytest.fixture
def engine(core: LocalCore, tmp_path: Path) -> Iterator[Engine]:
    with Engine(core, tmp_path / "run", seed=7) as e:
        yield e


def scenario(tmp_path: Path, body: str, **programs: str) -> Any:
    """One scenario file with its programs, loaded."""
    directory = tmp_path / "scenario"
    directory.mkdir(exist_ok=True)
    for name, source in programs.items():
        (directory / f"{name}.scm").write_text(source)
    header = "programs: {" + ", ".join(f"{n}: {n}.scm" for n in programs) + "}\n"
    path = directory / "s.yaml"
    path.write_text("name: exact time\n" + header + textwrap.dedent(body).lstrip())
    (item,) = load_file(path)
    return item


def observed(result: ScenarioResult, topic_part: str) -> list[tuple[float, Any]]:
    """(virtual t, payload) of each message whose topic contains ``topic_part``."""
    return [
        (e.t, e.data["payload"])
        for e in result.timeline
        if e.kind == "mqtt" and topic_part in e.data["topic"]
    ]


def lag(result: ScenarioResult) -> list[float]:
    """For every device message that carries its send time (``ts``, the board's clock):
    when the harness saw it minus when the device sent it.  The scenario's time starts
    once its devices are up, so that is the same offset for all of them when time is exact."""
    out = []
    for t, payload in observed(result, "/"):
        if isinstance(payload, dict) and isinstance(payload.get("ts"), float | int):
            out.append(t - (float(payload["ts"]) - DEFAULT_EPOCH))
    return out


def assert_seen_when_sent(result: ScenarioResult) -> None:
    lags = lag(result)
    assert len(lags) >= 2
    assert max(lags) - min(lags) < 1e-6, lags


# --- the reproductions ----------------------------------------------------------------------


def test_a_spinning_program_reports_running_at_the_instant_it_sent_it(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(
        tmp_path,
        """
        steps:
          - deploy: spin
          - expect: {status: {state: running}, within: 2s}
          - expect:
              status: {state: error, error: {kind: StepLimitExceeded}}
              within: 400s
        """,
        spin=SPIN,
    )
    result = engine.run(item)
    assert result.status == "passed", result.steps
    (running_t, running), (error_t, error) = [
        (t, p) for t, p in observed(result, "/status") if p["state"] in ("running", "error")
    ]
    # seen at the virtual instant the device stamped it, not when the host got round to it
    assert_seen_when_sent(result)
    assert running_t < 0.01
    assert result.steps[1].ended == running_t
    # a million steps at the board's rate: the step limit ends it there
    slices = 1_000_000 // LIMITS["slice_steps"][0]
    cost = 1_000_000 * STEP_SECONDS + slices * EVENT_SECONDS
    assert error_t - running_t == pytest.approx(cost, rel=0.002)
    assert error["error"]["kind"] == "StepLimitExceeded" and running["program_id"] == "spin"


def test_a_message_before_a_long_computation_is_seen_before_it(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(
        tmp_path,
        """
        steps:
          - deploy: fib
          - expect: {mqtt: {topic: out, payload: before}, within: 1s}
          - expect: {mqtt: {topic: out, payload: after}, within: 30s}
        """,
        fib=FIB,
    )
    result = engine.run(item)
    assert result.status == "passed", result.steps
    (before_t, _), (after_t, _) = observed(result, "out/")
    assert before_t < 0.01
    assert result.steps[1].ended == before_t
    # (fib 21) makes 35,421 calls, one VM step each (the arithmetic is inlined), run in
    # slices, each one round of the agent's own work
    slices = -(-35_421 // LIMITS["slice_steps"][0])
    cost = 35_421 * STEP_SECONDS + slices * EVENT_SECONDS
    assert after_t - before_t == pytest.approx(cost, rel=0.002)
    assert result.steps[2].ended == after_t
    assert_seen_when_sent(result)


def test_deadlines_end_exactly_and_acts_take_no_virtual_time(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(
        tmp_path,
        """
        steps:
          - deploy: spin
          - publish: {device: dev-1, topic: ping, payload: "1"}
          - expect: {mqtt: {topic: never/sent}, within: 2s}
        """,
        spin=SPIN,
    )
    result = engine.run(item)
    deploy, publish, expect = result.steps
    assert deploy.ended == deploy.started == 0.0
    assert publish.ended == publish.started == 0.0
    assert expect.status == "failed"
    assert expect.ended - expect.started == 2.0  # exactly, however busy the device


def test_a_handler_answers_while_another_task_of_the_program_spins(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(
        tmp_path,
        """
        steps:
          - deploy: ping
          - expect: {log: {contains: listening}}
          - wait: 5s
          - publish: {device: dev-1, topic: ping, payload: "7"}
          - expect: {mqtt: {topic: pong, payload: 7}, within: 200ms}
        """,
        ping=PING_WHILE_SPINNING,
    )
    result = engine.run(item)
    assert result.status == "passed", result.steps
    publish, answer = result.steps[3], result.steps[4]
    # The message waits for the slice of the spinning task in progress, then the scheduler's
    # round runs one more slice of it and the handler: at most two slices and the agent's
    # own work -- not the 10-25 s it took when time lagged the host.
    slice_time = LIMITS["slice_steps"][0] * STEP_SECONDS
    assert answer.ended - publish.ended <= 2 * slice_time + 10 * EVENT_SECONDS
    states = [p["state"] for _, p in observed(result, "/status")]
    assert "error" not in states  # no step-limit burst carried the answer along


# --- determinism ------------------------------------------------------------------------------

#: Fields the cloud side stamps with the host's wall clock (the shadow service's metadata).
WALL_CLOCK_FIELDS = {"timestamp", "metadata"}


def normalized(result: ScenarioResult) -> list[Any]:
    """The run as a comparable value: steps and the whole timeline, thing names (random per
    run) replaced by the scenario's device names, wall-clock fields dropped."""
    names = {info.name: f"<{i}>" for i, info in enumerate(result.devices)}

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in WALL_CLOCK_FIELDS}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, str):
            for thing, alias in names.items():
                value = value.replace(thing, alias)
        return value

    steps = [(s.index, s.status, s.started, s.ended, scrub(s.observed)) for s in result.steps]
    timeline = [
        (e.t, e.kind, scrub(e.device), scrub(e.summary if e.kind != "mqtt" else ""), scrub(e.data))
        for e in result.timeline
    ]
    return [result.status, steps, timeline]


@contextmanager
def cpu_hog() -> Iterator[None]:
    """Both cores busy with something else."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def test_the_same_busy_scenario_gives_the_same_trace_every_time(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(tmp_path, BUSY_STEPS, busy=BUSY)
    first = normalized(engine.run(item))
    assert first[0] == "passed", json.dumps(first[1])
    assert normalized(engine.run(item)) == first
    with cpu_hog():
        assert normalized(engine.run(item)) == first


def test_fifty_busy_boards_give_the_same_trace_idle_and_beside_a_cpu_hog(
    engine: Engine, tmp_path: Path
) -> None:
    item = scenario(
        tmp_path,
        """
        timeout: 10m
        fleet: {devices: 50}
        steps:
          - deploy: busy
          - wait: 3s
          - publish: {device: dev-17, topic: ping, payload: "1"}
          - expect: {mqtt: {device: dev-17, topic: pong, payload: 56}, within: 5s}
          - expect: {mqtt: {topic: tick, count: 100, since: start}, within: 10s}
        """,
        busy=BUSY,
    )
    first = normalized(engine.run(item))
    assert first[0] == "passed", json.dumps(first[1])
    with cpu_hog():
        assert normalized(engine.run(item)) == first
