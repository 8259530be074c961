"""Integer division: quotient, remainder, modulo, and the floor/truncate/euclidean family.

Each family has a quotient, a remainder and a ``name/`` that returns both as a
two-element list — Steel's multiple values are lists (``values`` is ``list``), so
``(define-values (q r) (floor/ 7 2))`` works.  They accept integral floats as R7RS and
Steel do (the results are then floats); rationals are a TypeMismatch.  Dividing by zero
is a ContractViolation.
"""

import math

from ..errors import CONTRACT_VIOLATION, SteelError
from ._util import list_of
from .numeric import need_integral
from .realmath import to_float


def _operands(who, a, b):
    """Both operands checked: exact integers as they are, else both as floats."""
    need_integral(who, a, 1)
    need_integral(who, b, 2)
    if b == 0:
        raise SteelError(CONTRACT_VIOLATION, "%s: division by zero" % who)
    if type(a) is int and type(b) is int:
        return a, b, True
    return to_float(a), to_float(b), False


def _floor(who, a, b):
    a, b, exact = _operands(who, a, b)
    if exact:
        return divmod(a, b)  # Python's divmod floors
    q = math.floor(a / b)
    return float(q), a - b * q


def _truncate(who, a, b):
    a, b, exact = _operands(who, a, b)
    if exact:
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        return q, a - b * q
    q = float(math.trunc(a / b))
    return q, math.fmod(a, b)


def _euclidean(who, a, b):
    """The quotient whose remainder is never negative."""
    q, r = _floor(who, a, b)
    if r < 0:  # only when b < 0
        q = q + 1
        r = r - b
    return q, r


def _quotient_of(family, who):
    def quotient(a, b):
        return family(who, a, b)[0]

    return quotient


def _remainder_of(family, who):
    def remainder(a, b):
        return family(who, a, b)[1]

    return remainder


def _both_of(family, who, meter):
    def both(a, b):
        return list_of(meter, list(family(who, a, b)))

    return both


def quotient(a, b):
    if type(a) is int and type(b) is int and b:
        q = (a if a >= 0 else -a) // (b if b >= 0 else -b)
        return -q if (a < 0) != (b < 0) else q
    return _truncate("quotient", a, b)[0]


def remainder(a, b):
    if type(a) is int and type(b) is int and b:
        r = (a if a >= 0 else -a) % (b if b >= 0 else -b)
        return -r if a < 0 else r
    return _truncate("remainder", a, b)[1]


def modulo(a, b):
    if type(a) is int and type(b) is int and b:
        return a % b
    a, b, _ = _operands("modulo", a, b)
    return a % b


_FAMILIES = (
    ("floor", _floor, "rounded down", "with the sign of m"),
    ("truncate", _truncate, "rounded toward zero", "with the sign of n"),
    ("euclidean", _euclidean, "for which the remainder is non-negative", "never negative"),
)


def install(lib):
    d = lib.define
    d("quotient", quotient, 2, 2, "(quotient n m) — n divided by m, truncated toward zero")
    d("remainder", remainder, 2, 2, "(remainder n m) — n minus m times (quotient n m)")
    d("modulo", modulo, 2, 2, "(modulo n m) — n modulo m, with the sign of m")
    for name, family, how, rsign in _FAMILIES:
        q = name + "-quotient"
        r = name + "-remainder"
        both = name + "/"
        d(q, _quotient_of(family, q), 2, 2, "(%s n m) — n / m %s" % (q, how))
        d(r, _remainder_of(family, r), 2, 2, "(%s n m) — n - m * (%s n m), %s" % (r, q, rsign))
        d(
            both,
            _both_of(family, both, lib.meter),
            2,
            2,
            "(%s n m) — the list (quotient remainder) of %s division" % (both, name),
        )
