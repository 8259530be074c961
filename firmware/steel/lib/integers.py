"""Exact-integer procedures: gcd, lcm, integer square roots, shifts and bitwise logic."""

import math

from ..errors import type_error
from ..memory import OBJECT
from ._util import SMALL_INT, allocate, list_of, need_int
from .numeric import bit_length, check_int_bits


def isqrt(n):
    """The largest integer whose square is at most ``n`` (n >= 0)."""
    if n < 2:
        return n
    if n < 1 << 40:
        x = int(math.sqrt(n))
    else:
        x = 1 << ((bit_length(n) + 1) // 2)
        while True:
            y = (x + n // x) // 2
            if y >= x:
                break
            x = y
    while x * x > n:
        x -= 1
    while (x + 1) * (x + 1) <= n:
        x += 1
    return x


def exact_integer_sqrt_with(meter):
    def exact_integer_sqrt(n):
        if type(n) is not int or n < 0:
            raise type_error("exact-integer-sqrt", "a non-negative integer", n, 1)
        s = isqrt(n)
        return list_of(meter, [s, n - s * s])

    return exact_integer_sqrt


def gcd2(a, b):
    if a < 0:
        a = -a
    if b < 0:
        b = -b
    while b:
        a, b = b, a % b
    return a


def gcd(*args):
    r = 0
    for i in range(len(args)):
        r = gcd2(r, need_int("gcd", args[i], i + 1))
    return r


def lcm(*args):
    r = 1
    for i in range(len(args)):
        x = need_int("lcm", args[i], i + 1)
        if x == 0:
            return 0
        r = abs(r * x) // gcd2(r, x)
    return r


def make_shift(meter):
    def arithmetic_shift(n, m):
        need_int("arithmetic-shift", n, 1)
        need_int("arithmetic-shift", m, 2)
        if m >= 0:
            if n == 0:
                return 0
            if m > 30 or not (-SMALL_INT <= n <= SMALL_INT):
                check_int_bits("arithmetic-shift", bit_length(n) + m)
                allocate(meter, "arithmetic-shift", OBJECT + (bit_length(n) + m) // 8)
            return n << m
        if -m > bit_length(n):
            return -1 if n < 0 else 0
        return n >> -m

    return arithmetic_shift


def bitwise_and(*args):
    r = -1
    for i in range(len(args)):
        r &= need_int("bitwise-and", args[i], i + 1)
    return r


def bitwise_ior(*args):
    r = 0
    for i in range(len(args)):
        r |= need_int("bitwise-ior", args[i], i + 1)
    return r


def bitwise_xor(*args):
    r = 0
    for i in range(len(args)):
        r ^= need_int("bitwise-xor", args[i], i + 1)
    return r


def bitwise_not(x):
    return ~need_int("bitwise-not", x, 1)


def install(lib):
    d = lib.define
    m = lib.meter
    d(
        "exact-integer-sqrt",
        exact_integer_sqrt_with(m),
        1,
        1,
        "(exact-integer-sqrt n) — the list (s r) with s*s + r = n and s maximal",
    )
    d("gcd", gcd, 0, -1, "(gcd n ...) — the greatest common divisor of the integers")
    d("lcm", lcm, 0, -1, "(lcm n ...) — the least common multiple of the integers")
    d(
        "arithmetic-shift",
        make_shift(m),
        2,
        2,
        "(arithmetic-shift n m) — n shifted left by m bits (right if m is negative)",
    )
    d("bitwise-and", bitwise_and, 0, -1, "(bitwise-and n ...) — the bitwise and of the ints")
    d("bitwise-ior", bitwise_ior, 0, -1, "(bitwise-ior n ...) — the bitwise or of the ints")
    d("bitwise-xor", bitwise_xor, 0, -1, "(bitwise-xor n ...) — the bitwise xor of the ints")
    d("bitwise-not", bitwise_not, 1, 1, "(bitwise-not n) — the bitwise complement of n")
