from firmware.steel.values import (
    EOF,
    NIL,
    VOID,
    HashMap,
    Pair,
    Struct,
    StructType,
    Symbol,
)

from .test_lib_support import LIB, call, ch, fails, lst, make_lib, sym, w

GEN = "Generic"
CONV = "ConversionError"
CV = "ContractViolation"
TM = "TypeMismatch"
OOM = "OutOfMemory"


def dec(text):
    return call("json-decode", text)


def enc(v):
    return call("json-encode", v)


def test_decode_scalars():
    assert dec("1") == 1 and type(dec("1")) is int
    assert dec("-0") == 0
    assert dec("12345678901234567890") == 12345678901234567890
    assert dec("1.5") == 1.5
    assert dec("-2.5e2") == -250.0
    assert dec("1E-2") == 0.01
    assert type(dec("1e2")) is float
    assert dec("true") is True
    assert dec("false") is False
    assert dec("null") is VOID
    assert dec('"hi"') == "hi"
    assert dec('  "x"  \n') == "x"
    assert dec('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"') == 'a"b\\c/d\b\f\n\r\t'
    assert dec('"\\u00e9\\u0041"') == "éA"
    assert dec('"\\ud83d\\ude00"') == "\U0001f600"
    assert dec('"é✅"') == "é✅"


def test_decode_containers_keep_order():
    v = dec('{"zeta": 1, "alpha": [1, 2, {"b": null}], "mid": {}, "b": "x", "a": []}')
    assert type(v) is HashMap
    keys = call("hash-keys->list", v)
    assert w(keys) == "(zeta alpha mid b a)"
    assert type(keys.car) is Symbol
    assert call("hash-ref", v, sym("zeta")) == 1
    assert w(call("hash-ref", v, sym("alpha"))) == "(1 2 #hash((b . #<void>)))"
    assert call("hash-ref", v, sym("a")) is NIL
    assert call("hash-length", call("hash-ref", v, sym("mid"))) == 0
    dup = dec('{"a": 1, "b": 2, "a": 3}')
    assert w(call("hash->list", dup)) == "((a . 3) (b . 2))"
    assert dec("[]") is NIL
    assert w(dec("[1, [2, [3]], true]")) == "(1 (2 (3)) #true)"


def test_decode_errors():
    bad = [
        "",
        "   ",
        "[1, 2",
        "[1 2]",
        "[1,]",
        '{"a" 1}',
        '{"a": 1,}',
        "{1: 2}",
        '{"a": 1',
        '"abc',
        '"a\\qb"',
        '"\\u12"',
        '"\\uzzzz"',
        '"\\ud800"',
        '"tab\tinside"',
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "NaN",
        "Infinity",
        "-Infinity",
        "nul",
        "tru",
        "[1] 2",
        "'single'",
        '{"a": 1} x',
    ]
    for text in bad:
        e = fails(CV, "json-decode", text)
        assert "invalid JSON" in e.message, text
    e = fails(CV, "json-decode", '{\n  "a": 1,\n  "b": x\n}')
    assert "line 3 column 8" in e.message
    e = fails(CV, "json-decode", "NaN")
    assert "NaN" in e.message
    fails(TM, "json-decode", 5)
    fails(TM, "json-decode", sym("x"))
    e = fails(CV, "string->jsexpr", "[")
    assert e.message.startswith("string->jsexpr")


def test_encode_scalars():
    assert enc(1) == "1"
    assert enc(-(2**70)) == "-1180591620717411303424"
    assert enc(1.5) == "1.5"
    assert enc(2.0) == "2.0"
    assert enc(True) == "true"
    assert enc(False) == "false"
    assert enc(VOID) == "null"
    assert enc('a"b\\c\n\t\x01é') == '"a\\"b\\\\c\\n\\t\\u0001é"'
    assert enc(sym("sym")) == '"sym"'
    assert enc(ch("c")) == '"c"'
    assert enc(NIL) == "[]"


def test_encode_containers_keep_order():
    h = call("hash", sym("zeta"), 1, "alpha", lst(1, 2), sym("mid"), call("hash"))
    assert enc(h) == '{"zeta":1,"alpha":[1,2],"mid":{}}'
    assert enc([1, "two", [3]]) == '[1,"two",[3]]'
    assert enc(lst(1, lst(2, 3))) == "[1,[2,3]]"
    assert enc(call("hashset", 3, 1, 2)) == "[3,1,2]"
    alist = lst(Pair(sym("temp"), 21.5), Pair("unit", "C"), Pair(sym("tags"), [1, 2]))
    assert enc(alist) == '{"temp":21.5,"unit":"C","tags":[1,2]}'
    # Every element a pair with a string/symbol car: an alist, even when the cdr is a list.
    assert enc(lst(lst(sym("a"), 1), lst(sym("b"), 2))) == '{"a":[1],"b":[2]}'
    quoted = lst(Pair(sym("temperature"), sym("temp")), lst(sym("timestamp"), sym("now")))
    assert enc(quoted) == '{"temperature":"temp","timestamp":["now"]}'
    # Arrays of arrays: vectors, or lists whose elements do not start with a key.
    assert enc([[sym("a"), 1], [sym("b"), 2]]) == '[["a",1],["b",2]]'
    assert enc(lst(lst(1, 2), lst(3))) == "[[1,2],[3]]"
    assert enc(lst(lst(sym("a"), 1), 5)) == '[["a",1],5]'
    # A dotted pair that is not part of an alist has no JSON form.
    fails(CONV, "json-encode", lst(Pair(sym("a"), 1), 5))
    many = call("hash")
    for i in range(40):
        many = call("hash-insert", many, "k%d" % (39 - i), i)
    text = enc(many)
    assert text.startswith('{"k39":0,"k38":1,') and text.endswith('"k0":39}')


def test_encode_errors():
    fails(CONV, "json-encode", float("nan"))
    e = fails(CONV, "json-encode", lst(1, float("inf")))
    assert "+inf.0" in e.message
    fails(CONV, "json-encode", -float("inf"))
    fails(CONV, "json-encode", Pair(1, 2))
    e = fails(CONV, "json-encode", call("hash", 1, 2))
    assert "keys" in e.message
    fails(CONV, "json-encode", LIB.table["car"])
    fails(CONV, "json-encode", EOF)
    fails(CONV, "json-encode", Struct(StructType("p", ["x"]), [1]))
    cyc = [1]
    cyc.append(cyc)
    e = fails(CONV, "json-encode", cyc)
    assert "cyclic" in e.message
    e = fails(CONV, "value->jsexpr-string", float("nan"))
    assert e.message.startswith("value->jsexpr-string")


def test_round_trip():
    text = '{"id":7,"ok":true,"none":null,"vals":[1.5,-2,"s",[],{}],"nested":{"x":{"y":[0]}}}'
    assert enc(dec(text)) == text
    assert enc(dec("[]")) == "[]"
    shared = [1]
    assert enc([shared, shared]) == "[[1],[1]]"  # shared, not cyclic


def test_deep_nesting_is_iterative():
    depth = 10000
    text = "[" * depth + "1" + "]" * depth
    v = dec(text)
    assert enc(v) == text
    text = '{"a":' * depth + "null" + "}" * depth
    v = dec(text)
    assert enc(v) == text
    nested = []
    for _ in range(depth):
        nested = [nested]
    assert enc(nested) == "[" * (depth + 1) + "]" * (depth + 1)


def test_long_documents():
    items = ",".join([str(i) for i in range(20000)])
    v = dec("[" + items + "]")
    assert call("length", v) == 20000
    assert enc(v) == "[" + items + "]"


def test_json_is_metered():
    small = make_lib(20000)
    fails(OOM, "json-decode", "[" + ",".join(["1"] * 5000) + "]", lib=small)
    small = make_lib(20000)
    fails(OOM, "json-decode", '["' + "x" * 30000 + '"]', lib=small)
    small = make_lib(20000)
    fails(OOM, "json-encode", ["x" * 100] * 500, lib=small)


def test_more_decode_errors():
    e = fails(CV, "json-decode", '"abc\\')
    assert "unterminated" in e.message
    # CPython limits integer literals to 4300 digits; MicroPython does not.
    try:
        assert dec("1" + "0" * 5000) == 10**5000
    except Exception as e:  # noqa: BLE001 - must be a Steel error
        assert e.kind == CV and "too long" in e.message
