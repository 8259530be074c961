"""The reader: every datum with its line and column, and clear errors."""

from firmware.steel import SteelError, write_string
from firmware.steel.reader import read
from firmware.steel.values import Char, SrcPair, Symbol
from tests.firmware.support import raises


def one(text):
    data = read(text)
    assert len(data) == 1, data
    return data[0][0]


def w(text):
    return write_string(one(text))


def test_integers_are_exact_and_unbounded():
    assert one("42") == 42 and type(one("42")) is int
    assert one("-7") == -7
    assert one("+5") == 5
    assert one("123456789012345678901234567890") == 123456789012345678901234567890


def test_floats_and_special_values():
    assert one("1.5") == 1.5
    assert one(".5") == 0.5
    assert one("-2.25") == -2.25
    assert one("1e3") == 1000.0 and type(one("1e3")) is float
    assert one("+inf.0") > 1e300
    nan = one("+nan.0")
    assert nan != nan


def test_radix_prefixes():
    assert one("#xff") == 255
    assert one("#b101") == 5
    assert one("#o17") == 15
    assert one("#e1.0") == 1 and type(one("#e1.0")) is int
    assert type(one("#i3")) is float


def test_booleans_in_both_spellings():
    assert one("#t") is True and one("#true") is True
    assert one("#f") is False and one("#false") is False


def test_symbols_are_interned_and_case_sensitive():
    a = one("hello-world?")
    assert type(a) is Symbol and a is one("hello-world?")
    assert one("Abc") is not one("abc")
    assert w("->x") == "->x"
    assert w("...") == "..."
    assert w("+") == "+"
    assert w("-") == "-"


def test_strings_with_escapes():
    assert one('"a\\nb\\t\\"q\\"\\\\"') == 'a\nb\t"q"\\'
    assert one('"\\x41;\\x3bb;"') == "A\u03bb"
    assert one('"multi\\\n    line"') == "multiline"
    assert one('"é λ"') == "é λ"


def test_characters():
    assert one("#\\a") is one("#\\a") and type(one("#\\a")) is Char
    assert one("#\\space").c == " "
    assert one("#\\newline").c == "\n"
    assert one("#\\tab").c == "\t"
    assert one("#\\(").c == "("
    assert one("#\\x41").c == "A"
    assert one("#\\λ").c == "λ"
    assert write_string(one("#\\space")) == "#\\space"


def test_lists_brackets_dotted_pairs_and_vectors():
    assert w("(1 2 3)") == "(1 2 3)"
    assert w("[a (b c) []]") == "(a (b c) ())"
    assert w("(a . b)") == "(a . b)"
    assert w("(a b . c)") == "(a b . c)"
    assert w("(a . (b . (c . ())))") == "(a b c)"
    assert w('#(1 #(2) "s")') == '#(1 #(2) "s")'
    assert w("()") == "()"


def test_quote_prefixes():
    assert w("'x") == "(quote x)"
    assert w("`(a ,b ,@c)") == "(quasiquote (a (unquote b) (unquote-splicing c)))"
    assert w("''x") == "(quote (quote x))"


def test_comments_of_all_kinds():
    data = read("; line\n1 #| block #| nested |# |# 2 #;(skipped datum) 3 #; #;4 5 6")
    assert [d for d, _ in data] == [1, 2, 3, 6]
    assert [d for d, _ in read("(a #;b c)")][0].car is one("a")
    assert write_string(read("(a #;b c)")[0][0]) == "(a c)"


def test_every_datum_has_a_line_and_column():
    data = read("(define x\n  (+ 1\n     22))\n'q")
    (form, pos), (quoted, qpos) = data
    assert pos == (1, 1)
    assert qpos == (4, 1)
    assert type(form) is SrcPair
    assert form.pos == (1, 2)  # define
    assert form.cdr.pos == (1, 9)  # x
    inner = form.cdr.cdr
    assert inner.pos == (2, 3)  # (+ 1 22)
    plus = inner.car
    assert plus.pos == (2, 4)
    assert plus.cdr.pos == (2, 6)
    assert plus.cdr.cdr.pos == (3, 6)


def test_deep_nesting_is_read_without_recursion():
    depth = 10000
    datum = one("(" * depth + "x" + ")" * depth)
    n = 0
    while type(datum) is SrcPair:
        datum = datum.car
        n += 1
    assert n == depth


def _error(text):
    with raises(SteelError) as r:
        read(text, "prog.scm")
    e = r.value
    assert e.kind == "Parse"
    assert e.source == "prog.scm"
    return e


def test_unclosed_list_points_at_its_opening():
    e = _error("(define (f x)\n  (+ x 1)")
    assert (e.line, e.column) == (1, 1)
    assert "unclosed" in e.message


def test_unexpected_and_mismatched_closers():
    e = _error("(a b))")
    assert (e.line, e.column) == (1, 6)
    e = _error("(a b]")
    assert (e.line, e.column) == (1, 5)
    assert "mismatched" in e.message


def test_bad_strings_and_characters():
    e = _error('(display "abc)')
    assert (e.line, e.column) == (1, 10)
    assert "unterminated string" in e.message
    e = _error('"bad \\q escape"')
    assert "escape" in e.message
    e = _error("#\\nosuchname")
    assert "character name" in e.message


def test_bad_dots_and_hash_syntax():
    assert "dotted" in _error("(a . )").message
    assert "more than one" in _error("(a . b c)").message
    assert _error("( . a)").kind == "Parse"
    assert "unknown syntax" in _error("#z").message
    assert _error("'").kind == "Parse"
    assert _error("#| never closed").kind == "Parse"
