"""Strings (immutable, indexed by character), symbols, and char <-> integer conversion."""

from ..errors import CONTRACT_VIOLATION, CONVERSION_ERROR, TYPE_MISMATCH, SteelError, type_error
from ..memory import CHAR, OBJECT, PAIR, SLOT
from ..printer import display_string
from ..values import NIL, Char, Pair, Symbol, char, intern
from . import casemap
from ._util import (
    allocate,
    bounds,
    elements,
    index_error,
    need_int,
    need_nat,
    need_str,
    renamed,
    show,
)


def _string_args(who, args):
    total = 0
    for i in range(len(args)):
        s = args[i]
        if type(s) is not str:
            raise type_error(who, "a string", s, i + 1)
        total += len(s)
    return total


def string_length(s):
    if type(s) is str:
        return len(s)
    raise type_error("string-length", "a string", s, 1)


def string_ref(s, k):
    need_str("string-ref", s, 1)
    need_int("string-ref", k, 2)
    if k < 0 or k >= len(s):
        raise index_error("string-ref", k, len(s))
    return char(s[k])


def _compare(who, args, op, fold):
    _string_args(who, args)
    for i in range(len(args) - 1):
        a = args[i]
        b = args[i + 1]
        if fold:
            a = casemap.fold_string(a)
            b = casemap.fold_string(b)
        if not op(a, b):
            return False
    return True


def _make_compare(who, op, fold):
    def compare(*args):
        return _compare(who, args, op, fold)

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


_COMPARISONS = (
    ("=", _eq, "equal"),
    ("<", _lt, "strictly increasing"),
    (">", _gt, "strictly decreasing"),
    ("<=", _le, "non-decreasing"),
    (">=", _ge, "non-increasing"),
)


def string_null_p(s):
    return len(need_str("string-null?", s, 1)) == 0


def string_contains_p(s, sub):
    need_str("string-contains?", s, 1)
    return need_str("string-contains?", sub, 2) in s


def starts_with_p(s, prefix):
    need_str("starts-with?", s, 1)
    return s.startswith(need_str("starts-with?", prefix, 2))


def ends_with_p(s, suffix):
    need_str("ends-with?", s, 1)
    return s.endswith(need_str("ends-with?", suffix, 2))


def symbol_to_string(sym):
    if type(sym) is not Symbol:
        raise type_error("symbol->string", "a symbol", sym, 1)
    return sym.name


def char_to_integer(c):
    if type(c) is not Char:
        raise type_error("char->integer", "a char", c, 1)
    return ord(c.c)


def integer_to_char(n):
    need_int("integer->char", n, 1)
    if n < 0 or n > 0x10FFFF or 0xD800 <= n <= 0xDFFF:
        raise SteelError(CONVERSION_ERROR, "integer->char: %d is not a Unicode scalar value" % n)
    return char(chr(n))


def string_to_int(s):
    need_str("string->int", s, 1)
    t = s[1:] if s[:1] in ("+", "-") else s
    if t and t.isdigit():
        try:
            return int(s)
        except ValueError:  # CPython limits the length of decimal conversions
            pass
    raise SteelError(TYPE_MISMATCH, "string->int: %s is not an integer" % show(s))


def int_to_string(n):
    need_int("int->string", n, 1)
    return str(n)


def install(lib):
    meter = lib.meter
    d = lib.define

    def new_string(n):
        meter.charge(OBJECT + CHAR * n)

    def new_string_list(pieces):
        size = PAIR * len(pieces)
        for p in pieces:
            size += OBJECT + CHAR * len(p)
        meter.charge(size)
        r = NIL
        for i in range(len(pieces) - 1, -1, -1):
            r = Pair(pieces[i], r)
        return r

    def string_append(*args):
        n = _string_args("string-append", args)
        if len(args) == 1:
            return args[0]
        new_string(n)
        return "".join(args)

    def substring(s, start, end=None):
        need_str("substring", s, 1)
        start, end = bounds("substring", len(s), start, end, 2)
        new_string(end - start)
        return s[start:end]

    def string_copy(s, start=None, end=None):
        need_str("string-copy", s, 1)
        start, end = bounds("string-copy", len(s), start, end, 2)
        new_string(end - start)
        return s[start:end]

    def upcase(s):
        need_str("string-upcase", s, 1)
        new_string(2 * len(s))  # full mappings may lengthen it (ß -> SS)
        return casemap.upcase_string(s)

    def downcase(s):
        need_str("string-downcase", s, 1)
        new_string(2 * len(s))
        return casemap.downcase_string(s)

    def foldcase(s):
        need_str("string-foldcase", s, 1)
        new_string(3 * len(s))  # (the longest folding is three characters)
        return casemap.fold_string(s)

    def split_whitespace(s):
        need_str("split-whitespace", s, 1)
        meter.charge(OBJECT + CHAR * len(s))
        return new_string_list(s.split())

    def split_on(who, s, sep):
        need_str(who, s, 1)
        need_str(who, sep, 2)
        if not sep:
            raise SteelError(CONTRACT_VIOLATION, "%s: the separator must not be empty" % who)
        meter.charge(OBJECT * (s.count(sep) + 1) + CHAR * len(s))
        return s.split(sep)

    def split_many(s, sep):
        return new_string_list(split_on("split-many", s, sep))

    def string_split(s, sep=None):
        if sep is None:
            need_str("string-split", s, 1)
            meter.charge(OBJECT + CHAR * len(s))
            return new_string_list(s.split())
        return new_string_list(split_on("string-split", s, sep))

    def split_once(s, sep):
        need_str("split-once", s, 1)
        need_str("split-once", sep, 2)
        if not sep:
            raise SteelError(CONTRACT_VIOLATION, "split-once: the separator must not be empty")
        i = s.find(sep)
        if i < 0:
            return new_string_list([s])
        return new_string_list([s[:i], s[i + len(sep) :]])

    def string_join(lst, sep=""):
        items = elements("string-join", lst, 1)
        need_str("string-join", sep, 2)
        total = len(sep) * (len(items) - 1 if items else 0)
        for x in items:
            if type(x) is not str:
                raise type_error("string-join", "a list of strings", lst, 1)
            total += len(x)
        new_string(total)
        return sep.join(items)

    def trim(s):
        need_str("trim", s, 1)
        r = s.strip()
        new_string(len(r))
        return r

    def trim_start(s):
        need_str("trim-start", s, 1)
        r = s.lstrip()
        new_string(len(r))
        return r

    def trim_end(s):
        need_str("trim-end", s, 1)
        r = s.rstrip()
        new_string(len(r))
        return r

    def trim_start_matches(s, pat):
        need_str("trim-start-matches", s, 1)
        need_str("trim-start-matches", pat, 2)
        i = 0
        n = len(pat)
        if n:
            while s.startswith(pat, i):
                i += n
        new_string(len(s) - i)
        return s[i:]

    def trim_end_matches(s, pat):
        need_str("trim-end-matches", s, 1)
        need_str("trim-end-matches", pat, 2)
        j = len(s)
        n = len(pat)
        if n:
            while j >= n and s[j - n : j] == pat:
                j -= n
        new_string(j)
        return s[:j]

    def string_to_list(s, start=None, end=None):
        need_str("string->list", s, 1)
        start, end = bounds("string->list", len(s), start, end, 2)
        n = end - start
        r = NIL
        if n:
            meter.charge(PAIR * n)
            for i in range(end - 1, start - 1, -1):
                r = Pair(char(s[i]), r)
        return r

    def string_to_vector(s, start=None, end=None):
        need_str("string->vector", s, 1)
        start, end = bounds("string->vector", len(s), start, end, 2)
        meter.charge(OBJECT + SLOT * (end - start))
        return [char(s[i]) for i in range(start, end)]

    def list_to_string(lst):
        items = elements("list->string", lst, 1)
        for x in items:
            if type(x) is not Char:
                raise type_error("list->string", "a list of chars", lst, 1)
        new_string(len(items))
        return "".join([c.c for c in items])

    def string_(*chars):
        for i in range(len(chars)):
            if type(chars[i]) is not Char:
                raise type_error("string", "a char", chars[i], i + 1)
        new_string(len(chars))
        return "".join([c.c for c in chars])

    def make_string(k, c=None):
        need_nat("make-string", k, 1)
        if c is None:
            fill = "\x00"
        elif type(c) is Char:
            fill = c.c
        else:
            raise type_error("make-string", "a char", c, 2)
        allocate(meter, "make-string", OBJECT + CHAR * k)
        return fill * k

    def string_replace(s, old, new):
        need_str("string-replace", s, 1)
        need_str("string-replace", old, 2)
        need_str("string-replace", new, 3)
        count = s.count(old)
        if count == 0:
            return s
        new_string(len(s) + count * (len(new) - len(old)))
        return s.replace(old, new)

    def string_to_symbol(s):
        need_str("string->symbol", s, 1)
        meter.charge(OBJECT + CHAR * len(s))
        return intern(s)

    def to_string(*args):
        parts = [display_string(a) for a in args]
        r = " ".join(parts)
        new_string(len(r))
        return r

    def utf8_length(s):
        need_str("utf8-length", s, 1)
        return len(s.encode())

    d("string-length", string_length, 1, 1, "(string-length s) — the number of characters of s")
    d("string-ref", string_ref, 2, 2, "(string-ref s k) — character k (from 0) of s")
    d(
        "substring",
        substring,
        2,
        3,
        "(substring s start [end]) — the characters of s from start up to end",
    )
    d(
        "string-copy",
        string_copy,
        1,
        3,
        "(string-copy s [start end]) — a copy of s, or of the characters from start to end",
    )
    d("string-append", string_append, 0, -1, "(string-append s ...) — the strings concatenated")
    d("string-upcase", upcase, 1, 1, "(string-upcase s) — s in upper case")
    d("string-downcase", downcase, 1, 1, "(string-downcase s) — s in lower case")
    d(
        "string-foldcase",
        foldcase,
        1,
        1,
        "(string-foldcase s) — s case-folded (Unicode full folding: Straße -> strasse)",
    )
    d(
        "string->upper",
        renamed(upcase, "string-upcase", "string->upper"),
        1,
        1,
        "(string->upper s) — same as string-upcase",
    )
    d(
        "string->lower",
        renamed(downcase, "string-downcase", "string->lower"),
        1,
        1,
        "(string->lower s) — same as string-downcase",
    )
    d(
        "string-split",
        string_split,
        1,
        2,
        "(string-split s [sep]) — the pieces of s between occurrences of sep (between runs "
        "of whitespace without sep)",
    )
    d(
        "split-whitespace",
        split_whitespace,
        1,
        1,
        "(split-whitespace s) — the words of s, separated by runs of whitespace",
    )
    d(
        "split-many",
        split_many,
        2,
        2,
        "(split-many s sep) — the pieces of s between occurrences of sep",
    )
    d(
        "split-once",
        split_once,
        2,
        2,
        "(split-once s sep) — the list of the parts of s before and after the first sep "
        "(a one-element list if there is none)",
    )
    d(
        "string-join",
        string_join,
        1,
        2,
        "(string-join strs [sep]) — the list of strings concatenated with sep between them",
    )
    d(
        "string-contains?",
        string_contains_p,
        2,
        2,
        "(string-contains? s sub) — #t if sub occurs in s",
    )
    d("starts-with?", starts_with_p, 2, 2, "(starts-with? s prefix) — #t if s begins with prefix")
    d("ends-with?", ends_with_p, 2, 2, "(ends-with? s suffix) — #t if s ends with suffix")
    d("trim", trim, 1, 1, "(trim s) — s without leading and trailing whitespace")
    d("trim-start", trim_start, 1, 1, "(trim-start s) — s without leading whitespace")
    d("trim-end", trim_end, 1, 1, "(trim-end s) — s without trailing whitespace")
    d(
        "trim-start-matches",
        trim_start_matches,
        2,
        2,
        "(trim-start-matches s pat) — s with leading repetitions of pat removed",
    )
    d(
        "trim-end-matches",
        trim_end_matches,
        2,
        2,
        "(trim-end-matches s pat) — s with trailing repetitions of pat removed",
    )
    d(
        "string->list",
        string_to_list,
        1,
        3,
        "(string->list s [start end]) — the list of the characters of s",
    )
    d(
        "string->vector",
        string_to_vector,
        1,
        3,
        "(string->vector s [start end]) — a vector of the characters of s",
    )
    d("list->string", list_to_string, 1, 1, "(list->string chars) — the string of the characters")
    d("string", string_, 0, -1, "(string c ...) — the string of the given characters")
    d(
        "make-string",
        make_string,
        1,
        2,
        "(make-string k [c]) — a string of k copies of c (default #\\nul)",
    )
    d(
        "string-replace",
        string_replace,
        3,
        3,
        "(string-replace s old new) — s with every occurrence of old replaced by new",
    )
    d("string-null?", string_null_p, 1, 1, "(string-null? s) — #t if s is the empty string")
    for suffix, op, meaning in _COMPARISONS:
        name = "string%s?" % suffix
        d(
            name,
            _make_compare(name, op, False),
            1,
            -1,
            "(%s s ...) — #t if the strings are %s" % (name, meaning),
        )
        name = "string-ci%s?" % suffix
        d(
            name,
            _make_compare(name, op, True),
            1,
            -1,
            "(%s s ...) — #t if the strings are %s, ignoring case" % (name, meaning),
        )
    d("string->symbol", string_to_symbol, 1, 1, "(string->symbol s) — the symbol named s")
    d("symbol->string", symbol_to_string, 1, 1, "(symbol->string sym) — the name of sym")
    d("char->integer", char_to_integer, 1, 1, "(char->integer c) — the Unicode code point of c")
    d("integer->char", integer_to_char, 1, 1, "(integer->char n) — the char with code point n")
    d(
        "to-string",
        to_string,
        0,
        -1,
        "(to-string v ...) — the values as display shows them, separated by spaces",
    )
    d("string->int", string_to_int, 1, 1, "(string->int s) — the decimal integer s denotes")
    d("int->string", int_to_string, 1, 1, "(int->string n) — the decimal digits of n")
    d("utf8-length", utf8_length, 1, 1, "(utf8-length s) — the number of bytes of s in UTF-8")
