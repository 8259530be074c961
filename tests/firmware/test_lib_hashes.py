from firmware.steel.values import NIL, HashMap, HashSet

from .test_lib_support import call, fails, lst, make_lib, sym, w

TM = "TypeMismatch"
GEN = "Generic"
CV = "ContractViolation"
OOM = "OutOfMemory"
ARITY = "ArityMismatch"


def test_hash_construct_and_lookup():
    h = call("hash", sym("a"), 10, sym("b"), 20)
    assert type(h) is HashMap
    assert call("hash-ref", h, sym("b")) == 20
    assert call("hash-get", h, sym("a")) == 10
    e = fails(CV, "hash-ref", h, sym("zz"))
    assert "zz" in e.message
    e = fails(CV, "hash-get", h, "a")
    assert "hash-get" in e.message
    assert call("hash-try-get", h, sym("a")) == 10
    assert call("hash-try-get", h, sym("zz")) is False
    assert call("hash-contains?", h, sym("a")) is True
    assert call("hash-contains?", h, "a") is False
    assert call("hash-length", h) == 2
    assert call("hash-empty?", h) is False
    assert call("hash-empty?", call("hash")) is True
    fails(ARITY, "hash", sym("a"))
    for name in ("hash-ref", "hash-get", "hash-try-get", "hash-contains?"):
        fails(TM, name, lst(1), 1)
    for name in (
        "hash-length",
        "hash-empty?",
        "hash-keys->list",
        "hash-values->list",
        "hash->list",
        "hash-keys->vector",
        "hash-values->vector",
        "hash-clear",
    ):
        fails(TM, name, call("hashset"))


def test_keys_distinguish_exactness_and_structure():
    h = call("hash", 1, "int", 1.0, "float", True, "bool", lst(1, 2), "list", "1", "string")
    assert call("hash-length", h) == 5
    assert call("hash-ref", h, 1) == "int"
    assert call("hash-ref", h, 1.0) == "float"
    assert call("hash-ref", h, True) == "bool"
    assert call("hash-ref", h, lst(1, 2)) == "list"
    assert call("hash-ref", h, "1") == "string"
    fails(CV, "hash-ref", h, 2)


def test_functional_update_and_order():
    h0 = call("hash", sym("a"), 1)
    h1 = call("hash-insert", h0, sym("b"), 2)
    h2 = call("hash-insert", h1, sym("a"), 3)
    assert call("hash-length", h0) == 1
    assert call("hash-ref", h2, sym("a")) == 3
    assert call("hash-ref", h1, sym("a")) == 1
    assert w(call("hash-keys->list", h2)) == "(a b)"
    assert w(call("hash-values->list", h2)) == "(3 2)"
    assert w(call("hash->list", h2)) == "((a . 3) (b . 2))"
    assert call("hash-keys->vector", h2) == [sym("a"), sym("b")]
    assert call("hash-values->vector", h2) == [3, 2]
    h3 = call("hash-remove", h2, sym("a"))
    assert w(call("hash->list", h3)) == "((b . 2))"
    assert call("hash-remove", h3, sym("zz")) is h3
    assert call("hash-length", h2) == 2
    many = call("hash")
    for i in range(50):
        many = call("hash-insert", many, 49 - i, i)
    assert to_py(call("hash-keys->list", many)) == list(range(49, -1, -1))
    fails(TM, "hash-insert", lst(1), 1, 2)
    fails(TM, "hash-remove", NIL, 1)


def to_py(lst_value):
    out = []
    while lst_value is not NIL:
        out.append(lst_value.car)
        lst_value = lst_value.cdr
    return out


def test_union_and_clear():
    a = call("hash", sym("x"), 1, sym("y"), 2)
    b = call("hash", sym("y"), 20, sym("z"), 30)
    u = call("hash-union", a, b)
    assert w(call("hash->list", u)) == "((x . 1) (y . 2) (z . 30))"
    assert call("hash-length", call("hash-clear", a)) == 0
    assert call("hash-length", a) == 2
    fails(TM, "hash-union", a, lst(1))
    fails(TM, "hash-union", 1, a)


def test_hashsets():
    s = call("hashset", 10, 20, 30, 20)
    assert type(s) is HashSet
    assert call("hashset-length", s) == 3
    assert call("hashset-contains?", s, 20) is True
    assert call("hashset-contains?", s, 20.0) is False
    assert w(call("hashset->list", s)) == "(10 20 30)"
    assert call("hashset->vector", s) == [10, 20, 30]
    s2 = call("hashset-insert", s, 40)
    assert call("hashset-length", s) == 3 and call("hashset-length", s2) == 4
    s3 = call("hashset-remove", s2, 10)
    assert w(call("hashset->list", s3)) == "(20 30 40)"
    assert call("hashset-remove", s3, 99) is s3
    assert w(call("hashset->list", call("list->hashset", lst(3, 1, 3, 2)))) == "(3 1 2)"
    a = call("hashset", 10, 20, 30)
    b = call("hashset", 20, 30, 40)
    assert w(call("hashset->list", call("hashset-union", a, b))) == "(10 20 30 40)"
    assert w(call("hashset->list", call("hashset-intersection", a, b))) == "(20 30)"
    # Steel's hashset-difference is the symmetric difference.
    assert w(call("hashset->list", call("hashset-difference", a, b))) == "(10 40)"
    assert call("hashset-subset?", call("hashset", 20), a) is True
    assert call("hashset-subset?", b, a) is False
    assert call("hashset-length", call("hashset-clear", a)) == 0
    for name in ("hashset-length", "hashset->list", "hashset->vector", "hashset-clear"):
        fails(TM, name, call("hash"))
    for name in ("hashset-insert", "hashset-remove", "hashset-contains?"):
        fails(TM, name, lst(1), 1)
    for name in ("hashset-union", "hashset-intersection", "hashset-difference", "hashset-subset?"):
        fails(TM, name, a, lst(1))
        fails(TM, name, call("hash"), a)
    fails(TM, "list->hashset", 5)


def test_maps_are_metered():
    small = make_lib(5000)
    h = call("hash")
    for i in range(300):
        h = call("hash-insert", h, i, i)
    fails(OOM, "hash-insert", h, -1, 0, lib=small)
    small = make_lib(5000)
    fails(OOM, "hashset", *range(300), lib=small)
    small = make_lib(5000)
    fails(OOM, "hash->list", h, lib=small)
