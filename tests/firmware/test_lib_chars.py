from .test_lib_support import call, ch, fails

TM = "TypeMismatch"


def test_case_conversion():
    assert call("char-upcase", ch("a")) is ch("A")
    assert call("char-upcase", ch("A")) is ch("A")
    assert call("char-upcase", ch("1")) is ch("1")
    assert call("char-downcase", ch("Q")) is ch("q")
    assert call("char-foldcase", ch("Q")) is ch("q")
    for name in ("char-upcase", "char-downcase", "char-foldcase"):
        fails(TM, name, "a")


def test_classification():
    table = [
        ("char-alphabetic?", "azAZ", "09 _-\n"),
        ("char-numeric?", "0189", "aZ .-"),
        ("char-whitespace?", " \t\n\r\x0b\x0c", "a0_"),
        ("char-upper-case?", "AZ", "az09 "),
        ("char-lower-case?", "az", "AZ09 "),
        ("char-digit?", "0123456789", "a /:"),
    ]
    for name, yes, no in table:
        for c in yes:
            assert call(name, ch(c)) is True, (name, c)
        for c in no:
            assert call(name, ch(c)) is False, (name, c)
        fails(TM, name, "a")
        fails(TM, name, 65)


def test_digits():
    assert call("char->number", ch("7")) == 7
    assert call("char->number", ch("0")) == 0
    assert call("char->number", ch("a")) is False
    assert call("char->digit", ch("9")) == 9
    assert call("digit-value", ch("3")) == 3
    assert call("digit-value", ch("x")) is False
    fails(TM, "char->number", "7")


def test_comparisons():
    assert call("char=?", ch("a"), ch("a")) is True
    assert call("char=?", ch("a"), ch("a"), ch("b")) is False
    assert call("char=?", ch("a")) is True
    assert call("char<?", ch("a"), ch("b"), ch("c")) is True
    assert call("char<?", ch("a"), ch("b"), ch("b")) is False
    assert call("char>?", ch("c"), ch("b")) is True
    assert call("char<=?", ch("a"), ch("a"), ch("b")) is True
    assert call("char>=?", ch("b"), ch("c")) is False
    assert call("char-ci=?", ch("a"), ch("A")) is True
    assert call("char-ci<?", ch("a"), ch("B")) is True
    assert call("char-ci>?", ch("b"), ch("A")) is True
    assert call("char-ci<=?", ch("A"), ch("a")) is True
    assert call("char-ci>=?", ch("a"), ch("B")) is False
    for name in (
        "char=?",
        "char<?",
        "char>?",
        "char<=?",
        "char>=?",
        "char-ci=?",
        "char-ci<?",
        "char-ci>?",
        "char-ci<=?",
        "char-ci>=?",
    ):
        e = fails(TM, name, ch("a"), "b")
        assert "argument 2" in e.message


def test_non_ascii_characters():
    import sys

    names = (
        "char-alphabetic?",
        "char-numeric?",
        "char-whitespace?",
        "char-upper-case?",
        "char-lower-case?",
    )
    for name in names:
        for c in ("é", "Ä", "٣", "\u00a0", "✅"):
            assert call(name, ch(c)) in (True, False)
    if sys.implementation.name == "cpython":  # full Unicode only on CPython
        assert call("char-alphabetic?", ch("é")) is True
        assert call("char-numeric?", ch("٣")) is True
        assert call("char-whitespace?", ch("\u00a0")) is True
        assert call("char-upper-case?", ch("Ä")) is True
        assert call("char-lower-case?", ch("é")) is True
        assert call("char-upcase", ch("é")) is ch("É")
    assert call("char-alphabetic?", ch("✅")) is False
    assert call("char-digit?", ch("٣")) is False
    assert call("char->number", ch("٣")) is False
