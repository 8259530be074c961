"""Unicode case mapping and case folding, identical under CPython and MicroPython.

MicroPython maps only ASCII and has no ``casefold``, so everything beyond ASCII comes
from the tables in ``casedata`` (generated from CPython's Unicode data, loaded on first
use so that programs that stay in ASCII never pay for them):

* characters map to characters (``char-upcase``, ``char-downcase``): the one-character
  mapping, or the character itself when Unicode maps it to several (``ß``);
* strings use the full mappings (``(string-upcase "ß")`` is ``"SS"``, Greek capital sigma
  becomes final sigma at the end of a word) and full case folding (``"ﬃ"`` folds to
  ``"ffi"``), as CPython's ``str.upper``, ``lower`` and ``casefold`` do.
"""

_DATA = []  # [casedata module] once loaded
_FULL = {}  # "upper" / "lower" / "fold" -> {code point: text}
_SIGMA = "\u03a3"


def _data():
    if not _DATA:
        from . import casedata

        _DATA.append(casedata)
        for key, flat in (
            ("upper", casedata.FULL_UPPER),
            ("lower", casedata.FULL_LOWER),
            ("fold", casedata.FOLD),
        ):
            table = {}
            for i in range(0, len(flat), 2):
                table[flat[i]] = flat[i + 1]
            _FULL[key] = table
    return _DATA[0]


def _mapped(runs, cp):
    """The simple mapping of ``cp`` in (start, count, delta, stride) runs."""
    lo = 0
    hi = len(runs) // 4
    while lo < hi:  # the last run whose start is <= cp
        mid = (lo + hi) // 2
        if runs[4 * mid] <= cp:
            lo = mid + 1
        else:
            hi = mid
    if lo == 0:
        return cp
    k = 4 * (lo - 1)
    start, count, delta, stride = runs[k], runs[k + 1], runs[k + 2], runs[k + 3]
    offset = cp - start
    if offset % stride == 0 and offset // stride < count:
        return cp + delta
    return cp


def _ascii(s):
    return len(s.encode("utf-8")) == len(s)


def char_upcase(c):
    if c < "\x80":
        return c.upper()
    return chr(_mapped(_data().UPPER, ord(c)))


def char_downcase(c):
    if c < "\x80":
        return c.lower()
    return chr(_mapped(_data().LOWER, ord(c)))


def char_foldcase(c):
    """Simple case folding: the one-character folding (``ß`` stays ``ß``)."""
    if c < "\x80":
        return c.lower()
    _data()
    folded = _FULL["fold"].get(ord(c))
    if folded is not None and len(folded) == 1:
        return folded
    return char_downcase(c)


def is_cased(c):
    """True for a letter that has a case (it maps to another one, or to several)."""
    if c < "\x80":
        return "a" <= c <= "z" or "A" <= c <= "Z"
    _data()
    return char_upcase(c) != c or char_downcase(c) != c or ord(c) in _FULL["upper"]


def upcase_string(s):
    if _ascii(s):
        return s.upper()
    data = _data()
    full = _FULL["upper"]
    out = []
    for c in s:
        cp = ord(c)
        t = full.get(cp)
        out.append(t if t is not None else chr(_mapped(data.UPPER, cp)))
    return "".join(out)


def downcase_string(s):
    if _ascii(s):
        return s.lower()
    data = _data()
    full = _FULL["lower"]
    out = []
    n = len(s)
    for i in range(n):
        c = s[i]
        if c == _SIGMA and _final_sigma(s, i):
            out.append("\u03c2")
            continue
        cp = ord(c)
        t = full.get(cp)
        out.append(t if t is not None else chr(_mapped(data.LOWER, cp)))
    return "".join(out)


def _case_ignorable(c):
    return c in "'.:^`\u00b7\u2019" or 0x300 <= ord(c) <= 0x36F


def _final_sigma(s, i):
    """Unicode's Final_Sigma: a cased letter before (skipping case-ignorable ones), none
    after."""
    j = i - 1
    while j >= 0 and _case_ignorable(s[j]):
        j -= 1
    if j < 0 or not is_cased(s[j]):
        return False
    j = i + 1
    while j < len(s) and _case_ignorable(s[j]):
        j += 1
    return j >= len(s) or not is_cased(s[j])


def fold_string(s):
    """Full case folding (``casefold``): what case-insensitive comparison compares."""
    if _ascii(s):
        return s.lower()
    data = _data()
    fold = _FULL["fold"]
    lower = _FULL["lower"]
    out = []
    for c in s:
        cp = ord(c)
        t = fold.get(cp)
        if t is None:
            t = lower.get(cp)
        out.append(t if t is not None else chr(_mapped(data.LOWER, cp)))
    return "".join(out)
