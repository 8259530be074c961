"""Unicode case mapping and folding: the same answers under CPython and MicroPython.

MicroPython's ``str.upper``/``lower`` only map ASCII and it has no ``casefold``, so the
runtime carries its own tables (``firmware/steel/lib/casedata.py``).  Under CPython the
tables are checked against CPython's own Unicode data, code point by code point; run
``python -m tests.firmware.test_lib_casemap > firmware/steel/lib/casedata.py`` to
regenerate them after a Unicode update.  Under MicroPython the same behaviour is checked
on the cases Steel's own tests use.
"""

import sys

from firmware.steel import Interpreter, write_string
from firmware.steel.lib import casemap

CPYTHON = sys.implementation.name == "cpython"
LAST = 0x10FFFF


def _code_points():
    return [cp for cp in range(LAST + 1) if not 0xD800 <= cp <= 0xDFFF]


def _simple(mapped, cp):
    """A char's mapping when it is one char (else the char: a simple mapping)."""
    return ord(mapped) if len(mapped) == 1 else cp


def _ranges(pairs):
    """(start, count, delta, stride) runs covering the sorted (cp, mapped) pairs."""
    out = []
    i = 0
    while i < len(pairs):
        a, b = pairs[i]
        d = b - a
        best = (1, 1)
        for stride in (1, 2):
            j = i + 1
            n = 1
            while (
                j < len(pairs) and pairs[j][0] == a + n * stride and pairs[j][1] - pairs[j][0] == d
            ):
                n += 1
                j += 1
            if n > best[0]:
                best = (n, stride)
        out.extend([a, best[0], d, best[1]])
        i += best[0]
    return out


def generate():
    """The text of casedata.py, from CPython's Unicode data."""
    cps = _code_points()
    upper = [(cp, _simple(chr(cp).upper(), cp)) for cp in cps]
    lower = [(cp, _simple(chr(cp).lower(), cp)) for cp in cps]
    full_upper = []
    full_lower = []
    fold = []
    for cp in cps:
        c = chr(cp)
        if len(c.upper()) > 1:
            full_upper.extend([cp, c.upper()])
        if len(c.lower()) > 1:
            full_lower.extend([cp, c.lower()])
        if c.casefold() != c.lower():
            fold.extend([cp, c.casefold()])

    def block(name, items, per_line):
        lines = ["%s = (" % name]
        for k in range(0, len(items), per_line):
            lines.append("    " + " ".join(["%r," % x for x in items[k : k + per_line]]))
        lines.append(")")
        return "\n".join(lines)

    return (
        "\n\n".join(
            [
                '"""Unicode %s case data for casemap.py.\n\nGenerated from CPython %s by '
                'tests/firmware/test_lib_casemap.py; do not edit.\n"""\n\n# fmt: off'
                % (_unicode_version(), sys.version.split()[0]),
                "# simple mappings: (first code point, count, delta, stride) runs",
                block("UPPER", _ranges([p for p in upper if p[0] != p[1]]), 12),
                block("LOWER", _ranges([p for p in lower if p[0] != p[1]]), 12),
                "# full mappings and foldings that are not one code point: (code point, text)",
                block("FULL_UPPER", full_upper, 8),
                block("FULL_LOWER", full_lower, 8),
                block("FOLD", fold, 8),
            ]
        )
        + "\n"
    )


def _unicode_version():
    import unicodedata

    return unicodedata.unidata_version


def test_the_tables_match_cpython():
    if not CPYTHON:
        return
    from firmware.steel.lib import casedata  # noqa: F401

    with open(casedata.__file__) as f:
        committed = f.read()
    assert committed == generate(), "regenerate firmware/steel/lib/casedata.py"


def test_every_code_point_maps_as_cpython_does():
    if not CPYTHON:
        return
    for cp in _code_points():
        c = chr(cp)
        assert casemap.char_upcase(c) == chr(_simple(c.upper(), cp)), hex(cp)
        assert casemap.char_downcase(c) == chr(_simple(c.lower(), cp)), hex(cp)
        assert casemap.fold_string(c) == c.casefold(), hex(cp)
        assert casemap.upcase_string(c) == c.upper(), hex(cp)


def run(source):
    return write_string(Interpreter(output=lambda s: None).eval(source))


CASES = [
    ("(char-upcase #\\ß)", "#\\ß"),  # no one-char upper case: the char itself
    ("(char->integer (char-upcase #\\ß))", "223"),
    ("(char-upcase #\\σ)", "#\\Σ"),
    ("(char-upcase #\\ς)", "#\\Σ"),
    ("(char-downcase #\\Σ)", "#\\σ"),
    ("(char-downcase #\\ẞ)", "#\\ß"),
    ("(char-foldcase #\\Σ)", "#\\σ"),
    ("(char-foldcase #\\ς)", "#\\σ"),
    ("(char-foldcase #\\ß)", "#\\ß"),
    ("(char-foldcase #\\K)", "#\\k"),
    ("(char-ci=? #\\σ #\\Σ #\\ς)", "#true"),
    ("(char-ci=? #\\ẞ #\\ß)", "#true"),
    ("(char-ci<? #\\a #\\B)", "#true"),
    ('(string-upcase "straße")', '"STRASSE"'),
    ('(string-downcase "ὈΔΥΣΣΕΎΣ")', '"ὀδυσσεύς"'),  # final sigma
    ('(string-downcase "STRAẞE")', '"straße"'),
    ('(string-foldcase "Straße")', '"strasse"'),
    ('(string-ci=? "Straße" "STRASSE" "strasse" "STRAẞE")', "#true"),
    ('(string-ci=? "ὈΔΥΣΣΕΎΣ" "ὀδυσσεύσ")', "#true"),
    ('(string-ci=? "ﬃ" "ﬀi" "fﬁ" "ffi")', "#true"),
    ('(string-ci<? "apple" "BANANA")', "#true"),
    ('(string-upcase "hello")', '"HELLO"'),
    ("(char-alphabetic? #\\λ)", "#true"),
    ("(char-upper-case? #\\Λ)", "#true"),
    ("(char-lower-case? #\\λ)", "#true"),
]


def test_case_mapping_through_the_interpreter():
    failures = []
    for source, expected in CASES:
        got = run(source)
        if got != expected:
            failures.append("%s => %s, expected %s" % (source, got, expected))
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    sys.stdout.write(generate())
