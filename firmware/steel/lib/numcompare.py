"""Numeric comparison, sign and parity tests, number types and exactness conversion."""

from ..errors import CONVERSION_ERROR, SteelError, type_error
from ..numtypes import Complex, Rational, rectangular
from ..printer import format_float
from . import realmath
from ._util import renamed
from .numeric import (
    INF,
    NINF,
    check_numbers,
    check_reals,
    is_exact,
    is_finite,
    is_number,
    is_real,
    need_integral,
    need_number,
    need_real,
    variadic,
)


def _chain(who, args, want):
    """True if ``compare`` of each neighbouring pair is in ``want`` (NaN: false)."""
    check_reals(who, args)
    for i in range(len(args) - 1):
        if realmath.compare(args[i], args[i + 1]) not in want:
            return False
    return True


_EQ = (0,)
_LT = (-1,)
_GT = (1,)
_LE = (-1, 0)
_GE = (0, 1)


def _num_equal(a, b):
    if type(a) is Complex or type(b) is Complex:
        if type(a) is not Complex or type(b) is not Complex:
            return False
        return realmath.compare(a.re, b.re) == 0 and realmath.compare(a.im, b.im) == 0
    return realmath.compare(a, b) == 0


def num_eq(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a == b
    args = variadic(a, b, rest)
    check_numbers("=", args)
    for i in range(len(args) - 1):
        if not _num_equal(args[i], args[i + 1]):
            return False
    return True


def num_lt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a < b
    return _chain("<", variadic(a, b, rest), _LT)


def num_gt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a > b
    return _chain(">", variadic(a, b, rest), _GT)


def num_le(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a <= b
    return _chain("<=", variadic(a, b, rest), _LE)


def num_ge(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a >= b
    return _chain(">=", variadic(a, b, rest), _GE)


def zero_p(x):
    need_number("zero?", x, 1)
    if type(x) is Complex:
        return False  # a complex number's parts are never both exact zeros
    return realmath.sign(x) == 0 and x == x


def positive_p(x):
    need_real("positive?", x, 1)
    return realmath.sign(x) > 0


def negative_p(x):
    need_real("negative?", x, 1)
    return realmath.sign(x) < 0


def odd_p(x):
    if type(x) is int:
        return x & 1 == 1
    return need_integral("odd?", x, 1) % 2 == 1


def even_p(x):
    if type(x) is int:
        return x & 1 == 0
    return need_integral("even?", x, 1) % 2 == 0


def number_p(x):
    return is_number(x)


def real_p(x):
    return is_real(x)


def integer_p(x):
    return realmath.is_integral(x)


def exact_integer_p(x):
    return type(x) is int


def exact_nonnegative_integer_p(x):
    return type(x) is int and x >= 0


def float_p(x):
    return type(x) is float


def rational_p(x):
    t = type(x)
    return t is int or t is Rational or (t is float and is_finite(x))


def nan_p(x):
    need_real("nan?", x, 1)
    return x != x


def infinite_p(x):
    need_real("infinite?", x, 1)
    return x == INF or x == NINF


def finite_p(x):
    need_real("finite?", x, 1)
    return type(x) is not float or is_finite(x)


def exact_p(x):
    return is_exact(x)


def inexact_p(x):
    return is_number(x) and not is_exact(x)


def inexact(x):
    t = type(x)
    if t is float:
        return x
    if t is Complex:
        return Complex(realmath.to_float(x.re), realmath.to_float(x.im))
    if is_real(x):
        return realmath.to_float(x)
    raise type_error("inexact", "a number", x, 1)


def _exact_real(x):
    if type(x) is not float:
        return x
    if not is_finite(x):
        raise SteelError(
            CONVERSION_ERROR, "exact: %s has no exact representation" % format_float(x)
        )
    return realmath.float_to_exact(x)


def exact(x):
    if type(x) is Complex:
        return rectangular(_exact_real(x.re), _exact_real(x.im))
    if is_real(x):
        return _exact_real(x)
    raise type_error("exact", "a number", x, 1)


def numerator(x):
    t = type(x)
    if t is int:
        return x
    if t is Rational:
        return x.num
    if t is float and is_finite(x):
        return realmath.to_float(numerator(realmath.float_to_exact(x)))
    raise type_error("numerator", "a rational number", x, 1)


def denominator(x):
    t = type(x)
    if t is int:
        return 1
    if t is Rational:
        return x.den
    if t is float and is_finite(x):
        return realmath.to_float(denominator(realmath.float_to_exact(x)))
    raise type_error("denominator", "a rational number", x, 1)


def install(lib):
    d = lib.define
    d("=", num_eq, 1, -1, "(= z w ...) — #t if all the numbers are numerically equal")
    d("<", num_lt, 1, -1, "(< x y ...) — #t if the numbers are strictly increasing")
    d(">", num_gt, 1, -1, "(> x y ...) — #t if the numbers are strictly decreasing")
    d("<=", num_le, 1, -1, "(<= x y ...) — #t if the numbers are non-decreasing")
    d(">=", num_ge, 1, -1, "(>= x y ...) — #t if the numbers are non-increasing")
    d("zero?", zero_p, 1, 1, "(zero? z) — #t if z is 0 or 0.0")
    d("numerator", numerator, 1, 1, "(numerator q) — the numerator of q in lowest terms")
    d("denominator", denominator, 1, 1, "(denominator q) — the denominator of q (positive)")
    d("positive?", positive_p, 1, 1, "(positive? x) — #t if x is greater than zero")
    d("negative?", negative_p, 1, 1, "(negative? x) — #t if x is less than zero")
    d("odd?", odd_p, 1, 1, "(odd? n) — #t if the integer n is odd")
    d("even?", even_p, 1, 1, "(even? n) — #t if the integer n is even")
    d("number?", number_p, 1, 1, "(number? v) — #t if v is a number")
    d("complex?", number_p, 1, 1, "(complex? v) — #t if v is a number (every number is)")
    d("real?", real_p, 1, 1, "(real? v) — #t if v is a real number (not complex)")
    d(
        "rational?",
        rational_p,
        1,
        1,
        "(rational? v) — #t if v is an exact integer or rational, or a finite float",
    )
    d("integer?", integer_p, 1, 1, "(integer? v) — #t if v is an integer, exact or a float")
    d("int?", integer_p, 1, 1, "(int? v) — same as integer?")
    d("exact-integer?", exact_integer_p, 1, 1, "(exact-integer? v) — #t if v is an exact int")
    d(
        "exact-nonnegative-integer?",
        exact_nonnegative_integer_p,
        1,
        1,
        "(exact-nonnegative-integer? v) — #t if v is an exact integer >= 0",
    )
    d("float?", float_p, 1, 1, "(float? v) — #t if v is an inexact (floating-point) number")
    d("nan?", nan_p, 1, 1, "(nan? x) — #t if x is +nan.0")
    d("infinite?", infinite_p, 1, 1, "(infinite? x) — #t if x is +inf.0 or -inf.0")
    d("finite?", finite_p, 1, 1, "(finite? x) — #t if x is neither infinite nor NaN")
    d("exact?", exact_p, 1, 1, "(exact? v) — #t if v is an exact number")
    d("inexact?", inexact_p, 1, 1, "(inexact? v) — #t if v is an inexact number")
    d("inexact", inexact, 1, 1, "(inexact z) — z as a floating-point number")
    d(
        "exact->inexact",
        renamed(inexact, "inexact", "exact->inexact"),
        1,
        1,
        "(exact->inexact z) — same as inexact",
    )
    d("exact", exact, 1, 1, "(exact z) — the exact number equal to z ((exact 0.5) is 1/2)")
    d(
        "inexact->exact",
        renamed(exact, "exact", "inexact->exact"),
        1,
        1,
        "(inexact->exact z) — same as exact",
    )
