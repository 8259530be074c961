"""define-syntax / syntax-rules: ellipsis, literals, nested patterns, hygiene."""

from firmware.steel import Interpreter, SteelError, write_string
from tests.firmware.support import raises


def ev(src):
    return write_string(Interpreter(output=lambda s: None).eval(src))


def test_simple_macro_and_recursion():
    src = """
    (define-syntax my-or
      (syntax-rules ()
        ((_) #f)
        ((_ e) e)
        ((_ e r ...) (let ((t e)) (if t t (my-or r ...))))))
    (list (my-or) (my-or #f 2) (my-or #f #f))"""
    assert ev(src) == "(#false 2 #false)"


def test_hygiene_introduced_temporaries_do_not_capture():
    src = """
    (define-syntax swap!
      (syntax-rules () ((_ a b) (let ((tmp a)) (set! a b) (set! b tmp)))))
    (define tmp 1) (define other 2)
    (swap! tmp other)
    (list tmp other)"""
    assert ev(src) == "(2 1)"
    src = """
    (define-syntax my-or2
      (syntax-rules () ((_ a b) (let ((t a)) (if t t b)))))
    (define t 5)
    (my-or2 #f t)"""
    assert ev(src) == "5"


def test_hygiene_template_globals_survive_local_shadowing():
    src = """
    (define-syntax first-of (syntax-rules () ((_ x) (car x))))
    (let ((car cdr)) (first-of '(1 2)))"""
    assert ev(src) == "1"


def test_ellipsis_in_nested_patterns():
    src = """
    (define-syntax my-let
      (syntax-rules ()
        ((_ ((name val) ...) body1 body2 ...)
         ((lambda (name ...) body1 body2 ...) val ...))))
    (my-let ((a 1) (b 2)) (+ a b))"""
    assert ev(src) == "3"
    src = """
    (define-syntax flat
      (syntax-rules () ((_ (a ...) ...) '(a ... ...))))
    (flat (1 2) (3) (4 5))"""
    assert ev(src) == "(1 2 3 4 5)"
    src = """
    (define-syntax pairs
      (syntax-rules () ((_ (k v) ...) (list (cons 'k v) ...))))
    (pairs (a 1) (b 2))"""
    assert ev(src) == "((a . 1) (b . 2))"


def test_ellipsis_followed_by_more_patterns_and_dotted_tails():
    src = """
    (define-syntax last-of
      (syntax-rules () ((_ x ... y) 'y)))
    (last-of 1 2 3)"""
    assert ev(src) == "3"
    src = """
    (define-syntax rest-of
      (syntax-rules () ((_ a . b) 'b)))
    (rest-of 1 2 3)"""
    assert ev(src) == "(2 3)"


def test_literals_must_match_exactly():
    src = """
    (define-syntax arrow
      (syntax-rules (=>)
        ((_ a => b) (list a b))
        ((_ a b c) 'no-arrow)))
    (list (arrow 1 => 2) (arrow 1 2 3))"""
    assert ev(src) == "((1 2) no-arrow)"


def test_vector_patterns_and_literal_data():
    src = """
    (define-syntax vec-first (syntax-rules () ((_ #(a b ...)) 'a)))
    (vec-first #(x y z))"""
    assert ev(src) == "x"
    src = """
    (define-syntax is-zero (syntax-rules () ((_ 0) 'zero) ((_ n) 'other)))
    (list (is-zero 0) (is-zero 1))"""
    assert ev(src) == "(zero other)"


def test_macro_defining_a_global_and_a_while_loop():
    src = """
    (define-syntax while
      (syntax-rules ()
        ((_ cond body ...) (let loop () (when cond body ... (loop))))))
    (define i 0) (define total 0)
    (while (< i 5) (set! total (+ total i)) (set! i (+ i 1)))
    total"""
    assert ev(src) == "10"
    src = """
    (define-syntax def-const (syntax-rules () ((_ name v) (define name v))))
    (def-const answer 42)
    answer"""
    assert ev(src) == "42"


def test_internal_macro_definitions():
    src = """
    (define (f x)
      (define-syntax double (syntax-rules () ((_ e) (* 2 e))))
      (double x))
    (f 21)"""
    assert ev(src) == "42"


def test_escaped_ellipsis():
    src = """
    (define-syntax lit (syntax-rules () ((_ x) '(x (... ...)))))
    (lit 1)"""
    assert ev(src) == "(1 ...)"


def test_no_matching_rule_is_a_bad_syntax_error_at_the_use():
    with raises(SteelError) as r:
        Interpreter().eval("(define-syntax m (syntax-rules () ((_ a) a)))\n\n(m 1 2)", "m.scm")
    e = r.value
    assert e.kind == "BadSyntax"
    assert (e.line, e.column) == (3, 1)
    assert "no syntax rule" in e.message


def test_malformed_macro_definitions():
    for bad in [
        "(define-syntax m)",
        "(define-syntax m (syntax-rules))",
        "(define-syntax m (syntax-rules () (a)))",
        "(define-syntax m (lambda (x) x))",
        "(define-syntax m (syntax-rules () ((_ a) (a ...))))\n(m 1)",
    ]:
        with raises(SteelError) as r:
            Interpreter().eval(bad)
        assert r.value.kind == "BadSyntax", bad


def test_macros_are_not_values():
    with raises(SteelError) as r:
        Interpreter().eval("(define-syntax m (syntax-rules () ((_) 1))) (list m)")
    assert r.value.kind == "BadSyntax"
