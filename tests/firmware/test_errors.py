"""Errors: Steel's kinds, line and column, source name, trace; found before running."""

from firmware.steel import Interpreter, SteelError
from tests.firmware.support import raises


def err(src, name="prog.scm", interp=None):
    with raises(SteelError) as r:
        (interp or Interpreter(output=lambda s: None)).eval(src, name)
    return r.value


def test_free_identifier_is_reported_before_anything_runs():
    out = []
    interp = Interpreter(output=out.append)
    e = err('(display "side effect")\n(define (f) (undefined-thing 1))', interp=interp)
    assert e.kind == "FreeIdentifier"
    assert (e.line, e.column, e.source) == (2, 14, "prog.scm")
    assert "undefined-thing" in e.message
    assert out == []  # nothing ran


def test_forward_references_to_later_definitions_are_fine():
    assert Interpreter().eval("(define (f) (g)) (define (g) 7) (f)") == 7


def test_calling_a_global_before_its_definition_ran_is_reported():
    e = err("(f)\n(define (f) 1)")
    assert e.kind == "FreeIdentifier"
    assert (e.line, e.column) == (1, 1)


def test_wrong_arity_of_a_builtin_is_a_compile_error():
    out = []
    e = err('(display "x")\n(car 1 2)', interp=Interpreter(output=out.append))
    assert e.kind == "ArityMismatch"
    assert (e.line, e.column) == (2, 1)
    assert "car" in e.message and "got 2" in e.message
    assert out == []


def test_wrong_arity_of_a_known_user_procedure_is_a_compile_error():
    e = err("(define (add a b) (+ a b))\n(add 1)")
    assert e.kind == "ArityMismatch"
    assert (e.line, e.column) == (2, 1)


def test_wrong_arity_through_a_variable_is_a_runtime_error():
    e = err("(define (add a b) (+ a b))\n(define f add)\n(f 1)")
    assert e.kind == "ArityMismatch"
    assert (e.line, e.column) == (3, 1)


def test_type_mismatch_points_at_the_failing_call():
    e = err("(define (f x)\n  (+ 1 (car x)))\n(f 5)")
    assert e.kind == "TypeMismatch"
    assert (e.line, e.column) == (2, 8)
    assert "car" in e.message


def test_arithmetic_type_errors_keep_their_position_on_the_fast_path():
    e = err('(define (f x) (+ x 1))\n(f "a")')
    assert e.kind == "TypeMismatch"
    assert (e.line, e.column) == (1, 15)


def test_applying_a_non_procedure():
    e = err("(define x 5)\n(x 1)")
    assert e.kind == "TypeMismatch"
    assert "not a procedure" in e.message
    assert (e.line, e.column) == (2, 1)


def test_trace_lists_the_steel_frames():
    src = """(define (inner x) (car x))
(define (middle x) (+ 1 (inner x)))
(define (outer x) (* 2 (middle x)))
(outer 5)"""
    e = err(src)
    assert (e.line, e.column) == (1, 19)
    names = [name for name, pos in e.trace]
    assert names[:2] == ["middle", "outer"]
    assert e.trace[0][1][:2] == (2, 25)
    d = e.to_dict()
    assert d["kind"] == "TypeMismatch" and d["line"] == 1 and d["trace"][0]["procedure"] == "middle"


def test_bad_syntax_errors_name_the_form_and_position():
    for src, fragment in [
        ("(if)", "if"),
        ("(let ((x)) x)", "let"),
        ("(let ((1 2)) 3)", "let"),
        ("(lambda (1) 1)", "lambda"),
        ("(define)", "define"),
        ("(f (define x 1))", "define"),
        ("(set! 5 1)", "set!"),
        ("(cond (else 1) (#t 2))", "else"),
        ("(quote)", "quote"),
        ("(lambda (x x) x)", "duplicate"),
        ("(struct s (1))", "struct"),
        ("(unquote x)", "unquote"),
        ('(require "x")', "require"),
    ]:
        e = err(src)
        assert e.kind == "BadSyntax", src
        assert fragment in e.message, (src, e.message)
        assert e.line == 1


def test_set_of_an_undefined_global():
    e = err("(set! nowhere 1)")
    assert e.kind == "FreeIdentifier"


def test_error_kind_and_message_from_error():
    e = err('(error "sensor offline:" 3)')
    assert e.kind == "Generic"
    assert e.message == "sensor offline: 3"
    assert str(e) == "prog.scm:1:1: Generic: sensor offline: 3"


def test_errors_inside_handlers_propagate_outward():
    e = err('(with-handler (lambda (e) (car 1)) (error "first"))')
    assert e.kind == "TypeMismatch"


def test_interpreter_stays_usable_after_errors():
    interp = Interpreter(output=lambda s: None)
    err("(car 1)", interp=interp)
    err("(undefined)", interp=interp)
    assert interp.eval("(+ 1 2)") == 3


def test_deeply_nested_source_is_an_error_not_a_crash():
    depth = 3000
    src = "(+ 1 " * depth + "0" + ")" * depth
    try:
        value = Interpreter().eval(src)
        assert value == depth
    except SteelError as e:
        assert "nested too deeply" in e.message
