"""Numbers: arithmetic, comparison, rounding, transcendental functions, conversions.

Exact integers are Python ints (unbounded), inexact numbers Python floats (64-bit in
CPython, 32-bit on the ESP32-C3).  There are no rationals or complex numbers: ``/`` on
exact integers returns an exact integer when the division is exact and a float otherwise,
``exact`` of a non-integral float is a ConversionError, and ``sqrt`` of a negative number is
a ContractViolation.  Float operations follow IEEE semantics where Python would raise
(division of a float by 0.0, overflow to infinity, domain errors to NaN).
"""

import math

from ..errors import (
    CONTRACT_VIOLATION,
    CONVERSION_ERROR,
    GENERIC,
    OUT_OF_MEMORY,
    SteelError,
    type_error,
)
from ..memory import OBJECT
from ..printer import format_float
from ..printer import int_to_string as decimal_digits
from ._util import SMALL_INT, allocate, list_of, need_int, need_str, renamed, show

_INF = float("inf")
_NINF = float("-inf")
_NAN = float("nan")


def _num(who, x, pos):
    t = type(x)
    if t is int or t is float:
        return x
    raise type_error(who, "a number", x, pos)


def _check_all(who, args):
    for i in range(len(args)):
        t = type(args[i])
        if t is not int and t is not float:
            raise type_error(who, "a number", args[i], i + 1)


def _args(a, b, rest):
    """The arguments of a variadic call made through ``f(a=None, b=None, *rest)``."""
    if a is None:
        return ()
    if b is None:
        return (a,)
    if rest:
        return (a, b) + rest
    return (a, b)


def to_float(x):
    """``x`` as a float; exact integers too large for a float become infinities."""
    try:
        return float(x)
    except OverflowError:
        return _INF if x > 0 else _NINF


def _finite(x):
    return x == x and x != _INF and x != _NINF


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


# --- arithmetic --------------------------------------------------------------------------


def _add2(a, b):
    try:
        return a + b
    except OverflowError:
        return to_float(a) + to_float(b)


def _sub2(a, b):
    try:
        return a - b
    except OverflowError:
        return to_float(a) - to_float(b)


def _mul2(a, b):
    try:
        return a * b
    except OverflowError:
        return to_float(a) * to_float(b)


def _fdiv_zero(a, b):
    """``a / b`` for a float zero ``b`` with IEEE semantics."""
    if a != a or a == 0:
        return _NAN
    neg = (a < 0) != (math.copysign(1.0, b) < 0)
    return _NINF if neg else _INF


def _div2(a, b):
    if type(b) is int:
        if b == 0:
            raise SteelError(GENERIC, "/: division by zero")
        if type(a) is int:
            if a % b == 0:
                return a // b
            try:
                return a / b
            except OverflowError:
                return _INF if (a < 0) == (b < 0) else _NINF
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
    args = _args(a, b, rest)
    _check_all("+", args)
    total = 0
    for x in args:
        total = _add2(total, x)
    return total


def minus(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a - b
    args = _args(a, b, rest)
    _check_all("-", args)
    if len(args) == 1:
        return -a
    total = a
    for i in range(1, len(args)):
        total = _sub2(total, args[i])
    return total


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
        args = _args(a, b, rest)
        _check_all("*", args)
        total = 1
        for x in args:
            if type(total) is int and type(x) is int:
                charge_product(total, x)
            total = _mul2(total, x)
        return total

    return times


def divide(a=None, b=None, *rest):
    args = _args(a, b, rest)
    _check_all("/", args)
    if len(args) == 1:
        return _div2(1, a)
    total = a
    for i in range(1, len(args)):
        total = _div2(total, args[i])
    return total


def _integral(who, x, pos):
    """An exact integer or an integral float (R7RS integer division accepts both)."""
    t = type(x)
    if t is int:
        return x
    if t is float and _finite(x) and x == math.floor(x):
        return x
    raise type_error(who, "an integer", x, pos)


def _float_div_args(who, a, b):
    """Check the operands of an integer division that is not exact/exact; as floats."""
    _integral(who, a, 1)
    _integral(who, b, 2)
    if b == 0:
        raise SteelError(GENERIC, "%s: division by zero" % who)
    return to_float(a), to_float(b)


def quotient(a, b):
    if type(a) is int and type(b) is int and b:
        q = (a if a >= 0 else -a) // (b if b >= 0 else -b)
        return -q if (a < 0) != (b < 0) else q
    a, b = _float_div_args("quotient", a, b)
    return float(math.trunc(a / b))


def remainder(a, b):
    if type(a) is int and type(b) is int and b:
        r = (a if a >= 0 else -a) % (b if b >= 0 else -b)
        return -r if a < 0 else r
    a, b = _float_div_args("remainder", a, b)
    return math.fmod(a, b)


def modulo(a, b):
    if type(a) is int and type(b) is int and b:
        return a % b
    a, b = _float_div_args("modulo", a, b)
    return a % b


def floor_quotient(a, b):
    if type(a) is int and type(b) is int and b:
        return a // b
    a, b = _float_div_args("floor-quotient", a, b)
    return float(math.floor(a / b))


def abs_(x):
    t = type(x)
    if t is int or t is float:
        return -x if x < 0 else x
    raise type_error("abs", "a number", x, 1)


def _extreme(who, args, bigger):
    _check_all(who, args)
    best = args[0]
    inexact = type(best) is float
    for i in range(1, len(args)):
        x = args[i]
        if type(x) is float:
            inexact = True
            if x != x:
                return _NAN
        if (x > best) if bigger else (x < best):
            best = x
    if best != best:
        return _NAN
    return to_float(best) if inexact else best


def max_(*args):
    return _extreme("max", args, True)


def min_(*args):
    return _extreme("min", args, False)


# --- comparison --------------------------------------------------------------------------


def _chain(who, args, op):
    _check_all(who, args)
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
    return _chain("=", _args(a, b, rest), _eq)


def num_lt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a < b
    return _chain("<", _args(a, b, rest), _lt)


def num_gt(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a > b
    return _chain(">", _args(a, b, rest), _gt)


def num_le(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a <= b
    return _chain("<=", _args(a, b, rest), _le)


def num_ge(a=None, b=None, *rest):
    if type(a) is int and type(b) is int and not rest:
        return a >= b
    return _chain(">=", _args(a, b, rest), _ge)


def zero_p(x):
    _num("zero?", x, 1)
    return x == 0


def positive_p(x):
    _num("positive?", x, 1)
    return x > 0


def negative_p(x):
    _num("negative?", x, 1)
    return x < 0


def odd_p(x):
    if type(x) is int:
        return x & 1 == 1
    return _integral("odd?", x, 1) % 2 == 1


def even_p(x):
    if type(x) is int:
        return x & 1 == 0
    return _integral("even?", x, 1) % 2 == 0


# --- types and exactness -----------------------------------------------------------------


def number_p(x):
    t = type(x)
    return t is int or t is float


def integer_p(x):
    t = type(x)
    if t is int:
        return True
    return t is float and _finite(x) and x == math.floor(x)


def exact_integer_p(x):
    return type(x) is int


def exact_nonnegative_integer_p(x):
    return type(x) is int and x >= 0


def float_p(x):
    return type(x) is float


def rational_p(x):
    t = type(x)
    return t is int or (t is float and _finite(x))


def nan_p(x):
    _num("nan?", x, 1)
    return x != x


def infinite_p(x):
    _num("infinite?", x, 1)
    return x == _INF or x == _NINF


def finite_p(x):
    _num("finite?", x, 1)
    return type(x) is int or _finite(x)


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
        if _finite(x) and x == math.floor(x):
            return int(x)
        raise SteelError(
            CONVERSION_ERROR,
            "exact: no exact representation for %s (there are no rationals)" % format_float(x),
        )
    raise type_error("exact", "a number", x, 1)


# --- rounding ----------------------------------------------------------------------------

_BIG = 4503599627370496.0  # 2**52: every float at least this large is integral


def _round_with(who, f, x):
    t = type(x)
    if t is int:
        return x
    if t is not float:
        raise type_error(who, "a number", x, 1)
    if not _finite(x) or x >= _BIG or x <= -_BIG:
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


# --- roots, powers, transcendental functions ---------------------------------------------


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
    if x < 0 and _finite(y) and y != math.floor(y):
        return _NAN
    try:
        r = x**y
    except ZeroDivisionError:
        return _INF
    except OverflowError:
        odd = _finite(y) and y == math.floor(y) and math.fmod(y, 2.0) != 0
        return _NINF if (x < 0 and odd) else _INF
    except ValueError:
        return _NAN
    if type(r) is not float:
        return _NAN
    return r


def make_expt(meter):
    def expt(a, b):
        _num("expt", a, 1)
        _num("expt", b, 2)
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
    x = to_float(_num("exp", x, 1))
    try:
        return math.exp(x)
    except (OverflowError, ValueError):
        return _INF if x > 0 else (_NAN if x != x else 0.0)


_LN2 = 0.6931471805599453


def _ln(x):
    if x == 0:
        return _NINF
    if x < 0 or x != x:
        return _NAN
    if type(x) is int and x > 1 << 100:
        # Too big for a float on some builds: log(x) = log(x >> k) + k log 2.
        k = bit_length(x) - 60
        return math.log(x >> k) + k * _LN2
    return math.log(x)


def log(x, base=None):
    _num("log", x, 1)
    if base is None:
        if type(x) is int and x == 1:
            return 0
        return _ln(x)
    _num("log", base, 2)
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
        return _NAN
    if lb == _INF or lb == _NINF:
        return _NAN if (lx == _INF or lx == _NINF) else 0.0
    return lx / lb


def _unary_float(who, f):
    def fn(x):
        x = to_float(_num(who, x, 1))
        try:
            return f(x)
        except (ValueError, OverflowError):
            return _NAN

    return fn


def atan(y, x=None):
    y = to_float(_num("atan", y, 1))
    if x is None:
        return math.atan(y)
    x = to_float(_num("atan", x, 2))
    return math.atan2(y, x)


def exact_integer_sqrt_with(meter):
    def exact_integer_sqrt(n):
        if type(n) is not int or n < 0:
            raise type_error("exact-integer-sqrt", "a non-negative integer", n, 1)
        s = isqrt(n)
        return list_of(meter, [s, n - s * s])

    return exact_integer_sqrt


# --- integers ----------------------------------------------------------------------------


def _gcd2(a, b):
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
        r = _gcd2(r, need_int("gcd", args[i], i + 1))
    return r


def lcm(*args):
    r = 1
    for i in range(len(args)):
        x = need_int("lcm", args[i], i + 1)
        if x == 0:
            return 0
        r = abs(r * x) // _gcd2(r, x)
    return r


def square(x):
    _num("square", x, 1)
    return _mul2(x, x)


def add1(x):
    if type(x) is int:
        return x + 1
    return _add2(_num("add1", x, 1), 1)


def sub1(x):
    if type(x) is int:
        return x - 1
    return _sub2(_num("sub1", x, 1), 1)


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


# --- conversion to and from strings ------------------------------------------------------

_DIGITS = "0123456789abcdef"


def _radix(who, radix):
    if radix is None:
        return 10
    need_int(who, radix, 2)
    if radix < 2 or radix > 16:
        raise SteelError(
            CONTRACT_VIOLATION, "%s: radix must be between 2 and 16, found %d" % (who, radix)
        )
    return radix


def int_to_string(n, radix=10):
    if radix == 10:
        return decimal_digits(n)  # also past CPython's 4,300-digit str() limit
    if radix == 16:
        return "%x" % n
    if radix == 8:
        return "%o" % n
    neg = n < 0
    if neg:
        n = -n
    out = []
    while True:
        n, d = divmod(n, radix)
        out.append(_DIGITS[d])
        if not n:
            break
    if neg:
        out.append("-")
    out.reverse()
    return "".join(out)


def number_to_string(x, radix=None):
    radix = _radix("number->string", radix)
    t = type(x)
    if t is int:
        return int_to_string(x, radix)
    if t is float:
        return format_float(x)
    raise type_error("number->string", "a number", x, 1)


_SPECIAL = {"+inf.0": _INF, "-inf.0": _NINF, "+nan.0": _NAN, "-nan.0": _NAN}


def _parse_uint(s, radix):
    if not s:
        return None
    digits = _DIGITS[:radix]
    for ch in s.lower():
        if ch not in digits:
            return None
    try:
        return int(s, radix)
    except ValueError:
        return None


def _parse_decimal(s):
    """An unsigned decimal with optional fraction and exponent, as int or float."""
    n = len(s)
    i = 0
    while i < n and "0" <= s[i] <= "9":
        i += 1
    int_digits = i
    frac_digits = 0
    if i < n and s[i] == ".":
        i += 1
        j = i
        while i < n and "0" <= s[i] <= "9":
            i += 1
        frac_digits = i - j
    if int_digits + frac_digits == 0:
        return None
    has_exp = False
    if i < n and s[i] in "eE":
        has_exp = True
        i += 1
        if i < n and s[i] in "+-":
            i += 1
        j = i
        while i < n and "0" <= s[i] <= "9":
            i += 1
        if i == j:
            return None
    if i != n:
        return None
    if int_digits == n:
        try:
            return int(s)
        except ValueError:
            return None
    if has_exp or frac_digits or "." in s:
        try:
            return float(s)
        except (ValueError, OverflowError):
            return None
    return None


def parse_number(text, radix=10):
    """The number ``text`` denotes in Steel's syntax, or None."""
    s = text
    exactness = None
    while len(s) >= 2 and s[0] == "#":
        p = s[1].lower()
        if p == "x":
            radix = 16
        elif p == "o":
            radix = 8
        elif p == "b":
            radix = 2
        elif p == "d":
            radix = 10
        elif p in "ei" and exactness is None:
            exactness = p
        else:
            return None
        s = s[2:]
    v = _parse_real(s, radix)
    if v is None or exactness is None:
        return v
    if exactness == "i":
        return to_float(v)
    if type(v) is float:
        if _finite(v) and v == math.floor(v):
            return int(v)
        return None
    return v


def _parse_real(s, radix):
    if not s:
        return None
    special = _SPECIAL.get(s.lower())
    if special is not None:
        return special
    neg = s[0] == "-"
    body = s[1:] if s[0] in "+-" else s
    slash = body.find("/")
    if slash >= 0:
        num = _parse_uint(body[:slash], radix)
        den = _parse_uint(body[slash + 1 :], radix)
        if num is None or den is None or den == 0:
            return None
        v = _div2(num, den)
    elif radix == 10:
        v = _parse_decimal(body)
    else:
        v = _parse_uint(body, radix)
    if v is None:
        return None
    return -v if neg else v


def string_to_number(s, radix=None):
    need_str("string->number", s, 1)
    v = parse_number(s, _radix("string->number", radix))
    return False if v is None else v


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
    d("quotient", quotient, 2, 2, "(quotient n m) — n divided by m, truncated toward zero")
    d("remainder", remainder, 2, 2, "(remainder n m) — n minus m times (quotient n m)")
    d("modulo", modulo, 2, 2, "(modulo n m) — n modulo m, with the sign of m")
    d(
        "truncate-quotient",
        renamed(quotient, "quotient", "truncate-quotient"),
        2,
        2,
        "(truncate-quotient n m) — same as quotient",
    )
    d(
        "truncate-remainder",
        renamed(remainder, "remainder", "truncate-remainder"),
        2,
        2,
        "(truncate-remainder n m) — same as remainder",
    )
    d("floor-quotient", floor_quotient, 2, 2, "(floor-quotient n m) — n / m rounded down")
    d(
        "floor-remainder",
        renamed(modulo, "modulo", "floor-remainder"),
        2,
        2,
        "(floor-remainder n m) — same as modulo",
    )
    d("abs", abs_, 1, 1, "(abs x) — the absolute value of x")
    d("max", max_, 1, -1, "(max x y ...) — the largest argument (inexact if any is)")
    d("min", min_, 1, -1, "(min x y ...) — the smallest argument (inexact if any is)")
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
    d("floor", floor_, 1, 1, "(floor x) — the largest integer not greater than x")
    d("ceiling", ceiling, 1, 1, "(ceiling x) — the smallest integer not less than x")
    d("truncate", truncate, 1, 1, "(truncate x) — x rounded toward zero")
    d("round", round_, 1, 1, "(round x) — x rounded to the nearest integer, ties to even")
    d("sqrt", sqrt, 1, 1, "(sqrt x) — the square root of x (exact for exact squares)")
    d(
        "exact-integer-sqrt",
        exact_integer_sqrt_with(m),
        1,
        1,
        "(exact-integer-sqrt n) — the list (s r) with s*s + r = n and s maximal",
    )
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
    d("gcd", gcd, 0, -1, "(gcd n ...) — the greatest common divisor of the integers")
    d("lcm", lcm, 0, -1, "(lcm n ...) — the least common multiple of the integers")
    d("square", square, 1, 1, "(square z) — z times z")
    d("add1", add1, 1, 1, "(add1 z) — z plus one")
    d("sub1", sub1, 1, 1, "(sub1 z) — z minus one")
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
    d(
        "number->string",
        number_to_string,
        1,
        2,
        "(number->string z [radix]) — the external representation of z (radix 2-16)",
    )
    d(
        "string->number",
        string_to_number,
        1,
        2,
        "(string->number s [radix]) — the number s denotes, or #f",
    )
