"""Rounding, roots, powers, exponentials, logarithms and trigonometry.

Domain errors give NaN and overflow gives an infinity, as IEEE floats do, instead of
Python's exceptions; ``sqrt`` of a negative number is a ContractViolation (there are no
complex numbers).
"""

import math

from ..errors import CONTRACT_VIOLATION, GENERIC, SteelError, type_error
from ..memory import OBJECT
from ._util import SMALL_INT, allocate, show
from .integers import isqrt
from .numeric import INF, NAN, NINF, bit_length, check_int_bits, is_finite, need_number, to_float

_BIG = 4503599627370496.0  # 2**52: every float at least this large is integral


def _round_with(who, f, x):
    t = type(x)
    if t is int:
        return x
    if t is not float:
        raise type_error(who, "a number", x, 1)
    if not is_finite(x) or x >= _BIG or x <= -_BIG:
        return x
    return float(f(x))


def floor_(x):
    return _round_with("floor", math.floor, x)


def ceiling(x):
    return _round_with("ceiling", math.ceil, x)


def truncate(x):
    return _round_with("truncate", math.trunc, x)


def round_(x):
    return _round_with("round", round, x)  # Python rounds half to even, as Scheme does


def _no_complex(who, x):
    return SteelError(
        CONTRACT_VIOLATION,
        "%s: %s has no real result (complex numbers are not supported)" % (who, show(x)),
    )


def sqrt(x):
    t = type(x)
    if t is int:
        if x < 0:
            raise _no_complex("sqrt", x)
        r = isqrt(x)
        if r * r == x:
            return r
        if x < 1 << 1000:
            return math.sqrt(x)
        return to_float(r)
    if t is float:
        if x < 0:
            raise _no_complex("sqrt", x)
        return math.sqrt(x)
    raise type_error("sqrt", "a number", x, 1)


def _fpow(x, y):
    """``x ** y`` for floats with IEEE results instead of exceptions or complex numbers."""
    x = to_float(x)
    y = to_float(y)
    if x < 0 and is_finite(y) and y != math.floor(y):
        return NAN
    try:
        r = x**y
    except ZeroDivisionError:
        return INF
    except OverflowError:
        odd = is_finite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0
        return NINF if (x < 0 and odd) else INF
    except ValueError:
        return NAN
    if type(r) is not float:
        return NAN
    return r


def make_expt(meter):
    def expt(a, b):
        need_number("expt", a, 1)
        need_number("expt", b, 2)
        if type(a) is int and type(b) is int:
            if b >= 0:
                if a == 0 or a == 1:
                    return a if b else 1
                if a == -1:
                    return -1 if b & 1 else 1
                if b > 64 or not (-SMALL_INT <= a <= SMALL_INT):
                    check_int_bits("expt", bit_length(a) * b)
                    allocate(meter, "expt", OBJECT + (bit_length(a) * b) // 8)
                return a**b
            if a == 0:
                raise SteelError(GENERIC, "expt: 0 cannot be raised to a negative power")
            return _fpow(a, b)
        return _fpow(a, b)

    return expt


def exp(x):
    if x == 0 and type(x) is int:
        return 1
    x = to_float(need_number("exp", x, 1))
    try:
        return math.exp(x)
    except (OverflowError, ValueError):
        return INF if x > 0 else (NAN if x != x else 0.0)


_LN2 = 0.6931471805599453


def _ln(x):
    if x == 0:
        return NINF
    if x < 0 or x != x:
        return NAN
    if type(x) is int and x > 1 << 100:
        # Too big for a float on some builds: log(x) = log(x >> k) + k log 2.
        k = bit_length(x) - 60
        return math.log(x >> k) + k * _LN2
    return math.log(x)


def log(x, base=None):
    need_number("log", x, 1)
    if base is None:
        if type(x) is int and x == 1:
            return 0
        return _ln(x)
    need_number("log", base, 2)
    if type(x) is int and type(base) is int:
        if x == 1:
            return 0
        if base == 1:
            raise SteelError(GENERIC, "log: division by zero (base 1)")
        if x < 1 or base < 2:
            raise SteelError(
                CONTRACT_VIOLATION,
                "log: exact logarithm needs a positive argument and a base of at least 2, "
                "found %s and %s" % (show(x), show(base)),
            )
        n = 0
        while x >= base:
            x //= base
            n += 1
        return n
    lb = _ln(base)
    if lb == 0:
        raise SteelError(GENERIC, "log: division by zero (base 1)")
    lx = _ln(x)
    if lb != lb or lx != lx:
        return NAN
    if lb == INF or lb == NINF:
        return NAN if (lx == INF or lx == NINF) else 0.0
    return lx / lb


def _unary_float(who, f):
    def fn(x):
        x = to_float(need_number(who, x, 1))
        try:
            return f(x)
        except (ValueError, OverflowError):
            return NAN

    return fn


def atan(y, x=None):
    y = to_float(need_number("atan", y, 1))
    if x is None:
        return math.atan(y)
    x = to_float(need_number("atan", x, 2))
    return math.atan2(y, x)


def install(lib):
    d = lib.define
    m = lib.meter
    d("floor", floor_, 1, 1, "(floor x) — the largest integer not greater than x")
    d("ceiling", ceiling, 1, 1, "(ceiling x) — the smallest integer not less than x")
    d("truncate", truncate, 1, 1, "(truncate x) — x rounded toward zero")
    d("round", round_, 1, 1, "(round x) — x rounded to the nearest integer, ties to even")
    d("sqrt", sqrt, 1, 1, "(sqrt x) — the square root of x (exact for exact squares)")
    d("expt", make_expt(m), 2, 2, "(expt z w) — z raised to the power w")
    d("exp", exp, 1, 1, "(exp z) — e raised to the power z")
    d(
        "log",
        log,
        1,
        2,
        "(log z [base]) — the natural logarithm of z, or its logarithm in base "
        "(floored and exact when both are exact integers)",
    )
    d("sin", _unary_float("sin", math.sin), 1, 1, "(sin z) — the sine of z (radians)")
    d("cos", _unary_float("cos", math.cos), 1, 1, "(cos z) — the cosine of z (radians)")
    d("tan", _unary_float("tan", math.tan), 1, 1, "(tan z) — the tangent of z (radians)")
    d("asin", _unary_float("asin", math.asin), 1, 1, "(asin z) — the arcsine of z")
    d("acos", _unary_float("acos", math.acos), 1, 1, "(acos z) — the arccosine of z")
    d("atan", atan, 1, 2, "(atan y [x]) — the arctangent of y, or of y/x using both signs")
