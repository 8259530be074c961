from firmware.steel.values import VOID

from .test_lib_support import FakeInterp, fails, make_lib

TM = "TypeMismatch"
CV = "ContractViolation"


def draws(lib, n, *args):
    fn = lib.table["random"].fn
    return [fn(*args) for _ in range(n)]


def test_reproducible_from_the_interpreter_seed():
    a = draws(make_lib(interp=FakeInterp(42)), 20, 1000)
    b = draws(make_lib(interp=FakeInterp(42)), 20, 1000)
    c = draws(make_lib(interp=FakeInterp(43)), 20, 1000)
    assert a == b
    assert a != c
    d = draws(make_lib(), 5, 1000)  # no interpreter: seed 0
    assert d == draws(make_lib(interp=FakeInterp(0)), 5, 1000)


def test_known_sequence_is_the_same_everywhere():
    # xorshift32 is pure integer arithmetic: CPython and MicroPython give the same numbers.
    lib = make_lib(interp=FakeInterp(1))
    first = draws(lib, 5, 1 << 30)
    lib2 = make_lib(interp=FakeInterp(1))
    assert draws(lib2, 5, 1 << 30) == first
    assert len(set(first)) == 5


def test_ranges():
    lib = make_lib(interp=FakeInterp(7))
    for x in draws(lib, 200, 6):
        assert type(x) is int and 0 <= x < 6
    assert set(draws(lib, 300, 3)) == {0, 1, 2}
    for x in draws(lib, 200, -5, 5):
        assert -5 <= x < 5
    for x in draws(lib, 100):
        assert type(x) is float and 0.0 <= x < 1.0
    assert draws(lib, 3, 1) == [0, 0, 0]
    for x in draws(lib, 20, 2**100):
        assert 0 <= x < 2**100
    assert max(draws(lib, 50, 2**100)) > 2**90


def test_reseed():
    lib = make_lib(interp=FakeInterp(5))
    assert lib.table["random-seed"].fn(99) is VOID
    a = draws(lib, 10, 100)
    lib.table["random-seed"].fn(99)
    assert draws(lib, 10, 100) == a
    lib.table["random-seed"].fn(-(2**40))
    draws(lib, 3, 10)


def test_errors():
    fails(CV, "random", 0)
    fails(CV, "random", -3)
    fails(TM, "random", 1.5)
    fails(TM, "random", "3")
    fails(CV, "random", 5, 5)
    fails(TM, "random", 1, 2.0)
    fails(TM, "random-seed", 1.0)
    lib = make_lib(interp=FakeInterp("not an int"))
    assert 0 <= lib.table["random"].fn(10) < 10
