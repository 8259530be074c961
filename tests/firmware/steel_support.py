"""Helpers for the Steel tests that run whole programs (no tests here)."""

from firmware.steel import Interpreter, SteelError, write_string

from .support import raises


def new(**options):
    out = []
    interp = Interpreter(output=out.append, **options)
    interp.out = out
    return interp


def ev(source, interp=None):
    """The written value of the program's last form."""
    return write_string((interp or new()).eval(source, name="t.scm"))


def output(source):
    interp = new()
    interp.eval(source, name="t.scm")
    return "".join(interp.out)


def fails(source, kind, fragment="", at=None, interp=None):
    """Expect the program to fail with ``kind``; ``at`` is the (line, column) expected."""
    with raises(SteelError) as r:
        (interp or new()).eval(source, name="t.scm")
    e = r.value
    assert e.kind == kind, (source, e.kind, e.message)
    assert fragment in e.message, (source, e.message)
    assert e.line is not None and e.column is not None, (source, e.message)
    if at is not None:
        assert (e.line, e.column) == at, (source, e.line, e.column)
    return e


def table(cases):
    """Run (source, expected written value) cases; returns the failures."""
    failures = []
    for source, expected in cases:
        try:
            got = ev(source)
        except SteelError as e:
            got = "error: %s" % e
        if got != expected:
            failures.append("%s => %s, expected %s" % (source, got, expected))
    return failures
