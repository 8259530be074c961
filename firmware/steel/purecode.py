"""Pure expressions: code that calls only primitives, compiled to one closure each.

An expression that calls only primitives compiles to one Python closure ``f(F)`` that
evaluates it directly, reading locals from the frame list ``F`` (lexical addressing).  Its
Python recursion follows the source's nesting, not the program's run time.  Every such
closure takes an optional ``v`` so it can also serve as a segment (see ``codegen``).

:class:`PureCompiler` is the half of the code generator that compiles these; the other
half, :class:`firmware.steel.codegen.Codegen`, cuts impure code into segments and supplies
``compile_lambda`` for the closures pure code makes.
"""

from . import ast, fastpaths
from .errors import FREE_IDENTIFIER, SteelError, host_error
from .memory import OBJECT, SLOT
from .values import UNDEFINED, VOID, Closure, Control, Primitive


class PureCompiler:
    def __init__(self, interp, expander):
        self.interp = interp
        self.source = expander.source
        self.assigned = expander.assigned
        self.set_globals = expander.set_globals
        self.define_count = expander.define_count
        self.frame = None
        self.code = None
        self.meter = interp.meter
        self.std = interp.std_table  # name -> the standard library's procedure
        self.seg_info = interp.seg_info
        self._pure = {}
        self._emitters = {}  # call-emitting segment -> (operator node, args, cont, pos)

    # --- analysis ---------------------------------------------------------------------

    def inline_prim(self, call):
        """The primitive a call can be compiled against directly, or None."""
        fn = call.fn
        t = type(fn)
        if t is ast.Const:
            v = fn.value
        elif t is ast.GRef and fn.cell not in self.assigned:
            v = fn.cell.v
        else:
            return None
        return v if type(v) is Primitive else None

    def is_pure(self, n):
        # Keyed by id(): the entry holds the node too, so its id cannot be reused by a
        # later node while the cache lives (the code generator creates temporary nodes).
        key = id(n)
        hit = self._pure.get(key)
        if hit is not None:
            return hit[1]
        t = type(n)
        if t is ast.Const or t is ast.LRef or t is ast.GRef or t is ast.Lambda:
            r = True
        elif t is ast.LSet or t is ast.GSet:
            r = self.is_pure(n.value)
        elif t is ast.If:
            r = self.is_pure(n.test) and self.is_pure(n.then) and self.is_pure(n.other)
        elif t is ast.Seq or t is ast.And or t is ast.Or:
            r = True
            for item in n.items:
                if not self.is_pure(item):
                    r = False
                    break
        elif t is ast.Call:
            r = self.inline_prim(n) is not None
            if r:
                for a in n.args:
                    if not self.is_pure(a):
                        r = False
                        break
        else:
            raise AssertionError("unknown node %r" % (n,))
        self._pure[key] = (n, r)
        return r

    def trivial(self, n):
        """True if evaluating ``n`` later instead of now cannot change its value."""
        t = type(n)
        if t is ast.Const or t is ast.Lambda:
            return True
        if t is ast.LRef:
            return not n.binding.mutated and not n.binding.letrec
        if t is ast.GRef:
            return n.cell not in self.set_globals and self.define_count.get(n.cell, 0) <= 1
        return False

    def temp(self):
        return ast.Binding("tmp", self.frame, self.frame.alloc())

    # --- pure expressions -------------------------------------------------------------

    def expr(self, n):
        t = type(n)
        if t is ast.Const:
            v = n.value
            return lambda F, v_=None: v
        if t is ast.LRef:
            return self.lref(n)
        if t is ast.GRef:
            return self.gref(n)
        if t is ast.Call:
            return self.prim_call(self.inline_prim(n), n.args, n.pos)
        if t is ast.If:
            return self.expr_if(n)
        if t is ast.Seq:
            return self.expr_seq([self.expr(i) for i in n.items])
        if t is ast.And:
            return self.expr_and([self.expr(i) for i in n.items])
        if t is ast.Or:
            return self.expr_or([self.expr(i) for i in n.items])
        if t is ast.LSet:
            return self.lset(n.binding.index, n.depth, self.expr(n.value))
        if t is ast.GSet:
            return self.gset(n)
        if t is ast.Lambda:
            return self.make_closure(n)
        raise AssertionError("unknown node %r" % (n,))

    def lref(self, n):
        i = n.binding.index
        d = n.depth
        if not n.binding.letrec:
            if d == 0:
                return lambda F, v=None: F[i]
            if d == 1:
                return lambda F, v=None: F[0][i]
            if d == 2:
                return lambda F, v=None: F[0][0][i]

            def deep(F, v=None):
                for _ in range(d):
                    F = F[0]
                return F[i]

            return deep
        name = n.binding.name
        pos = n.pos
        source = self.source

        def checked(F, v=None):
            E = F
            for _ in range(d):
                E = E[0]
            x = E[i]
            if x is None:
                raise SteelError(
                    FREE_IDENTIFIER, "%s: used before its definition" % name, pos[0], pos[1], source
                )
            return x

        return checked

    def gref(self, n):
        cell = n.cell
        v = cell.v
        if cell not in self.assigned and v is not UNDEFINED:
            if type(v) is Primitive or type(v) is Control:
                return lambda F, v_=None: v
        pos = n.pos
        source = self.source

        def global_ref(F, v_=None):
            x = cell.v
            if x is UNDEFINED:
                raise SteelError(
                    FREE_IDENTIFIER,
                    "%s: used before its definition" % cell.name,
                    pos[0],
                    pos[1],
                    source,
                )
            return x

        return global_ref

    def lset(self, i, d, value):
        if d == 0:

            def set0(F, v=None):
                F[i] = value(F)
                return VOID

            return set0

        def set_deep(F, v=None):
            x = value(F)
            for _ in range(d):
                F = F[0]
            F[i] = x
            return VOID

        return set_deep

    def gset(self, n):
        cell = n.cell
        value = self.expr(n.value)
        if n.define:

            def define(F, v=None):
                cell.v = value(F)
                return VOID

            return define
        pos = n.pos
        source = self.source

        def assign(F, v=None):
            x = value(F)
            if cell.v is UNDEFINED:
                raise SteelError(
                    FREE_IDENTIFIER,
                    "set!: %s is not defined" % cell.name,
                    pos[0],
                    pos[1],
                    source,
                )
            cell.v = x
            return VOID

        return assign

    def make_closure(self, n):
        code = self.compile_lambda(n)
        meter = self.meter

        def closure(F, v=None):
            meter.used += OBJECT + SLOT
            if meter.used > meter.next_check:
                meter.check()
            return Closure(code, F)

        return closure

    def expr_if(self, n):
        test = self.expr(n.test)
        a = self.expr(n.then)
        b = self.expr(n.other)

        def if_(F, v=None):
            if test(F) is not False:
                return a(F)
            return b(F)

        return if_

    def expr_seq(self, fns):
        if len(fns) == 1:
            return fns[0]
        if len(fns) == 2:
            a, b = fns

            def seq2(F, v=None):
                a(F)
                return b(F)

            return seq2
        init = fns[:-1]
        last = fns[-1]

        def seq(F, v=None):
            for g in init:
                g(F)
            return last(F)

        return seq

    def expr_and(self, fns):
        if len(fns) == 2:
            a, b = fns

            def and2(F, v=None):
                if a(F) is False:
                    return False
                return b(F)

            return and2
        init = fns[:-1]
        last = fns[-1]

        def and_(F, v=None):
            for g in init:
                if g(F) is False:
                    return False
            return last(F)

        return and_

    def expr_or(self, fns):
        if len(fns) == 2:
            a, b = fns

            def or2(F, v=None):
                x = a(F)
                if x is not False:
                    return x
                return b(F)

            return or2
        init = fns[:-1]
        last = fns[-1]

        def or_(F, v=None):
            for g in init:
                x = g(F)
                if x is not False:
                    return x
            return last(F)

        return or_

    def prim_call(self, prim, arg_nodes, pos):
        fn = prim.fn
        name = prim.name
        source = self.source
        args = [self.expr(a) for a in arg_nodes]
        n = len(args)

        def locate(e):
            e = host_error(e, name)
            return e.locate(pos, source)

        if self.std.get(name) is prim:
            if n == 2:

                def slow2(x, y):
                    try:
                        return fn(x, y)
                    except Exception as e:
                        raise locate(e)

                fast = fastpaths.binary(name, arg_nodes, args, slow2)
                if fast is not None:
                    return fast
            elif n == 1:

                def slow1(x):
                    try:
                        return fn(x)
                    except Exception as e:
                        raise locate(e)

                fast = fastpaths.unary(name, arg_nodes[0], args[0], slow1)
                if fast is not None:
                    return fast
        if n == 0:

            def call0(F, v=None):
                try:
                    return fn()
                except Exception as e:
                    raise locate(e)

            return call0
        if n == 1:
            a = args[0]

            def call1(F, v=None):
                try:
                    return fn(a(F))
                except Exception as e:
                    raise locate(e)

            return call1
        if n == 2:
            a, b = args

            def call2(F, v=None):
                try:
                    return fn(a(F), b(F))
                except Exception as e:
                    raise locate(e)

            return call2
        if n == 3:
            a, b, c = args

            def call3(F, v=None):
                try:
                    return fn(a(F), b(F), c(F))
                except Exception as e:
                    raise locate(e)

            return call3

        def calln(F, v=None):
            try:
                return fn(*[g(F) for g in args])
            except Exception as e:
                raise locate(e)

        return calln
