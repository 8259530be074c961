from firmware.steel.ports import OutputPort
from firmware.steel.values import (
    EOF,
    NIL,
    VOID,
    Char,
    HashMap,
    HashSet,
    Pair,
    SrcPair,
    Struct,
    StructType,
    intern,
)

from .test_lib_support import LIB, call, ch, lst, sym

NAN = float("nan")


def test_eq():
    a = lst(1, 2)
    assert call("eq?", a, a) is True
    assert call("eq?", lst(1, 2), lst(1, 2)) is False
    assert call("eq?", sym("a"), sym("a")) is True
    assert call("eq?", NIL, NIL) is True
    assert call("eq?", 5, 5) is True
    assert call("eq?", 2**80, 2**80) is True
    assert call("eq?", 1, 1.0) is False
    assert call("eq?", 1, True) is False
    assert call("eq?", 0, False) is False
    assert call("eq?", ch("a"), ch("a")) is True
    assert call("eq?", Char("a"), Char("a")) is True  # even a char made outside char()
    assert call("eq?", [], []) is False
    assert call("eq?", VOID, VOID) is True


def test_eqv():
    assert call("eqv?", 1, 1) is True
    assert call("eqv?", 1.5, 1.5) is True
    assert call("eqv?", 1, 1.0) is False
    assert call("eqv?", 0.0, -0.0) is False
    assert call("eqv?", NAN, NAN) is True
    assert call("eqv?", 1.0, 2.0) is False
    assert call("eqv?", 2.0, 2) is False
    assert call("eqv?", ch("x"), Char("x")) is True
    assert call("eqv?", ch("x"), ch("y")) is False
    assert call("eqv?", lst(1), lst(1)) is False
    assert call("eqv?", sym("a"), sym("a")) is True
    assert call("eqv?", "a", 1) is False


def test_equal_distinguishes_exactness_and_booleans():
    assert call("equal?", 1, 1) is True
    assert call("equal?", 1, 1.0) is False
    assert call("equal?", 1, True) is False
    assert call("equal?", 0, False) is False
    assert call("equal?", True, True) is True
    assert call("equal?", 1.0, 1.0) is True
    assert call("equal?", NAN, NAN) is True
    assert call("equal?", "abc", "abc") is True
    assert call("equal?", "abc", "abd") is False
    assert call("equal?", ch("a"), Char("a")) is True
    assert call("equal?", sym("a"), sym("b")) is False
    assert call("equal?", lst(1, 2), lst(1, 2.0)) is False


def test_equal_structures():
    assert call("equal?", lst(1, lst(2, 3), "x"), lst(1, lst(2, 3), "x")) is True
    assert call("equal?", lst(1, 2), lst(1, 2, 3)) is False
    assert call("equal?", lst(1, 2, 3), lst(1, 2)) is False
    assert call("equal?", Pair(1, 2), Pair(1, 2)) is True
    assert call("equal?", Pair(1, 2), Pair(1, 3)) is False
    assert call("equal?", Pair(1, 2), lst(1, 2)) is False
    assert call("equal?", SrcPair(1, NIL, (1, 1)), lst(1)) is True
    assert call("equal?", [1, [2, "a"]], [1, [2, "a"]]) is True
    assert call("equal?", [1, 2], [1, 2, 3]) is False
    assert call("equal?", [1], lst(1)) is False
    assert call("equal?", NIL, NIL) is True
    assert call("equal?", NIL, []) is False
    h1 = call("hash", sym("a"), 1, sym("b"), lst(1, 2))
    h2 = call("hash", sym("b"), lst(1, 2), sym("a"), 1)
    assert call("equal?", h1, h2) is True  # order does not matter for equality
    assert call("equal?", h1, call("hash", sym("a"), 1)) is False
    assert call("equal?", h1, call("hash", sym("a"), 1, sym("b"), lst(1, 3))) is False
    assert call("equal?", h1, call("hash", sym("a"), 1, sym("c"), lst(1, 2))) is False
    assert call("equal?", call("hashset", 1, 2), call("hashset", 2, 1)) is True
    assert call("equal?", call("hashset", 1, 2), call("hashset", 1, 3)) is False
    assert call("equal?", call("hashset", 1), call("hashset", 1, 2)) is False
    assert call("equal?", HashMap(), HashSet()) is False


def test_equal_structs():
    point = StructType("point", ["x", "y"])
    opaque = StructType("secret", ["v"], transparent=False)
    cell = StructType("cell", ["v"], mutable=True)
    assert call("equal?", Struct(point, [1, 2]), Struct(point, [1, 2])) is True
    assert call("equal?", Struct(point, [1, 2]), Struct(point, [1, 3])) is False
    assert call("equal?", Struct(opaque, [1]), Struct(opaque, [1])) is True  # fields, as Steel
    assert call("equal?", Struct(opaque, [1]), Struct(opaque, [2])) is False
    s = Struct(opaque, [1])
    assert call("equal?", s, s) is True
    a = Struct(cell, [None])
    b = Struct(cell, [None])
    a.fields[0] = a
    b.fields[0] = b
    assert call("equal?", a, b) is True
    assert call("equal?", Struct(point, [1, 2]), Struct(cell, [1])) is False


def test_equal_is_iterative():
    deep1 = NIL
    deep2 = NIL
    for _ in range(10000):
        deep1 = Pair(deep1, NIL)
        deep2 = Pair(deep2, NIL)
    assert call("equal?", deep1, deep2) is True
    long1 = call("range", 100000)
    long2 = call("range", 100000)
    assert call("equal?", long1, long2) is True
    v1 = []
    v2 = []
    for _ in range(10000):
        v1 = [v1]
        v2 = [v2]
    assert call("equal?", v1, v2) is True
    c1 = [1, None]
    c1[1] = c1
    c2 = [1, None]
    c2[1] = c2
    assert call("equal?", c1, c2) is True  # cycles terminate


def test_not_and_type_predicates():
    assert call("not", False) is True
    assert call("not", True) is False
    assert call("not", NIL) is False
    assert call("not", 0) is False
    table = [
        ("boolean?", [True, False], [0, NIL, "#f"]),
        ("bool?", [True], [1]),
        ("char?", [ch("a")], ["a", 97]),
        ("string?", ["", "abc"], [ch("a"), sym("a")]),
        ("symbol?", [sym("a"), intern("b c")], ["a"]),
        ("vector?", [[], [1]], [lst(1), "v"]),
        ("hash?", [HashMap()], [HashSet(), []]),
        ("set?", [HashSet()], [HashMap()]),
        ("hashset?", [HashSet()], [[]]),
        ("void?", [VOID], [NIL, False]),
        ("null?", [NIL], [[], False, 0, lst(1)]),
        ("empty?", [NIL], [[], ""]),
        ("pair?", [lst(1), Pair(1, 2)], [NIL, [1]]),
        ("list?", [NIL, lst(1, 2)], [Pair(1, 2), [1], "x"]),
        ("struct?", [Struct(StructType("p", []), [])], [[1]]),
        ("procedure?", [LIB.table["car"]], ["car", sym("car")]),
        ("function?", [LIB.table["cons"]], [1]),
    ]
    for name, yes, no in table:
        for v in yes:
            assert call(name, v) is True, (name, v)
        for v in no:
            assert call(name, v) is False, (name, v)
    assert call("list?", call("range", 100000)) is True
    assert LIB.table["void"] is VOID  # a value in Steel
    assert call("eof-object?", EOF) is True
    assert call("output-port?", OutputPort()) is True


def test_equal_and_eqv_edge_cases():
    assert call("eqv?", NAN, 1.0) is False
    assert call("eqv?", 1.0, NAN) is False
    assert call("equal?", lst(1), SrcPair(1, NIL, (1, 1))) is True
    assert call("equal?", 1.0, 2.0) is False
    assert call("equal?", NAN, 1.0) is False
    assert call("equal?", ch("a"), ch("b")) is False
    assert call("equal?", lst(ch("a")), lst(Char("a"))) is True
