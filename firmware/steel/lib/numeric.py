"""What every number procedure shares: type checks, integer sizes, the size limit.

The numeric tower: exact integers are Python ints (unbounded), exact rationals and complex
numbers the classes of :mod:`firmware.steel.numtypes`, inexact reals Python floats
(64-bit in CPython, 32-bit on the ESP32-C3).  Real arithmetic is in ``realmath``; the
procedures live in ``arithmetic``, ``division``, ``numcompare``, ``transcendental``,
``integers`` and ``numtext``.
"""

import math

from ..errors import OUT_OF_MEMORY, SteelError, type_error
from ..numtypes import Complex, Rational
from ._util import SMALL_INT

INF = float("inf")


NINF = float("-inf")


NAN = float("nan")


def is_number(x):
    t = type(x)
    return t is int or t is float or t is Rational or t is Complex


def is_real(x):
    t = type(x)
    return t is int or t is float or t is Rational


def is_exact(x):
    """True for an exact number (a complex one is exact when both its parts are)."""
    t = type(x)
    if t is int or t is Rational:
        return True
    if t is Complex:
        return type(x.re) is not float and type(x.im) is not float
    return False


def need_number(who, x, pos):
    if is_number(x):
        return x
    raise type_error(who, "a number", x, pos)


def need_real(who, x, pos):
    if is_real(x):
        return x
    raise type_error(who, "a real number", x, pos)


def check_numbers(who, args):
    for i in range(len(args)):
        if not is_number(args[i]):
            raise type_error(who, "a number", args[i], i + 1)


def check_reals(who, args):
    for i in range(len(args)):
        if not is_real(args[i]):
            raise type_error(who, "a real number", args[i], i + 1)


def variadic(a, b, rest):
    """The arguments of a variadic call made through ``f(a=None, b=None, *rest)``."""
    if a is None:
        return ()
    if b is None:
        return (a,)
    if rest:
        return (a, b) + rest
    return (a, b)


def is_finite(x):
    return x == x and x != INF and x != NINF


def bit_length(x):
    """The number of bits of ``abs(x)`` (MicroPython's int has no bit_length)."""
    if x < 0:
        x = -x
    if x <= SMALL_INT:
        n = 0
        while x:
            x >>= 1
            n += 1
        return n
    if _bit_length is not None:
        return _bit_length(x)
    lo = 30  # invariant: x >> lo is non-zero, x >> hi is zero
    hi = 64
    while x >> hi:
        lo = hi
        hi <<= 1
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if x >> mid:
            lo = mid
        else:
            hi = mid
    return hi


_bit_length = getattr(int, "bit_length", None)


def int_bytes(x):
    """Approximate heap size in bytes of the exact integer ``x``."""
    if -SMALL_INT <= x <= SMALL_INT:
        return 4
    return bit_length(x) // 8 + 8


MAX_INT_BITS = 65536


def check_int_bits(who, bits):
    """Refuse an exact integer result of more than MAX_INT_BITS bits.

    Memory caps alone do not stop a CPU bomb: squaring a megabyte-sized integer fits in
    memory but takes MicroPython's schoolbook multiplication minutes, and no step budget can
    interrupt one primitive.  Device programs never need integers this large.
    """
    if bits > MAX_INT_BITS:
        raise SteelError(
            OUT_OF_MEMORY,
            "%s: the result would have about %d bits; exact integers are limited to %d bits"
            % (who, bits, MAX_INT_BITS),
        )


def need_integral(who, x, pos):
    """An exact integer or an integral float (R7RS integer division accepts both)."""
    t = type(x)
    if t is int:
        return x
    if t is float and is_finite(x) and x == math.floor(x):
        return x
    raise type_error(who, "an integer", x, pos)
