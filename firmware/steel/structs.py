"""``struct``: a record type's constructor, predicate, accessors and mutators.

The definitions are made at compile time as primitives (so calls to them are inlined) and
handed to the body scanner as prebuilt constants.
"""

from . import ast
from .errors import type_error
from .printer import write_string
from .scopes import Prebuilt
from .syntax_rules import base_symbol, is_identifier
from .values import NIL, VOID, Primitive, SrcPair, Struct, StructType, intern, is_procedure

_FLAGS = ("#:mutable", "#:transparent")
_VALUED = ("#:prop:procedure", "#:printer")


def struct_definitions(ex, form, pos):
    """``(struct name (field ...) option ...)`` → ``(definitions, expressions)``.

    The definitions are the constructor, predicate, accessors (and mutators) as
    ``(symbol, node)``; the expressions are data to run after them, for options whose
    value is computed at run time (``#:printer proc``, ``#:prop:procedure proc``).

    Options: ``#:mutable``, ``#:transparent``, ``#:prop:procedure`` (a field index, or a
    procedure called with the instance and the arguments: instances become callable)
    and ``#:printer`` (a procedure ``(printer obj emit)`` used by display, write and
    print).
    """
    parts = ex.elements(form.cdr, pos, "struct")
    if len(parts) < 2 or not is_identifier(parts[0][0]):
        raise ex.syntax_error("struct: expected (struct name (field ...) option ...)", pos)
    name = base_symbol(parts[0][0]).name
    fields = []
    for f, fpos in ex.elements(parts[1][0], parts[1][1], "struct"):
        if not is_identifier(f):
            raise ex.syntax_error("struct: field names must be identifiers", fpos)
        fields.append(base_symbol(f).name)
    mutable = False
    transparent = False
    valued = []  # (option, value datum, position)
    options = parts[2:]
    k = 0
    while k < len(options):
        opt, opos = options[k]
        o = base_symbol(opt).name if is_identifier(opt) else None
        if o == "#:mutable":
            mutable = True
        elif o == "#:transparent":
            transparent = True
        elif o in _VALUED:
            if k + 1 >= len(options):
                raise ex.syntax_error("struct: %s needs a value" % o, opos)
            valued.append((o, options[k + 1][0], options[k + 1][1]))
            k += 1
        else:
            raise ex.syntax_error(
                "struct: unknown option %s (known: %s)"
                % (write_string(opt, 60), ", ".join(_FLAGS + _VALUED)),
                opos,
            )
        k += 1
    printed = name
    if name.startswith("%") and ":" in name:  # a built-in module's hidden name (modules.py)
        printed = name[name.rindex(":") + 1 :]
    stype = StructType(printed, fields, mutable, transparent)
    nf = len(fields)
    later = []
    for o, value, vpos in valued:
        if o == "#:prop:procedure" and type(value) is int:
            if not 0 <= value < nf:
                raise ex.syntax_error(
                    "struct: #:prop:procedure %d is not a field of %s (it has %d)"
                    % (value, name, nf),
                    vpos,
                )
            stype.proc_field = value
            continue
        setter = _SET_PRINTER if o == "#:printer" else _SET_PROCEDURE
        later.append(
            SrcPair(
                Prebuilt(ast.Const(setter)),
                SrcPair(Prebuilt(ast.Const(stype)), SrcPair(value, NIL, vpos), vpos),
                vpos,
            )
        )
    defs = []

    def make(*vals):
        return Struct(stype, list(vals))

    defs.append((intern(name), Primitive(name, make, nf, nf, "(%s %s)" % (name, " ".join(fields)))))

    def is_it(x):
        return type(x) is Struct and x.type is stype

    defs.append((intern(name + "?"), Primitive(name + "?", is_it, 1, 1)))
    for i in range(nf):
        defs.append((intern(name + "-" + fields[i]), _accessor(stype, i, name + "-" + fields[i])))
        if mutable:
            setter = "set-%s-%s!" % (name, fields[i])
            defs.append((intern(setter), _mutator(stype, i, setter)))
    return [(sym, ast.Const(p)) for sym, p in defs], later


def _set_printer(stype, proc):
    if not is_procedure(proc):
        raise type_error("struct", "a procedure for #:printer", proc)
    stype.printer = proc
    return VOID


def _set_procedure(stype, proc):
    if not is_procedure(proc):
        raise type_error("struct", "a field index or a procedure for #:prop:procedure", proc)
    stype.proc_field = proc
    return VOID


_SET_PRINTER = Primitive("struct", _set_printer, 2, 2)
_SET_PROCEDURE = Primitive("struct", _set_procedure, 2, 2)


def _accessor(stype, i, name):
    def get(x):
        if type(x) is Struct and x.type is stype:
            return x.fields[i]
        raise type_error(name, stype.name, x)

    return Primitive(name, get, 1, 1)


def _mutator(stype, i, name):
    def put(x, v):
        if type(x) is Struct and x.type is stype:
            x.fields[i] = v
            return VOID
        raise type_error(name, stype.name, x)

    return Primitive(name, put, 2, 2)
