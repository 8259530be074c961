"""Interpreters share the library's code but nothing a program can observe."""

from firmware.steel import Interpreter, SteelError
from tests.firmware.support import raises


def test_each_interpreter_writes_to_its_own_output():
    a_out, b_out = [], []
    a = Interpreter(output=a_out.append)
    b = Interpreter(output=b_out.append)
    a.eval('(display "from a")')
    b.eval('(display "from b") (newline)')
    a.eval("(displayln 1 2)")
    assert "".join(a_out) == "from a1 2\n"
    assert "".join(b_out) == "from b\n"


def test_allocations_are_charged_to_the_running_interpreter():
    small = Interpreter(memory_limit=200000)
    big = Interpreter(memory_limit=64 * 1024 * 1024)
    big.eval("(define keep (make-vector 100000 0))")
    assert small.meter.used == 0
    with raises(SteelError) as r:
        small.eval("(define keep (make-vector 100000 0))")
    assert r.value.kind == "OutOfMemory"
    assert big.eval("(vector-length keep)") == 100000


def test_interleaved_tasks_charge_their_own_meters():
    a = Interpreter(memory_limit=300000)
    b = Interpreter(memory_limit=64 * 1024 * 1024)
    ta = a.spawn(a.compile("(let loop ((acc '())) (loop (cons 1 acc)))"))
    tb = b.spawn(
        b.compile(
            "(let loop ((i 0) (acc '())) (if (< i 20000) (loop (+ i 1) (cons i acc)) (length acc)))"
        )
    )
    failed = False
    while tb.alive:
        tb.run(500)
        if ta.alive:
            try:
                ta.run(500)
            except SteelError as e:
                assert e.kind == "OutOfMemory"
                failed = True
    assert failed
    assert tb.value == 20000


def test_random_streams_are_per_interpreter_and_reproducible():
    def draws(interp, n):
        return [interp.eval("(random 1000000)") for _ in range(n)]

    a1 = Interpreter(seed=7)
    a2 = Interpreter(seed=7)
    other = Interpreter(seed=8)
    first = draws(a1, 3)
    other_draws = draws(other, 3)
    second = draws(a2, 3)  # interleaving with `other` must not disturb the sequence
    assert first == second
    assert first != other_draws
    a1.eval("(random-seed 42)")
    a2.eval("(random-seed 42)")
    assert draws(a1, 2) == draws(a2, 2)


def test_globals_are_per_interpreter_even_for_redefined_builtins():
    a = Interpreter()
    b = Interpreter()
    a.eval("(define (car x) 'mine) (define shared 1)")
    assert b.eval("(car '(1 2))") == 1
    with raises(SteelError):
        b.eval("shared")
