"""Binding forms: let, named let, let*, letrec, letrec*, do."""

from . import ast
from .forms_core import expand_lambda
from .quoted import rebuild_list
from .scopes import CFrame, Scope
from .syntax_rules import base_symbol, is_identifier
from .values import VOID, LambdaCode, SrcPair, intern, is_pair


def _bindings(ex, spec, pos, what):
    """``((name init) ...)`` → [(name, init-datum, pos)]."""
    out = []
    for b, bpos in ex.elements(spec, pos, what):
        parts = ex.elements(b, bpos, what) if is_pair(b) else None
        if not parts or not is_identifier(parts[0][0]) or len(parts) != 2:
            raise ex.syntax_error("%s: each binding must be (name value)" % what, bpos)
        out.append((parts[0][0], parts[1][0], parts[1][1]))
    return out


def expand_let(ex, x, scope, pos):
    if not is_pair(x.cdr):
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
    if not is_pair(rest):
        raise ex.syntax_error("let: expected (let name ((var init) ...) body ...)", pos)
    binds = _bindings(ex, rest.car, pos, "let")
    inits = [ex.expand(init, scope, ipos) for _, init, ipos in binds]
    loop_scope = Scope(scope, scope.frame)
    b = ex.bind(loop_scope, name)  # assigned before anything can call the loop
    params = rebuild_list([n for n, _, _ in binds])
    lam_form = SrcPair(intern("lambda"), SrcPair(params, rest.cdr, pos), pos)
    lam = expand_lambda(ex, lam_form, loop_scope, pos, base_symbol(name).name)
    depth = 0
    call = ast.Call(ast.LRef(b, depth, pos), inits, pos)
    return ast.Seq([ast.LSet(b, 0, lam, init=True), call])


def expand_let_star(ex, x, scope, pos):
    if not is_pair(x.cdr):
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


def expand_letrec(ex, x, scope, pos):
    if not is_pair(x.cdr):
        raise ex.syntax_error("letrec: expected (letrec ((name value) ...) body ...)", pos)
    binds = _bindings(ex, x.cdr.car, pos, "letrec")
    inner = Scope(scope, scope.frame)
    bs = [ex.bind(inner, name, letrec=True) for name, _, _ in binds]
    items = []
    for b, (_, init, ipos) in zip(bs, binds):
        items.append(ast.LSet(b, 0, ex.expand_named(init, inner, ipos, b.name), init=True))
    items.append(ex.expand_body(ex.elements(x.cdr.cdr, pos, "letrec"), inner, pos))
    return ast.Seq(items)


def expand_do(ex, x, scope, pos):
    """``(do ((var init step) ...) (test result ...) body ...)`` as a loop procedure."""
    parts = ex.elements(x.cdr, pos, "do")
    if len(parts) < 2:
        raise ex.syntax_error(
            "do: expected (do ((var init step) ...) (test result ...) body ...)", pos
        )
    specs = []
    for spec, spos in ex.elements(parts[0][0], parts[0][1], "do"):
        sp = ex.elements(spec, spos, "do") if is_pair(spec) else None
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
