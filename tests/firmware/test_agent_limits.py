"""Resource limits: runaway loops, memory bombs and deep recursion end the program with an
error status; the device keeps its session and runs the next program."""

from firmware.agent.events import Connect, Disconnected
from tests.firmware.agent_fakes import Rig, config

BLINK_SRC = '(led-on) (sleep 1) (led-off) (log "info" "done")'


def error_of(rig, program_id):
    last = rig.last_status()
    assert last["program_id"] == program_id and last["state"] == "error", last
    return last["error"]


def session_kept(rig):
    connects = [a for _, a in rig.actions if type(a) is Connect]
    assert len(connects) == 1
    assert not [a for _, a in rig.actions if type(a) is Disconnected]
    assert rig.agent.connected


def next_program_runs(rig):
    rig.load("blink", BLINK_SRC)
    rig.advance(2)
    assert rig.states("blink") == ["loaded", "running", "finished"]
    assert rig.board.led_history[-2:] == [
        (rig.board.led_history[-2][0], True),
        (rig.board.led_history[-2][0] + 1, False),
    ]


def test_runaway_loop_is_stopped_after_a_million_steps():
    rig = Rig()
    # The cheapest loop there is, so that a million steps are quick under MicroPython too.
    rig.load("spin", "(define x 1)\n(let spin () (spin))")
    assert rig.agent.program_state == "running"
    assert rig.agent.next_deadline() == rig.now  # it wants the CPU, in slices
    rig.settle()
    err = error_of(rig, "spin")
    assert err["kind"] == "StepLimitExceeded"
    assert "1000000 steps without suspending" in err["message"]
    assert err["line"] == 2, err
    snap = rig.agent.metrics_snapshot()
    assert snap["program_failures"] == 1 and snap["vm_steps"] >= 1000000
    session_kept(rig)
    next_program_runs(rig)


def test_slices_keep_the_agent_responsive_during_a_runaway_loop():
    rig = Rig(cfg=config(steps=50000, slice_steps=1000))
    rig.load("spin", "(let loop () (loop))")
    ticks = 0
    while rig.agent.program_state == "running":
        rig.tick()
        ticks += 1
        if ticks == 10:  # a message in between is handled at once
            rig.deliver("steel-programs/dev-1/stop", "{}")
    assert rig.agent.program_state == "stopped"
    assert ticks == 10


def test_a_loop_that_sleeps_is_not_a_runaway():
    rig = Rig(cfg=config(steps=2000))
    rig.load(
        "busy",
        "(define (work n) (if (= n 0) 0 (work (- n 1))))\n"
        "(let loop ((i 0)) (work 500) (sleep 1) (when (< i 20) (loop (+ i 1))))",
    )
    rig.advance(30)
    assert rig.states("busy")[-1] == "finished"


def test_memory_bomb_is_stopped_with_out_of_memory():
    rig = Rig()
    rig.load("bomb", "(define (grow acc) (grow (cons acc acc)))\n(grow '())")
    rig.settle()
    err = error_of(rig, "bomb")
    assert err["kind"] == "OutOfMemory", err
    session_kept(rig)
    next_program_runs(rig)


def test_string_doubling_bomb():
    rig = Rig()
    rig.load("strings", '(let loop ((s "ab")) (loop (string-append s s)))')
    rig.settle()
    assert error_of(rig, "strings")["kind"] == "OutOfMemory"


def test_million_deep_recursion_is_stopped_with_out_of_memory():
    rig = Rig()
    rig.load("deep", "(define (down n) (if (= n 0) 0 (+ 1 (down (- n 1)))))\n(down 1000000)")
    rig.settle()
    err = error_of(rig, "deep")
    assert err["kind"] == "OutOfMemory"
    assert "131072" in err["message"]  # the default cap: 128 KiB
    session_kept(rig)
    next_program_runs(rig)


def test_a_modest_recursion_fits_the_default_cap():
    rig = Rig()
    rig.load(
        "ok", '(define (down n) (if (= n 0) 0 (+ 1 (down (- n 1)))))\n(log "info" (down 1000))'
    )
    rig.settle()
    assert rig.states("ok")[-1] == "finished"
    assert rig.traced("log")[-1]["message"] == "1000"


def test_a_runtime_error_reports_kind_line_column_and_trace():
    rig = Rig()
    rig.load("oops", '(define (f x)\n  (car x))\n(define (g) (f 5))\n(g)\n(log "info" "never")')
    err = error_of(rig, "oops")
    assert err["kind"] == "TypeMismatch"
    assert err["line"] == 2 and err["column"] == 3, err
    assert err["source"] == "oops.scm"
    assert rig.traced("log") == []
    errors = rig.traced("error")
    assert errors[-1]["program_id"] == "oops"
    session_kept(rig)


def test_an_error_in_a_timer_callback_ends_the_program():
    rig = Rig()
    rig.load("t", '(set-timer "x" 5 (lambda () (error "boom" 1)))')
    assert rig.agent.program_state == "running"
    rig.advance(6)
    err = error_of(rig, "t")
    assert err["kind"] == "Generic" and "boom" in err["message"]
    rig.advance(100)
    assert rig.agent.program_state == "error"


def test_an_error_in_a_handler_ends_the_program_and_drops_its_subscriptions():
    rig = Rig()
    rig.load("h", '(mqtt-subscribe "cmd/led" (lambda (t p) (vector-ref (vector) 3)))')
    assert "cmd/dev-1/led" in rig.subscriptions
    rig.deliver("cmd/dev-1/led", "on")
    assert error_of(rig, "h")["kind"] in ("ContractViolation", "Generic", "TypeMismatch")
    assert "cmd/dev-1/led" not in rig.subscriptions


def test_programs_cannot_catch_resource_errors():
    rig = Rig(cfg=config(steps=20000))
    rig.load("sneaky", '(with-handler (lambda (e) (log "info" "caught")) (let loop () (loop)))')
    rig.settle()
    assert error_of(rig, "sneaky")["kind"] == "StepLimitExceeded"
    assert rig.traced("log") == []


def test_other_tasks_of_a_failing_program_are_killed():
    rig = Rig()
    rig.load(
        "two",
        '(set-timer "a" 1 (lambda () (sleep 10) (log "info" "late")))\n'
        '(set-timer "b" 2 (lambda () (car 1)))',
    )
    rig.advance(30)
    assert error_of(rig, "two")["kind"] == "TypeMismatch"
    assert rig.traced("log") == []


def test_the_task_limit_drops_handler_calls_and_counts_them():
    rig = Rig(cfg=config(tasks=3))
    rig.load("slow", '(mqtt-subscribe "in" (lambda (t p) (sleep 100)))')
    for i in range(5):
        rig.deliver("in/dev-1", "x")
    assert rig.agent.metrics_snapshot()["dropped"]["events"] == 2
    assert rig.agent.program_state == "running"


def test_timer_and_subscription_limits_are_errors_the_program_sees():
    rig = Rig(cfg=config(timers=2, subscriptions=1))
    rig.load(
        "t",
        '(set-timer "a" 1 (lambda () 1)) (set-timer "b" 1 (lambda () 1))'
        ' (set-timer "a" 2 (lambda () 1)) (set-timer "c" 1 (lambda () 1))',
    )
    assert "at most 2 timers" in error_of(rig, "t")["message"]
    rig.load(
        "s",
        '(mqtt-subscribe "a" (lambda (t p) 1)) (mqtt-subscribe "a" (lambda (t p) 2))'
        ' (mqtt-subscribe "b" (lambda (t p) 1))',
    )
    assert "at most 1 topic filters" in error_of(rig, "s")["message"]


def test_the_step_limit_need_not_be_a_multiple_of_the_slice():
    rig = Rig(cfg=config(steps=2500, slice_steps=2000))
    rig.load("spin", "(let loop () (loop))")
    rig.settle()
    assert error_of(rig, "spin")["kind"] == "StepLimitExceeded"
    assert rig.agent.metrics_snapshot()["vm_steps"] == 2500


class _StubTask:
    steps = 0
    r = None

    def __init__(self, exc):
        self.exc = exc

    def run(self, budget):
        raise self.exc

    def kill(self, reason):
        pass


def test_an_exception_escaping_the_vm_ends_the_program_not_the_agent():
    from firmware.agent.runtime import Job

    rig = Rig()
    rig.load("p", '(set-timer "t" 100 (lambda () 1))')
    rt = rig.agent.programs.runtime
    rt.ready.append(Job(_StubTask(ValueError("task is done and cannot run")), "stub", 99))
    rig.tick()
    err = error_of(rig, "p")
    assert err["kind"] == "Generic" and "internal error in the runtime" in err["message"]
    assert "cannot run" not in err["message"]  # Python's text stays out of the status
    assert rig.agent.connected


def test_a_task_that_waits_without_a_wake_up_is_an_internal_error():
    from firmware.steel.vm import SUSPEND, WAITING

    rig = Rig()
    rig.load("p", '(set-timer "t" 100 (lambda () 1))')
    rt = rig.agent.programs.runtime

    def hang(task, args, pos):
        task.status = WAITING  # suspends without rt.suspend(): a bug in a host procedure
        return SUSPEND

    rt.interp.define_control("hang", hang, 0, 0)
    rt.spawn(rt.interp.compile("(hang)", "x"), [], "hang")
    rig.tick()
    assert "waits with no wake-up" in error_of(rig, "p")["message"]
