"""Helpers for the standard-library tests (no tests here).

Primitives are called directly through a Library, with Python values standing for Steel
values; ``L("(1 2 3)")`` builds Steel data from a compact notation.
"""

from firmware.steel.errors import SteelError
from firmware.steel.lib import install_all
from firmware.steel.library import Library
from firmware.steel.memory import Meter
from firmware.steel.ports import OutputPort
from firmware.steel.printer import write_string
from firmware.steel.values import NIL, Pair, char, from_list, intern

from .support import raises


def make_lib(limit=None, interp=None):
    lib = Library(Meter(limit), OutputPort(), interp)
    install_all(lib)
    return lib


LIB = make_lib()


def call(name, *args):
    return LIB.table[name].fn(*args)


def fails(kind, name, *args, lib=None):
    """Call the primitive, expecting a SteelError of ``kind``; returns the error."""
    table = (lib or LIB).table
    with raises(SteelError) as r:
        table[name].fn(*args)
    assert r.value.kind == kind, "%s: expected %s, got %s: %s" % (
        name,
        kind,
        r.value.kind,
        r.value.message,
    )
    assert name in r.value.message or kind == "OutOfMemory", r.value.message
    return r.value


def lst(*items):
    return from_list(list(items))


def sym(name):
    return intern(name)


def ch(c):
    return char(c)


def w(v):
    return write_string(v)


def cons(a, b):
    return Pair(a, b)


EMPTY = NIL


class FakeInterp:
    def __init__(self, seed):
        self.seed = seed
