from firmware.steel.values import NIL, Pair, Symbol, intern

from .test_lib_support import call, ch, fails, lst, make_lib, sym, w

TM = "TypeMismatch"
GEN = "Generic"
CV = "ContractViolation"
CONV = "ConversionError"
OOM = "OutOfMemory"


def test_length_ref_substring():
    assert call("string-length", "") == 0
    assert call("string-length", "hello") == 5
    assert call("string-length", "αβγ") == 3
    fails(TM, "string-length", sym("a"))
    assert call("string-ref", "hello", 1) is ch("e")
    assert call("string-ref", "αβγ", 2) is ch("γ")
    fails(CV, "string-ref", "abc", 3)
    fails(CV, "string-ref", "abc", -1)
    fails(TM, "string-ref", "abc", 1.0)
    fails(TM, "string-ref", 5, 0)
    assert call("substring", "hello", 1, 4) == "ell"
    assert call("substring", "hello", 2) == "llo"
    assert call("substring", "hello", 5) == ""
    assert call("substring", "hello", 0, 0) == ""
    fails(CV, "substring", "hello", 10)
    fails(CV, "substring", "hello", 1, 6)
    fails(CV, "substring", "hello", 3, 2)
    fails(CV, "substring", "hello", -1)
    fails(TM, "substring", "hello", "1")
    fails(TM, "substring", "hello", 1, 2.0)
    fails(TM, "substring", 1, 0)
    assert call("string-copy", "abc") == "abc"
    assert call("string-copy", "abcdef", 2) == "cdef"
    assert call("string-copy", "abcdef", 2, 4) == "cd"
    fails(CV, "string-copy", "abc", 0, 9)
    fails(TM, "string-copy", NIL)


def test_append_case_and_join():
    assert call("string-append") == ""
    assert call("string-append", "a") == "a"
    assert call("string-append", "foo", "bar", "") == "foobar"
    e = fails(TM, "string-append", "a", ch("b"))
    assert "argument 2" in e.message
    fails(TM, "string-append", 1)
    assert call("string-upcase", "Hello 1") == "HELLO 1"
    assert call("string-downcase", "Hello 1") == "hello 1"
    assert call("string->upper", "ab") == "AB"
    assert call("string->lower", "AB") == "ab"
    fails(TM, "string-upcase", 1)
    fails(TM, "string-downcase", ch("a"))
    assert call("string-join", lst("a", "b", "c")) == "abc"
    assert call("string-join", lst("one", "two"), ", ") == "one, two"
    assert call("string-join", NIL, ",") == ""
    assert call("string-join", lst("x"), ",") == "x"
    fails(TM, "string-join", lst("a", 1))
    fails(TM, "string-join", "abc")
    fails(TM, "string-join", lst("a"), 1)


def test_split():
    assert w(call("string-split", "  a b\t c\n")) == '("a" "b" "c")'
    assert w(call("string-split", "a,b,,c", ",")) == '("a" "b" "" "c")'
    assert w(call("string-split", "", ",")) == '("")'
    assert w(call("string-split", "a::b", "::")) == '("a" "b")'
    fails(CV, "string-split", "abc", "")
    fails(TM, "string-split", "abc", ch(","))
    fails(TM, "string-split", 5)
    assert w(call("split-whitespace", "one\t two\nthree")) == '("one" "two" "three")'
    assert call("split-whitespace", "   ") is NIL
    fails(TM, "split-whitespace", 1)
    assert w(call("split-many", "foo|bar|", "|")) == '("foo" "bar" "")'
    fails(CV, "split-many", "abc", "")
    fails(TM, "split-many", "abc", 1)
    assert w(call("split-once", "foo,bar,baz", ",")) == '("foo" "bar,baz")'
    assert w(call("split-once", "foo", ",")) == '("foo")'
    fails(CV, "split-once", "abc", "")
    fails(TM, "split-once", 1, ",")


def test_search_and_trim():
    assert call("string-contains?", "hello", "ll") is True
    assert call("string-contains?", "hello", "") is True
    assert call("string-contains?", "hello", "xyz") is False
    assert call("starts-with?", "foobar", "foo") is True
    assert call("starts-with?", "foobar", "bar") is False
    assert call("ends-with?", "foobar", "bar") is True
    assert call("ends-with?", "foobar", "foo") is False
    for name in ("string-contains?", "starts-with?", "ends-with?"):
        fails(TM, name, "abc", ch("a"))
        fails(TM, name, 1, "a")
    assert call("trim", "  foo \n") == "foo"
    assert call("trim-start", "  foo  ") == "foo  "
    assert call("trim-end", "  foo  ") == "  foo"
    assert call("trim-end-matches", "123foo1bar123123", "123") == "123foo1bar"
    assert call("trim-start-matches", "123foo1bar123123", "123") == "foo1bar123123"
    assert call("trim-start-matches", "aaa", "a") == ""
    assert call("trim-end-matches", "abc", "") == "abc"
    assert call("trim-start-matches", "abc", "") == "abc"
    for name in ("trim", "trim-start", "trim-end"):
        fails(TM, name, 1)
    fails(TM, "trim-end-matches", "a", 1)
    fails(TM, "trim-start-matches", 1, "a")


def test_conversions():
    assert w(call("string->list", "abc")) == "(#\\a #\\b #\\c)"
    assert w(call("string->list", "one two", 4)) == "(#\\t #\\w #\\o)"
    assert w(call("string->list", "one two", 0, 3)) == "(#\\o #\\n #\\e)"
    assert call("string->list", "") is NIL
    fails(CV, "string->list", "abc", 4)
    fails(TM, "string->list", 1)
    assert w(call("string->vector", "ab")) == "#(#\\a #\\b)"
    assert w(call("string->vector", "abc", 1, 2)) == "#(#\\b)"
    fails(CV, "string->vector", "abc", 2, 1)
    assert call("list->string", lst(ch("h"), ch("i"))) == "hi"
    assert call("list->string", NIL) == ""
    fails(TM, "list->string", lst("h"))
    fails(TM, "list->string", Pair(ch("a"), ch("b")))
    assert call("string", ch("a"), ch("b")) == "ab"
    assert call("string") == ""
    fails(TM, "string", "a")
    assert call("make-string", 3, ch("x")) == "xxx"
    assert call("make-string", 2) == "\x00\x00"
    assert call("make-string", 0, ch("x")) == ""
    fails(CV, "make-string", -1)
    fails(TM, "make-string", 2, "x")
    fails(TM, "make-string", 2.0)
    assert call("string-replace", "hello world", "o", "@") == "hell@ w@rld"
    assert call("string-replace", "aaa", "a", "bb") == "bbbbbb"
    assert call("string-replace", "abc", "x", "y") == "abc"
    assert call("string-replace", "ab", "", "-") == "-a-b-"
    fails(TM, "string-replace", "a", "b", 1)
    fails(TM, "string-replace", "a", 1, "c")
    fails(TM, "string-replace", 1, "b", "c")


def test_comparisons():
    assert call("string=?", "a", "a") is True
    assert call("string=?", "a", "a", "b") is False
    assert call("string=?", "a") is True
    assert call("string<?", "a", "b", "c") is True
    assert call("string<?", "a", "b", "b") is False
    assert call("string>?", "c", "b", "a") is True
    assert call("string<=?", "a", "b", "b") is True
    assert call("string>=?", "c", "b", "b") is True
    assert call("string>=?", "a", "b") is False
    assert call("string-ci=?", "HeLLo", "hello") is True
    assert call("string-ci<?", "a", "B") is True
    assert call("string-ci>?", "B", "a") is True
    assert call("string-ci<=?", "a", "A") is True
    assert call("string-ci>=?", "a", "B") is False
    for name in (
        "string=?",
        "string<?",
        "string>?",
        "string<=?",
        "string>=?",
        "string-ci=?",
        "string-ci<?",
        "string-ci>?",
        "string-ci<=?",
        "string-ci>=?",
    ):
        fails(TM, name, "a", 1)
        fails(TM, name, sym("a"), "a")
    assert call("string-null?", "") is True
    assert call("string-null?", " ") is False
    fails(TM, "string-null?", NIL)


def test_symbols_chars_misc():
    s = call("string->symbol", "foo bar")
    assert type(s) is Symbol and s is intern("foo bar")
    assert call("symbol->string", sym("abc")) == "abc"
    fails(TM, "string->symbol", sym("a"))
    fails(TM, "symbol->string", "abc")
    assert call("char->integer", ch("a")) == 97
    assert call("char->integer", ch("λ")) == 955
    assert call("integer->char", 97) is ch("a")
    assert call("integer->char", 0x10FFFF) is ch(chr(0x10FFFF))
    fails(CONV, "integer->char", 0xD800)
    fails(CONV, "integer->char", 0x110000)
    fails(CONV, "integer->char", -1)
    fails(TM, "integer->char", 97.0)
    fails(TM, "char->integer", "a")
    assert call("to-string", 10) == "10"
    assert call("to-string", 10, 20) == "10 20"
    assert call("to-string", "hello", "world") == "hello world"
    assert call("to-string", lst(1, "a"), ch("c"), sym("s")) == "(1 a) c s"
    assert call("to-string") == ""
    assert call("string->int", "100") == 100
    assert call("string->int", "-7") == -7
    fails(TM, "string->int", "1.5")
    fails(TM, "string->int", "abc")
    fails(TM, "string->int", "")
    fails(TM, "string->int", 5)
    assert call("int->string", 42) == "42"
    fails(TM, "int->string", 4.2)
    assert call("utf8-length", "aé✅") == 6
    fails(TM, "utf8-length", 1)


def test_strings_are_metered():
    small = make_lib(5000)
    fails(OOM, "make-string", 10**6, ch("a"), lib=small)
    fails(OOM, "make-string", 10**15)  # too large even without a limit
    small = make_lib(5000)
    fails(OOM, "string-append", "a" * 3000, "b" * 3000, lib=small)
    small = make_lib(5000)
    fails(OOM, "string-replace", "a" * 100, "a", "x" * 100, lib=small)
    small = make_lib(5000)
    fails(OOM, "string->list", "a" * 1000, lib=small)
    small = make_lib(5000)
    fails(OOM, "string-join", lst("a" * 3000, "b" * 3000), lib=small)
