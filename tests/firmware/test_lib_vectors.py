from firmware.steel.values import NIL, VOID, Pair

from .test_lib_support import call, ch, fails, lst, make_lib, w

TM = "TypeMismatch"
GEN = "Generic"
CV = "ContractViolation"
OOM = "OutOfMemory"


def test_construct_and_access():
    v = call("vector", 1, "a", 2.5)
    assert v == [1, "a", 2.5]
    assert call("vector") == []
    assert call("make-vector", 3) == [0, 0, 0]
    assert call("make-vector", 2, "x") == ["x", "x"]
    assert call("make-vector", 0) == []
    fails(CV, "make-vector", -1)
    fails(TM, "make-vector", 2.0)
    assert call("vector-ref", v, 0) == 1
    assert call("vector-ref", v, 2) == 2.5
    e = fails(CV, "vector-ref", v, 3)
    assert "length 3" in e.message
    fails(CV, "vector-ref", v, -1)
    fails(TM, "vector-ref", v, 1.0)
    fails(TM, "vector-ref", v, True)
    fails(TM, "vector-ref", lst(1), 0)
    assert call("vector-set!", v, 1, "b") is VOID
    assert v[1] == "b"
    fails(CV, "vector-set!", v, 3, 0)
    fails(CV, "vector-set!", v, -1, 0)
    fails(TM, "vector-set!", v, "0", 0)
    fails(TM, "vector-set!", "abc", 0, 0)
    assert call("vector-length", v) == 3
    fails(TM, "vector-length", lst(1))


def test_fill_copy_append():
    v = [1, 2, 3, 4, 5]
    assert call("vector-fill!", v, 9, 1, 4) is VOID
    assert v == [1, 9, 9, 9, 5]
    call("vector-fill!", v, 0)
    assert v == [0, 0, 0, 0, 0]
    call("vector-fill!", v, 7, 3)
    assert v == [0, 0, 0, 7, 7]
    fails(CV, "vector-fill!", v, 0, 0, 6)
    fails(CV, "vector-fill!", v, 0, -1)
    fails(TM, "vector-fill!", lst(1), 0)
    src = [1, 2, 3]
    c = call("vector-copy", src)
    assert c == src and c is not src
    assert call("vector-copy", src, 1) == [2, 3]
    assert call("vector-copy", src, 1, 2) == [2]
    fails(CV, "vector-copy", src, 2, 1)
    fails(TM, "vector-copy", "abc")
    dest = [10, 20, 30, 40, 50]
    assert call("vector-copy!", dest, 1, [1, 2, 3, 4, 5], 2, 4) is VOID
    assert dest == [10, 3, 4, 40, 50]
    same = [1, 2, 3, 4, 5]
    call("vector-copy!", same, 1, same, 0, 3)
    assert same == [1, 1, 2, 3, 5]
    fails(CV, "vector-copy!", [1, 2], 1, [1, 2])
    fails(CV, "vector-copy!", [1, 2], 3, [])
    fails(CV, "vector-copy!", [1, 2], -1, [1])
    fails(TM, "vector-copy!", [1, 2], 0, lst(1))
    assert call("vector-append", [1], [], [2, 3]) == [1, 2, 3]
    assert call("vector-append") == []
    e = fails(TM, "vector-append", [1], lst(2))
    assert "argument 2" in e.message


def test_conversions():
    assert w(call("vector->list", [1, 2, 3])) == "(1 2 3)"
    assert w(call("vector->list", [1, 2, 3], 1)) == "(2 3)"
    assert w(call("vector->list", [1, 2, 3], 1, 2)) == "(2)"
    assert call("vector->list", []) is NIL
    fails(CV, "vector->list", [1], 0, 2)
    fails(TM, "vector->list", lst(1))
    assert call("list->vector", lst(1, 2)) == [1, 2]
    assert call("list->vector", NIL) == []
    fails(TM, "list->vector", Pair(1, 2))
    assert call("vector->string", [ch("a"), ch("b")]) == "ab"
    assert call("vector->string", [ch("a"), ch("b"), ch("c")], 1) == "bc"
    fails(TM, "vector->string", [ch("a"), "b"])
    fails(TM, "vector->string", "ab")
    v = [1]
    assert call("vector-push!", v, 2) is VOID
    assert v == [1, 2]
    fails(TM, "vector-push!", lst(1), 2)


def test_vectors_are_metered():
    fails(OOM, "make-vector", 1000000000, 0)  # too large even without a limit
    small = make_lib(10000)
    fails(OOM, "make-vector", 100000, 0, lib=small)
    small = make_lib(10000)
    fails(OOM, "vector-append", [0] * 2000, [0] * 2000, lib=small)
    small = make_lib(10000)
    fails(OOM, "list->vector", call("range", 5000), lib=small)
    small = make_lib(10000)
    fails(OOM, "vector->list", [0] * 2000, lib=small)
