"""The core language the expander reduces every Steel form to.

Derived forms (``let*``, ``cond``, ``case``, ``do``, named ``let``, ``when``, ``struct``,
quasiquote, macros...) are gone by the time these nodes exist; the code generator handles
only what is here.  Local variables are resolved to frame slots (lexical addressing):
``depth`` counts the lambda boundaries between a reference and its binding.
"""


class Binding:
    """A local variable: slot ``index`` of the frame of the lambda ``frame``."""

    __slots__ = ("name", "frame", "index", "mutated", "letrec")

    def __init__(self, name, frame, index, letrec=False):
        self.name = name
        self.frame = frame
        self.index = index
        self.mutated = False
        self.letrec = letrec  # may be read before its initialiser has run


class Node:
    __slots__ = ()


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class LRef(Node):
    __slots__ = ("binding", "depth", "pos")

    def __init__(self, binding, depth, pos):
        self.binding = binding
        self.depth = depth
        self.pos = pos


class GRef(Node):
    __slots__ = ("cell", "pos")

    def __init__(self, cell, pos):
        self.cell = cell
        self.pos = pos


class LSet(Node):
    """Assign a local; ``init`` marks the binding's initialisation (let, define)."""

    __slots__ = ("binding", "depth", "value", "init")

    def __init__(self, binding, depth, value, init=False):
        self.binding = binding
        self.depth = depth
        self.value = value
        self.init = init


class GSet(Node):
    """Assign a global; ``define`` is True for a definition (no check that it exists)."""

    __slots__ = ("cell", "value", "define", "pos")

    def __init__(self, cell, value, define, pos):
        self.cell = cell
        self.value = value
        self.define = define
        self.pos = pos


class If(Node):
    __slots__ = ("test", "then", "other")

    def __init__(self, test, then, other):
        self.test = test
        self.then = then
        self.other = other


class Seq(Node):
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class And(Node):
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class Or(Node):
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


class Lambda(Node):
    """``frame`` is the compile-time frame (slot allocation) of the new procedure."""

    __slots__ = ("code", "frame", "body")

    def __init__(self, code, frame, body):
        self.code = code
        self.frame = frame
        self.body = body


class Call(Node):
    __slots__ = ("fn", "args", "pos")

    def __init__(self, fn, args, pos):
        self.fn = fn
        self.args = args
        self.pos = pos
