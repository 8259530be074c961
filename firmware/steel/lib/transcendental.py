"""Rounding, roots, powers, exponentials, logarithms and trigonometry.

Exact arguments give exact results where the answer is exact: ``(sqrt 1/4)`` is ``1/2``,
``(sqrt -4)`` is ``+2i``, ``(expt 2 -2)`` is ``1/4``, ``(floor 5/2)`` is ``2``.  Otherwise
the result is a float; domain errors give NaN and overflow an infinity, as IEEE floats
do, instead of Python's exceptions.
"""

import math

from ..errors import CONTRACT_VIOLATION, SteelError
from ..memory import OBJECT
from ..numtypes import Complex, Rational, rational, rectangular
from . import realmath
from ._util import SMALL_INT, allocate
from .arithmetic import add2, div2, mul2, sub2
from .integers import isqrt
from .numeric import INF, NAN, NINF, bit_length, check_int_bits, is_finite, need_number, need_real
from .realmath import to_float


def _rounding(who, f):
    def fn(x):
        return f(need_real(who, x, 1))

    return fn


# --- square roots ------------------------------------------------------------------------


def _exact_sqrt(x):
    """The exact square root of a non-negative exact real, or None if it has none."""
    n, d = realmath.parts(x)
    rn = isqrt(n)
    if rn * rn != n:
        return None
    rd = isqrt(d)
    if rd * rd != d:
        return None
    return rational(rn, rd)


def _real_sqrt(x):
    """``sqrt`` of a non-negative real: exact when it can be, else a float."""
    if type(x) is not float:
        r = _exact_sqrt(x)
        if r is not None:
            return r
        if type(x) is int and x >= 1 << 1000:
            return to_float(isqrt(x))
    return math.sqrt(to_float(x))


def sqrt(x):
    need_number("sqrt", x, 1)
    if type(x) is Complex:
        return _complex_sqrt(x)
    if realmath.sign(x) < 0:
        return rectangular(0, _real_sqrt(realmath.neg(x)))
    if x != x:
        return x
    return _real_sqrt(x)


def _complex_sqrt(z):
    """sqrt(a+bi) = sqrt((|z|+a)/2) + sign(b) sqrt((|z|-a)/2) i; exact for exact squares."""
    a, b = z.re, z.im
    m = magnitude(z)
    re = _real_sqrt(div2(add2(m, a), 2))
    im = _real_sqrt(div2(sub2(m, a), 2))
    if realmath.sign(b) < 0:
        im = realmath.neg(im)
    return rectangular(re, im)


def magnitude(z):
    need_number("magnitude", z, 1)
    if type(z) is not Complex:
        return realmath.neg(z) if realmath.sign(z) < 0 else z
    return _real_sqrt(add2(mul2(z.re, z.re), mul2(z.im, z.im)))


# --- powers --------------------------------------------------------------------------------


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
    def int_power(a, b):
        """``a ** b`` for an exact integer ``a`` and ``b >= 0``, metered."""
        if a == 0 or a == 1:
            return a if b else 1
        if a == -1:
            return -1 if b & 1 else 1
        if b > 64 or not (-SMALL_INT <= a <= SMALL_INT):
            check_int_bits("expt", bit_length(a) * b)
            allocate(meter, "expt", OBJECT + (bit_length(a) * b) // 8)
        return a**b

    def expt(a, b):
        need_number("expt", a, 1)
        need_number("expt", b, 2)
        ta = type(a)
        if type(b) is int:
            if ta is int and b >= 0:
                return int_power(a, b)
            if ta is int or ta is Rational:
                n, d = realmath.parts(a)
                if b < 0:
                    if n == 0:
                        raise SteelError(
                            CONTRACT_VIOLATION, "expt: 0 cannot be raised to a negative power"
                        )
                    n, d = d, n
                return rational(int_power(n, abs(b)), int_power(d, abs(b)))
            if ta is Complex:
                return _complex_power(a, b)
        if ta is Complex or type(b) is Complex:
            if type(a) is int and a == 0:
                return 0  # 0 to any complex power whose exponent is not 0
            return exp(mul2(b, log(a)))
        return _fpow(a, b)

    def _complex_power(z, n):
        if n < 0:
            return div2(1, _complex_power(z, -n))
        result = 1
        while n:
            if n & 1:
                result = mul2(result, z)
            z = mul2(z, z)
            n >>= 1
        return result

    return expt


# --- exponentials and logarithms ---------------------------------------------------------------


def exp(x):
    if type(x) is int and x == 0:
        return 1
    need_number("exp", x, 1)
    if type(x) is Complex:
        m = _fexp(to_float(x.re))
        a = to_float(x.im)
        if not is_finite(a):
            return rectangular(NAN, NAN)
        return rectangular(m * math.cos(a), m * math.sin(a))
    return _fexp(to_float(x))


def _fexp(x):
    try:
        return math.exp(x)
    except (OverflowError, ValueError):
        return INF if x > 0 else (NAN if x != x else 0.0)


_LN2 = 0.6931471805599453


def _ln(x):
    """The natural logarithm of a real, as a float (NaN for a negative one)."""
    if type(x) is Rational:
        return _ln(x.num) - _ln(x.den) if x.num > 0 else NAN
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
    """Exact 1 gives exact 0, as in Steel; otherwise the logarithm is a float."""
    need_number("log", x, 1)
    if base is not None:
        need_number("log", base, 2)
    if type(x) is int and x == 1:
        return 0
    if type(x) is Complex or type(base) is Complex:
        ln = rectangular(_ln(to_float(magnitude(x))), angle(x))
        if base is None:
            return ln
        lb = log(base)
        if type(lb) is int and lb == 0:
            raise SteelError(CONTRACT_VIOLATION, "log: base 1 has no logarithms")
        return div2(ln, lb)
    if base is None:
        return _ln(x)
    if realmath.compare(base, 1) == 0:
        raise SteelError(CONTRACT_VIOLATION, "log: base 1 has no logarithms")
    if type(base) is int and (base == 10 or base == 2) and type(x) is not Rational:
        fx = to_float(x) if x < 1 << 1000 else None
        if fx is not None and fx > 0:
            return math.log10(fx) if base == 10 else math.log(fx) / _LN2
    lb = _ln(base)
    lx = _ln(x)
    if lb != lb or lx != lx:
        return NAN
    if lb == INF or lb == NINF:
        return NAN if (lx == INF or lx == NINF) else 0.0
    return lx / lb


# --- trigonometry and the complex plane --------------------------------------------------------


def _unary_float(who, f):
    def fn(x):
        x = to_float(need_real(who, x, 1))
        try:
            return f(x)
        except (ValueError, OverflowError):
            return NAN

    return fn


def atan(y, x=None):
    y = to_float(need_real("atan", y, 1))
    if x is None:
        return math.atan(y)
    x = to_float(need_real("atan", x, 2))
    return math.atan2(y, x)


def angle(z):
    need_number("angle", z, 1)
    if type(z) is Complex:
        return math.atan2(to_float(z.im), to_float(z.re))
    if realmath.sign(z) < 0:
        return math.pi
    return 0 if type(z) is not float else 0.0


def real_part(z):
    need_number("real-part", z, 1)
    return z.re if type(z) is Complex else z


def imag_part(z):
    need_number("imag-part", z, 1)
    if type(z) is Complex:
        return z.im
    return 0.0 if type(z) is float else 0


def make_rectangular(re, im):
    return rectangular(need_real("make-rectangular", re, 1), need_real("make-rectangular", im, 2))


def make_polar(m, a):
    m = to_float(need_real("make-polar", m, 1))
    a = to_float(need_real("make-polar", a, 2))
    if not is_finite(a):
        return rectangular(NAN, NAN)
    return rectangular(m * math.cos(a), m * math.sin(a))


def install(lib):
    d = lib.define
    d(
        "floor",
        _rounding("floor", realmath.floor),
        1,
        1,
        "(floor x) — the largest integer not greater than x",
    )
    d(
        "ceiling",
        _rounding("ceiling", realmath.ceiling),
        1,
        1,
        "(ceiling x) — the smallest integer not less than x",
    )
    d("truncate", _rounding("truncate", realmath.truncate), 1, 1, "(truncate x) — x toward zero")
    d(
        "round",
        _rounding("round", realmath.round_even),
        1,
        1,
        "(round x) — x rounded to the nearest integer, ties to even",
    )
    d("sqrt", sqrt, 1, 1, "(sqrt z) — the square root of z (exact for exact squares)")
    d("expt", make_expt(lib.meter), 2, 2, "(expt z w) — z raised to the power w")
    d("exp", exp, 1, 1, "(exp z) — e raised to the power z")
    d(
        "log",
        log,
        1,
        2,
        "(log z [base]) — the natural logarithm of z, or its logarithm in base (exact 0 "
        "for an exact 1, else a float)",
    )
    d("sin", _unary_float("sin", math.sin), 1, 1, "(sin x) — the sine of x (radians)")
    d("cos", _unary_float("cos", math.cos), 1, 1, "(cos x) — the cosine of x (radians)")
    d("tan", _unary_float("tan", math.tan), 1, 1, "(tan x) — the tangent of x (radians)")
    d("asin", _unary_float("asin", math.asin), 1, 1, "(asin x) — the arcsine of x")
    d("acos", _unary_float("acos", math.acos), 1, 1, "(acos x) — the arccosine of x")
    d("atan", atan, 1, 2, "(atan y [x]) — the arctangent of y, or of y/x using both signs")
    d("magnitude", magnitude, 1, 1, "(magnitude z) — the absolute value of z")
    d("angle", angle, 1, 1, "(angle z) — the argument of z, in radians")
    d("real-part", real_part, 1, 1, "(real-part z) — the real part of z")
    d("imag-part", imag_part, 1, 1, "(imag-part z) — the imaginary part of z (0 for a real)")
    d(
        "make-rectangular",
        make_rectangular,
        2,
        2,
        "(make-rectangular x y) — the complex number x + y i",
    )
    d(
        "make-polar",
        make_polar,
        2,
        2,
        "(make-polar m a) — the complex number of magnitude m and angle a",
    )
