"""Symbols: comparison, uninterned symbols, building symbols from parts.

Symbols made by ``string->symbol`` are interned (one object per name, compared by
identity); ``string->uninterned-symbol`` makes a fresh one that is ``equal?`` to the
interned symbol of the same name but not ``eq?`` to it, as in Steel.
"""

from ..errors import type_error
from ..values import Symbol, intern


def _sym(who, x, pos):
    if type(x) is not Symbol:
        raise type_error(who, "a symbol", x, pos)
    return x


def symbol_eq(a, b, *rest):
    args = (a, b) + rest
    for i in range(len(args)):
        _sym("symbol=?", args[i], i + 1)
    for i in range(len(args) - 1):
        if args[i] is not args[i + 1]:
            return False
    return True


def string_to_uninterned_symbol(s):
    if type(s) is not str:
        raise type_error("string->uninterned-symbol", "a string", s, 1)
    return Symbol(s)


def concat_symbols(*args):
    parts = []
    for i in range(len(args)):
        parts.append(_sym("concat-symbols", args[i], i + 1).name)
    return intern("".join(parts))


def install(lib):
    d = lib.define
    d("symbol=?", symbol_eq, 2, -1, "(symbol=? a b ...) — #t if the symbols are the same symbol")
    d(
        "string->uninterned-symbol",
        string_to_uninterned_symbol,
        1,
        1,
        "(string->uninterned-symbol s) — a new symbol named s, eq? to no other",
    )
    d(
        "concat-symbols",
        concat_symbols,
        1,
        -1,
        "(concat-symbols sym ...) — the symbol of the names joined",
    )
