"""From the core language to closures the VM runs.

The hybrid design, chosen by measurement (fib 25 on CPython in ~0.1 s, against ~0.85 s
for the classic closure-recursive interpreter that cannot run deep recursion anyway):

* An expression that calls only primitives is *pure*: it compiles to one Python closure
  ``f(F)`` that evaluates it directly (:mod:`firmware.steel.purecode`).
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

from . import ast
from .purecode import PureCompiler
from .values import VOID

MAX_DIRECT = 8


class _Jump:
    """The callee of a jump request: the VM returns VOID to the continuation."""

    __slots__ = ()


JUMP = _Jump()


class Codegen(PureCompiler):
    """Compiles a procedure's body: pure parts by :class:`PureCompiler`, calls as segments."""

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
