"""Helpers shared by the standard-library modules: argument checks, errors, allocation."""

from ..errors import CONTRACT_VIOLATION, OUT_OF_MEMORY, SteelError, type_error
from ..memory import PAIR
from ..printer import write_string
from ..values import NIL, Pair, SrcPair

# Largest int MicroPython keeps unboxed; bigger ints are heap objects worth metering.
SMALL_INT = 0x3FFFFFFF

# No single value may be larger than this, whatever the meter's limit (None included): a
# size computed from a number argument ((make-vector 1e15), (expt 2 (expt 2 80))) must fail
# cleanly rather than make the host try.
MAX_ALLOCATION = 1 << 28


def show(v):
    """A short external representation of ``v`` for error messages."""
    return write_string(v, 60)


def need_int(who, x, pos=None):
    if type(x) is not int:
        raise type_error(who, "an integer", x, pos)
    return x


def need_nat(who, x, pos=None):
    """A non-negative exact integer (a count or an index)."""
    if type(x) is not int:
        raise type_error(who, "a non-negative integer", x, pos)
    if x < 0:
        raise SteelError(
            CONTRACT_VIOLATION, "%s: expected a non-negative integer, found %d" % (who, x)
        )
    return x


def need_str(who, x, pos=None):
    if type(x) is not str:
        raise type_error(who, "a string", x, pos)
    return x


def elements(who, lst, pos=None):
    """The elements of the proper list ``lst`` as a Python list (TypeMismatch otherwise)."""
    out = []
    x = lst
    while type(x) is Pair or type(x) is SrcPair:
        out.append(x.car)
        x = x.cdr
    if x is not NIL:
        raise type_error(who, "a list", lst, pos)
    return out


def index_error(who, index, length):
    return SteelError(
        CONTRACT_VIOLATION, "%s: index out of bounds: index %d, length %d" % (who, index, length)
    )


def bounds(who, length, start, end, pos):
    """Check optional ``start``/``end`` (None: absent) against ``length``; returns both."""
    if start is None:
        start = 0
    elif type(start) is not int:
        raise type_error(who, "an integer", start, pos)
    if end is None:
        end = length
    elif type(end) is not int:
        raise type_error(who, "an integer", end, pos + 1)
    if start < 0 or end < 0:
        raise SteelError(
            CONTRACT_VIOLATION,
            "%s: bounds must be non-negative: start %d, end %d" % (who, start, end),
        )
    if end > length or start > length:
        raise SteelError(
            CONTRACT_VIOLATION,
            "%s: index out of bounds: start %d, end %d, length %d" % (who, start, end, length),
        )
    if start > end:
        raise SteelError(
            CONTRACT_VIOLATION, "%s: start %d is greater than end %d" % (who, start, end)
        )
    return start, end


def allocate(meter, who, units):
    """Charge ``units`` for one allocation whose size comes from the program's arguments."""
    if units > MAX_ALLOCATION:
        raise SteelError(
            OUT_OF_MEMORY, "%s: a value of about %d bytes is too large to allocate" % (who, units)
        )
    meter.charge(units)


def renamed(fn, old, new):
    """``fn`` under the alias ``new``: its errors name ``new`` instead of ``old``."""
    prefix = old + ":"

    def alias(*args):
        try:
            return fn(*args)
        except SteelError as e:
            if e.message.startswith(prefix):
                e.message = new + e.message[len(old) :]
            raise

    return alias


def same_as(lib, new, old):
    """Define ``new`` as another name of the library procedure ``old`` (its own
    Primitive, so that its errors and its documentation carry its own name)."""
    p = lib.table[old]
    head, _, _ = p.text.partition(" — ")
    doc = "(" + new + head[len(old) + 1 :] + " — same as " + old
    lib.define(new, renamed(p.fn, old, new), p.min, p.max, doc)


def list_of(meter, items):
    """A Steel list of the Python sequence ``items``, charged to ``meter`` first."""
    n = len(items)
    if n:
        meter.charge(PAIR * n)
    r = NIL
    for i in range(n - 1, -1, -1):
        r = Pair(items[i], r)
    return r
