"""Execution on the explicit stack: proper tail calls, deep recursion, resumable runs."""

from firmware.steel import DONE, PAUSED, SLEEPING, WAITING, Interpreter, SteelError, write_string
from firmware.steel.vm import SUSPEND
from tests.firmware.support import raises


def test_a_million_iteration_tail_loop_runs_in_constant_space():
    interp = Interpreter()
    task = interp.spawn(interp.compile("(let loop ((i 0)) (if (< i 1000000) (loop (+ i 1)) i))"))
    deepest = 0
    while True:
        status = task.run(50000)
        deepest = max(deepest, len(task.stack))
        if status == DONE:
            break
    assert task.value == 1000000
    assert deepest <= 2


def test_mutual_tail_recursion_and_tail_calls_through_apply_and_cond():
    src = """
    (define (ev? n) (if (= n 0) #t (od? (- n 1))))
    (define (od? n) (cond ((= n 0) #f) (else (ev? (- n 1)))))
    (define (spin n) (when (> n 0) (apply spin (list (- n 1)))))
    (spin 100000)
    (ev? 100001)"""
    assert Interpreter().eval(src) is False


def test_a_hundred_thousand_deep_non_tail_recursion():
    interp = Interpreter()
    assert (
        interp.eval("(define (depth n) (if (= n 0) 0 (+ 1 (depth (- n 1))))) (depth 100000)")
        == 100000
    )
    src = "(define (build n) (if (= n 0) '() (cons n (build (- n 1))))) (length (build 100000))"
    assert interp.eval(src) == 100000


def test_deep_recursion_through_map_and_with_handler():
    src = """
    (define (nest n) (if (= n 0) '() (list (nest (- n 1)))))
    (define (count t) (if (null? t) 0 (+ 1 (apply + (map count t)))))
    (count (nest 20000))"""
    assert Interpreter().eval(src) == 20000
    src = "(define (h n) (if (= n 0) 0 (+ 1 (with-handler (lambda (e) 0) (h (- n 1)))))) (h 20000)"
    assert Interpreter().eval(src) == 20000


def test_printing_and_comparing_deep_structures_does_not_recurse():
    interp = Interpreter()
    v = interp.eval(
        "(define (nest n acc) (if (= n 0) acc (nest (- n 1) (list acc)))) (nest 20000 'x)"
    )
    text = write_string(v)
    assert text.startswith("((((") and text.count("(") == 20000
    assert interp.eval("(equal? (nest 20000 'x) (nest 20000 'x))") is True


def test_run_with_a_step_budget_pauses_and_resumes():
    interp = Interpreter()
    task = interp.spawn(
        interp.compile("(define (loop i) (if (< i 1000) (loop (+ i 1)) i)) (loop 0)")
    )
    assert task.run(100) == PAUSED
    assert task.steps == 100
    runs = 1
    while task.run(100) == PAUSED:
        runs += 1
    assert task.status == DONE and task.value == 1000
    assert runs >= 10


def test_an_endless_loop_never_blocks_its_host():
    interp = Interpreter()
    task = interp.spawn(interp.compile("(define (forever) (forever)) (forever)"))
    for _ in range(5):
        assert task.run(1000) == PAUSED
    task.kill()
    assert not task.alive
    assert interp.eval("(+ 1 1)") == 2


def test_eval_with_a_step_limit_raises_an_uncatchable_error():
    interp = Interpreter()
    with raises(SteelError) as r:
        interp.eval("(with-handler (lambda (e) 'caught) (let spin () (spin)))", max_steps=10000)
    assert r.value.kind == "StepLimitExceeded"


def test_sleep_suspends_and_tells_the_host_how_long():
    interp = Interpreter(output=lambda s: None)
    task = interp.spawn(
        interp.compile("(define x 0) (set! x 1) (sleep 2.5) (set! x 2) (sleep 1) x")
    )
    assert task.run() == SLEEPING
    assert task.wake_after == 2.5
    assert interp.eval("x") == 1
    assert task.run() == SLEEPING and task.wake_after == 1
    assert task.run() == DONE and task.value == 2


def test_eval_waits_through_sleeps_with_the_host_sleep_function():
    slept = []
    interp = Interpreter(sleep=slept.append)
    assert interp.eval("(sleep 1) (sleep 0.5) 'done") is not None
    assert slept == [1, 0.5]
    with raises(SteelError) as r:
        interp.eval('(sleep "x")')
    assert r.value.kind == "TypeMismatch"


def test_host_control_procedures_can_suspend_and_receive_a_value():
    interp = Interpreter()

    def request(task, args, pos):
        task.status = WAITING
        task.wait_reason = "reply to %s" % args[0]
        return SUSPEND

    interp.define_control("ask", request, 1)
    task = interp.spawn(interp.compile("(+ 1 (ask 'sensor))"))
    assert task.run() == WAITING
    assert task.wait_reason == "reply to sensor"
    task.resume(41)
    assert task.run() == DONE and task.value == 42


def test_host_primitives_and_calls_from_the_host():
    interp = Interpreter()
    seen = []
    interp.define_primitive("note", lambda x: seen.append(x) or 0, 1)
    interp.eval("(define (handler v) (note v) (* v 2))")
    assert interp.call(interp.lookup("handler"), 21) == 42
    assert seen == [21]


def test_tasks_interleave_in_one_interpreter():
    interp = Interpreter()
    interp.eval(
        "(define log '()) (define (count name n) (when (> n 0) (set! log (cons name log)) (count name (- n 1))))"
    )
    a = interp.spawn(interp.lookup("count"), ["a", 3])
    b = interp.spawn(interp.lookup("count"), ["b", 3])
    while a.alive or b.alive:
        for t in (a, b):
            if t.alive:
                t.run(2)
    assert sorted(write_string(interp.eval("log"))) == sorted('("b" "a" "b" "a" "b" "a")')
    assert interp.eval("(length log)") == 6


def test_nested_non_tail_calls_as_arguments():
    # tak's arguments are themselves calls: they are evaluated into temporaries in order.
    src = "(define (tak x y z) (if (not (< y x)) z (tak (tak (- x 1) y z) (tak (- y 1) z x) (tak (- z 1) x y)))) (tak 12 8 4)"
    assert Interpreter().eval(src) == 5
    src = "(define (f x) (* x 10)) (define order '()) (define (g x) (set! order (cons x order)) x) (list (f (g 1)) (g 2) (f (g 3)))"
    interp = Interpreter()
    assert write_string(interp.eval(src)) == "(10 2 30)"
    assert write_string(interp.eval("order")) == "(3 2 1)"
