"""The external syntax of numbers: what the reader and ``string->number`` accept, and what
the printer and ``number->string`` write.

One module for both directions so that every number prints as something that reads back
as the same number: ``42``, ``-1.5``, ``+inf.0``, ``1/3``, ``#xff``, ``#e1.5`` (``3/2``),
``1+2i``, ``-2.5i``, in radix 2 to 16.
"""

from .numtypes import Complex, Rational, rational, rectangular

_DIGITS = "0123456789abcdef"
_INF = float("inf")
_NAN = float("nan")
_SPECIAL = {"+inf.0": _INF, "-inf.0": -_INF, "+nan.0": _NAN, "-nan.0": _NAN}
MAX_EXPONENT = 19000  # #e1e19000 has about 63,000 bits: the exact-integer limit's order

ZERO_DENOMINATOR = object()  # parse_number's answer for n/0, which the reader reports


# --- writing ----------------------------------------------------------------------------


def format_float(x):
    if x != x:
        return "+nan.0"
    if x == _INF:
        return "+inf.0"
    if x == -_INF:
        return "-inf.0"
    r = repr(x)
    if "." not in r and "e" not in r and "n" not in r:
        r += ".0"
    return r


def _decimal(v):
    """Decimal digits of any exact integer.

    CPython refuses str() of integers over 4,300 digits (a guard against quadratic
    conversion); this converts in chunks instead.  MicroPython has no such limit.
    """
    try:
        return str(v)
    except ValueError:
        pass
    sign = "-" if v < 0 else ""
    v = -v if v < 0 else v
    chunks = []
    base = 10**1000
    while v:
        v, r = divmod(v, base)
        chunks.append(str(r))
    out = [chunks[-1]]
    for c in reversed(chunks[:-1]):
        out.append("0" * (1000 - len(c)) + c)
    return sign + "".join(out)


def int_to_string(n, radix=10):
    if radix == 10:
        return _decimal(n)
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


def number_to_string(x, radix=10):
    """The external representation of a number (floats are always written in decimal)."""
    t = type(x)
    if t is int:
        return int_to_string(x, radix)
    if t is float:
        return format_float(x)
    if t is Rational:
        return int_to_string(x.num, radix) + "/" + int_to_string(x.den, radix)
    re = number_to_string(x.re, radix)
    im = number_to_string(x.im, radix)
    if im[0] != "-" and im[0] != "+":
        im = "+" + im
    return re + im + "i"


# --- reading ----------------------------------------------------------------------------


def parse_number(text, radix=10):
    """The number ``text`` denotes, None if it is not a number, or ZERO_DENOMINATOR."""
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
        elif (p == "e" or p == "i") and exactness is None:
            exactness = p
        else:
            return None
        s = s[2:]
    if not s:
        return None
    if len(s) > 1 and (s[-1] == "i" or s[-1] == "I") and s.lower() not in _SPECIAL:
        return _parse_complex(s[:-1], radix, exactness)
    return _parse_real(s, radix, exactness)


def _parse_complex(body, radix, exactness):
    split = -1
    for k in range(len(body) - 1, 0, -1):
        if body[k] in "+-" and (radix != 10 or body[k - 1] not in "eE"):
            split = k
            break
    if split < 0:
        if body[0] not in "+-":
            return None
        re, im_text = 0, body
    else:
        re = _parse_real(body[:split], radix, exactness)
        im_text = body[split:]
    if im_text == "+" or im_text == "-":
        im = 1 if im_text == "+" else -1
        if exactness == "i":
            im = float(im)
    else:
        im = _parse_real(im_text, radix, exactness)
    if re is None or im is None or re is ZERO_DENOMINATOR or im is ZERO_DENOMINATOR:
        return im if im is ZERO_DENOMINATOR else (re if re is ZERO_DENOMINATOR else None)
    if type(re) is Complex or type(im) is Complex:
        return None
    return rectangular(re, im)


def _parse_real(s, radix, exactness):
    if not s:
        return None
    special = _SPECIAL.get(s.lower())
    if special is not None:
        return None if exactness == "e" else special
    neg = s[0] == "-"
    body = s[1:] if s[0] in "+-" else s
    slash = body.find("/")
    if slash >= 0:
        num = _parse_uint(body[:slash], radix)
        den = _parse_uint(body[slash + 1 :], radix)
        if num is None or den is None:
            return None
        if den == 0:
            return ZERO_DENOMINATOR
        v = rational(num, den)
        if exactness == "i":
            v = num / den
    elif radix == 10:
        v = _parse_decimal(body, exactness)
    else:
        v = _parse_uint(body, radix)
        if v is not None and exactness == "i":
            v = float(v)
    if v is None:
        return None
    if not neg:
        return v
    if type(v) is Rational:
        return Rational(-v.num, v.den)
    return -v


def _parse_uint(s, radix):
    if not s:
        return None
    digits = _DIGITS[:radix]
    for ch in s.lower():
        if ch not in digits:
            return None
    try:
        return int(s, radix)
    except ValueError:  # CPython's limit on decimal digits
        return None


def _parse_decimal(s, exactness):
    """An unsigned decimal with optional fraction and exponent: exact integer digits give
    an int, anything else a float (or, with ``#e``, its exact value)."""
    n = len(s)
    i = 0
    while i < n and "0" <= s[i] <= "9":
        i += 1
    int_end = i
    frac_start = frac_end = i
    if i < n and s[i] == ".":
        i += 1
        frac_start = i
        while i < n and "0" <= s[i] <= "9":
            i += 1
        frac_end = i
    if int_end + (frac_end - frac_start) == 0:
        return None
    exponent = 0
    has_exp = False
    if i < n and s[i] in "eE":
        has_exp = True
        i += 1
        j = i
        if i < n and s[i] in "+-":
            i += 1
        k = i
        while i < n and "0" <= s[i] <= "9":
            i += 1
        if i == k:
            return None
        exponent = int(s[j:i])
    if i != n:
        return None
    exact = int_end == n  # digits only
    if exactness == "e" or (exact and exactness != "i"):
        digits = s[:int_end] + s[frac_start:frac_end]
        e = exponent - (frac_end - frac_start)
        if e > MAX_EXPONENT or e < -MAX_EXPONENT:
            return None
        try:
            m = int(digits)
        except ValueError:
            return None
        return m * 10**e if e >= 0 else rational(m, 10**-e)
    if not exact or has_exp or exactness == "i":
        try:
            return float(s)
        except (ValueError, OverflowError):
            return None
    return None
