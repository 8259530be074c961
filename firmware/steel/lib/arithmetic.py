"""Arithmetic: + - * /, abs, max and min, add1, sub1, square — over the whole tower.

Exact operands give exact results (``(/ 1 3)`` is ``1/3``), a float makes the result
inexact, and complex numbers combine part by part.  Big-integer products are charged to
the memory meter before they are computed.
"""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..memory import OBJECT
from ..numtypes import Complex, Rational, rectangular
from . import realmath
from ._util import SMALL_INT
from .numeric import (
    bit_length,
    check_int_bits,
    check_numbers,
    check_reals,
    need_number,
    variadic,
)


def _re(x):
    return x.re if type(x) is Complex else x


def _im(x):
    return x.im if type(x) is Complex else 0


def add2(a, b):
    if type(a) is Complex or type(b) is Complex:
        return rectangular(realmath.add(_re(a), _re(b)), realmath.add(_im(a), _im(b)))
    return realmath.add(a, b)


def negate(a):
    if type(a) is Complex:
        return Complex(realmath.neg(a.re), realmath.neg(a.im))
    return realmath.neg(a)


def sub2(a, b):
    if type(a) is Complex or type(b) is Complex:
        return rectangular(realmath.sub(_re(a), _re(b)), realmath.sub(_im(a), _im(b)))
    return realmath.sub(a, b)


def mul2(a, b):
    if type(a) is Complex or type(b) is Complex:
        ar, ai, br, bi = _re(a), _im(a), _re(b), _im(b)
        m = realmath.mul
        return rectangular(realmath.sub(m(ar, br), m(ai, bi)), realmath.add(m(ar, bi), m(ai, br)))
    return realmath.mul(a, b)


def _is_exact_zero(x):
    return type(x) is int and x == 0


def div2(a, b, who="/"):
    if _is_exact_zero(b):
        raise SteelError(CONTRACT_VIOLATION, "%s: division by zero" % who)
    if type(a) is Complex or type(b) is Complex:
        ar, ai, br, bi = _re(a), _im(a), _re(b), _im(b)
        m = realmath.mul
        d = realmath.add(m(br, br), m(bi, bi))
        re = realmath.div(realmath.add(m(ar, br), m(ai, bi)), d)
        im = realmath.div(realmath.sub(m(ai, br), m(ar, bi)), d)
        return rectangular(re, im)
    return realmath.div(a, b)


def plus(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a + b
    args = variadic(a, b, rest)
    check_numbers("+", args)
    total = 0
    for x in args:
        total = add2(total, x)
    return total


def minus(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a - b
    args = variadic(a, b, rest)
    check_numbers("-", args)
    if len(args) == 1:
        return negate(a)
    total = a
    for i in range(1, len(args)):
        total = sub2(total, args[i])
    return total


def exact_bits(x):
    """The bits of an exact integer or of a rational's numerator and denominator."""
    if type(x) is Rational:
        return bit_length(x.num) + bit_length(x.den)
    return bit_length(x)


def make_times(meter):
    def charge_product(a, b):
        # Checked and charged *before* multiplying: a product's size is known from its
        # operands, and computing a huge one is itself the attack.
        if type(a) is int and type(b) is int and -SMALL_INT <= a <= SMALL_INT:
            if -SMALL_INT <= b <= SMALL_INT:
                return
        bits = exact_bits(a) + exact_bits(b)
        check_int_bits("*", bits)
        meter.charge(OBJECT + bits // 8 + 8)

    def times(a=None, b=None, *rest):
        if type(a) is int and type(b) is int and not rest:
            charge_product(a, b)
            return a * b
        args = variadic(a, b, rest)
        check_numbers("*", args)
        total = 1
        for x in args:
            if (type(total) is int or type(total) is Rational) and (
                type(x) is int or type(x) is Rational
            ):
                charge_product(total, x)
            total = mul2(total, x)
        return total

    return times


def divide(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest and b:
        if a % b == 0:
            return a // b
        return realmath.div(a, b)
    args = variadic(a, b, rest)
    check_numbers("/", args)
    if len(args) == 1:
        return div2(1, a)
    total = a
    for i in range(1, len(args)):
        total = div2(total, args[i])
    return total


def abs_(x):
    t = type(x)
    if t is int or t is float:
        return -x if x < 0 else x
    if t is Rational:
        return Rational(-x.num, x.den) if x.num < 0 else x
    raise type_error("abs", "a real number", x, 1)


def _extreme(who, args, bigger):
    """The largest (smallest) argument itself, as Steel returns it: ``(max 0 4 3.9)`` is
    ``4``; NaN anywhere gives NaN."""
    check_reals(who, args)
    best = args[0]
    if best != best:
        return best
    want = 1 if bigger else -1
    for i in range(1, len(args)):
        x = args[i]
        c = realmath.compare(x, best)
        if c is None:
            return x
        if c == want:
            best = x
    return best


def max_(*args):
    return _extreme("max", args, True)


def min_(*args):
    return _extreme("min", args, False)


def square(x):
    need_number("square", x, 1)
    return mul2(x, x)


def add1(x):
    if type(x) is int:
        return x + 1
    return add2(need_number("add1", x, 1), 1)


def sub1(x):
    if type(x) is int:
        return x - 1
    return sub2(need_number("sub1", x, 1), 1)


def install(lib):
    d = lib.define
    m = lib.meter
    d("+", plus, 0, -1, "(+ z ...) — the sum of the numbers (0 with no arguments)")
    d("-", minus, 1, -1, "(- z w ...) — z minus the others, or the negation of a lone z")
    d("*", make_times(m), 0, -1, "(* z ...) — the product of the numbers (1 with none)")
    d(
        "/",
        divide,
        1,
        -1,
        "(/ z w ...) — z divided by the others (reciprocal of a lone z); exact for exact "
        "numbers: (/ 1 3) is 1/3",
    )
    d("abs", abs_, 1, 1, "(abs x) — the absolute value of the real x")
    d("max", max_, 1, -1, "(max x y ...) — the largest argument, as it was given")
    d("min", min_, 1, -1, "(min x y ...) — the smallest argument, as it was given")
    d("square", square, 1, 1, "(square z) — z times z")
    d("add1", add1, 1, 1, "(add1 z) — z plus one")
    d("sub1", sub1, 1, 1, "(sub1 z) — z minus one")
