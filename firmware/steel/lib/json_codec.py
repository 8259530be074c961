"""JSON encoding and decoding, without Python recursion and with stable key order.

Decoding (``json-decode``, Steel's ``string->jsexpr``):

* objects become hash maps whose keys are **symbols** (as in Steel), in document order
  (a repeated key keeps its first position and its last value);
* arrays become lists; strings become strings; ``true``/``false`` become #t/#f;
* ``null`` becomes the void value (as in Steel);
* integers without fraction or exponent become exact integers, other numbers floats (Steel
  makes every number a float).

Encoding (``json-encode``, Steel's ``value->jsexpr-string``) accepts hash maps (string or
symbol keys, insertion order), association lists (a non-empty list whose elements are all
pairs with a string or symbol car: each becomes the member ``car: cdr``, so ``(a . 1)``
gives ``"a":1`` and ``(a 1)`` gives ``"a":[1]``), other lists, vectors and hash sets
(arrays), strings, symbols and chars (strings), exact integers, finite floats, booleans and
void (null).  NaN and infinities are rejected, as are improper lists that are not alist
entries, cyclic structures and values with no JSON form.  A list of lists that each start
with a string or symbol is therefore an object; use vectors for arrays of such arrays.
"""

from ..errors import CONTRACT_VIOLATION, CONVERSION_ERROR, SteelError
from ..memory import CHAR, OBJECT, PAIR
from ..numtypes import Rational
from ..printer import format_float
from ..values import (
    NIL,
    VOID,
    Char,
    HashMap,
    HashSet,
    Pair,
    SrcPair,
    Symbol,
    hash_key,
    intern,
    new_table,
)
from ._util import need_str, show
from .hashes import ENTRY
from .realmath import ratio_to_float

_WS = " \t\n\r"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_QUOTE = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_HEX = "0123456789abcdefABCDEF"
_INF = float("inf")

_ARRAY = 0
_OBJECT = 1


class _Parser:
    __slots__ = ("s", "n", "meter", "who")

    def __init__(self, s, meter, who):
        self.s = s
        self.n = len(s)
        self.meter = meter
        self.who = who

    def fail(self, message, i):
        s = self.s
        line = s.count("\n", 0, i) + 1
        col = i - (s.rfind("\n", 0, i) + 1) + 1
        return SteelError(
            CONTRACT_VIOLATION,
            "%s: invalid JSON: %s at line %d column %d" % (self.who, message, line, col),
        )

    def ws(self, i):
        s = self.s
        n = self.n
        while i < n and s[i] in _WS:
            i += 1
        return i

    def expect(self, i, ch, what):
        i = self.ws(i)
        if i >= self.n or self.s[i] != ch:
            raise self.fail("expected %s" % what, i)
        return self.ws(i + 1)

    def string(self, i):
        """The string starting at the quote at ``i``, and the index after it."""
        s = self.s
        n = self.n
        i += 1
        parts = []
        while True:
            j = i
            while j < n:
                c = s[j]
                if c == '"' or c == "\\":
                    break
                if c < " ":
                    raise self.fail("control character in string", j)
                j += 1
            if j >= n:
                raise self.fail("unterminated string", n)
            if j > i:
                parts.append(s[i:j])
            if s[j] == '"':
                i = j + 1
                break
            if j + 1 >= n:
                raise self.fail("unterminated string", n)
            e = s[j + 1]
            if e == "u":
                code, i = self.hex4(j + 2)
                if 0xD800 <= code < 0xDC00 and s[i : i + 2] == "\\u":
                    low, k = self.hex4(i + 2)
                    if 0xDC00 <= low < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        i = k
                if 0xD800 <= code < 0xE000:
                    raise self.fail("lone surrogate \\u%04x" % code, j)
                parts.append(chr(code))
            else:
                r = _ESCAPES.get(e)
                if r is None:
                    raise self.fail("invalid escape \\%s" % e, j)
                parts.append(r)
                i = j + 2
        out = parts[0] if len(parts) == 1 else "".join(parts)
        self.meter.charge(OBJECT + CHAR * len(out))
        return out, i

    def hex4(self, i):
        h = self.s[i : i + 4]
        if len(h) < 4:
            raise self.fail("truncated \\u escape", i)
        for c in h:
            if c not in _HEX:
                raise self.fail("invalid \\u escape", i)
        return int(h, 16), i + 4

    def number(self, i):
        s = self.s
        n = self.n
        start = i
        if i < n and s[i] == "-":
            i += 1
        if i < n and s[i] == "0":
            i += 1
        elif i < n and "1" <= s[i] <= "9":
            while i < n and "0" <= s[i] <= "9":
                i += 1
        else:
            raise self.fail("invalid number", start)
        exact = True
        if i < n and s[i] == ".":
            exact = False
            i += 1
            j = i
            while i < n and "0" <= s[i] <= "9":
                i += 1
            if i == j:
                raise self.fail("invalid number", start)
        if i < n and s[i] in "eE":
            exact = False
            i += 1
            if i < n and s[i] in "+-":
                i += 1
            j = i
            while i < n and "0" <= s[i] <= "9":
                i += 1
            if i == j:
                raise self.fail("invalid number", start)
        text = s[start:i]
        try:
            return (int(text) if exact else float(text)), i
        except ValueError:  # CPython limits the length of integer literals
            pass
        raise self.fail("number too long", start)

    def key(self, i):
        i = self.ws(i)
        if i >= self.n or self.s[i] != '"':
            raise self.fail("expected a string key", i)
        name, i = self.string(i)
        i = self.expect(i, ":", "':'")
        return intern(name), i

    def parse(self):
        s = self.s
        n = self.n
        meter = self.meter
        stack = []
        i = self.ws(0)
        while True:
            # Parse one value starting at i.
            if i >= n:
                raise self.fail("unexpected end of input", i)
            c = s[i]
            if c == "{":
                i = self.ws(i + 1)
                if i < n and s[i] == "}":
                    meter.charge(OBJECT)
                    value = HashMap()
                    i += 1
                else:
                    k, i = self.key(i)
                    stack.append([_OBJECT, new_table(), k])
                    continue
            elif c == "[":
                i = self.ws(i + 1)
                if i < n and s[i] == "]":
                    value = NIL
                    i += 1
                else:
                    stack.append([_ARRAY, []])
                    continue
            elif c == '"':
                value, i = self.string(i)
            elif c == "-" or "0" <= c <= "9":
                value, i = self.number(i)
            elif s.startswith("true", i):
                value = True
                i += 4
            elif s.startswith("false", i):
                value = False
                i += 5
            elif s.startswith("null", i):
                value = VOID
                i += 4
            elif s.startswith("NaN", i) or s.startswith("Infinity", i):
                raise self.fail("NaN and Infinity are not JSON", i)
            else:
                raise self.fail("unexpected character %s" % show(c), i)
            # Attach the value to the open containers, closing those that end here.
            while True:
                i = self.ws(i)
                if not stack:
                    if i != n:
                        raise self.fail("unexpected text after the value", i)
                    return value
                top = stack[-1]
                if top[0] == _ARRAY:
                    top[1].append(value)
                    if i < n and s[i] == ",":
                        i = self.ws(i + 1)
                        break
                    if i < n and s[i] == "]":
                        i += 1
                        stack.pop()
                        items = top[1]
                        meter.charge(PAIR * len(items))
                        value = NIL
                        for j in range(len(items) - 1, -1, -1):
                            value = Pair(items[j], value)
                        continue
                    raise self.fail("expected ',' or ']'", i)
                table = top[1]
                k = top[2]
                meter.charge(ENTRY)
                table[hash_key(k)] = (k, value)
                if i < n and s[i] == ",":
                    top[2], i = self.key(i + 1)
                    break
                if i < n and s[i] == "}":
                    i += 1
                    stack.pop()
                    meter.charge(OBJECT)
                    value = HashMap(table)
                    continue
                raise self.fail("expected ',' or '}'", i)


def _quote(s, out):
    out.append('"')
    start = 0
    for i in range(len(s)):
        c = s[i]
        if c < " " or c == '"' or c == "\\":
            if i > start:
                out.append(s[start:i])
            e = _QUOTE.get(c)
            out.append(e if e is not None else "\\u%04x" % ord(c))
            start = i + 1
    if start < len(s):
        out.append(s[start:] if start else s)
    out.append('"')


def _is_entry(x):
    """Whether ``x`` can be an association-list entry: a pair with a string/symbol car."""
    if not (type(x) is Pair or type(x) is SrcPair):
        return False
    k = x.car
    return type(k) is str or type(k) is Symbol


_EXIT = object()


def encode(v, meter, who):
    parts = []  # finished chunks, already charged
    out = []  # recent pieces
    stack = [v]
    path = []  # ids of the open containers, innermost last
    open_ids = set()
    while stack:
        x = stack.pop()
        if x is _EXIT:
            open_ids.discard(path.pop())
            continue
        t = type(x)
        if t is tuple:  # literal text queued by a container
            out.append(x[0])
            continue
        if t is Rational:  # JSON has no fractions: the nearest float
            x = ratio_to_float(x.num, x.den)
            t = float
        if t is str:
            _quote(x, out)
        elif t is bool:
            out.append("true" if x else "false")
        elif t is int:
            out.append(str(x))
        elif t is float:
            if x != x or x == _INF or x == -_INF:
                raise SteelError(
                    CONVERSION_ERROR, "%s: %s has no JSON representation" % (who, format_float(x))
                )
            out.append(format_float(x))
        elif t is Symbol:
            _quote(x.name, out)
        elif t is Char:
            _quote(x.c, out)
        elif x is VOID:
            out.append("null")
        elif x is NIL:
            out.append("[]")
        else:
            entries = None
            if t is Pair or t is SrcPair:
                items = []
                y = x
                is_object = True
                while type(y) is Pair or type(y) is SrcPair:
                    items.append(y.car)
                    if is_object and not _is_entry(y.car):
                        is_object = False
                    y = y.cdr
                if y is not NIL:
                    raise SteelError(
                        CONVERSION_ERROR, "%s: cannot encode the improper list %s" % (who, show(x))
                    )
                if is_object:
                    entries = [(e.car, e.cdr) for e in items]
            elif t is list:
                items = x
            elif t is HashSet:
                items = x.elements()
            elif t is HashMap:
                entries = x.items()
                for k, _ in entries:
                    if type(k) is not str and type(k) is not Symbol:
                        raise SteelError(
                            CONVERSION_ERROR,
                            "%s: object keys must be strings or symbols, found %s" % (who, show(k)),
                        )
            else:
                raise SteelError(
                    CONVERSION_ERROR, "%s: %s has no JSON representation" % (who, show(x))
                )
            ident = id(x)
            if ident in open_ids:
                raise SteelError(CONVERSION_ERROR, "%s: cannot encode a cyclic structure" % who)
            open_ids.add(ident)
            path.append(ident)
            stack.append(_EXIT)
            if entries is None:
                out.append("[")
                stack.append(("]",))
                for i in range(len(items) - 1, -1, -1):
                    stack.append(items[i])
                    if i:
                        stack.append((",",))
            else:
                out.append("{")
                stack.append(("}",))
                for i in range(len(entries) - 1, -1, -1):
                    k, val = entries[i]
                    stack.append(val)
                    stack.append((_key_text(k),))
                    if i:
                        stack.append((",",))
        if len(out) >= 256:
            chunk = "".join(out)
            meter.charge(OBJECT + CHAR * len(chunk))
            parts.append(chunk)
            out = []
    if parts:
        parts.extend(out)
        out = parts
    result = "".join(out)
    meter.charge(OBJECT + CHAR * len(result))
    return result


def _key_text(k):
    out = []
    _quote(k if type(k) is str else k.name, out)
    out.append(":")
    return "".join(out)


def install(lib):
    meter = lib.meter
    d = lib.define

    def decoder(who):
        def json_decode(s):
            need_str(who, s, 1)
            return _Parser(s, meter, who).parse()

        return json_decode

    def encoder(who):
        def json_encode(v):
            return encode(v, meter, who)

        return json_encode

    d(
        "json-decode",
        decoder("json-decode"),
        1,
        1,
        "(json-decode s) — the value of the JSON text s (objects become hash maps with "
        "symbol keys, arrays lists, null void)",
    )
    d(
        "json-encode",
        encoder("json-encode"),
        1,
        1,
        "(json-encode v) — the JSON text of v (hash maps and alists become objects, lists "
        "and vectors arrays, void null)",
    )
    d("string->jsexpr", decoder("string->jsexpr"), 1, 1, "(string->jsexpr s) — same as json-decode")
    d(
        "value->jsexpr-string",
        encoder("value->jsexpr-string"),
        1,
        1,
        "(value->jsexpr-string v) — same as json-encode",
    )
