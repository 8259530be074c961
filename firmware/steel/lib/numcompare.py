"""Numeric comparison, sign and parity tests, number types and exactness conversion."""

import math

from ..errors import CONVERSION_ERROR, SteelError, type_error
from ..printer import format_float
from ._util import renamed
from .numeric import (
    INF,
    NINF,
    check_numbers,
    is_finite,
    need_integral,
    need_number,
    to_float,
    variadic,
)


def _chain(who, args, op):
    check_numbers(who, args)
    for i in range(len(args) - 1):
        if not op(args[i], args[i + 1]):
            return False
    return True


def _eq(x, y):
    return x == y


def _lt(x, y):
    return x < y


def _gt(x, y):
    return x > y


def _le(x, y):
    return x <= y


def _ge(x, y):
    return x >= y


def num_eq(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a == b
    return _chain("=", variadic(a, b, rest), _eq)


def num_lt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a < b
    return _chain("<", variadic(a, b, rest), _lt)


def num_gt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a > b
    return _chain(">", variadic(a, b, rest), _gt)


def num_le(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a <= b
    return _chain("<=", variadic(a, b, rest), _le)


def num_ge(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a >= b
    return _chain(">=", variadic(a, b, rest), _ge)


def zero_p(x):
    need_number("zero?", x, 1)
    return x == 0


def positive_p(x):
    need_number("positive?", x, 1)
    return x > 0


def negative_p(x):
    need_number("negative?", x, 1)
    return x < 0


def odd_p(x):
    if type(x) is int:
        return x & 1 == 1
    return need_integral("odd?", x, 1) % 2 == 1


def even_p(x):
    if type(x) is int:
        return x & 1 == 0
    return need_integral("even?", x, 1) % 2 == 0


def number_p(x):
    t = type(x)
    return t is int or t is float


def integer_p(x):
    t = type(x)
    if t is int:
        return True
    return t is float and is_finite(x) and x == math.floor(x)


def exact_integer_p(x):
    return type(x) is int


def exact_nonnegative_integer_p(x):
    return type(x) is int and x >= 0


def float_p(x):
    return type(x) is float


def rational_p(x):
    t = type(x)
    return t is int or (t is float and is_finite(x))


def nan_p(x):
    need_number("nan?", x, 1)
    return x != x


def infinite_p(x):
    need_number("infinite?", x, 1)
    return x == INF or x == NINF


def finite_p(x):
    need_number("finite?", x, 1)
    return type(x) is int or is_finite(x)


def exact_p(x):
    return type(x) is int


def inexact_p(x):
    return type(x) is float


def inexact(x):
    t = type(x)
    if t is float:
        return x
    if t is int:
        return to_float(x)
    raise type_error("inexact", "a number", x, 1)


def exact(x):
    t = type(x)
    if t is int:
        return x
    if t is float:
        if is_finite(x) and x == math.floor(x):
            return int(x)
        raise SteelError(
            CONVERSION_ERROR,
            "exact: no exact representation for %s (there are no rationals)" % format_float(x),
        )
    raise type_error("exact", "a number", x, 1)


def install(lib):
    d = lib.define
    d("=", num_eq, 1, -1, "(= z w ...) — #t if all the numbers are numerically equal")
    d("<", num_lt, 1, -1, "(< x y ...) — #t if the numbers are strictly increasing")
    d(">", num_gt, 1, -1, "(> x y ...) — #t if the numbers are strictly decreasing")
    d("<=", num_le, 1, -1, "(<= x y ...) — #t if the numbers are non-decreasing")
    d(">=", num_ge, 1, -1, "(>= x y ...) — #t if the numbers are non-increasing")
    d("zero?", zero_p, 1, 1, "(zero? z) — #t if z is 0 or 0.0")
    d("positive?", positive_p, 1, 1, "(positive? x) — #t if x is greater than zero")
    d("negative?", negative_p, 1, 1, "(negative? x) — #t if x is less than zero")
    d("odd?", odd_p, 1, 1, "(odd? n) — #t if the integer n is odd")
    d("even?", even_p, 1, 1, "(even? n) — #t if the integer n is even")
    d("number?", number_p, 1, 1, "(number? v) — #t if v is a number")
    d("complex?", number_p, 1, 1, "(complex? v) — #t if v is a number (all numbers are real)")
    d("real?", number_p, 1, 1, "(real? v) — #t if v is a number")
    d("rational?", rational_p, 1, 1, "(rational? v) — #t if v is an exact or finite number")
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
    d("exact", exact, 1, 1, "(exact z) — z as an exact integer (z must be integral)")
    d(
        "inexact->exact",
        renamed(exact, "exact", "inexact->exact"),
        1,
        1,
        "(inexact->exact z) — same as exact",
    )
