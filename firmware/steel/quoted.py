"""Quoted data as run-time values: source pairs and renamed identifiers stripped away.

Quoted data can be as deep as the program text, so the conversion keeps its own stack
(MicroPython allows ~150 Python frames).
"""

from .syntax_rules import Ident, base_symbol
from .values import NIL, Pair, SrcPair


def strip_syntax(x):
    """Quoted data as run-time values: plain pairs, plain symbols (iterative)."""
    t = type(x)
    if t is Ident:
        return base_symbol(x)
    if t is not SrcPair and t is not Pair and t is not list:
        return x
    # Rebuild containers bottom-up with an explicit stack.
    root = [None]
    work = [(x, root, 0)]
    while work:
        src, dest, idx = work.pop()
        t = type(src)
        if t is Ident:
            dest[idx] = base_symbol(src)
        elif t is SrcPair or t is Pair:
            items = []
            while type(src) is SrcPair or type(src) is Pair:
                items.append(src.car)
                src = src.cdr
            holder = [None] * (len(items) + 1)
            dest[idx] = _ListBuild(holder)
            for i in range(len(items)):
                work.append((items[i], holder, i))
            work.append((src, holder, len(items)))
        elif t is list:
            holder = [None] * len(src)
            dest[idx] = _VecBuild(holder)
            for i in range(len(src)):
                work.append((src[i], holder, i))
        else:
            dest[idx] = src
    return _finish_build(root[0])


class _ListBuild:
    __slots__ = ("holder",)

    def __init__(self, holder):
        self.holder = holder


class _VecBuild:
    __slots__ = ("holder",)

    def __init__(self, holder):
        self.holder = holder


def _finish_build(top):
    """Turn the _ListBuild/_VecBuild tree into pairs and vectors, children first."""
    order = []
    stack = [top]
    while stack:
        b = stack.pop()
        if type(b) is _ListBuild or type(b) is _VecBuild:
            order.append(b)
            for v in b.holder:
                if type(v) is _ListBuild or type(v) is _VecBuild:
                    stack.append(v)
    built = {}
    for b in reversed(order):
        h = b.holder
        vals = [built[id(v)] if (type(v) is _ListBuild or type(v) is _VecBuild) else v for v in h]
        if type(b) is _ListBuild:
            r = vals[-1]
            for i in range(len(vals) - 2, -1, -1):
                r = Pair(vals[i], r)
            built[id(b)] = r
        else:
            built[id(b)] = vals
    if type(top) is _ListBuild or type(top) is _VecBuild:
        return built[id(top)]
    return top


def rebuild_list(items):
    r = NIL
    for i in range(len(items) - 1, -1, -1):
        r = Pair(items[i], r)
    return r
