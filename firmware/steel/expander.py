"""From data to the core language: special forms, macros, scopes and slots.

A compilation unit (one ``eval`` of a program text) is expanded as a whole before anything
runs, which is what lets the runtime report unknown identifiers and wrong arities up front,
as Steel does.  Local variables, including those of ``let`` forms, live in the frame of the
enclosing lambda: a ``let`` allocates slots instead of a frame, since only a procedure call
can run the same ``let`` again, and a call makes a new frame.
"""

from . import ast
from .errors import ARITY_MISMATCH, BAD_SYNTAX, FREE_IDENTIFIER, SteelError, describe_arity
from .syntax_rules import Ident, Macro, base_symbol, is_identifier, parse_syntax_rules
from .syntax_rules import expand as expand_macro
from .values import (
    NIL,
    UNDEFINED,
    VOID,
    Char,
    Closure,
    Control,
    LambdaCode,
    Pair,
    Primitive,
    SrcPair,
    Struct,
    StructType,
    Symbol,
    hash_key,
    intern,
)

S = intern


def _is_pair(x):
    return type(x) is Pair or type(x) is SrcPair


class CFrame:
    """Slot allocation for one procedure's frame (slot 0 holds the parent frame)."""

    __slots__ = ("parent", "level", "nslots", "code")

    def __init__(self, parent, code):
        self.parent = parent
        self.level = 0 if parent is None else parent.level + 1
        self.nslots = 1
        self.code = code

    def alloc(self):
        i = self.nslots
        self.nslots += 1
        return i


class Scope:
    __slots__ = ("parent", "frame", "names")

    def __init__(self, parent, frame):
        self.parent = parent
        self.frame = frame
        self.names = {}


class _Prebuilt:
    """A datum standing for an already-built AST node (used by ``struct``)."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node


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


def _case_test(keys):
    table = {}
    for k in keys:
        table[hash_key(k)] = True

    def memv(v):
        return hash_key(v) in table

    return Primitive("case", memv, 1, 1)


def _assert_failed(text):
    raise SteelError("Generic", "assertion failed: %s" % text)


_ASSERT_FAILED = Primitive("assert!", _assert_failed, 1, 1)


class Expander:
    """Expands one compilation unit.

    ``interp`` supplies the global cells (``interp.cell(sym)``), global macros
    (``interp.macros``), the procedures special forms compile to (``interp.builtin(name)``)
    and ``interp.special_controls`` for ``with-handler``.
    """

    def __init__(self, interp, source, check=False):
        self.interp = interp
        self.source = source
        self.check = check
        self.defined = {}  # cell -> position of its definition in this unit
        self.assigned = {}  # cell -> True: defined or set! in this unit (never inlined)
        self.references = []  # (cell, pos) of global references, for FreeIdentifier
        self.warnings = []  # (line, column, message)
        self.known_arity = {}  # cell -> (min, max) of user procedures defined once here
        self.arity_calls = []  # (cell, nargs, pos) to check once the unit is expanded
        self.define_count = {}
        self.set_globals = {}  # cell -> True: the target of a set! in this unit

    # --- errors ------------------------------------------------------------------------

    def error(self, kind, message, pos):
        line, col = pos if pos is not None else (None, None)
        return SteelError(kind, message, line, col, self.source)

    def syntax_error(self, message, pos):
        return self.error(BAD_SYNTAX, message, pos)

    def warn(self, message, pos):
        self.warnings.append((pos[0] if pos else None, pos[1] if pos else None, message))

    # --- resolution --------------------------------------------------------------------

    def lookup(self, scope, ident):
        """What ``ident`` means in ``scope``: a Binding, a Macro or a global Symbol."""
        s = scope
        while s is not None:
            b = s.names.get(ident)
            if b is not None:
                return b
            s = s.parent
        if type(ident) is Ident:
            return self.lookup(ident.env, ident.sym)
        return ident

    def head_kind(self, scope, head):
        """For a form's head: ('special', name) | ('macro', m) | None (a call)."""
        if not is_identifier(head):
            return None
        r = self.lookup(scope, head)
        if type(r) is Macro:
            return ("macro", r)
        if type(r) is Symbol:
            m = self.interp.macros.get(r)
            if m is not None:
                return ("macro", m)
            h = SPECIAL_FORMS.get(r.name)
            if h is not None:
                return ("special", h)
        return None

    def ref(self, scope, ident, pos):
        r = self.lookup(scope, ident)
        if type(r) is ast.Binding:
            return ast.LRef(r, scope.frame.level - r.frame.level, pos)
        if type(r) is Macro:
            raise self.syntax_error("%s is a macro, not a value" % base_symbol(ident).name, pos)
        if r.name in SPECIAL_FORMS or r in self.interp.macros:
            raise self.syntax_error("%s is syntax, not a value" % r.name, pos)
        cell = self.interp.cell(r)
        self.references.append((cell, pos))
        return ast.GRef(cell, pos)

    def bind(self, scope, ident, letrec=False):
        b = ast.Binding(base_symbol(ident).name, scope.frame, scope.frame.alloc(), letrec)
        scope.names[ident] = b
        return b

    # --- expressions -------------------------------------------------------------------

    def expand(self, x, scope, pos):
        """Expand one expression; Python recursion follows the nesting of the source."""
        t = type(x)
        if t is Symbol or t is Ident:
            return self.ref(scope, x, pos)
        if t is SrcPair or t is Pair:
            head = x.car
            while True:
                kind = self.head_kind(scope, head)
                if kind is None:
                    return self.expand_call(x, scope, pos)
                if kind[0] == "special":
                    return kind[1](self, x, scope, pos)
                x = expand_macro(kind[1], x, pos, self.source)
                pos = self.pos_of(x, pos)
                if not _is_pair(x):
                    return self.expand(x, scope, pos)
                head = x.car
        if t is _Prebuilt:
            return x.node
        if x is NIL:
            return ast.Const(NIL)
        if t is list:
            return ast.Const(strip_syntax(x))
        if t is int or t is float or t is str or t is bool or t is Char:
            return ast.Const(x)
        raise self.syntax_error("cannot evaluate %r" % (x,), pos)

    def pos_of(self, x, default):
        """A list's position is where its first element is (or the enclosing one)."""
        if type(x) is SrcPair:
            return x.pos
        return default

    def elements(self, x, pos, what):
        """The elements of a proper list with their positions."""
        items = []
        while _is_pair(x):
            p = x.pos if type(x) is SrcPair else pos
            items.append((x.car, p))
            x = x.cdr
        if x is not NIL:
            raise self.syntax_error("%s: improper list" % what, pos)
        return items

    def expand_call(self, x, scope, pos):
        parts = self.elements(x, pos, "call")
        fn = self.expand(parts[0][0], scope, parts[0][1])
        args = [self.expand(a, scope, p) for a, p in parts[1:]]
        if type(fn) is ast.GRef:
            self.arity_calls.append((fn.cell, len(args), pos))
        return ast.Call(fn, args, pos)

    # --- bodies ------------------------------------------------------------------------

    def scan_body(self, forms, scope, toplevel):
        """Pass 1 over a body: expand heads, splice begins, collect definitions.

        Returns records ``('def', target, value-datum, pos)`` and ``('expr', datum, pos)``;
        definitions are bound before any expression is expanded, so a body may refer to
        a procedure defined further down (letrec* semantics).
        """
        out = []
        work = list(reversed(forms))
        while work:
            form, pos = work.pop()
            while _is_pair(form):
                kind = self.head_kind(scope, form.car)
                if kind is None or kind[0] != "macro":
                    break
                form = expand_macro(kind[1], form, pos, self.source)
                pos = self.pos_of(form, pos)
            if _is_pair(form):
                kind = self.head_kind(scope, form.car)
                handler = kind[1] if kind is not None and kind[0] == "special" else None
                if handler is _begin:
                    parts = self.elements(form.cdr, pos, "begin")
                    for item in reversed(parts):
                        work.append(item)
                    continue
                if handler is _define:
                    target, value, vpos = self.parse_define(form, pos)
                    if toplevel:
                        sym = base_symbol(target)
                        cell = self.interp.cell(sym)
                        self.note_definition(cell, value, pos)
                        out.append(("def", cell, value, vpos))
                    else:
                        b = self.bind(scope, target, letrec=True)
                        out.append(("def", b, value, vpos))
                    continue
                if handler is _define_syntax:
                    self.define_syntax(form, scope, pos, toplevel)
                    continue
                if handler is _struct:
                    for target, node in self.struct_definitions(form, pos):
                        if toplevel:
                            cell = self.interp.cell(target)
                            self.note_definition(cell, None, pos)
                            out.append(("def", cell, _Prebuilt(node), pos))
                        else:
                            b = self.bind(scope, target, letrec=True)
                            out.append(("def", b, _Prebuilt(node), pos))
                    continue
            out.append(("expr", form, pos))
        return out

    def note_definition(self, cell, value, pos):
        self.defined.setdefault(cell, pos)
        self.assigned[cell] = True
        n = self.define_count.get(cell, 0) + 1
        self.define_count[cell] = n
        arity = self.lambda_arity(value)
        if n == 1 and arity is not None:
            self.known_arity[cell] = arity
        else:
            self.known_arity.pop(cell, None)

    def lambda_arity(self, value):
        if not _is_pair(value) or not is_identifier(value.car):
            return None
        if base_symbol(value.car).name not in ("lambda", "fn", "λ"):
            return None
        if not _is_pair(value.cdr):
            return None
        params = value.cdr.car
        n = 0
        while _is_pair(params):
            n += 1
            params = params.cdr
        return (n, n if params is NIL else -1)

    def expand_body(self, forms, scope, pos, toplevel=False):
        """Expand a body (list of (datum, pos)) to one node."""
        if not forms:
            if toplevel:
                return ast.Const(VOID)
            raise self.syntax_error("empty body", pos)
        body_scope = scope if toplevel else Scope(scope, scope.frame)
        records = self.scan_body(forms, body_scope, toplevel)
        # A definition whose value is a lambda runs no code.  While only such definitions
        # have run, no code can read a binding early, so those bindings need no check.
        for rec in records:
            if rec[0] != "def" or not self.runs_no_code(rec[2], body_scope):
                break
            if type(rec[1]) is ast.Binding:
                rec[1].letrec = False
        items = []
        for rec in records:
            if rec[0] == "def":
                target, value, vpos = rec[1], rec[2], rec[3]
                name = target.name if type(target) is not ast.Binding else target.name
                node = self.expand_named(value, body_scope, vpos, name)
                if type(target) is ast.Binding:
                    items.append(ast.LSet(target, 0, node, init=True))
                else:
                    items.append(ast.GSet(target, node, True, vpos))
            else:
                items.append(self.expand(rec[1], body_scope, rec[2]))
        if not items:
            return ast.Const(VOID)
        if records[-1][0] == "def":
            items.append(ast.Const(VOID))
        return items[0] if len(items) == 1 else ast.Seq(items)

    def runs_no_code(self, value, scope):
        if type(value) is _Prebuilt:
            return type(value.node) is ast.Const
        if _is_pair(value):
            kind = self.head_kind(scope, value.car)
            return kind is not None and kind[0] == "special" and kind[1] is _lambda
        return False

    def expand_named(self, value, scope, pos, name):
        """Expand a definition's value, naming the procedure if it is a lambda."""
        if _is_pair(value):
            kind = self.head_kind(scope, value.car)
            if kind is not None and kind[0] == "special" and kind[1] is _lambda:
                return _lambda(self, value, scope, pos, name)
        return self.expand(value, scope, pos)

    # --- definitions -------------------------------------------------------------------

    def parse_define(self, form, pos):
        """``(define name value)`` or ``(define (name . params) body...)``."""
        parts = form.cdr
        if not _is_pair(parts):
            raise self.syntax_error("define: missing name", pos)
        target = parts.car
        if is_identifier(target):
            rest = parts.cdr
            if rest is NIL:
                return target, _Prebuilt(ast.Const(VOID)), pos
            if not _is_pair(rest) or rest.cdr is not NIL:
                raise self.syntax_error("define: expected (define name value)", pos)
            return target, rest.car, self.pos_of(rest, pos)
        if _is_pair(target):
            # (define (name . params) body ...), possibly curried: ((name a) b)
            name = target.car
            params = target.cdr
            body = parts.cdr
            lam = SrcPair(S("lambda"), SrcPair(params, body, pos), pos)
            while _is_pair(name):
                lam = SrcPair(S("lambda"), SrcPair(name.cdr, SrcPair(lam, NIL, pos), pos), pos)
                name = name.car
            if not is_identifier(name):
                raise self.syntax_error("define: the name must be an identifier", pos)
            return name, lam, pos
        raise self.syntax_error("define: the name must be an identifier", pos)

    def define_syntax(self, form, scope, pos, toplevel):
        parts = self.elements(form.cdr, pos, "define-syntax")
        if len(parts) != 2 or not is_identifier(parts[0][0]):
            raise self.syntax_error(
                "define-syntax: expected (define-syntax name (syntax-rules ...))", pos
            )
        name = parts[0][0]
        macro = parse_syntax_rules(name, parts[1][0], None if toplevel else scope, pos, self.source)
        if toplevel:
            self.interp.macros[base_symbol(name)] = macro
        else:
            scope.names[name] = macro

    def struct_definitions(self, form, pos):
        """``(struct name (field ...) option ...)`` → constructor, predicate, accessors."""
        parts = self.elements(form.cdr, pos, "struct")
        if len(parts) < 2 or not is_identifier(parts[0][0]):
            raise self.syntax_error("struct: expected (struct name (field ...) option ...)", pos)
        name = base_symbol(parts[0][0]).name
        fields = []
        for f, fpos in self.elements(parts[1][0], parts[1][1], "struct"):
            if not is_identifier(f):
                raise self.syntax_error("struct: field names must be identifiers", fpos)
            fields.append(base_symbol(f).name)
        mutable = False
        transparent = False
        for opt, opos in parts[2:]:
            o = base_symbol(opt).name if is_identifier(opt) else None
            if o == "#:mutable":
                mutable = True
            elif o == "#:transparent":
                transparent = True
            else:
                raise self.syntax_error("struct: unknown option %r" % (opt,), opos)
        stype = StructType(name, fields, mutable, transparent)
        nf = len(fields)
        defs = []

        def make(*vals):
            return Struct(stype, list(vals))

        defs.append((S(name), Primitive(name, make, nf, nf, "(%s %s)" % (name, " ".join(fields)))))

        def is_it(x):
            return type(x) is Struct and x.type is stype

        defs.append((S(name + "?"), Primitive(name + "?", is_it, 1, 1)))
        for i in range(nf):
            defs.append((S(name + "-" + fields[i]), _accessor(stype, i, name + "-" + fields[i])))
            if mutable:
                setter = "set-%s-%s!" % (name, fields[i])
                defs.append((S(setter), _mutator(stype, i, setter)))
        return [(sym, ast.Const(p)) for sym, p in defs]

    # --- the unit ----------------------------------------------------------------------

    def expand_unit(self, data):
        """Expand a whole program; returns the top-level thunk as an ``ast.Lambda``."""
        code = LambdaCode("<toplevel>", 0, False, (1, 1), self.source)
        frame = CFrame(None, code)
        scope = Scope(None, frame)
        body = self.expand_body(data, scope, (1, 1), toplevel=True)
        self.check_references()
        return ast.Lambda(code, frame, body)

    def check_references(self):
        for cell, pos in self.references:
            if cell.v is UNDEFINED and cell not in self.defined:
                raise self.error(FREE_IDENTIFIER, "free identifier: %s" % cell.name, pos)
        for cell, nargs, pos in self.arity_calls:
            arity = None
            if cell in self.known_arity:
                arity = self.known_arity[cell]
            elif cell not in self.assigned and (
                type(cell.v) is Primitive or type(cell.v) is Control
            ):
                arity = (cell.v.min, cell.v.max)
            elif cell not in self.assigned and type(cell.v) is Closure:
                c = cell.v.code
                arity = (c.nreq, -1 if c.rest else c.nreq)
            if arity is None:
                continue
            lo, hi = arity
            if nargs < lo or (hi >= 0 and nargs > hi):
                raise self.error(
                    ARITY_MISMATCH,
                    "%s: expected %s, got %d" % (cell.name, describe_arity(lo, hi), nargs),
                    pos,
                )


def _accessor(stype, i, name):
    from .errors import type_error

    def get(x):
        if type(x) is Struct and x.type is stype:
            return x.fields[i]
        raise type_error(name, stype.name, x)

    return Primitive(name, get, 1, 1)


def _mutator(stype, i, name):
    from .errors import type_error

    def put(x, v):
        if type(x) is Struct and x.type is stype:
            x.fields[i] = v
            return VOID
        raise type_error(name, stype.name, x)

    return Primitive(name, put, 2, 2)


# --- special forms -------------------------------------------------------------------------
# Each takes (expander, form, scope, pos) and returns an AST node.


def _quote(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "quote")
    if len(parts) != 1:
        raise ex.syntax_error("quote: expected exactly one datum", pos)
    datum = parts[0][0]
    if ex.check and _is_pair(datum):
        _warn_quoted_variables(ex, datum, scope, parts[0][1])
    return ast.Const(strip_syntax(datum))


def _warn_quoted_variables(ex, datum, scope, pos):
    """``'((temperature . temp))`` quotes the *name* temp: almost always a mistake."""
    seen = {}
    stack = [(datum, pos, False)]
    while stack:
        d, p, value_position = stack.pop()
        if type(d) is SrcPair or type(d) is Pair:
            q = d.pos if type(d) is SrcPair else p
            first = True
            while type(d) is SrcPair or type(d) is Pair:
                ep = d.pos if type(d) is SrcPair else q
                stack.append((d.car, ep, not first))
                first = False
                d = d.cdr
            if d is not NIL:
                stack.append((d, q, True))
        elif is_identifier(d) and value_position:
            r = ex.lookup(scope, d)
            name = base_symbol(d).name
            if type(r) is ast.Binding and name not in seen:
                seen[name] = True
                ex.warn(
                    "quoted list mentions %s, a variable in scope; the list holds the symbol, "
                    "not its value (did you mean `(... ,%s)?)" % (name, name),
                    p,
                )


def _quasiquote(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "quasiquote")
    if len(parts) != 1:
        raise ex.syntax_error("quasiquote: expected exactly one template", pos)
    return _qq(ex, parts[0][0], 1, scope, parts[0][1])


def _qq_tag(x, name):
    return _is_pair(x) and is_identifier(x.car) and base_symbol(x.car).name == name


def _qq(ex, t, depth, scope, pos):
    b = ex.interp.builtin
    if _qq_tag(t, "unquote"):
        arg = ex.elements(t.cdr, pos, "unquote")
        if len(arg) != 1:
            raise ex.syntax_error("unquote: expected one expression", pos)
        if depth == 1:
            return ex.expand(arg[0][0], scope, arg[0][1])
        return _qq_list(ex, [ast.Const(S("unquote")), _qq(ex, arg[0][0], depth - 1, scope, pos)])
    if _qq_tag(t, "quasiquote"):
        arg = ex.elements(t.cdr, pos, "quasiquote")
        if len(arg) != 1:
            raise ex.syntax_error("quasiquote: expected one template", pos)
        return _qq_list(ex, [ast.Const(S("quasiquote")), _qq(ex, arg[0][0], depth + 1, scope, pos)])
    if _is_pair(t):
        # Walk the spine; splice unquote-splicing elements with append.
        segments = []  # nodes producing lists, to be appended
        current = []
        d = t
        while _is_pair(d):
            if _qq_tag(d, "unquote") or _qq_tag(d, "quasiquote"):
                break  # dotted tail written as `(a . ,b)`
            item = d.car
            ipos = d.pos if type(d) is SrcPair else pos
            if _qq_tag(item, "unquote-splicing"):
                arg = ex.elements(item.cdr, ipos, "unquote-splicing")
                if len(arg) != 1:
                    raise ex.syntax_error("unquote-splicing: expected one expression", ipos)
                if depth == 1:
                    if current:
                        segments.append(_qq_list(ex, current))
                        current = []
                    segments.append(ex.expand(arg[0][0], scope, arg[0][1]))
                else:
                    current.append(
                        _qq_list(
                            ex,
                            [
                                ast.Const(S("unquote-splicing")),
                                _qq(ex, arg[0][0], depth - 1, scope, ipos),
                            ],
                        )
                    )
            else:
                current.append(_qq(ex, item, depth, scope, ipos))
            d = d.cdr
        tail = None if d is NIL else _qq(ex, d, depth, scope, pos)
        if current:
            if tail is not None:
                segments.append(ast.Call(ast.Const(b("list*")), current + [tail], pos))
                tail = None
            else:
                segments.append(_qq_list(ex, current))
        elif tail is not None:
            segments.append(tail)
        if not segments:
            return ast.Const(NIL)
        if len(segments) == 1:
            return segments[0]
        return ast.Call(ast.Const(b("append")), segments, pos)
    if type(t) is list:
        lst = _qq(ex, _rebuild_list(t), depth, scope, pos)
        return ast.Call(ast.Const(b("list->vector")), [lst], pos)
    return ast.Const(strip_syntax(t))


def _rebuild_list(items):
    r = NIL
    for i in range(len(items) - 1, -1, -1):
        r = Pair(items[i], r)
    return r


def _qq_list(ex, nodes):
    if all(type(n) is ast.Const for n in nodes):
        return ast.Const(_rebuild_list([n.value for n in nodes]))
    return ast.Call(ast.Const(ex.interp.builtin("list")), nodes, None)


def _params(ex, params, pos):
    """Parameter identifiers of a lambda list and the rest parameter (or None)."""
    names = []
    p = params
    while _is_pair(p):
        if not is_identifier(p.car):
            raise ex.syntax_error("lambda: parameters must be identifiers", pos)
        names.append(p.car)
        p = p.cdr
    rest = None
    if p is not NIL:
        if not is_identifier(p):
            raise ex.syntax_error("lambda: bad parameter list", pos)
        rest = p
    seen = {}
    for n in names + ([rest] if rest is not None else []):
        b = base_symbol(n).name
        if n in seen:
            raise ex.syntax_error("lambda: duplicate parameter %s" % b, pos)
        seen[n] = True
    return names, rest


def _lambda(ex, x, scope, pos, name=None):
    if not _is_pair(x.cdr):
        raise ex.syntax_error("lambda: expected (lambda (param ...) body ...)", pos)
    names, rest = _params(ex, x.cdr.car, pos)
    code = LambdaCode(name, len(names), rest is not None, pos, ex.source)
    frame = CFrame(scope.frame, code)
    inner = Scope(scope, frame)
    for n in names:
        ex.bind(inner, n)
    if rest is not None:
        ex.bind(inner, rest)
    body = ex.expand_body(ex.elements(x.cdr.cdr, pos, "lambda"), inner, pos)
    return ast.Lambda(code, frame, body)


def _define(ex, x, scope, pos):
    raise ex.syntax_error("define: only allowed at the top level or at the start of a body", pos)


def _define_syntax(ex, x, scope, pos):
    raise ex.syntax_error(
        "define-syntax: only allowed at the top level or at the start of a body", pos
    )


def _struct(ex, x, scope, pos):
    raise ex.syntax_error("struct: only allowed at the top level or at the start of a body", pos)


def _begin(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "begin")
    if not parts:
        return ast.Const(VOID)
    items = [ex.expand(d, scope, p) for d, p in parts]
    return items[0] if len(items) == 1 else ast.Seq(items)


def _set(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "set!")
    if len(parts) != 2 or not is_identifier(parts[0][0]):
        raise ex.syntax_error("set!: expected (set! name value)", pos)
    target = parts[0][0]
    value = ex.expand(parts[1][0], scope, parts[1][1])
    r = ex.lookup(scope, target)
    if type(r) is ast.Binding:
        r.mutated = True
        return ast.LSet(r, scope.frame.level - r.frame.level, value)
    if type(r) is Macro or r.name in SPECIAL_FORMS:
        raise ex.syntax_error("set!: %s is syntax" % base_symbol(target).name, pos)
    cell = ex.interp.cell(r)
    ex.references.append((cell, parts[0][1]))
    ex.assigned[cell] = True
    ex.set_globals[cell] = True
    ex.known_arity.pop(cell, None)
    return ast.GSet(cell, value, False, pos)


def _if(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "if")
    if len(parts) not in (2, 3):
        raise ex.syntax_error("if: expected (if test then [else])", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    then = ex.expand(parts[1][0], scope, parts[1][1])
    other = ex.expand(parts[2][0], scope, parts[2][1]) if len(parts) == 3 else ast.Const(VOID)
    return ast.If(test, then, other)


def _bindings(ex, spec, pos, what):
    """``((name init) ...)`` → [(name, init-datum, pos)]."""
    out = []
    for b, bpos in ex.elements(spec, pos, what):
        parts = ex.elements(b, bpos, what) if _is_pair(b) else None
        if not parts or not is_identifier(parts[0][0]) or len(parts) != 2:
            raise ex.syntax_error("%s: each binding must be (name value)" % what, bpos)
        out.append((parts[0][0], parts[1][0], parts[1][1]))
    return out


def _let(ex, x, scope, pos):
    if not _is_pair(x.cdr):
        raise ex.syntax_error("let: expected (let ((name value) ...) body ...)", pos)
    if is_identifier(x.cdr.car):
        return _named_let(ex, x, scope, pos)
    binds = _bindings(ex, x.cdr.car, pos, "let")
    seen = {}
    for name, _, bpos in binds:
        if name in seen:
            raise ex.syntax_error("let: duplicate binding %s" % base_symbol(name).name, bpos)
        seen[name] = True
    inits = [
        ex.expand_named(init, scope, ipos, base_symbol(name).name) for name, init, ipos in binds
    ]
    inner = Scope(scope, scope.frame)
    items = []
    for (name, _, _), node in zip(binds, inits):
        items.append(ast.LSet(ex.bind(inner, name), 0, node, init=True))
    items.append(ex.expand_body(ex.elements(x.cdr.cdr, pos, "let"), inner, pos))
    return ast.Seq(items) if len(items) > 1 else items[0]


def _named_let(ex, x, scope, pos):
    name = x.cdr.car
    rest = x.cdr.cdr
    if not _is_pair(rest):
        raise ex.syntax_error("let: expected (let name ((var init) ...) body ...)", pos)
    binds = _bindings(ex, rest.car, pos, "let")
    inits = [ex.expand(init, scope, ipos) for _, init, ipos in binds]
    loop_scope = Scope(scope, scope.frame)
    b = ex.bind(loop_scope, name)  # assigned before anything can call the loop
    params = _rebuild_list([n for n, _, _ in binds])
    lam_form = SrcPair(S("lambda"), SrcPair(params, rest.cdr, pos), pos)
    lam = _lambda(ex, lam_form, loop_scope, pos, base_symbol(name).name)
    depth = 0
    call = ast.Call(ast.LRef(b, depth, pos), inits, pos)
    return ast.Seq([ast.LSet(b, 0, lam, init=True), call])


def _let_star(ex, x, scope, pos):
    if not _is_pair(x.cdr):
        raise ex.syntax_error("let*: expected (let* ((name value) ...) body ...)", pos)
    binds = _bindings(ex, x.cdr.car, pos, "let*")
    items = []
    cur = scope
    for name, init, ipos in binds:
        node = ex.expand_named(init, cur, ipos, base_symbol(name).name)
        cur = Scope(cur, cur.frame)
        items.append(ast.LSet(ex.bind(cur, name), 0, node, init=True))
    items.append(ex.expand_body(ex.elements(x.cdr.cdr, pos, "let*"), cur, pos))
    return ast.Seq(items) if len(items) > 1 else items[0]


def _letrec(ex, x, scope, pos):
    if not _is_pair(x.cdr):
        raise ex.syntax_error("letrec: expected (letrec ((name value) ...) body ...)", pos)
    binds = _bindings(ex, x.cdr.car, pos, "letrec")
    inner = Scope(scope, scope.frame)
    bs = [ex.bind(inner, name, letrec=True) for name, _, _ in binds]
    items = []
    for b, (_, init, ipos) in zip(bs, binds):
        items.append(ast.LSet(b, 0, ex.expand_named(init, inner, ipos, b.name), init=True))
    items.append(ex.expand_body(ex.elements(x.cdr.cdr, pos, "letrec"), inner, pos))
    return ast.Seq(items)


def _do(ex, x, scope, pos):
    """``(do ((var init step) ...) (test result ...) body ...)`` as a loop procedure."""
    parts = ex.elements(x.cdr, pos, "do")
    if len(parts) < 2:
        raise ex.syntax_error(
            "do: expected (do ((var init step) ...) (test result ...) body ...)", pos
        )
    specs = []
    for spec, spos in ex.elements(parts[0][0], parts[0][1], "do"):
        sp = ex.elements(spec, spos, "do") if _is_pair(spec) else None
        if not sp or not is_identifier(sp[0][0]) or len(sp) > 3:
            raise ex.syntax_error("do: each variable must be (var init [step])", spos)
        specs.append(sp)
    test_clause = ex.elements(parts[1][0], parts[1][1], "do")
    if not test_clause:
        raise ex.syntax_error("do: missing (test result ...)", parts[1][1])
    inits = [ex.expand(sp[1][0], scope, sp[1][1]) for sp in specs]
    loop_scope = Scope(scope, scope.frame)
    loop = ast.Binding("do-loop", scope.frame, scope.frame.alloc())
    code = LambdaCode("do-loop", len(specs), False, pos, ex.source)
    frame = CFrame(scope.frame, code)
    inner = Scope(loop_scope, frame)
    for sp in specs:
        ex.bind(inner, sp[0][0])
    test = ex.expand(test_clause[0][0], inner, test_clause[0][1])
    results = [ex.expand(d, inner, p) for d, p in test_clause[1:]] or [ast.Const(VOID)]
    body = [ex.expand(d, inner, p) for d, p in parts[2:]]
    steps = []
    for sp in specs:
        if len(sp) == 3:
            steps.append(ex.expand(sp[2][0], inner, sp[2][1]))
        else:
            steps.append(ex.ref(inner, sp[0][0], sp[0][1]))
    recur = ast.Call(ast.LRef(loop, 1, pos), steps, pos)
    done = results[0] if len(results) == 1 else ast.Seq(results)
    again = ast.Seq(body + [recur]) if body else recur
    lam = ast.Lambda(code, frame, ast.If(test, done, again))
    return ast.Seq(
        [ast.LSet(loop, 0, lam, init=True), ast.Call(ast.LRef(loop, 0, pos), inits, pos)]
    )


def _cond(ex, x, scope, pos):
    clauses = ex.elements(x.cdr, pos, "cond")
    node = ast.Const(VOID)
    for i in range(len(clauses) - 1, -1, -1):
        clause, cpos = clauses[i]
        parts = ex.elements(clause, cpos, "cond") if _is_pair(clause) else None
        if not parts:
            raise ex.syntax_error("cond: each clause must be (test expr ...)", cpos)
        head = parts[0][0]
        if (
            is_identifier(head)
            and base_symbol(head).name == "else"
            and type(ex.lookup(scope, head)) is not ast.Binding
        ):
            if i != len(clauses) - 1:
                raise ex.syntax_error("cond: else must be the last clause", cpos)
            node = _body_of(ex, parts[1:], scope, cpos, "cond")
            continue
        test = ex.expand(head, scope, parts[0][1])
        if len(parts) == 1:
            node = ast.Or([test, node])
        elif is_identifier(parts[1][0]) and base_symbol(parts[1][0]).name == "=>":
            if len(parts) != 3:
                raise ex.syntax_error("cond: expected (test => receiver)", cpos)
            tmp = ast.Binding("cond-value", scope.frame, scope.frame.alloc())
            receiver = ex.expand(parts[2][0], scope, parts[2][1])
            call = ast.Call(receiver, [ast.LRef(tmp, 0, cpos)], cpos)
            node = ast.Seq(
                [ast.LSet(tmp, 0, test, init=True), ast.If(ast.LRef(tmp, 0, cpos), call, node)]
            )
        else:
            node = ast.If(test, _body_of(ex, parts[1:], scope, cpos, "cond"), node)
    return node


def _body_of(ex, parts, scope, pos, what):
    if not parts:
        raise ex.syntax_error("%s: empty clause body" % what, pos)
    items = [ex.expand(d, scope, p) for d, p in parts]
    return items[0] if len(items) == 1 else ast.Seq(items)


def _case(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "case")
    if not parts:
        raise ex.syntax_error("case: expected (case key clause ...)", pos)
    key = ex.expand(parts[0][0], scope, parts[0][1])
    tmp = ast.Binding("case-key", scope.frame, scope.frame.alloc())
    node = ast.Const(VOID)
    clauses = parts[1:]
    for i in range(len(clauses) - 1, -1, -1):
        clause, cpos = clauses[i]
        cparts = ex.elements(clause, cpos, "case") if _is_pair(clause) else None
        if not cparts or len(cparts) < 2:
            raise ex.syntax_error("case: each clause must be ((datum ...) expr ...)", cpos)
        head = cparts[0][0]
        body = cparts[1:]
        if is_identifier(body[0][0]) and base_symbol(body[0][0]).name == "=>":
            if len(body) != 2:
                raise ex.syntax_error("case: expected (... => receiver)", cpos)
            receiver = ex.expand(body[1][0], scope, body[1][1])
            result = ast.Call(receiver, [ast.LRef(tmp, 0, cpos)], cpos)
        else:
            result = _body_of(ex, body, scope, cpos, "case")
        if is_identifier(head) and base_symbol(head).name == "else":
            if i != len(clauses) - 1:
                raise ex.syntax_error("case: else must be the last clause", cpos)
            node = result
            continue
        data = ex.elements(head, cpos, "case")
        test = ast.Call(
            ast.Const(_case_test([strip_syntax(d) for d, _ in data])),
            [ast.LRef(tmp, 0, cpos)],
            cpos,
        )
        node = ast.If(test, result, node)
    return ast.Seq([ast.LSet(tmp, 0, key, init=True), node])


def _when(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "when")
    if len(parts) < 2:
        raise ex.syntax_error("when: expected (when test expr ...)", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    return ast.If(test, _body_of(ex, parts[1:], scope, pos, "when"), ast.Const(VOID))


def _unless(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "unless")
    if len(parts) < 2:
        raise ex.syntax_error("unless: expected (unless test expr ...)", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    return ast.If(test, ast.Const(VOID), _body_of(ex, parts[1:], scope, pos, "unless"))


def _and(ex, x, scope, pos):
    items = [ex.expand(d, scope, p) for d, p in ex.elements(x.cdr, pos, "and")]
    if not items:
        return ast.Const(True)
    return items[0] if len(items) == 1 else ast.And(items)


def _or(ex, x, scope, pos):
    items = [ex.expand(d, scope, p) for d, p in ex.elements(x.cdr, pos, "or")]
    if not items:
        return ast.Const(False)
    return items[0] if len(items) == 1 else ast.Or(items)


def _with_handler(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "with-handler")
    if len(parts) < 2:
        raise ex.syntax_error("with-handler: expected (with-handler handler expr ...)", pos)
    handler = ex.expand(parts[0][0], scope, parts[0][1])
    body_forms = _rebuild_list([d for d, _ in parts[1:]])
    thunk = _lambda(
        ex, SrcPair(S("lambda"), SrcPair(NIL, body_forms, pos), pos), scope, pos, "with-handler"
    )
    return ast.Call(ast.Const(ex.interp.builtin("%with-handler")), [handler, thunk], pos)


def _assert(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "assert!")
    if len(parts) != 1:
        raise ex.syntax_error("assert!: expected (assert! expr)", pos)
    from .printer import write_string

    test = ex.expand(parts[0][0], scope, parts[0][1])
    text = write_string(strip_syntax(parts[0][0]), 80)
    fail = ast.Call(ast.Const(_ASSERT_FAILED), [ast.Const(text)], pos)
    return ast.If(test, ast.Const(VOID), fail)


def _misplaced(name):
    def handler(ex, x, scope, pos):
        raise ex.syntax_error("%s: not allowed here" % name, pos)

    return handler


def _unsupported(name, why):
    def handler(ex, x, scope, pos):
        raise ex.syntax_error("%s: %s" % (name, why), pos)

    return handler


SPECIAL_FORMS = {
    "quote": _quote,
    "quasiquote": _quasiquote,
    "lambda": _lambda,
    "fn": _lambda,
    "λ": _lambda,
    "define": _define,
    "define-syntax": _define_syntax,
    "struct": _struct,
    "begin": _begin,
    "set!": _set,
    "if": _if,
    "let": _let,
    "let*": _let_star,
    "letrec": _letrec,
    "letrec*": _letrec,
    "do": _do,
    "cond": _cond,
    "case": _case,
    "when": _when,
    "unless": _unless,
    "and": _and,
    "or": _or,
    "with-handler": _with_handler,
    "assert!": _assert,
    "unquote": _misplaced("unquote"),
    "unquote-splicing": _misplaced("unquote-splicing"),
    "syntax-rules": _misplaced("syntax-rules"),
    "else": _misplaced("else"),
    "=>": _misplaced("=>"),
    "...": _misplaced("..."),
    "require": _unsupported("require", "modules are not available to device programs"),
    "provide": _unsupported("provide", "modules are not available to device programs"),
}
