"""Numbers to text and back: number->string, string->number and the number syntax."""

import math

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..printer import format_float
from ..printer import int_to_string as decimal_digits
from ._util import need_int, need_str
from .arithmetic import div2
from .numeric import INF, NAN, NINF, is_finite, to_float

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


_SPECIAL = {"+inf.0": INF, "-inf.0": NINF, "+nan.0": NAN, "-nan.0": NAN}


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
        if is_finite(v) and v == math.floor(v):
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
        v = div2(num, den)
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
