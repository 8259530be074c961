"""Re-entrant continuations: generators, shift/reset, resuming inside map, the memory
cap counting captured stacks, and the errors."""

from firmware.steel import Interpreter, SteelError

from .steel_support import ev, fails, new, output
from .support import raises

GENERATOR = """
(define (make-generator lst)
  (define return #f)
  (define (resume-point r)
    (for-each (lambda (x)
                (set! r (call/cc (lambda (here)
                                   (set! resume-point here)
                                   (r x)))))
              lst)
    (r 'done))
  (lambda () (call/cc (lambda (r) (resume-point r)))))
(define next (make-generator '(a b c)))
"""


def test_a_generator_resumes_its_for_each():
    assert ev(GENERATOR + "(list (next) (next) (next) (next))") == "(a b c done)"


def test_a_generator_across_top_level_forms():
    src = GENERATOR + "(define x (next)) (define y (next)) (list x y (next))"
    assert ev(src) == "(a b c)"


SHIFT_RESET = """
(define meta #f)
(define (abort-to v) (meta v))
(define (%reset thunk)
  (let ((saved meta))
    (call/cc (lambda (k)
      (set! meta (lambda (v) (set! meta saved) (k v)))
      (abort-to (thunk))))))
(define (%shift f)
  (call/cc (lambda (k)
    (abort-to (f (lambda (v) (%reset (lambda () (k v)))))))))
(define-syntax reset (syntax-rules () [(_ e) (%reset (lambda () e))]))
(define-syntax shift (syntax-rules () [(_ k e) (%shift (lambda (k) e))]))
"""


def test_shift_and_reset_built_on_call_cc():
    assert ev(SHIFT_RESET + "(+ 1 (reset (* 2 (shift k (k (k 4))))))") == "17"
    assert ev(SHIFT_RESET + "(* 2 (reset (+ 1 (shift k 5))))") == "10"
    src = (
        SHIFT_RESET
        + """
        (define (yield x) (shift k (cons x (k '()))))
        (reset (begin (yield 1) (yield 2) (yield 3) '()))"""
    )
    assert ev(src) == "(1 2 3)"


def test_a_continuation_resumed_inside_map_keeps_maps_state():
    # Resuming a continuation captured while map was at element 2 continues from
    # element 2 each time: map's state is copied with the stack.
    src = """
      (let ((saved #f) (count 0))
        (let ((result (map (lambda (x)
                             (if (= x 2) (call/cc (lambda (k) (set! saved k) x)) x))
                           '(1 2 3))))
          (set! count (+ count 1))
          (if (< count 3) (saved (* 10 count)) result)))"""
    assert ev(src) == "(1 20 3)"


def test_escape_from_a_loop():
    src = """(call/cc (lambda (return)
               (for-each (lambda (x) (when (> x 2) (return x))) '(1 2 3 4))
               'none))"""
    assert ev(src) == "3"
    assert ev("(list (call/cc (lambda (k) (k))))") == "(#<void>)"


def test_continuation_errors():
    fails("(call/cc 5)", "TypeMismatch", "call/cc")
    fails("(call/cc (lambda (k) (k 1 2)))", "ArityMismatch", "continuation")


def test_a_continuation_from_another_program_is_refused():
    first = Interpreter(output=lambda s: None)
    k = first.eval("(define saved #f) (call/cc (lambda (k) (set! saved k))) saved")
    second = Interpreter(output=lambda s: None)
    second.define("old-k", k)
    with raises(SteelError) as r:
        second.eval("(old-k 1)", name="reloaded.scm")
    assert r.value.kind == "ContractViolation"
    assert "belongs to another program" in r.value.message
    assert (r.value.line, r.value.column) == (1, 1)


def test_captured_stacks_count_against_the_memory_cap():
    # Each continuation copies a 1,000-deep stack; keeping dozens of them must hit the
    # cap, where the same recursion without keeping them runs fine.
    src = """
      (define kept '())
      (define (deep n) (if (= n 0) (call/cc (lambda (k) (set! kept (cons k kept)) 0))
                           (+ 1 (deep (- n 1)))))
      (define (loop i) (when (< i 60) (deep 1000) (loop (+ i 1))))
      (loop 0)"""
    fails(src, "OutOfMemory", "memory limit", interp=new(memory_limit=1024 * 1024))
    lean = src.replace("(set! kept (cons k kept))", "k")
    new(memory_limit=1024 * 1024).eval(lean)


def test_parameterize_is_undone_and_redone_by_continuations():
    src = """
      (define p (make-parameter 'outside))
      (define k #f)
      (define seen '())
      (parameterize ([p 'inside])
        (call/cc (lambda (c) (set! k c)))
        (set! seen (cons (p) seen)))
      (set! seen (cons (p) seen))
      (when (< (length seen) 3) (k #f))
      (list (p) seen)"""
    # Resuming re-enters the parameterize (p is 'inside again), leaving it restores p.
    assert ev(src) == "(outside (inside outside inside))"


def test_generators_run_under_micropython_too():
    assert output(GENERATOR + "(display (next)) (display (next))") == "ab"
