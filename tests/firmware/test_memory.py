"""Memory accounting: a program that allocates too much is stopped, the host is not."""

from firmware.steel import Interpreter, SteelError
from tests.firmware.support import raises

LIMIT = 2 * 1024 * 1024


def capped():
    return Interpreter(output=lambda s: None, memory_limit=LIMIT)


def oom(interp, src):
    with raises(SteelError) as r:
        interp.eval(src)
    assert r.value.kind == "OutOfMemory", r.value
    return r.value


def test_a_growing_list_is_stopped():
    interp = capped()
    oom(interp, "(let loop ((acc '())) (loop (cons 1 acc)))")
    assert interp.eval("(+ 1 2)") == 3


def test_huge_single_allocations_are_refused_before_they_happen():
    interp = capped()
    oom(interp, "(make-vector 100000000 0)")
    oom(interp, "(make-string 100000000 #\\a)")
    oom(interp, "(range 0 100000000)")
    assert interp.eval("(length (range 0 10))") == 10


def test_string_doubling_bomb():
    oom(capped(), '(let loop ((s "ab")) (loop (string-append s s)))')


def test_runaway_recursion_is_stopped_by_the_memory_cap():
    interp = capped()
    e = oom(interp, "(define (down n) (+ 1 (down (+ n 1)))) (down 0)")
    assert "memory" in e.message
    assert interp.eval("(define (ok n) (if (= n 0) 0 (+ 1 (ok (- n 1))))) (ok 1000)") == 1000


def test_garbage_does_not_count_against_the_cap():
    interp = capped()
    src = "(let loop ((i 0)) (if (< i 200000) (begin (list i i i i) (loop (+ i 1))) 'ok))"
    assert interp.eval(src) is not None
    src = "(let loop ((i 0)) (if (< i 3000) (begin (make-string 10000 #\\x) (loop (+ i 1))) i))"
    assert interp.eval(src) == 3000


def test_programs_cannot_catch_out_of_memory():
    interp = capped()
    oom(interp, "(with-handler (lambda (e) 'swallowed) (let loop ((acc '())) (loop (cons 1 acc))))")


def test_closures_and_vectors_kept_in_globals_count():
    interp = capped()
    oom(
        interp,
        "(define keep '()) (let loop ((i 0)) (set! keep (cons (make-vector 100 i) keep)) (loop (+ i 1)))",
    )


def test_measure_reports_live_data():
    interp = Interpreter(output=lambda s: None)
    before = interp.measure()
    interp.eval("(define big (range 0 10000))")
    after = interp.measure()
    assert after - before >= 10000 * 8
    interp.eval("(set! big '())")
    assert interp.measure() < after


def test_bignum_squaring_bomb_is_stopped():
    interp = capped()
    with raises(SteelError) as r:
        interp.eval("(let loop ((x 3)) (loop (* x x)))")
    assert r.value.kind == "OutOfMemory" and "limited to 65536 bits" in r.value.message
    assert interp.eval("(* 123456789123 987654321987)") == 121932631355968601347401
    with raises(SteelError):
        interp.eval("(expt 7 100000)")


def test_big_but_bounded_integers_work_and_print():
    interp = Interpreter(output=lambda s: None)
    src = "(define (fact n) (if (= n 0) 1 (* n (fact (- n 1))))) (number->string (fact 3000))"
    digits = interp.eval(src)
    assert len(digits) == 9131 and digits.startswith("4149359603437854")


def test_deeply_nested_hash_keys_are_refused_cleanly():
    interp = capped()
    interp.eval("(define (nest n acc) (if (= n 0) acc (nest (- n 1) (list acc))))")
    assert interp.eval("(hash-ref (hash (nest 50 1) 'ok) (nest 50 1))") is not None
    with raises(SteelError) as r:
        interp.eval("(hash (nest 20000 1) 1)")
    assert "nested deeper" in r.value.message
