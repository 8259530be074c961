"""``quasiquote``: templates with unquote and unquote-splicing, nested and dotted."""

from . import ast
from .quoted import rebuild_list, strip_syntax
from .syntax_rules import base_symbol, is_identifier
from .values import NIL, SrcPair, intern, is_pair


def expand_quasiquote(ex, x, scope, pos):
    parts = ex.elements(x.cdr, pos, "quasiquote")
    if len(parts) != 1:
        raise ex.syntax_error("quasiquote: expected exactly one template", pos)
    return _qq(ex, parts[0][0], 1, scope, parts[0][1])


def _qq_tag(x, name):
    return is_pair(x) and is_identifier(x.car) and base_symbol(x.car).name == name


def _qq(ex, t, depth, scope, pos):
    b = ex.interp.builtin
    if _qq_tag(t, "unquote"):
        arg = ex.elements(t.cdr, pos, "unquote")
        if len(arg) != 1:
            raise ex.syntax_error("unquote: expected one expression", pos)
        if depth == 1:
            return ex.expand(arg[0][0], scope, arg[0][1])
        return _qq_list(
            ex, [ast.Const(intern("unquote")), _qq(ex, arg[0][0], depth - 1, scope, pos)]
        )
    if _qq_tag(t, "quasiquote"):
        arg = ex.elements(t.cdr, pos, "quasiquote")
        if len(arg) != 1:
            raise ex.syntax_error("quasiquote: expected one template", pos)
        return _qq_list(
            ex, [ast.Const(intern("quasiquote")), _qq(ex, arg[0][0], depth + 1, scope, pos)]
        )
    if is_pair(t):
        # Walk the spine; splice unquote-splicing elements with append.
        segments = []  # nodes producing lists, to be appended
        current = []
        d = t
        while is_pair(d):
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
                                ast.Const(intern("unquote-splicing")),
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
        lst = _qq(ex, rebuild_list(t), depth, scope, pos)
        return ast.Call(ast.Const(b("list->vector")), [lst], pos)
    return ast.Const(strip_syntax(t))


def _qq_list(ex, nodes):
    if all(type(n) is ast.Const for n in nodes):
        return ast.Const(rebuild_list([n.value for n in nodes]))
    return ast.Call(ast.Const(ex.interp.builtin("list")), nodes, None)
