"""Exact rationals and complex numbers, through the whole interpreter (reader, printer,
arithmetic, predicates).  Runs under MicroPython too, which has no ``fractions``."""

from firmware.steel import Interpreter, SteelError, write_string

from .support import raises


def run(source):
    interp = Interpreter(output=lambda s: None)
    return write_string(interp.eval(source))


def fails(source, kind, fragment=""):
    with raises(SteelError) as r:
        Interpreter(output=lambda s: None).eval(source)
    assert r.value.kind == kind, (source, r.value.kind, r.value.message)
    assert fragment in r.value.message, (source, r.value.message)
    assert r.value.line is not None, source
    return r.value


CASES = [
    # literals and normalisation
    ("1/2", "1/2"),
    ("4/6", "2/3"),
    ("-3/9", "-1/3"),
    ("8/4", "2"),
    ("#e1.25", "5/4"),
    ("#i1/4", "0.25"),
    ("#x1/10", "1/16"),
    # arithmetic stays exact
    ("(/ 1 3)", "1/3"),
    ("(+ 1/4 1/3)", "7/12"),
    ("(- 1/2 1/2)", "0"),
    ("(* 2/3 3/2)", "1"),
    ("(/ 1/2 1/4)", "2"),
    ("(/ 4)", "1/4"),
    ("(+ 1/3 2)", "7/3"),
    ("(+ 2147483647 1/2)", "4294967295/2"),
    ("(- 1/4)", "-1/4"),
    # a float makes the result inexact
    ("(+ 0.5 1/4)", "0.75"),
    ("(* 1/2 3.0)", "1.5"),
    # comparisons, signs and predicates
    ("(< 1/3 1/2 2/3)", "#true"),
    ("(= 1/2 0.5)", "#true"),
    ("(> 1/3 0.3)", "#true"),
    ("(max 1/2 1/3)", "1/2"),
    ("(min 0 4 0.1)", "0"),
    ("(negative? -1/2)", "#true"),
    ("(positive? 1/2)", "#true"),
    ("(zero? (- 1/2 1/2))", "#true"),
    (
        "(list (rational? 1/2) (integer? 1/2) (exact? 1/2) (inexact? 1/2) (float? 1/2))",
        "(#true #false #true #false #false)",
    ),
    (
        "(list (number? 1/2) (real? 1/2) (finite? 1/2) (infinite? 1/2))",
        "(#true #true #true #false)",
    ),
    # rounding is exact for exact arguments
    ("(list (floor 5/2) (ceiling 5/2) (truncate -5/2) (round 5/2) (round 7/2))", "(2 3 -2 2 4)"),
    ("(list (floor -1/2) (ceiling -1/2) (round 4/3) (round -5/3))", "(-1 0 1 -2)"),
    # conversions
    ("(exact->inexact 1/8)", "0.125"),
    ("(inexact->exact 0.75)", "3/4"),
    ("(exact 2.0)", "2"),
    ("(list (numerator 6/4) (denominator 6/4) (numerator 5) (denominator 5))", "(3 2 5 1)"),
    ("(numerator 0.5)", "1.0"),
    ("(number->string 3/4)", '"3/4"'),
    ("(number->string 1/8 2)", '"1/1000"'),
    ('(string->number "-6/8")', "-3/4"),
    ('(string->number "1/0")', "#false"),
    # powers and roots
    ("(expt 2/3 2)", "4/9"),
    ("(expt 2 -3)", "1/8"),
    ("(expt 1/2 -2)", "4"),
    ("(sqrt 9/16)", "3/4"),
    ("(exact-integer-sqrt 17)", "(4 1)"),
    ("(square 1/3)", "1/9"),
    # equality and hashing by value
    ("(equal? 1/2 (/ 2 4))", "#true"),
    ("(eqv? 1/2 (/ 3 6))", "#true"),
    ("(equal? 1/2 0.5)", "#false"),
    ("(hash-ref (hash 1/2 'half) (/ 5 10))", "half"),
    ("(json-encode (list 1/4))", '"[0.25]"'),
    # complex numbers
    ("1+2i", "1+2i"),
    ("-3-4i", "-3-4i"),
    ("+2i", "0+2i"),
    ("1.5-i", "1.5-1i"),
    ("(+ 1+2i 3+4i)", "4+6i"),
    ("(+ 1+2i 1-2i)", "2"),
    ("(- 1+2i 3+4i)", "-2-2i"),
    ("(* 1+2i 3+4i)", "-5+10i"),
    ("(/ 10+5i 1+2i)", "4-3i"),
    ("(* 2.0 1+i)", "2.0+2.0i"),
    ("(magnitude -3+4i)", "5"),
    ("(list (real-part 3+4i) (imag-part 3+4i) (imag-part 7))", "(3 4 0)"),
    ("(sqrt -4)", "0+2i"),
    ("(sqrt -3-4i)", "1-2i"),
    ("(square 1+2i)", "-3+4i"),
    ("(expt 0+1i 2)", "-1"),
    ("(make-rectangular 1/2 3)", "1/2+3i"),
    (
        "(list (exact? 1+2i) (inexact? 1.0+2i) (real? 1+2i) (number? 1+2i))",
        "(#true #true #false #true)",
    ),
    ("(= 1+2i (make-rectangular 1 2))", "#true"),
    ("(number->string 1+2i 2)", '"1+10i"'),
    ('(string->number "1+10i" 2)', "1+2i"),
    ("(exact 1.5+2.5i)", "3/2+5/2i"),
]


def test_exact_numbers():
    failures = []
    for source, expected in CASES:
        try:
            got = run(source)
        except SteelError as e:
            got = "error: %s" % e
        if got != expected:
            failures.append("%s => %s, expected %s" % (source, got, expected))
    assert not failures, "\n".join(failures)


def test_a_zero_denominator_is_refused():
    e = fails("(+ 1 1/0)", "BadSyntax", "division by zero in 1/0")
    assert (e.line, e.column) == (1, 6)
    fails("(/ 1/2 0)", "ContractViolation", "division by zero")
    fails("(/ 1+2i 0)", "ContractViolation", "division by zero")
    fails("(floor/ 1 0)", "ContractViolation", "division by zero")
    fails("(expt 0 -1)", "ContractViolation", "negative power")


def test_bad_arguments_name_the_procedure():
    fails("(numerator 1+2i)", "TypeMismatch", "numerator")
    fails("(denominator 'x)", "TypeMismatch", "denominator")
    fails("(odd? 1/2)", "TypeMismatch", "odd?")
    fails("(quotient 1/2 3)", "TypeMismatch", "quotient")
    fails("(< 1+2i 3)", "TypeMismatch", "<")
    fails("(floor 1+2i)", "TypeMismatch", "floor")
    fails("(max 1 2+i)", "TypeMismatch", "max")
    fails("(make-rectangular 1+i 2)", "TypeMismatch", "make-rectangular")
    fails("(make-polar 1 'a)", "TypeMismatch", "make-polar")
    fails('(magnitude "3")', "TypeMismatch", "magnitude")
    fails("(exact +nan.0)", "ConversionError", "exact")
    fails("(number->string 1/2 1)", "ContractViolation", "radix")


def test_big_rational_products_are_limited():
    fails("(expt 1/3 100000)", "OutOfMemory", "expt")
    fails("(* (expt 3 30000) 1/7 (expt 3 30000))", "OutOfMemory", "*")
