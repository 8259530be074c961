"""External representation of Steel values (``write`` and ``display``).

The printer is iterative: a 100,000-element or 10,000-deep structure prints without Python
recursion (MicroPython has ~150 frames).  Vectors and mutable structs can refer to
themselves; a container met again on the current path prints as ``...``.
"""

from .numsyntax import format_float, number_to_string
from .numsyntax import int_to_string as int_to_string
from .numtypes import Complex, Rational
from .objects import EMPTY_STREAM, Box, Parameter, Reducer, Stream, Transducer
from .ports import InputPort, OutputPort
from .values import (
    EOF,
    NIL,
    UNDEFINED,
    VOID,
    Char,
    Closure,
    Continuation,
    Control,
    HashMap,
    HashSet,
    Pair,
    Primitive,
    SrcPair,
    Struct,
    Symbol,
)

CHAR_NAMES = {
    " ": "space",
    "\n": "newline",
    "\t": "tab",
    "\r": "return",
    "\x00": "nul",
    "\x07": "alarm",
    "\x08": "backspace",
    "\x7f": "delete",
    "\x1b": "escape",
}

_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}

_EXIT = object()  # marks the end of a container on the work stack
MAX_DEPTH = 100000  # containers nested deeper than this print as ...


def _quote_string(s):
    out = ['"']
    for ch in s:
        e = _STRING_ESCAPES.get(ch)
        if e is not None:
            out.append(e)
        elif ord(ch) < 32:
            out.append("\\x%02x;" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SYMBOL_NEEDS_BARS = " \t\n\r\f\v()[]{}\";'`,|"


def _symbol(name, write):
    """A symbol as ``write`` shows it: between bars when it would not read back."""
    if not write:
        return name
    bars = not name
    for ch in name:
        if ch in _SYMBOL_NEEDS_BARS:
            bars = True
            break
    if not bars:
        return name
    return "|" + name.replace("\\", "\\\\").replace("|", "\\|") + "|"


def _atom(v, write):
    """The representation of a non-container value, or None for containers."""
    t = type(v)
    if t is int:
        return int_to_string(v)
    if t is Rational or t is Complex:
        return number_to_string(v)
    if t is str:
        return _quote_string(v) if write else v
    if t is bool:
        return "#true" if v else "#false"
    if t is Symbol:
        return _symbol(v.name, write)
    if t is float:
        return format_float(v)
    if t is Char:
        if not write:
            return v.c
        name = CHAR_NAMES.get(v.c)
        return "#\\" + (name if name is not None else v.c)
    if v is NIL:
        return "()"
    if v is VOID:
        return "#<void>"
    if t is Primitive or t is Control:
        return "#<function:%s>" % v.name
    if t is Closure:
        name = v.code.name
        return "#<bytecode-closure:%s>" % name if name else "#<bytecode-closure>"
    if t is Continuation:
        return "#<continuation>"
    if t is OutputPort or t is InputPort:
        return "#<port>"
    if t is bytearray:
        return "#u8(" + " ".join(["#x%02X" % b for b in v]) + ")"
    if t is Parameter:
        return "#<function:%s>" % v.name
    if t is Stream or v is EMPTY_STREAM:
        return "#<stream>"
    if t is Transducer:
        return "#<transducer>"
    if t is Reducer:
        return "#<reducer>"
    if v is EOF:
        return "#<eof>"
    if v is UNDEFINED:
        return "#<undefined>"
    if t is Pair or t is SrcPair or t is list or t is HashMap or t is HashSet or t is Struct:
        return None
    if t is Box:
        return None
    if isinstance(v, Exception):
        msg = getattr(v, "message", None)
        return "#<error:%s>" % (msg if msg is not None else "internal")
    return "#<%s>" % t.__name__


def _to_string(value, write, limit, holes=None):
    """The text of ``value``; with a ``holes`` list, structs that have a ``#:printer``
    are left in the output list as themselves (the caller prints them by calling their
    printer) and the list of pieces is returned instead of a string."""
    out = []
    size = 0
    stack = [value]
    path = {}  # ids of the containers being printed, for cycle detection
    exits = []  # the same ids in order, to leave them again
    while stack:
        if limit is not None and size > limit:
            out.append("...")
            break
        v = stack.pop()
        if v is _EXIT:
            del path[exits.pop()]
            continue
        if type(v) is tuple:  # literal text queued by a container
            out.append(v[0])
            size += len(v[0])
            continue
        s = _atom(v, write)
        if s is not None:
            out.append(s)
            size += len(s)
            continue
        ident = id(v)
        if ident in path or len(exits) > MAX_DEPTH:
            out.append("...")
            size += 3
            continue
        t = type(v)
        if t is Pair or t is SrcPair:
            items = []
            while type(v) is Pair or type(v) is SrcPair:
                items.append(v.car)
                v = v.cdr
            tail = v
            opener, closer = "(", ")"
            if tail is not NIL:
                items.append((" . ",))
                items.append(tail)
        elif t is list:
            items = list(v)
            opener, closer = "#(", ")"
        elif t is HashMap:
            items = []
            for key, val in v.items():
                items.append(Pair(key, val))
            opener, closer = "#hash(", ")"
        elif t is HashSet:
            items = v.elements()
            opener, closer = ("(set ", ")") if items else ("(set", ")")
        elif t is Box:
            items = [v.v]
            opener, closer = "#&", ""
        else:  # Struct
            if holes is not None and v.type.printer is not None:
                out.append(v)
                holes.append(v)
                continue
            items = list(v.fields) if v.type.transparent else []
            opener, closer = "(" + v.type.name + (" " if items else ""), ")"
        out.append(opener)
        size += len(opener)
        path[ident] = True
        exits.append(ident)
        stack.append(_EXIT)
        stack.append((closer,))
        n = len(items)
        for i in range(n - 1, -1, -1):
            stack.append(items[i])
            if i > 0 and type(items[i]) is not tuple and type(items[i - 1]) is not tuple:
                stack.append((" ",))
    if holes:
        return out
    return "".join(out)


def write_string(value, limit=None):
    """The value's external representation, as ``write`` prints it."""
    return _to_string(value, True, limit)


def display_string(value, limit=None):
    """The value as ``display`` prints it: strings and chars without quoting."""
    return _to_string(value, False, limit)


def _quoted(v):
    """True for the values ``print`` writes behind a quote (data, not self-evaluating)."""
    t = type(v)
    return t is Symbol or t is Pair or t is SrcPair or t is list or t is HashMap or v is NIL


def print_string(value, limit=None):
    """The value as ``print`` shows it: ``write``'s form, quoted where it is data
    (``'sym``, ``'(1 2)``, ``'#(1)``), as Steel's REPL prints values."""
    text = _to_string(value, True, limit)
    return "'" + text if _quoted(value) else text


def pieces(value, mode):
    """The text of ``value`` in ``mode`` ("display", "write" or "print") as a list of
    strings and structs whose ``#:printer`` must be called, or None if there are none."""
    holes = []
    out = _to_string(value, mode != "display", None, holes)
    if not holes:
        return None
    if mode == "print" and _quoted(value):
        out.insert(0, "'")
    return out
