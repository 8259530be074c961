"""number->string and string->number (the syntax itself is in ``numsyntax``)."""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..numsyntax import ZERO_DENOMINATOR, parse_number
from ..numsyntax import number_to_string as _to_string
from ._util import need_int, need_str
from .numeric import is_number


def _radix(who, radix):
    if radix is None:
        return 10
    need_int(who, radix, 2)
    if radix < 2 or radix > 16:
        raise SteelError(
            CONTRACT_VIOLATION, "%s: radix must be between 2 and 16, found %d" % (who, radix)
        )
    return radix


def number_to_string(x, radix=None):
    radix = _radix("number->string", radix)
    if not is_number(x):
        raise type_error("number->string", "a number", x, 1)
    return _to_string(x, radix)


def string_to_number(s, radix=None):
    need_str("string->number", s, 1)
    v = parse_number(s, _radix("string->number", radix))
    return False if v is None or v is ZERO_DENOMINATOR else v


def install(lib):
    d = lib.define
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
