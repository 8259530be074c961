"""Arithmetic: + - * /, abs, max and min, add1, sub1, square.

Float operations follow IEEE semantics where Python would raise (division of a float by
0.0, overflow to infinity).  Big-integer products are charged to the memory meter before
they are computed.
"""

import math

from ..errors import GENERIC, SteelError, type_error
from ..memory import OBJECT
from ._util import SMALL_INT
from .numeric import (
    INF,
    NAN,
    NINF,
    bit_length,
    check_int_bits,
    check_numbers,
    need_number,
    to_float,
    variadic,
)


def add2(a, b):
    try:
        return a + b
    except OverflowError:
        return to_float(a) + to_float(b)


def sub2(a, b):
    try:
        return a - b
    except OverflowError:
        return to_float(a) - to_float(b)


def mul2(a, b):
    try:
        return a * b
    except OverflowError:
        return to_float(a) * to_float(b)


def _fdiv_zero(a, b):
    """``a / b`` for a float zero ``b`` with IEEE semantics."""
    if a != a or a == 0:
        return NAN
    neg = (a < 0) != (math.copysign(1.0, b) < 0)
    return NINF if neg else INF


def div2(a, b):
    if type(b) is int:
        if b == 0:
            raise SteelError(GENERIC, "/: division by zero")
        if type(a) is int:
            if a % b == 0:
                return a // b
            try:
                return a / b
            except OverflowError:
                return INF if (a < 0) == (b < 0) else NINF
        return a / to_float(b)
    if b == 0:
        return _fdiv_zero(a, b)
    try:
        return a / b
    except OverflowError:
        return to_float(a) / b


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
        return -a
    total = a
    for i in range(1, len(args)):
        total = sub2(total, args[i])
    return total


def make_times(meter):
    def charge_product(a, b):
        # Checked and charged *before* multiplying: a product's size is known from its
        # operands, and computing a huge one is itself the attack.
        if not (-SMALL_INT <= a <= SMALL_INT and -SMALL_INT <= b <= SMALL_INT):
            bits = bit_length(a) + bit_length(b)
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
            if type(total) is int and type(x) is int:
                charge_product(total, x)
            total = mul2(total, x)
        return total

    return times


def divide(a=None, b=None, *rest):
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
    raise type_error("abs", "a number", x, 1)


def _extreme(who, args, bigger):
    check_numbers(who, args)
    best = args[0]
    inexact = type(best) is float
    for i in range(1, len(args)):
        x = args[i]
        if type(x) is float:
            inexact = True
            if x != x:
                return NAN
        if (x > best) if bigger else (x < best):
            best = x
    if best != best:
        return NAN
    return to_float(best) if inexact else best


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
        "(/ z w ...) — z divided by the others (reciprocal of a lone z); exact when "
        "exact integers divide evenly, else a float",
    )
    d("abs", abs_, 1, 1, "(abs x) — the absolute value of x")
    d("max", max_, 1, -1, "(max x y ...) — the largest argument (inexact if any is)")
    d("min", min_, 1, -1, "(min x y ...) — the smallest argument (inexact if any is)")
    d("square", square, 1, 1, "(square z) — z times z")
    d("add1", add1, 1, 1, "(add1 z) — z plus one")
    d("sub1", sub1, 1, 1, "(sub1 z) — z minus one")
