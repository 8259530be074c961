"""Equality (eq?, eqv?, equal?), not, and the type predicates."""

import math

from ..numtypes import Complex, Rational
from ..objects import Box
from ..values import (
    NIL,
    VOID,
    Char,
    HashMap,
    HashSet,
    Pair,
    SrcPair,
    Struct,
    Symbol,
    is_procedure,
)


def _same_number(a, b):
    """Rationals and complex numbers of the same exactness compare by value."""
    if type(a) is Rational:
        return a.num == b.num and a.den == b.den
    return eqv(a.re, b.re) and eqv(a.im, b.im)


def eq(a, b):
    if a is b:
        return True
    t = type(a)
    if t is int or t is float:
        return type(b) is t and a == b
    if t is Char:
        return type(b) is Char and a.c == b.c
    if t is Rational or t is Complex:
        return type(b) is t and _same_number(a, b)
    return False


def eqv(a, b):
    if a is b:
        return True
    t = type(a)
    if t is int:
        return type(b) is int and a == b
    if t is Rational or t is Complex:
        return type(b) is t and _same_number(a, b)
    if t is float:
        if type(b) is not float:
            return False
        if a != a:
            return b != b
        return a == b and (a != 0 or math.copysign(1.0, a) == math.copysign(1.0, b))
    if t is Char:
        return type(b) is Char and a.c == b.c
    return False


def equal(a, b):
    """Structural equality, without Python recursion (any depth, cycles through vectors)."""
    stack = [a, b]
    seen = None
    while stack:
        y = stack.pop()
        x = stack.pop()
        if x is y:
            continue
        tx = type(x)
        ty = type(y)
        if tx is SrcPair:
            tx = Pair
        if ty is SrcPair:
            ty = Pair
        if tx is not ty:
            return False
        if tx is Pair:
            while True:
                stack.append(x.car)
                stack.append(y.car)
                x = x.cdr
                y = y.cdr
                if x is y:
                    break
                if not (type(x) is Pair or type(x) is SrcPair):
                    break
                if not (type(y) is Pair or type(y) is SrcPair):
                    break
            stack.append(x)
            stack.append(y)
        elif tx is str or tx is int or tx is bool:
            if x != y:
                return False
        elif tx is float:
            if x != y and not (x != x and y != y):
                return False
        elif tx is Char:
            if x.c != y.c:
                return False
        elif tx is Symbol:
            if x.name != y.name:  # an uninterned symbol equals the interned one
                return False
        elif tx is bytearray:
            if x != y:
                return False
        elif tx is Box:
            stack.append(x.v)
            stack.append(y.v)
        elif tx is Rational:
            if x.num != y.num or x.den != y.den:
                return False
        elif tx is Complex:
            stack.append(x.re)
            stack.append(y.re)
            stack.append(x.im)
            stack.append(y.im)
        elif tx is list:
            n = len(x)
            if n != len(y):
                return False
            if seen is None:
                seen = set()
            key = (id(x), id(y))
            if key in seen:
                continue
            seen.add(key)
            for i in range(n):
                stack.append(x[i])
                stack.append(y[i])
        elif tx is HashMap:
            if len(x.d) != len(y.d):
                return False
            yd = y.d
            for hk, entry in x.d.items():
                other = yd.get(hk)
                if other is None:
                    return False
                stack.append(entry[1])
                stack.append(other[1])
        elif tx is HashSet:
            if len(x.d) != len(y.d):
                return False
            yd = y.d
            for hk in x.d:
                if hk not in yd:
                    return False
        elif tx is Struct:
            # Fields are compared whatever the struct's options, as Steel's equal? does.
            if x.type is not y.type:
                return False
            if x.type.mutable:
                if seen is None:
                    seen = set()
                key = (id(x), id(y))
                if key in seen:
                    continue
                seen.add(key)
            fx = x.fields
            fy = y.fields
            for i in range(len(fx)):
                stack.append(fx[i])
                stack.append(fy[i])
        else:
            return False
    return True


def _void(*args):
    return VOID


def atom_p(x):
    """Steel's atom?: a number, string, symbol, boolean or character."""
    t = type(x)
    return (
        t is int or t is float or t is Rational or t is str or t is Symbol or t is bool or t is Char
    )


def not_(x):
    return x is False


def boolean_p(x):
    return x is True or x is False


def char_p(x):
    return type(x) is Char


def string_p(x):
    return type(x) is str


def symbol_p(x):
    return type(x) is Symbol


def procedure_p(x):
    return is_procedure(x)


def vector_p(x):
    return type(x) is list


def hash_p(x):
    return type(x) is HashMap


def set_p(x):
    return type(x) is HashSet


def void_p(x):
    return x is VOID


def null_p(x):
    return x is NIL


def pair_p(x):
    t = type(x)
    return t is Pair or t is SrcPair


def list_p(x):
    while type(x) is Pair or type(x) is SrcPair:
        x = x.cdr
    return x is NIL


def struct_p(x):
    return type(x) is Struct


def install(lib):
    d = lib.define
    d("eq?", eq, 2, 2, "(eq? a b) — #t if a and b are the same object (or equal numbers/chars)")
    d("eqv?", eqv, 2, 2, "(eqv? a b) — like eq?, comparing numbers by exactness and value")
    d("equal?", equal, 2, 2, "(equal? a b) — #t if a and b are structurally equal")
    d("not", not_, 1, 1, "(not v) — #t if v is #f, else #f")
    d("atom?", atom_p, 1, 1, "(atom? v) — #t for a number, string, symbol, boolean or char")
    d("boolean?", boolean_p, 1, 1, "(boolean? v) — #t if v is #t or #f")
    d("bool?", boolean_p, 1, 1, "(bool? v) — same as boolean?")
    d("char?", char_p, 1, 1, "(char? v) — #t if v is a character")
    d("string?", string_p, 1, 1, "(string? v) — #t if v is a string")
    d("symbol?", symbol_p, 1, 1, "(symbol? v) — #t if v is a symbol")
    d("procedure?", procedure_p, 1, 1, "(procedure? v) — #t if v can be called")
    d("function?", procedure_p, 1, 1, "(function? v) — same as procedure?")
    d("vector?", vector_p, 1, 1, "(vector? v) — #t if v is a vector")
    d("hash?", hash_p, 1, 1, "(hash? v) — #t if v is a hash map")
    d("set?", set_p, 1, 1, "(set? v) — #t if v is a hash set")
    d("hashset?", set_p, 1, 1, "(hashset? v) — same as set?")
    d("void?", void_p, 1, 1, "(void? v) — #t if v is the void value")
    d("null?", null_p, 1, 1, "(null? v) — #t if v is the empty list")
    d("empty?", null_p, 1, 1, "(empty? v) — #t if v is the empty list")
    d("pair?", pair_p, 1, 1, "(pair? v) — #t if v is a pair (a non-empty list included)")
    d("list?", list_p, 1, 1, "(list? v) — #t if v is a proper list")
    d("struct?", struct_p, 1, 1, "(struct? v) — #t if v is an instance of a struct type")
    lib.table["void"] = VOID  # a value in Steel; (void) also works, see the VM
    d("#%void", _void, 0, -1, "(#%void v ...) — the void value, ignoring any arguments")
    d("#%black-box", _void, 0, -1, "(#%black-box v ...) — does nothing (an opaque call); void")
