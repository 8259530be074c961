"""The core special forms: quote, lambda, begin, set!, if, with-handler, assert!.

Each handler takes ``(expander, form, scope, pos)`` and returns an AST node.  ``define``,
``define-syntax`` and ``struct`` are handled by the body scanner; their handlers here only
report a definition in a place where none is allowed.
"""

from . import ast
from .errors import SteelError
from .printer import write_string
from .quoted import rebuild_list, strip_syntax
from .scopes import CFrame, Scope
from .syntax_rules import Macro, base_symbol, is_identifier
from .values import NIL, VOID, LambdaCode, Pair, Primitive, SrcPair, intern, is_pair


def _assert_failed(text):
    raise SteelError("Generic", "assertion failed: %s" % text)


_ASSERT_FAILED = Primitive("assert!", _assert_failed, 1, 1)


def expand_quote(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "quote")
    if len(parts) != 1:
        raise ex.syntax_error("quote: expected exactly one datum", pos)
    datum = parts[0][0]
    if ex.check and is_pair(datum):
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


def lambda_params(ex, params, pos):
    """Parameter identifiers of a lambda list and the rest parameter (or None)."""
    names = []
    p = params
    while is_pair(p):
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


def expand_lambda(ex, x, scope, pos, name=None):
    if not is_pair(x.cdr):
        raise ex.syntax_error("lambda: expected (lambda (param ...) body ...)", pos)
    names, rest = lambda_params(ex, x.cdr.car, pos)
    code = LambdaCode(name, len(names), rest is not None, pos, ex.source)
    frame = CFrame(scope.frame, code)
    inner = Scope(scope, frame)
    for n in names:
        ex.bind(inner, n)
    if rest is not None:
        ex.bind(inner, rest)
    body = ex.expand_body(ex.elements(x.cdr.cdr, pos, "lambda"), inner, pos)
    return ast.Lambda(code, frame, body)


def expand_define(ex, x, scope, pos):
    raise ex.syntax_error("define: only allowed at the top level or at the start of a body", pos)


def expand_define_syntax(ex, x, scope, pos):
    raise ex.syntax_error(
        "define-syntax: only allowed at the top level or at the start of a body", pos
    )


def expand_struct(ex, x, scope, pos):
    raise ex.syntax_error("struct: only allowed at the top level or at the start of a body", pos)


def expand_begin(ex, x, scope, pos):
    """``begin`` where an expression is expected (bodies splice theirs): a body of its
    own, so definitions in it are local to it, as Steel allows."""
    parts = ex.elements(x.cdr, pos, "begin")
    if not parts:
        return ast.Const(VOID)
    return ex.expand_body(parts, scope, pos)


def expand_set(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "set!")
    if len(parts) != 2 or not is_identifier(parts[0][0]):
        raise ex.syntax_error("set!: expected (set! name value)", pos)
    target = parts[0][0]
    value = ex.expand(parts[1][0], scope, parts[1][1])
    r = ex.lookup(scope, target)
    if type(r) is ast.Binding:
        r.mutated = True
        return ast.LSet(r, scope.frame.level - r.frame.level, value)
    if type(r) is Macro or ex.is_special(r.name):
        raise ex.syntax_error("set!: %s is syntax" % base_symbol(target).name, pos)
    cell = ex.interp.cell(r)
    ex.references.append((cell, parts[0][1]))
    ex.assigned[cell] = True
    ex.set_globals[cell] = True
    ex.known_arity.pop(cell, None)
    return ast.GSet(cell, value, False, pos)


def expand_if(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "if")
    if len(parts) not in (2, 3):
        raise ex.syntax_error("if: expected (if test then [else])", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    then = ex.expand(parts[1][0], scope, parts[1][1])
    other = ex.expand(parts[2][0], scope, parts[2][1]) if len(parts) == 3 else ast.Const(VOID)
    return ast.If(test, then, other)


def expand_with_handler(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "with-handler")
    if len(parts) < 2:
        raise ex.syntax_error("with-handler: expected (with-handler handler expr ...)", pos)
    handler = ex.expand(parts[0][0], scope, parts[0][1])
    body_forms = rebuild_list([d for d, _ in parts[1:]])
    thunk = expand_lambda(
        ex,
        SrcPair(intern("lambda"), SrcPair(NIL, body_forms, pos), pos),
        scope,
        pos,
        "with-handler",
    )
    return ast.Call(ast.Const(ex.interp.builtin("%with-handler")), [handler, thunk], pos)


def expand_assert(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "assert!")
    if len(parts) != 1:
        raise ex.syntax_error("assert!: expected (assert! expr)", pos)

    test = ex.expand(parts[0][0], scope, parts[0][1])
    text = write_string(strip_syntax(parts[0][0]), 80)
    fail = ast.Call(ast.Const(_ASSERT_FAILED), [ast.Const(text)], pos)
    return ast.If(test, ast.Const(VOID), fail)


def misplaced(name):
    def handler(ex, x, scope, pos):
        raise ex.syntax_error("%s: not allowed here" % name, pos)

    return handler
