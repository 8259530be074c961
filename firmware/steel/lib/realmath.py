"""Arithmetic on the real numbers: exact integers, exact rationals and floats.

Exact operands give exact results (``1/4 + 1/3`` is ``7/12``); a float anywhere makes the
result a float, as in Steel.  Float operations follow IEEE semantics where Python would
raise (an integer too large for a float becomes an infinity, division of a float by 0.0
gives an infinity or NaN).  Complex numbers are handled one level up, in ``arithmetic``.
"""

import math

from ..numtypes import Rational, rational
from .numeric import INF, NAN, NINF, bit_length, is_finite


def parts(x):
    """``(numerator, denominator)`` of an exact integer or rational."""
    if type(x) is int:
        return x, 1
    return x.num, x.den


def ratio_to_float(n, d):
    """The float nearest ``n/d``, with infinities where it is out of range."""
    try:
        return n / d
    except OverflowError:
        pass
    shift = max(bit_length(n), bit_length(d)) - 1000
    if shift > 0:
        n >>= shift
        d >>= shift
    if d == 0:
        return INF if n > 0 else NINF
    try:
        return n / d
    except OverflowError:
        return INF if (n < 0) == (d < 0) else NINF


def to_float(x):
    """A real as a float; exact values too large for a float become infinities."""
    t = type(x)
    if t is float:
        return x
    if t is int:
        try:
            return float(x)
        except OverflowError:
            return INF if x > 0 else NINF
    return ratio_to_float(x.num, x.den)


def float_to_exact(x):
    """The exact value of a finite float (every float is a dyadic rational)."""
    if x == math.floor(x) and -1e300 < x < 1e300:
        return int(x)
    m, e = math.frexp(x)
    n = int(m * 9007199254740992.0)  # m * 2**53, exact
    e -= 53
    if e >= 0:
        return n << e
    return rational(n, 1 << -e)


def _mixed(a, b, op):
    """A float and a rational: computed exactly, then rounded once, as Steel does
    (``(+ 0.25 1/3)`` is the float nearest 7/12).  None when the float is not finite."""
    x = a if type(a) is float else b
    if not is_finite(x):
        return None
    if type(a) is float:
        a = float_to_exact(a)
    else:
        b = float_to_exact(b)
    return to_float(op(a, b))


def add(a, b):
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        return a + b
    if ta is float or tb is float:
        if ta is Rational or tb is Rational:
            r = _mixed(a, b, add)
            if r is not None:
                return r
        return to_float(a) + to_float(b)
    an, ad = parts(a)
    bn, bd = parts(b)
    if ad == bd:
        return rational(an + bn, ad)
    return rational(an * bd + bn * ad, ad * bd)


def neg(a):
    if type(a) is Rational:
        return Rational(-a.num, a.den)
    return -a


def sub(a, b):
    if type(a) is int and type(b) is int:
        return a - b
    return add(a, neg(b))


def mul(a, b):
    ta = type(a)
    tb = type(b)
    if ta is int and tb is int:
        return a * b
    if ta is float or tb is float:
        if ta is Rational or tb is Rational:
            r = _mixed(a, b, mul)
            if r is not None:
                return r
        return to_float(a) * to_float(b)
    an, ad = parts(a)
    bn, bd = parts(b)
    return rational(an * bn, ad * bd)


def _float_div(a, b):
    """``a / b`` on floats, with IEEE results for a zero divisor."""
    if b == 0:
        if a != a or a == 0:
            return NAN
        neg_ = (a < 0) != (math.copysign(1.0, b) < 0)
        return NINF if neg_ else INF
    return a / b


def div(a, b):
    """``a / b``; the caller has refused an exact zero ``b``."""
    ta = type(a)
    tb = type(b)
    if ta is float or tb is float:
        if (ta is Rational or tb is Rational) and a != 0 and b != 0:
            r = _mixed(a, b, div)
            if r is not None:
                return r
        return _float_div(to_float(a), to_float(b))
    an, ad = parts(a)
    bn, bd = parts(b)
    return rational(an * bd, ad * bn)


def compare(a, b):
    """-1, 0 or 1 as ``a`` is less than, equal to or greater than ``b``; None if either
    is NaN."""
    ta = type(a)
    tb = type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        # Python compares ints and floats exactly, big integers included.
        if a < b:
            return -1
        if a > b:
            return 1
        if a == b:
            return 0
        return None
    if ta is float or tb is float:
        x = a if ta is float else b
        if x != x:
            return None
        if not is_finite(x):
            sign = 1 if x > 0 else -1
            return sign if ta is float else -sign
        a = float_to_exact(a) if ta is float else a
        b = float_to_exact(b) if tb is float else b
    an, ad = parts(a)
    bn, bd = parts(b)
    left = an * bd
    right = bn * ad
    if left < right:
        return -1
    if left > right:
        return 1
    return 0


def sign(x):
    """-1, 0 or 1 (0 for NaN)."""
    if type(x) is Rational:
        return -1 if x.num < 0 else 1
    if x < 0:
        return -1
    if x > 0:
        return 1
    return 0


def floor(x):
    """The largest integer not above ``x``: exact for exact ``x``, a float for a float."""
    t = type(x)
    if t is int:
        return x
    if t is Rational:
        return x.num // x.den
    return _float_round(math.floor, x)


def ceiling(x):
    t = type(x)
    if t is int:
        return x
    if t is Rational:
        return -((-x.num) // x.den)
    return _float_round(math.ceil, x)


def truncate(x):
    t = type(x)
    if t is int:
        return x
    if t is Rational:
        q = abs(x.num) // x.den
        return -q if x.num < 0 else q
    return _float_round(math.trunc, x)


def round_even(x):
    """``x`` rounded to the nearest integer, ties to even (R7RS)."""
    t = type(x)
    if t is int:
        return x
    if t is Rational:
        n, d = x.num, x.den
        q, r = divmod(n, d)  # n = q*d + r, 0 <= r < d
        twice = 2 * r
        if twice > d or (twice == d and q % 2 == 1):
            q += 1
        return q
    return _float_round(round, x)  # Python rounds half to even, as Scheme does


_BIG = 4503599627370496.0  # 2**52: every float at least this large is integral


def _float_round(f, x):
    if not is_finite(x) or x >= _BIG or x <= -_BIG:
        return x
    return float(f(x))


def is_integral(x):
    """True for an exact integer or an integral float."""
    t = type(x)
    if t is int:
        return True
    return t is float and is_finite(x) and x == math.floor(x)
