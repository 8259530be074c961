"""Characters: classification, case conversion, comparison.

ASCII characters are classified by explicit rules; case mapping and folding beyond ASCII
use the Unicode tables of ``casemap``, so both give the same answers under CPython and
MicroPython.  Other classification beyond ASCII (letters without case, digits, spaces)
uses the host's ``str`` methods: full Unicode under CPython, ASCII only under MicroPython.
"""

from ..errors import type_error
from ..values import Char, char
from . import casemap
from ._util import renamed

_WHITESPACE = " \t\n\r\x0b\x0c"


def _c(who, x, pos=1):
    if type(x) is not Char:
        raise type_error(who, "a char", x, pos)
    return x.c


def char_upcase(x):
    return char(casemap.char_upcase(_c("char-upcase", x)))


def char_downcase(x):
    return char(casemap.char_downcase(_c("char-downcase", x)))


def char_foldcase(x):
    return char(casemap.char_foldcase(_c("char-foldcase", x)))


def char_alphabetic_p(x):
    c = _c("char-alphabetic?", x)
    if c < "\x80":
        return "a" <= c <= "z" or "A" <= c <= "Z"
    return c.isalpha() or casemap.is_cased(c)


def char_numeric_p(x):
    c = _c("char-numeric?", x)
    if c < "\x80":
        return "0" <= c <= "9"
    return c.isdigit()


def char_whitespace_p(x):
    c = _c("char-whitespace?", x)
    if c < "\x80":
        return c in _WHITESPACE
    return c.isspace()


def char_upper_case_p(x):
    c = _c("char-upper-case?", x)
    if c < "\x80":
        return "A" <= c <= "Z"
    return casemap.char_downcase(c) != c and casemap.char_upcase(c) == c


def char_lower_case_p(x):
    c = _c("char-lower-case?", x)
    if c < "\x80":
        return "a" <= c <= "z"
    return casemap.char_upcase(c) != c and casemap.char_downcase(c) == c


def char_digit_p(x):
    c = _c("char-digit?", x)
    return "0" <= c <= "9"


def char_to_number(x):
    c = _c("char->number", x)
    if "0" <= c <= "9":
        return ord(c) - 48
    return False


def _make_compare(who, op, fold):
    def compare(*args):
        codes = []
        for i in range(len(args)):
            c = _c(who, args[i], i + 1)
            codes.append(casemap.char_foldcase(c) if fold else c)
        for i in range(len(codes) - 1):
            if not op(codes[i], codes[i + 1]):
                return False
        return True

    return compare


def _eq(a, b):
    return a == b


def _lt(a, b):
    return a < b


def _gt(a, b):
    return a > b


def _le(a, b):
    return a <= b


def _ge(a, b):
    return a >= b


def install(lib):
    d = lib.define
    d("char-upcase", char_upcase, 1, 1, "(char-upcase c) — the upper-case version of c")
    d("char-downcase", char_downcase, 1, 1, "(char-downcase c) — the lower-case version of c")
    d(
        "char-foldcase",
        char_foldcase,
        1,
        1,
        "(char-foldcase c) — c case-folded (Unicode simple folding: a char, ß stays ß)",
    )
    d(
        "char-alphabetic?",
        char_alphabetic_p,
        1,
        1,
        "(char-alphabetic? c) — #t if c is a letter",
    )
    d("char-numeric?", char_numeric_p, 1, 1, "(char-numeric? c) — #t if c is a decimal digit")
    d(
        "char-whitespace?",
        char_whitespace_p,
        1,
        1,
        "(char-whitespace? c) — #t if c is whitespace",
    )
    d(
        "char-upper-case?",
        char_upper_case_p,
        1,
        1,
        "(char-upper-case? c) — #t if c is an upper-case letter",
    )
    d(
        "char-lower-case?",
        char_lower_case_p,
        1,
        1,
        "(char-lower-case? c) — #t if c is a lower-case letter",
    )
    d("char-digit?", char_digit_p, 1, 1, "(char-digit? c) — #t if c is an ASCII digit 0-9")
    d(
        "char->number",
        char_to_number,
        1,
        1,
        "(char->number c) — the value of the ASCII digit c, or #f",
    )
    d(
        "char->digit",
        renamed(char_to_number, "char->number", "char->digit"),
        1,
        1,
        "(char->digit c) — same as char->number",
    )
    d(
        "digit-value",
        renamed(char_to_number, "char->number", "digit-value"),
        1,
        1,
        "(digit-value c) — same as char->number",
    )
    for suffix, op, meaning in (
        ("=", _eq, "equal"),
        ("<", _lt, "strictly increasing"),
        (">", _gt, "strictly decreasing"),
        ("<=", _le, "non-decreasing"),
        (">=", _ge, "non-increasing"),
    ):
        name = "char%s?" % suffix
        d(
            name,
            _make_compare(name, op, False),
            1,
            -1,
            "(%s c ...) — #t if the chars' code points are %s" % (name, meaning),
        )
        name = "char-ci%s?" % suffix
        d(
            name,
            _make_compare(name, op, True),
            1,
            -1,
            "(%s c ...) — #t if the chars are %s, ignoring case" % (name, meaning),
        )
