"""Conditional forms: cond, case, when, unless, and, or."""

from . import ast
from .quoted import strip_syntax
from .syntax_rules import base_symbol, is_identifier
from .values import VOID, Primitive, hash_key, is_pair


def _case_test(keys):
    table = {}
    for k in keys:
        table[hash_key(k)] = True

    def memv(v):
        return hash_key(v) in table

    return Primitive("case", memv, 1, 1)


def expand_cond(ex, x, scope, pos):
    clauses = ex.elements(x.cdr, pos, "cond")
    node = ast.Const(VOID)
    for i in range(len(clauses) - 1, -1, -1):
        clause, cpos = clauses[i]
        parts = ex.elements(clause, cpos, "cond") if is_pair(clause) else None
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
    """A clause's expressions, as a body: Steel allows definitions at its start."""
    if not parts:
        raise ex.syntax_error("%s: empty clause body" % what, pos)
    return ex.expand_body(parts, scope, pos)


def expand_case(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "case")
    if not parts:
        raise ex.syntax_error("case: expected (case key clause ...)", pos)
    key = ex.expand(parts[0][0], scope, parts[0][1])
    tmp = ast.Binding("case-key", scope.frame, scope.frame.alloc())
    node = ast.Const(VOID)
    clauses = parts[1:]
    for i in range(len(clauses) - 1, -1, -1):
        clause, cpos = clauses[i]
        cparts = ex.elements(clause, cpos, "case") if is_pair(clause) else None
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


def expand_when(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "when")
    if len(parts) < 2:
        raise ex.syntax_error("when: expected (when test expr ...)", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    return ast.If(test, _body_of(ex, parts[1:], scope, pos, "when"), ast.Const(VOID))


def expand_unless(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "unless")
    if len(parts) < 2:
        raise ex.syntax_error("unless: expected (unless test expr ...)", pos)
    test = ex.expand(parts[0][0], scope, parts[0][1])
    return ast.If(test, ast.Const(VOID), _body_of(ex, parts[1:], scope, pos, "unless"))


def expand_and(ex, x, scope, pos):
    items = [ex.expand(d, scope, p) for d, p in ex.elements(x.cdr, pos, "and")]
    if not items:
        return ast.Const(True)
    return items[0] if len(items) == 1 else ast.And(items)


def expand_or(ex, x, scope, pos):
    items = [ex.expand(d, scope, p) for d, p in ex.elements(x.cdr, pos, "or")]
    if not items:
        return ast.Const(False)
    return items[0] if len(items) == 1 else ast.Or(items)
