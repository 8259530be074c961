"""``struct``: a record type's constructor, predicate, accessors and mutators.

The definitions are made at compile time as primitives (so calls to them are inlined) and
handed to the body scanner as prebuilt constants.
"""

from . import ast
from .errors import type_error
from .printer import write_string
from .syntax_rules import base_symbol, is_identifier
from .values import VOID, Primitive, Struct, StructType, intern


def struct_definitions(ex, form, pos):
    """``(struct name (field ...) option ...)`` → constructor, predicate, accessors."""
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
    for opt, opos in parts[2:]:
        o = base_symbol(opt).name if is_identifier(opt) else None
        if o == "#:mutable":
            mutable = True
        elif o == "#:transparent":
            transparent = True
        else:
            raise ex.syntax_error("struct: unknown option %s" % write_string(opt, 60), opos)
    stype = StructType(name, fields, mutable, transparent)
    nf = len(fields)
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
    return [(sym, ast.Const(p)) for sym, p in defs]


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
