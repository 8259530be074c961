"""Integer division: quotient, remainder, modulo and their R7RS names.

They accept integral floats as R7RS does (Steel: integers only).
"""

import math

from ..errors import GENERIC, SteelError
from ._util import renamed
from .numeric import need_integral, to_float


def _float_div_args(who, a, b):
    """Check the operands of an integer division that is not exact/exact; as floats."""
    need_integral(who, a, 1)
    need_integral(who, b, 2)
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


def install(lib):
    d = lib.define
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
