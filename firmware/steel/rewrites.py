"""Steel's library macros, written as rewrites of the form's data.

Steel defines ``->``, ``define-values``, ``case-lambda``, ``parameterize``, ``dbg!`` and
friends as macros in its prelude.  Here each is a Python function from the form to the
form it stands for, run by the expander like a macro (so a program may shadow the name).
The procedures a rewrite introduces are spliced in as constants (:class:`Prebuilt`), so a
program that redefines ``list-ref`` does not change what ``define-values`` does.
"""

from . import ast, modules
from .errors import BAD_SYNTAX, SteelError
from .scopes import Prebuilt
from .syntax_rules import base_symbol, is_identifier
from .values import NIL, Char, SrcPair, gensym, intern, is_number, is_pair

_STD = {}  # name -> the standard library's procedure, filled by install()


def _builtin(name):
    return Prebuilt(ast.Const(_STD[name]))


def _list(items, pos, tail=NIL):
    r = tail
    for i in range(len(items) - 1, -1, -1):
        r = SrcPair(items[i], r, pos)
    return r


def _items(x, pos, who):
    out = []
    while is_pair(x):
        out.append(x.car)
        x = x.cdr
    if x is not NIL:
        raise SteelError(BAD_SYNTAX, "%s: improper list" % who, pos[0], pos[1])
    return out


def _bad(who, usage, pos):
    return SteelError(BAD_SYNTAX, "%s: expected %s" % (who, usage), pos[0], pos[1])


def _sym(name):
    return intern(name)


# --- threading -----------------------------------------------------------------------------


def _thread(first):
    def rewrite(form, pos):
        parts = _items(form.cdr, pos, form.car)
        if not parts:
            raise _bad(base_symbol(form.car).name, "(-> value step ...)", pos)
        acc = parts[0]
        for step in parts[1:]:
            if is_pair(step):
                args = _items(step.cdr, pos, "->")
                if first:
                    acc = _list([step.car, acc] + args, pos)
                else:
                    acc = _list([step.car] + args + [acc], pos)
            else:
                acc = _list([step, acc], pos)
        return acc

    return rewrite


# --- definitions and procedures ----------------------------------------------------------


def _define_values(form, pos):
    parts = _items(form.cdr, pos, "define-values")
    if len(parts) != 2 or not (is_pair(parts[0]) or parts[0] is NIL):
        raise _bad("define-values", "(define-values (name ...) expr)", pos)
    names = _items(parts[0], pos, "define-values")
    for n in names:
        if not is_identifier(n):
            raise _bad("define-values", "identifiers to define", pos)
    tmp = gensym("values")
    out = [_sym("begin"), _list([_sym("define"), tmp, parts[1]], pos)]
    for i in range(len(names)):
        out.append(
            _list([_sym("define"), names[i], _list([_builtin("list-ref"), tmp, i], pos)], pos)
        )
    return _list(out, pos)


def _case_lambda(form, pos):
    """``(case-lambda [formals body ...] ...)``: one procedure that picks the first
    clause whose formals accept the number of arguments."""
    clauses = _items(form.cdr, pos, "case-lambda")
    args = gensym("args")
    n = gensym("n")
    names = []
    bindings = []
    tests = []
    for clause in clauses:
        if not is_pair(clause):
            raise _bad("case-lambda", "clauses of the form [(param ...) body ...]", pos)
        formals = clause.car
        required = 0
        rest = False
        p = formals
        while is_pair(p):
            required += 1
            p = p.cdr
        if p is not NIL:
            rest = True
        name = gensym("clause")
        names.append(name)
        bindings.append(_list([name, SrcPair(_sym("lambda"), clause, pos)], pos))
        test = _list([_builtin(">=" if rest else "="), n, required], pos)
        call = _list([_builtin("apply"), name, args], pos)
        tests.append(_list([test, call], pos))
    tests.append(_list([_sym("else"), _list([_builtin("%case-lambda-fail"), n], pos)], pos))
    body = _list(
        [
            _sym("let"),
            _list([_list([n, _list([_builtin("length"), args], pos)], pos)], pos),
            SrcPair(_sym("cond"), _list(tests, pos), pos),
        ],
        pos,
    )
    lam = _list([_sym("lambda"), args, body], pos)
    return _list([_sym("let"), _list(bindings, pos), lam], pos)


def _parameterize(form, pos):
    parts = _items(form.cdr, pos, "parameterize")
    if not parts:
        raise _bad("parameterize", "(parameterize ([param value] ...) body ...)", pos)
    params = []
    values = []
    for binding in _items(parts[0], pos, "parameterize"):
        b = _items(binding, pos, "parameterize") if is_pair(binding) else []
        if len(b) != 2:
            raise _bad("parameterize", "bindings of the form [param value]", pos)
        params.append(b[0])
        values.append(b[1])
    thunk = SrcPair(_sym("lambda"), SrcPair(NIL, _list(parts[1:], pos), pos), pos)
    return _list(
        [
            _builtin("%parameterize"),
            _list([_builtin("list")] + params, pos),
            _list([_builtin("list")] + values, pos),
            thunk,
        ],
        pos,
    )


# --- debugging and documentation ---------------------------------------------------------


def _dbg(form, pos):
    parts = _items(form.cdr, pos, "dbg!")
    if len(parts) != 1:
        raise _bad("dbg!", "(dbg! expr)", pos)
    r = gensym("result")
    quoted = _list([_sym("quote"), parts[0]], pos)
    return _list(
        [
            _sym("let"),
            _list([_list([r, parts[0]], pos)], pos),
            _list([_builtin("simple-display"), quoted, " = "], pos),
            _list([_builtin("simple-displayln"), r], pos),
            r,
        ],
        pos,
    )


def _help(form, pos):
    names = _items(form.cdr, pos, "help")
    quoted = [_list([_sym("quote"), n], pos) for n in names]
    return _list([_builtin("%help")] + quoted, pos)


def _doc(form, pos):
    """``(@doc "text" definition)``, made by the reader from a ``;;@doc`` comment: the
    definition, and ``name__doc__`` bound to the text."""
    parts = _items(form.cdr, pos, "@doc")
    if len(parts) != 2 or type(parts[0]) is not str:
        raise _bad("@doc", '(@doc "text" definition)', pos)
    target = parts[1]
    name = None
    if is_pair(target) and is_identifier(target.car) and base_symbol(target.car).name == "define":
        head = target.cdr.car if is_pair(target.cdr) else None
        while is_pair(head):
            head = head.car
        if is_identifier(head):
            name = base_symbol(head).name
    if name is None:
        return target
    doc = _list([_sym("define"), _sym(name + "__doc__"), parts[0]], pos)
    return _list([_sym("begin"), doc, target], pos)


# --- control ---------------------------------------------------------------------------------


def _while(form, pos):
    parts = _items(form.cdr, pos, "while")
    if not parts:
        raise _bad("while", "(while test body ...)", pos)
    loop = gensym("while")
    again = _list([loop], pos)
    body = _list([_sym("begin")] + parts[1:] + [again], pos)
    return _list(
        [_sym("let"), loop, NIL, _list([_sym("when"), parts[0], body], pos)],
        pos,
    )


def _delay(form, pos):
    parts = _items(form.cdr, pos, "delay")
    if len(parts) != 1:
        raise _bad("delay", "(delay expr)", pos)
    return _list([_sym("lambda"), NIL, parts[0]], pos)


def _syntax_const_if(form, pos):
    """``(syntax-const-if x then else)``: ``then`` when x is a literal constant (a
    number, string, char or boolean), else ``else`` — chosen when the form is expanded."""
    parts = _items(form.cdr, pos, "syntax-const-if")
    if len(parts) != 3:
        raise _bad("syntax-const-if", "(syntax-const-if datum then else)", pos)
    x = parts[0]
    literal = is_number(x) or type(x) is str or type(x) is bool or type(x) is Char
    return parts[1] if literal else parts[2]


def _require(form, pos):
    """``(require spec ...)`` of built-in modules: their definitions, spliced in."""
    forms = [_sym("begin")]
    for spec in _items(form.cdr, pos, "require"):
        if type(spec) is str:
            forms.extend(modules.module_forms(spec, pos))
            continue
        parts = _items(spec, pos, "require") if is_pair(spec) else []
        head = base_symbol(parts[0]).name if parts and is_identifier(parts[0]) else None
        if head == "only-in" and len(parts) >= 2 and type(parts[1]) is str:
            names = []  # (the module's name, the name in the program)
            for n in parts[2:]:
                pair = _items(n, pos, "require") if is_pair(n) else None
                if is_identifier(n):
                    names.append((base_symbol(n).name, base_symbol(n).name))
                elif pair and len(pair) == 2 and is_identifier(pair[0]) and is_identifier(pair[1]):
                    names.append((base_symbol(pair[0]).name, base_symbol(pair[1]).name))
                else:
                    raise _bad("require", "only-in names or (name new-name) pairs", pos)
            forms.extend(modules.module_forms(parts[1], pos, only=names))
        elif head == "prefix-in" and len(parts) == 3 and type(parts[2]) is str:
            if not is_identifier(parts[1]):
                raise _bad("require", '(prefix-in prefix "module")', pos)
            prefix = base_symbol(parts[1]).name
            forms.extend(modules.module_forms(parts[2], pos, prefix=prefix))
        else:
            raise _bad(
                "require",
                'a built-in module: "steel/result", (only-in "module" name ...) or '
                '(prefix-in prefix "module")',
                pos,
            )
    return _list(forms, pos)


def _provide(form, pos):
    """``provide`` matters only to modules; a program is one unit, so it does nothing."""
    return _list([_sym("begin")], pos)


REWRITES = {
    "require": _require,
    "provide": _provide,
    "->": _thread(True),
    "->>": _thread(False),
    "define-values": _define_values,
    "case-lambda": _case_lambda,
    "parameterize": _parameterize,
    "dbg!": _dbg,
    "help": _help,
    "@doc": _doc,
    "while": _while,
    "delay": _delay,
    "syntax-const-if": _syntax_const_if,
}


class Rewrite:
    """A library macro: ``fn(form, pos)`` returns the form it stands for."""

    __slots__ = ("name", "fn")

    def __init__(self, name, fn):
        self.name = name
        self.fn = fn


MACROS = dict([(intern(name), Rewrite(name, fn)) for name, fn in REWRITES.items()])


def install(std):
    """Give the rewrites the standard procedures they splice in (once per process)."""
    for name in (
        "list-ref",
        "apply",
        "length",
        "=",
        ">=",
        "%case-lambda-fail",
        "%parameterize",
        "list",
        "simple-display",
        "simple-displayln",
        "%help",
    ):
        _STD[name] = std[name]


def rewrite(macro, form, pos):
    try:
        return macro.fn(form, pos)
    except SteelError as e:
        raise e.locate(pos)
