from firmware.steel.values import NIL, Pair, SrcPair, to_list

from .test_lib_support import call, ch, fails, lst, make_lib, sym, w

TM = "TypeMismatch"
GEN = "Generic"
CV = "ContractViolation"
OOM = "OutOfMemory"


def test_cons_car_cdr():
    p = call("cons", 1, 2)
    assert type(p) is Pair and p.car == 1 and p.cdr == 2
    assert w(call("cons", 1, NIL)) == "(1)"
    assert call("car", lst(1, 2)) == 1
    assert w(call("cdr", lst(1, 2))) == "(2)"
    assert call("car", SrcPair("x", NIL, (1, 1))) == "x"
    assert call("cdr", SrcPair("x", NIL, (1, 1))) is NIL
    e = fails(TM, "car", NIL)
    assert "empty" in e.message
    fails(TM, "cdr", NIL)
    fails(TM, "car", 5)
    fails(TM, "cdr", "abc")
    fails(TM, "car", [1])


def test_cxr():
    tree = lst(lst(1, 2), lst(3, 4), 5, 6)
    assert call("caar", tree) == 1
    assert w(call("cdar", tree)) == "(2)"
    assert w(call("cadr", tree)) == "(3 4)"
    assert w(call("cddr", tree)) == "(5 6)"
    assert call("caddr", tree) == 5
    assert call("cadddr", tree) == 6
    assert call("cddddr", tree) is NIL
    assert call("cadar", tree) == 2
    assert call("caadr", tree) == 3
    assert w(call("cdadr", tree)) == "(4)"
    assert call("cddar", tree) is NIL
    assert w(call("cdddr", tree)) == "(6)"
    deep = lst(lst(lst(7)))
    assert call("caaar", deep) == 7
    assert call("cdaar", deep) is NIL
    e = fails(TM, "caddr", lst(1, 2))
    assert "cdddr" not in e.message
    fails(TM, "cadr", Pair(1, 2))
    fails(TM, "caar", lst(1))


def test_first_rest_second_third_last():
    assert call("first", lst(1, 2, 3)) == 1
    assert w(call("rest", lst(1, 2, 3))) == "(2 3)"
    assert call("second", lst(1, 2, 3)) == 2
    assert call("third", lst(1, 2, 3)) == 3
    assert call("last", lst(1, 2, 3)) == 3
    assert call("last", lst(9)) == 9
    assert w(call("last-pair", lst(1, 2, 3))) == "(3)"
    assert w(call("last-pair", Pair(1, Pair(2, 3)))) == "(2 . 3)"
    fails(TM, "first", NIL)
    fails(TM, "rest", NIL)
    fails(TM, "first", 1)
    fails(TM, "rest", "x")
    e = fails(CV, "second", lst(1))
    assert "length 1" in e.message
    fails(CV, "third", lst(1, 2))
    fails(TM, "second", 5)
    fails(TM, "third", Pair(1, Pair(2, 3)))
    fails(TM, "last", NIL)
    fails(TM, "last", Pair(1, 2))
    fails(TM, "last", 7)
    fails(TM, "last-pair", NIL)


def test_list_length_append_reverse():
    assert call("list") is NIL
    assert w(call("list", 1, "a", sym("b"))) == '(1 "a" b)'
    assert call("length", NIL) == 0
    assert call("length", lst(1, 2, 3)) == 3
    fails(TM, "length", Pair(1, 2))
    fails(TM, "length", 5)
    assert call("append") is NIL
    assert w(call("append", lst(1, 2), lst(3), NIL, lst(4, 5))) == "(1 2 3 4 5)"
    assert w(call("append", lst(1), 2)) == "(1 . 2)"
    tail = lst(9)
    assert call("append", NIL, tail) is tail
    a = lst(1, 2)
    r = call("append", a, lst(3))
    assert w(a) == "(1 2)" and w(r) == "(1 2 3)"
    fails(TM, "append", 1, lst(2))
    fails(TM, "append", Pair(1, 2), NIL)
    assert w(call("reverse", lst(1, 2, 3))) == "(3 2 1)"
    assert call("reverse", NIL) is NIL
    fails(TM, "reverse", Pair(1, 2))
    fails(TM, "reverse", [1, 2])
    c = call("list-copy", a)
    assert w(c) == "(1 2)" and c is not a
    assert call("list-copy", NIL) is NIL
    fails(TM, "list-copy", 3)


def test_indexing():
    l3 = lst(10, 20, 30)
    assert call("list-ref", l3, 0) == 10
    assert call("list-ref", l3, 2) == 30
    e = fails(CV, "list-ref", l3, 3)
    assert "3" in e.message
    fails(CV, "list-ref", l3, -1)
    fails(TM, "list-ref", l3, 1.0)
    fails(TM, "list-ref", 5, 0)
    assert call("try-list-ref", l3, 1) == 20
    assert call("try-list-ref", l3, 5) is False
    fails(CV, "try-list-ref", l3, -1)
    assert w(call("list-tail", l3, 1)) == "(20 30)"
    assert call("list-tail", l3, 3) is NIL
    assert call("list-tail", 5, 0) == 5
    fails(CV, "list-tail", l3, 4)
    fails(CV, "list-tail", l3, -1)
    assert w(call("take", l3, 2)) == "(10 20)"
    assert call("take", l3, 0) is NIL
    assert w(call("take", l3, 3)) == "(10 20 30)"
    assert w(call("take", l3, 4)) == "(10 20 30)"  # as Steel: the whole list
    fails(CV, "take", l3, -1)
    fails(TM, "take", Pair(1, 2), 1)
    assert w(call("drop", l3, 1)) == "(20 30)"
    assert call("drop", l3, 3) is NIL
    fails(CV, "drop", l3, 4)
    fails(TM, "drop", l3, "1")


def test_range():
    assert w(call("range", 4)) == "(0 1 2 3)"
    assert w(call("range", 4, 7)) == "(4 5 6)"
    assert w(call("range", 0, 10, 3)) == "(0 3 6 9)"
    assert w(call("range", 5, 0, -2)) == "(5 3 1)"
    assert w(call("range", -2, 1)) == "(-2 -1 0)"
    assert call("range", 0) is NIL
    assert call("range", 5, 2) is NIL
    assert call("range", 0, 5, -1) is NIL
    assert w(call("range", 0, 1, 0.25)) == "(0 0.25 0.5 0.75)"
    assert w(call("range", 0, 2.5)) == "(0 1 2)"
    assert call("length", call("range", 100000)) == 100000
    fails(CV, "range", 0, 5, 0)
    fails(TM, "range", "5")
    fails(TM, "range", 0, "5")
    fails(TM, "range", 0, 5, "1")
    fails(CV, "range", 0, float("inf"))


def test_range_and_lists_are_metered():
    small = make_lib(10000)
    fails(OOM, "range", 0, 10**12, lib=small)
    fails(OOM, "range", 0, 1e12, lib=small)
    fails(OOM, "range", 0, 10**6, lib=small)
    fails(OOM, "range", 10**12)  # too large even without a limit
    # (MicroPython's WebAssembly build runs out of pystack calling with thousands of
    # positional arguments, so this uses a few hundred.)
    args = to_list(call("range", 200))
    small2 = make_lib(2000)
    fails(OOM, "list", *args, lib=small2)
    small3 = make_lib(20000)
    l2000 = call("range", 2000)
    fails(OOM, "reverse", l2000, lib=small3)
    small4 = make_lib(20000)
    fails(OOM, "append", l2000, NIL, lib=small4)


def test_member_assoc():
    l3 = lst(1, lst(2), "x", 4.0)
    assert w(call("member", lst(2), l3)) == '((2) "x" 4.0)'
    assert call("member", 4, l3) is False
    assert w(call("memv", 4.0, l3)) == "(4.0)"
    assert call("memv", lst(2), l3) is False
    assert w(call("memq", 1, l3)) == '(1 (2) "x" 4.0)'
    assert call("memq", 9, l3) is False
    assert call("member", 1, NIL) is False
    fails(TM, "member", 1, Pair(2, 3))
    fails(TM, "memq", 1, 5)
    al = lst(Pair(sym("a"), 1), Pair("b", 2), Pair(lst(1), 3), Pair(2.0, 4))
    assert w(call("assoc", "b", al)) == '("b" . 2)'
    assert w(call("assoc", lst(1), al)) == "((1) . 3)"
    assert call("assoc", "z", al) is False
    assert w(call("assq", sym("a"), al)) == "(a . 1)"
    assert call("assq", lst(1), al) is False
    assert w(call("assv", 2.0, al)) == "(2.0 . 4)"
    assert call("assv", 2, al) is False
    fails(TM, "assoc", 1, lst(1, 2))
    fails(TM, "assq", 1, 5)
    fails(TM, "assv", 1, Pair(Pair(2, 3), 4))


def test_remove_duplicates_and_flatten():
    items = lst(1, 2, 1, 1.0, "a", "a", lst(1), lst(1), True)
    assert w(call("remove-duplicates", items)) == '(1 2 1.0 "a" (1) #true)'
    assert call("remove-duplicates", NIL) is NIL
    fails(TM, "remove-duplicates", 5)
    assert w(call("flatten", lst(sym("a"), lst(sym("b"), lst(sym("c"))), NIL, 5))) == "(a b c 5)"
    assert w(call("flatten", sym("a"))) == "(a)"
    assert call("flatten", NIL) is NIL
    deep = NIL
    for i in range(10000):
        deep = lst(i, deep)
    assert call("length", call("flatten", deep)) == 10000


def test_long_lists_are_iterative():
    big = call("range", 100000)
    assert call("length", big) == 100000
    assert call("last", big) == 99999
    assert call("list-ref", big, 99999) == 99999
    assert call("car", call("reverse", big)) == 99999
    assert call("length", call("append", big, big)) == 200000
    assert call("member", 99999, big) is not False
    assert call("length", call("take", big, 50000)) == 50000
    assert call("car", call("drop", big, 50000)) == 50000
    chars = call("string->list", "a" * 1000)
    assert call("car", chars) is ch("a")
