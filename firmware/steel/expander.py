"""From data to the core language: scopes, bodies, definitions and macro uses.

A compilation unit (one ``eval`` of a program text) is expanded as a whole before anything
runs, which is what lets the runtime report unknown identifiers and wrong arities up front,
as Steel does.  The special forms themselves live in ``forms_core``, ``forms_binding``,
``forms_cond``, ``quasiquote`` and ``structs``; :data:`SPECIAL_FORMS` names them all.
"""

from . import ast, rewrites
from .errors import ARITY_MISMATCH, BAD_SYNTAX, FREE_IDENTIFIER, SteelError, describe_arity
from .forms_binding import expand_do, expand_let, expand_let_star, expand_letrec
from .forms_cond import expand_and, expand_case, expand_cond, expand_or, expand_unless, expand_when
from .forms_core import (
    expand_assert,
    expand_begin,
    expand_define,
    expand_define_syntax,
    expand_if,
    expand_lambda,
    expand_quote,
    expand_set,
    expand_struct,
    expand_with_handler,
    misplaced,
)
from .printer import write_string
from .quasiquote import expand_quasiquote
from .quoted import strip_syntax
from .scopes import CFrame, Prebuilt, Scope
from .structs import struct_definitions
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
    Symbol,
    intern,
    is_number,
    is_pair,
)


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
            if type(h) is rewrites.Rewrite:
                # A library macro, unless the program defines a global of that name.
                return None if self.defines_global(r) else ("macro", h)
            if h is not None:
                return ("special", h)
        return None

    def defines_global(self, sym):
        """True if the program gives the global ``sym`` a value of its own."""
        cell = self.interp.globals.get(sym)
        return cell is not None and (cell in self.defined or cell.v is not UNDEFINED)

    def apply_macro(self, macro, form, pos):
        """One expansion step of a syntax-rules macro or a library rewrite."""
        if type(macro) is rewrites.Rewrite:
            try:
                return rewrites.rewrite(macro, form, pos)
            except SteelError as e:
                if e.source is None:
                    e.source = self.source
                raise
        return expand_macro(macro, form, pos, self.source)

    def is_special(self, name):
        """True if ``name`` names a special form (which cannot be assigned or passed)."""
        h = SPECIAL_FORMS.get(name)
        if type(h) is rewrites.Rewrite:
            return not self.defines_global(intern(name))
        return h is not None

    def ref(self, scope, ident, pos):
        r = self.lookup(scope, ident)
        if type(r) is ast.Binding:
            return ast.LRef(r, scope.frame.level - r.frame.level, pos)
        if type(r) is Macro:
            raise self.syntax_error("%s is a macro, not a value" % base_symbol(ident).name, pos)
        if self.is_special(r.name) or r in self.interp.macros:
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
                x = self.apply_macro(kind[1], x, pos)
                pos = self.pos_of(x, pos)
                if not is_pair(x):
                    return self.expand(x, scope, pos)
                head = x.car
        if t is Prebuilt:
            return x.node
        if x is NIL:
            return ast.Const(NIL)
        if t is list:
            return ast.Const(strip_syntax(x))
        if t is int or t is float or t is str or t is bool or t is Char or is_number(x):
            return ast.Const(x)
        raise self.syntax_error("cannot evaluate %s" % write_string(x, 60), pos)

    def pos_of(self, x, default):
        """A list's position is where its first element is (or the enclosing one)."""
        if type(x) is SrcPair:
            return x.pos
        return default

    def elements(self, x, pos, what):
        """The elements of a proper list with their positions."""
        items = []
        while is_pair(x):
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
            while is_pair(form):
                kind = self.head_kind(scope, form.car)
                if kind is None or kind[0] != "macro":
                    break
                form = self.apply_macro(kind[1], form, pos)
                pos = self.pos_of(form, pos)
            if is_pair(form):
                kind = self.head_kind(scope, form.car)
                handler = kind[1] if kind is not None and kind[0] == "special" else None
                if handler is expand_begin:
                    parts = self.elements(form.cdr, pos, "begin")
                    for item in reversed(parts):
                        work.append(item)
                    continue
                if handler is expand_define:
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
                if handler is expand_define_syntax:
                    self.define_syntax(form, scope, pos, toplevel)
                    continue
                if handler is expand_struct:
                    defs, later = struct_definitions(self, form, pos)
                    for target, node in defs:
                        if toplevel:
                            cell = self.interp.cell(target)
                            self.note_definition(cell, None, pos)
                            out.append(("def", cell, Prebuilt(node), pos))
                        else:
                            b = self.bind(scope, target, letrec=True)
                            out.append(("def", b, Prebuilt(node), pos))
                    for datum in later:
                        out.append(("expr", datum, pos))
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
        if not is_pair(value) or not is_identifier(value.car):
            return None
        if base_symbol(value.car).name not in ("lambda", "fn", "λ"):
            return None
        if not is_pair(value.cdr):
            return None
        params = value.cdr.car
        n = 0
        while is_pair(params):
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
                if toplevel and not self.runs_no_code(value, body_scope):
                    node = self.under_prompt(value, body_scope, vpos, target.name)
                else:
                    node = self.expand_named(value, body_scope, vpos, target.name)
                if type(target) is ast.Binding:
                    items.append(ast.LSet(target, 0, node, init=True))
                else:
                    items.append(ast.GSet(target, node, True, vpos))
            elif toplevel and is_pair(rec[1]):
                items.append(self.under_prompt(rec[1], body_scope, rec[2], None))
            else:
                items.append(self.expand(rec[1], body_scope, rec[2]))
        if not items:
            return ast.Const(VOID)
        if records[-1][0] == "def":
            items.append(ast.Const(VOID))
        return items[0] if len(items) == 1 else ast.Seq(items)

    def under_prompt(self, datum, scope, pos, name):
        """A top-level form's expression, run under its own prompt (``(%prompt thunk)``)
        so that the continuations it captures end with the form, as in Steel's REPL."""
        code = LambdaCode("<toplevel>", 0, False, pos, self.source)
        frame = CFrame(scope.frame, code)
        inner = Scope(scope, frame)
        if name is None:
            body = self.expand(datum, inner, pos)
        else:
            body = self.expand_named(datum, inner, pos, name)
        thunk = ast.Lambda(code, frame, body)
        return ast.Call(ast.Const(self.interp.builtin("%prompt")), [thunk], pos)

    def runs_no_code(self, value, scope):
        if type(value) is Prebuilt:
            return type(value.node) is ast.Const
        if is_pair(value):
            kind = self.head_kind(scope, value.car)
            return kind is not None and kind[0] == "special" and kind[1] is expand_lambda
        return False

    def expand_named(self, value, scope, pos, name):
        """Expand a definition's value, naming the procedure if it is a lambda."""
        if is_pair(value):
            kind = self.head_kind(scope, value.car)
            if kind is not None and kind[0] == "special" and kind[1] is expand_lambda:
                return expand_lambda(self, value, scope, pos, name)
        return self.expand(value, scope, pos)

    # --- definitions -------------------------------------------------------------------

    def parse_define(self, form, pos):
        """``(define name value)`` or ``(define (name . params) body...)``."""
        parts = form.cdr
        if not is_pair(parts):
            raise self.syntax_error("define: missing name", pos)
        target = parts.car
        if is_identifier(target):
            rest = parts.cdr
            if rest is NIL:
                return target, Prebuilt(ast.Const(VOID)), pos
            if not is_pair(rest) or rest.cdr is not NIL:
                raise self.syntax_error("define: expected (define name value)", pos)
            return target, rest.car, self.pos_of(rest, pos)
        if is_pair(target):
            # (define (name . params) body ...), possibly curried: ((name a) b)
            name = target.car
            params = target.cdr
            body = parts.cdr
            lam = SrcPair(intern("lambda"), SrcPair(params, body, pos), pos)
            while is_pair(name):
                lam = SrcPair(intern("lambda"), SrcPair(name.cdr, SrcPair(lam, NIL, pos), pos), pos)
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


SPECIAL_FORMS = {
    "quote": expand_quote,
    "quasiquote": expand_quasiquote,
    "lambda": expand_lambda,
    "fn": expand_lambda,
    "λ": expand_lambda,
    "define": expand_define,
    "define-syntax": expand_define_syntax,
    "struct": expand_struct,
    "begin": expand_begin,
    "set!": expand_set,
    "if": expand_if,
    "let": expand_let,
    "let*": expand_let_star,
    "letrec": expand_letrec,
    "letrec*": expand_letrec,
    "do": expand_do,
    "cond": expand_cond,
    "case": expand_case,
    "when": expand_when,
    "unless": expand_unless,
    "and": expand_and,
    "or": expand_or,
    "with-handler": expand_with_handler,
    "assert!": expand_assert,
    "unquote": misplaced("unquote"),
    "unquote-splicing": misplaced("unquote-splicing"),
    "syntax-rules": misplaced("syntax-rules"),
    "else": misplaced("else"),
    "=>": misplaced("=>"),
    "...": misplaced("..."),
}
# Steel's library macros (rewrites.py) are syntax too, unless a program defines the name.
SPECIAL_FORMS.update(dict([(m.name, m) for m in rewrites.MACROS.values()]))
