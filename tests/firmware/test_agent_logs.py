"""Log rate limiting: a token bucket of 20 lines refilled at 5 per second; drops counted."""

from firmware.agent.logs import LogChannel
from firmware.agent.ratelimit import TokenBucket
from tests.firmware.agent_fakes import Rig, config


def test_token_bucket():
    b = TokenBucket(3, 2.0, now=0.0)
    assert [b.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.wait_time(0.0) == 0.5
    assert TokenBucket(1, 1.0).wait_time(0.0) == 0.0
    assert not b.take(0.25)
    assert b.take(0.5)
    assert b.take(10.0) and b.take(10.0) and b.take(10.0) and not b.take(10.0)  # capped at 3
    b.force(10.0)
    assert b.tokens == -1.0
    assert b.wait_time(10.0) == 1.0


def test_log_channel_marks_the_first_line_after_drops():
    ch = LogChannel(2, 1.0, 0.0)
    assert ch.payload(0.0, "info", "a", "p", 1) is not None
    assert ch.payload(0.0, "info", "b", "p", 1) is not None
    assert ch.payload(0.0, "info", "c", "p", 1) is None
    assert ch.payload(0.5, "info", "d", "p", 1) is None
    line = ch.payload(1.0, "info", "e", "p", 1)
    assert b'"dropped":2' in line
    assert b"dropped" not in ch.payload(2.0, "info", "f", "p", 1)
    assert ch.dropped == 2


def test_a_program_logging_in_a_loop_is_rate_limited_and_counted():
    rig = Rig()
    rig.load(
        "chatty",
        '(let loop ((i 0)) (when (< i 100) (log "info" (number->string i)) (loop (+ i 1))))',
    )
    rig.settle()  # the loop runs in several slices, all at this instant
    msgs = rig.json_on("logs/dev-1")
    assert len(msgs) == 20
    assert [m["message"] for m in msgs][:3] == ["0", "1", "2"]
    assert rig.agent.metrics_snapshot()["dropped"]["logs"] == 80
    assert len(rig.traced("log")) == 100  # the console and the trace get everything
    assert len([line for line in rig.board.lines if line.startswith("[info] chatty")]) == 100


def test_the_bucket_refills_at_five_per_second():
    rig = Rig()
    rig.load(
        "t",
        '(define (tick n) (log "info" (number->string n)) (when (< n 200) (set-timer "t" 0.05 (lambda () (tick (+ n 1))))))'
        "(tick 0)",
    )
    rig.run_until(10.0)
    msgs = rig.json_on("logs/dev-1")
    # 201 lines in 10 s at 20/s: 20 at once, then 5 per second
    assert 68 <= len(msgs) <= 71, len(msgs)
    with_drops = [m for m in msgs if "dropped" in m]
    assert with_drops and with_drops[0]["dropped"] >= 1
    total = sum(m.get("dropped", 0) for m in msgs)
    assert total + len(msgs) <= 201
    assert rig.agent.metrics_snapshot()["dropped"]["logs"] >= total


def test_the_limits_are_configurable():
    rig = Rig(cfg=config(log_burst=2, log_rate=0.5))
    rig.load("c", '(log "i" "a") (log "i" "b") (log "i" "c")')
    assert len(rig.json_on("logs/dev-1")) == 2
