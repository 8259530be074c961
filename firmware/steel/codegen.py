"""From the core language to closures the VM runs.

The hybrid design, chosen by measurement (fib 25 on CPython in ~0.1 s, against ~0.85 s
for the classic closure-recursive interpreter that cannot run deep recursion anyway):

* An expression that calls only primitives is *pure*: it compiles to one Python closure
  ``f(F)`` that evaluates it directly, reading locals from the frame list ``F``
  (lexical addressing).  Its Python recursion follows the source's nesting, not the
  program's run time.
* A call to a Steel procedure cannot be a Python call (that would make Steel recursion
  Python recursion).  The code around it is cut into *segments*: a segment is a function
  ``s(F, v)`` that runs pure code and ends by returning either a value (the procedure's
  result) or a call request ``(procedure, frame, continuation, position)``.  The
  continuation is the segment that receives the callee's value ``v``; the VM pushes it
  with ``F`` on its own stack.  A tail call has no continuation, so loops run in constant
  space.  Every pure closure takes an optional ``v`` so it can serve as a segment too.
* Operands that contain calls are first evaluated into frame temporaries, in order
  (A-normal form), so what remains after the calls is pure again.

Segments that continue into a shared join point call it directly, but a straight-line run
of such direct calls is bounded (``MAX_DIRECT``): past it the segment asks the VM to jump,
which keeps Python's stack shallow under MicroPython whatever the program's length.
"""

from . import ast, fastpaths
from .errors import (
    FREE_IDENTIFIER,
    GENERIC,
    OUT_OF_MEMORY,
    TYPE_MISMATCH,
    SteelError,
)
from .memory import OBJECT, SLOT
from .values import UNDEFINED, VOID, Closure, Control, Primitive

MAX_DIRECT = 8


class _Jump:
    """The callee of a jump request: the VM returns VOID to the continuation."""

    __slots__ = ()


JUMP = _Jump()


def host_error(e, who):
    """A SteelError for a Python exception raised inside primitive ``who``."""
    if isinstance(e, SteelError):
        return e
    if isinstance(e, MemoryError):
        return SteelError(OUT_OF_MEMORY, "%s: the device ran out of memory" % who)
    if isinstance(e, RuntimeError) and "recursion" in str(e):
        return SteelError(GENERIC, "%s: data nested too deeply" % who)
    if isinstance(e, (TypeError, AttributeError)):
        return SteelError(TYPE_MISMATCH, "%s: %s" % (who, e))
    if isinstance(e, ZeroDivisionError):
        return SteelError(GENERIC, "%s: division by zero" % who)
    return SteelError(GENERIC, "%s: %s" % (who, e))


class Codegen:
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

    # --- procedures -------------------------------------------------------------------

    def compile_lambda(self, lam):
        code = lam.code
        saved = self.frame, self.code
        self.frame = lam.frame
        self.code = code
        entry, _ = self.cps(lam.body, None)
        self.frame, self.code = saved
        code.entry = entry
        code.nslots = lam.frame.nslots
        base = code.nreq + 1 + (1 if code.rest else 0)
        extra = lam.frame.nslots - base
        code.pad = [None] * extra if extra > 0 else None
        return code

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

    # --- segments ---------------------------------------------------------------------
    # cps(node, k) returns (segment, depth).  k is None in tail position, otherwise
    # (slot, rest, rest_depth): store the value in frame slot ``slot`` (None: drop it),
    # then continue with segment ``rest``.  ``depth`` bounds how many direct Python calls
    # the segment may make before control returns to the VM.

    def cps(self, n, k):
        if self.is_pure(n):
            return self.deliver(self.expr(n), k)
        t = type(n)
        if t is ast.Call:
            return self.cps_call(n, k)
        if t is ast.If:
            return self.cps_if(n, k)
        if t is ast.Seq:
            return self.cps_seq(n.items, k)
        if t is ast.LSet:
            after = self.deliver(self.expr(ast.Const(VOID)), k)
            if n.depth == 0:
                return self.cps(n.value, (n.binding.index, after[0], after[1]))
            tmp = self.temp()
            store = self.deliver(self.expr(ast.LSet(n.binding, n.depth, ast.LRef(tmp, 0, None))), k)
            return self.cps(n.value, (tmp.index, store[0], store[1]))
        if t is ast.GSet:
            tmp = self.temp()
            store = self.deliver(
                self.expr(ast.GSet(n.cell, ast.LRef(tmp, 0, None), n.define, n.pos)), k
            )
            return self.cps(n.value, (tmp.index, store[0], store[1]))
        if t is ast.And:
            first, rest = n.items[0], n.items[1:]
            tail = rest[0] if len(rest) == 1 else ast.And(rest)
            return self.cps(ast.If(first, tail, ast.Const(False)), k)
        if t is ast.Or:
            first, rest = n.items[0], n.items[1:]
            tail = rest[0] if len(rest) == 1 else ast.Or(rest)
            tmp = self.temp()
            ref = ast.LRef(tmp, 0, None)
            return self.cps(ast.Seq([ast.LSet(tmp, 0, first, True), ast.If(ref, ref, tail)]), k)
        raise AssertionError("impure node %r" % (n,))

    def deliver(self, e, k):
        """Segment that evaluates pure ``e`` and hands its value to ``k``."""
        if k is None:
            return e, 0
        slot, rest, depth = k
        if depth + 1 > MAX_DIRECT:
            # Too many direct calls in a row: let the VM jump to ``rest``.
            if slot is None:

                def jump_discard(F, v=None):
                    e(F)
                    return (JUMP, None, rest, None)

                return jump_discard, 0

            def jump_store(F, v=None):
                F[slot] = e(F)
                return (JUMP, None, rest, None)

            return jump_store, 0
        if slot is None:

            def then(F, v=None):
                e(F)
                return rest(F)

            return then, depth + 1

        def store_then(F, v=None):
            F[slot] = e(F)
            return rest(F)

        return store_then, depth + 1

    def resume(self, k, pos):
        """The continuation segment of a non-tail call in context ``k``."""
        slot, rest, _ = k
        spec = self._emitters.get(rest) if slot is not None else None
        if spec is not None:
            r = self.resume_then_call(slot, spec)
            self.seg_info[r] = (self.code.name if self.code is not None else None, pos)
            return r
        if slot is None:

            def resume_discard(F, v):
                return rest(F)

            r = resume_discard
        else:

            def resume_store(F, v):
                F[slot] = v
                return rest(F)

            r = resume_store
        self.seg_info[r] = (self.code.name if self.code is not None else None, pos)
        return r

    def cps_call(self, n, k):
        ops = [n.fn] + n.args
        last_impure = -1
        for i in range(len(ops)):
            if not self.is_pure(ops[i]):
                last_impure = i
        if last_impure >= 0:
            hoisted = []
            new_ops = list(ops)
            for i in range(last_impure + 1):
                op = ops[i]
                if not self.is_pure(op) or not self.trivial(op):
                    tmp = self.temp()
                    hoisted.append((op, tmp))
                    new_ops[i] = ast.LRef(tmp, 0, n.pos)
            body = self.cps(ast.Call(new_ops[0], new_ops[1:], n.pos), k)
            for op, tmp in reversed(hoisted):
                body = self.cps(op, (tmp.index, body[0], body[1]))
            return body
        # Every operand is pure: a call to a Steel procedure (or anything not inlined).
        args = [self.expr(a) for a in n.args]
        pos = (n.pos[0], n.pos[1], self.source) if n.pos is not None else None
        cont = None if k is None else self.resume(k, pos)
        return self.emit_call(n.fn, args, cont, pos), 0

    def resume_then_call(self, slot, spec):
        """A continuation that stores the value it receives and makes the next call at
        once (``(+ (f a) (f b))``: the value of the first call, then the second call)."""
        fn_node, args, cont, pos = spec
        na = len(args)
        if type(fn_node) is ast.GRef:
            cell = fn_node.cell
            if na == 1:
                a = args[0]

                def store_call1(F, v):
                    F[slot] = v
                    return (cell.v, [None, a(F)], cont, pos)

                return store_call1
            if na == 2:
                a, b = args

                def store_call2(F, v):
                    F[slot] = v
                    return (cell.v, [None, a(F), b(F)], cont, pos)

                return store_call2
        emit = self.emit_call(fn_node, args, cont, pos)

        def store_emit(F, v):
            F[slot] = v
            return emit(F)

        return store_emit

    def emit_call(self, fn_node, args, cont, pos):
        """A segment returning the call request; the operator is read inline when it is a
        global or a local of this frame (the common case: a named procedure)."""
        seg = self._emit_call(fn_node, args, cont, pos)
        self._emitters[seg] = (fn_node, args, cont, pos)
        return seg

    def _emit_call(self, fn_node, args, cont, pos):
        na = len(args)
        t = type(fn_node)
        if t is ast.GRef and na <= 2:
            cell = fn_node.cell
            if na == 0:
                return lambda F, v=None: (cell.v, [None], cont, pos)
            if na == 1:
                a = args[0]
                return lambda F, v=None: (cell.v, [None, a(F)], cont, pos)
            a, b = args
            return lambda F, v=None: (cell.v, [None, a(F), b(F)], cont, pos)
        if t is ast.LRef and fn_node.depth <= 1 and not fn_node.binding.letrec and na <= 2:
            i = fn_node.binding.index
            if fn_node.depth == 0:
                if na == 0:
                    return lambda F, v=None: (F[i], [None], cont, pos)
                if na == 1:
                    a = args[0]
                    return lambda F, v=None: (F[i], [None, a(F)], cont, pos)
                a, b = args
                return lambda F, v=None: (F[i], [None, a(F), b(F)], cont, pos)
            if na == 0:
                return lambda F, v=None: (F[0][i], [None], cont, pos)
            if na == 1:
                a = args[0]
                return lambda F, v=None: (F[0][i], [None, a(F)], cont, pos)
            a, b = args
            return lambda F, v=None: (F[0][i], [None, a(F), b(F)], cont, pos)
        f = self.expr(fn_node)
        if na == 0:
            return lambda F, v=None: (f(F), [None], cont, pos)
        if na == 1:
            a = args[0]
            return lambda F, v=None: (f(F), [None, a(F)], cont, pos)
        if na == 2:
            a, b = args
            return lambda F, v=None: (f(F), [None, a(F), b(F)], cont, pos)
        if na == 3:
            a, b, c = args
            return lambda F, v=None: (f(F), [None, a(F), b(F), c(F)], cont, pos)

        def calln(F, v=None):
            frame = [None]
            for g in args:
                frame.append(g(F))
            return (f(F), frame, cont, pos)

        return calln

    def cps_if(self, n, k):
        if not self.is_pure(n.test):
            tmp = self.temp()
            rest = self.cps_if(ast.If(ast.LRef(tmp, 0, None), n.then, n.other), k)
            return self.cps(n.test, (tmp.index, rest[0], rest[1]))
        test = self.expr(n.test)
        a, da = self.cps(n.then, k)
        b, db = self.cps(n.other, k)

        def if_seg(F, v=None):
            if test(F) is not False:
                return a(F)
            return b(F)

        return if_seg, (da if da > db else db) + 1

    def cps_seq(self, items, k):
        body, depth = self.cps(items[-1], k)
        i = len(items) - 2
        while i >= 0:
            j = i
            while j >= 0 and self.is_pure(items[j]):
                j -= 1
            if j < i:
                effects = self.expr_seq([self.expr(x) for x in items[j + 1 : i + 1]])
                body, depth = self.deliver(effects, (None, body, depth))
                i = j
            else:
                body, depth = self.cps(items[i], (None, body, depth))
                i -= 1
        return body, depth
