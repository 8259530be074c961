"""Specialised closures for the primitives that dominate device programs' run time.

A call such as ``(< n 2)`` whose operator is the standard ``<`` compiles to one closure
that reads the operands straight from the frame or a constant and compares them when both
are exact integers; anything else (floats, wrong types) goes to the primitive itself, which
computes the general result or raises the proper error.  The variants differ only in how
they fetch operands, so they are generated from one template instead of being written out
(both CPython and MicroPython have ``exec``).
"""

from .values import NIL, Pair

_OPERAND = {
    "e": "{n}(F)",  # any pure expression
    "l": "F[{n}]",  # a local of the current frame
    "k": "{n}",  # an exact-integer constant
}

_BINARY_OPS = {
    "+": "x + y",
    "-": "x - y",
    "*": "x * y",
    "<": "x < y",
    ">": "x > y",
    "<=": "x <= y",
    ">=": "x >= y",
    "=": "x == y",
}

_TEMPLATE = """
def make(a, b, slow):
    def f(F, v=None):
        x = {X}
        y = {Y}
        if {CHECK}:
            return {OP}
        return slow(x, y)
    return f
"""


def _build():
    table = {}
    for name, op in _BINARY_OPS.items():
        for xk in "elk":
            for yk in "elk":
                if xk == "k" and yk == "k":
                    continue  # constant folding is not worth a variant
                checks = []
                if xk != "k":
                    checks.append("type(x) is int")
                if yk != "k":
                    checks.append("type(y) is int")
                if name == "*":
                    # Products of big integers grow without bound: those go through the
                    # primitive, which charges the memory meter first.
                    checks.append("-_BIG < x < _BIG and -_BIG < y < _BIG")
                src = _TEMPLATE.format(
                    X=_OPERAND[xk].format(n="a"),
                    Y=_OPERAND[yk].format(n="b"),
                    CHECK=" and ".join(checks),
                    OP=op,
                )
                g = {"_BIG": 1 << 30}
                exec(src, g)
                table[(name, xk, yk)] = g["make"]
    return table


_BINARY = _build()


def operand_kind(node, fn):
    """('l', index) for a depth-0 local, ('k', value) for an int constant, else ('e', fn)."""
    from . import ast

    t = type(node)
    if t is ast.LRef and node.depth == 0 and not node.binding.letrec:
        return "l", node.binding.index
    if t is ast.Const and type(node.value) is int:
        return "k", node.value
    return "e", fn


def binary(name, nodes, fns, slow):
    """A specialised closure for the standard binary ``name`` or None."""
    if len(nodes) != 2 or name not in _BINARY_OPS:
        return None
    xk, xa = operand_kind(nodes[0], fns[0])
    yk, ya = operand_kind(nodes[1], fns[1])
    make = _BINARY.get((name, xk, yk))
    if make is None:
        return None
    return make(xa, ya, slow)


def unary(name, node, fn, slow):
    """Specialised closures for the hottest one-argument primitives, or None."""
    from . import ast

    local = type(node) is ast.LRef and node.depth == 0 and not node.binding.letrec
    i = node.binding.index if local else None
    if name == "car":
        if local:

            def car_l(F, v=None):
                x = F[i]
                if type(x) is Pair:
                    return x.car
                return slow(x)

            return car_l

        def car_e(F, v=None):
            x = fn(F)
            if type(x) is Pair:
                return x.car
            return slow(x)

        return car_e
    if name == "cdr":
        if local:

            def cdr_l(F, v=None):
                x = F[i]
                if type(x) is Pair:
                    return x.cdr
                return slow(x)

            return cdr_l

        def cdr_e(F, v=None):
            x = fn(F)
            if type(x) is Pair:
                return x.cdr
            return slow(x)

        return cdr_e
    if name == "null?" or name == "empty?":
        if local:
            return lambda F, v=None: F[i] is NIL
        return lambda F, v=None: fn(F) is NIL
    if name == "not":
        if local:
            return lambda F, v=None: F[i] is False
        return lambda F, v=None: fn(F) is False
    if name == "pair?":
        return lambda F, v=None: type(fn(F)) is Pair
    if name == "zero?":

        def zero(F, v=None):
            x = fn(F)
            if type(x) is int:
                return x == 0
            return slow(x)

        return zero
    return None
