from firmware.steel.values import VOID

from .test_lib_support import call, ch, fails, lst, make_lib, sym

GEN = "Generic"
CV = "ContractViolation"
TM = "TypeMismatch"


def test_directives():
    assert call("format", "plain") == "plain"
    assert call("format", "~a and ~a", "x", 5) == "x and 5"
    assert call("format", "~s", "x") == '"x"'
    assert call("format", "~v", ch("a")) == "#\\a"
    assert call("format", "~A/~S", "a", "b") == 'a/"b"'
    assert call("format", "line~%next~n") == "line\nnext\n"
    assert call("format", "100~~") == "100~"
    assert call("format", "~a", lst(1, "s", sym("q"))) == "(1 s q)"
    assert call("format", "~s", lst(1, "s")) == '(1 "s")'
    assert call("format", "") == ""
    assert call("format", "~a~a", 1, 2) == "12"


def test_errors():
    e = fails(CV, "format", "~a ~a", 1)
    assert "more than 1 argument" in e.message
    fails(CV, "format", "~a")
    e = fails(CV, "format", "~q", 1)
    assert "~q" in e.message
    e = fails(CV, "format", "x", 1)
    assert "were given" in e.message
    fails(CV, "format", "ends with ~")
    fails(TM, "format", 5)
    fails(TM, "format", sym("x"))


def test_printf():
    lib = make_lib()
    assert lib.table["printf"].fn("~a=~s~%", "k", "v") is VOID
    assert lib.output.getvalue() == 'k="v"\n'
    fails(CV, "printf", "~a", lib=lib)
    fails(TM, "printf", 1, lib=lib)


def test_format_is_metered():
    small = make_lib(3000)
    fails("OutOfMemory", "format", "~a~a", "x" * 2000, "y" * 2000, lib=small)
