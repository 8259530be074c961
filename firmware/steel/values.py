"""Run-time representation of Steel values.

The mapping is chosen so that the hot paths of the VM are Python identity and type checks:

=====================  =========================================
Steel                  Python
=====================  =========================================
exact integer          ``int`` (never ``bool``; ``type(x) is int``)
float                  ``float``
boolean                ``True`` / ``False``
string                 ``str`` (immutable, as in Steel)
char                   :class:`Char` (interned)
symbol                 :class:`Symbol` (interned)
empty list             :data:`NIL`
pair                   :class:`Pair` (the reader makes :class:`SrcPair`, which also
                       remembers where its element came from; quoted data is
                       stripped to plain pairs at compile time)
vector                 ``list`` (mutable)
hash map / hash set    :class:`HashMap` / :class:`HashSet` (immutable, persistent)
void                   :data:`VOID`
procedure              :class:`Closure`, :class:`Primitive`, :class:`Control`,
                       :class:`Continuation`
struct                 :class:`Struct` of a :class:`StructType`
error object           :class:`firmware.steel.errors.SteelError`
=====================  =========================================

``None`` is never a Steel value; the VM uses it for "not yet assigned".
Everything here runs under MicroPython: no dataclasses, no typing at run time, and dicts are
unordered there, so hash maps keep insertion order explicitly.
"""

try:
    from collections import OrderedDict as _OrderedDict
except ImportError:  # pragma: no cover
    _OrderedDict = dict

import sys

# CPython dicts keep insertion order; MicroPython's do not.
_odict = dict if sys.implementation.name == "cpython" else _OrderedDict


class Symbol:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


_symbols = {}


def intern(name):
    """The one symbol called ``name`` (symbols compare by identity)."""
    s = _symbols.get(name)
    if s is None:
        s = Symbol(name)
        _symbols[name] = s
    return s


_gensym_counter = [0]


def gensym(prefix="g"):
    """A fresh symbol that no program text can name (not interned)."""
    _gensym_counter[0] += 1
    return Symbol("%s%d" % (prefix, _gensym_counter[0]))


class Char:
    __slots__ = ("c",)

    def __init__(self, c):
        self.c = c

    def __repr__(self):
        return "#\\" + self.c


_chars = {}


def char(c):
    """The one Char for the one-character string ``c`` (chars compare by identity)."""
    ch = _chars.get(c)
    if ch is None:
        ch = Char(c)
        _chars[c] = ch
    return ch


class _Nil:
    __slots__ = ()

    def __repr__(self):
        return "()"

    def __iter__(self):
        return iter(())


class _Void:
    __slots__ = ()

    def __repr__(self):
        return "#<void>"


class _Undefined:
    __slots__ = ()

    def __repr__(self):
        return "#<undefined>"


class _Eof:
    __slots__ = ()

    def __repr__(self):
        return "#<eof>"


NIL = _Nil()
VOID = _Void()
UNDEFINED = _Undefined()  # value of a global cell before its definition has run
EOF = _Eof()


class Pair:
    __slots__ = ("car", "cdr")

    def __init__(self, car, cdr):
        self.car = car
        self.cdr = cdr

    def __iter__(self):
        """Iterate the elements of a proper list (stops at a non-pair tail)."""
        p = self
        while type(p) is Pair or type(p) is SrcPair:
            yield p.car
            p = p.cdr

    def __repr__(self):
        from .printer import write_string

        return write_string(self)


class SrcPair(Pair):
    """A pair made by the reader: ``pos`` is the (line, column) of its ``car``."""

    __slots__ = ("pos",)

    def __init__(self, car, cdr, pos):
        self.car = car
        self.cdr = cdr
        self.pos = pos


def is_pair(x):
    return type(x) is Pair or type(x) is SrcPair


def from_list(items, tail=NIL):
    """A Steel list of the Python sequence ``items``."""
    r = tail
    for i in range(len(items) - 1, -1, -1):
        r = Pair(items[i], r)
    return r


def to_list(x):
    """The elements of the proper list ``x`` as a Python list, or None if it is not one."""
    out = []
    while type(x) is Pair or type(x) is SrcPair:
        out.append(x.car)
        x = x.cdr
    if x is not NIL:
        return None
    return out


# --- hashing with Steel's equal? semantics ---------------------------------------------
# Python conflates 1, 1.0 and True as dict keys; Steel does not.  Keys are turned into a
# representation whose Python equality is Steel's equal?; tuples never occur as Steel
# values, so tagged tuples cannot collide with a plain key.

_FLOAT = 1
_BOOL = 2
_LIST = 3
_VEC = 4
_MAP = 5
_SET = 6
_STRUCT = 7


def hash_key(v):
    t = type(v)
    if t is str or t is int or t is Symbol or t is Char:
        return v
    if t is float:
        return (_FLOAT, v)
    if t is bool:
        return (_BOOL, v)
    if t is Pair or t is SrcPair:
        items = []
        while type(v) is Pair or type(v) is SrcPair:
            items.append(hash_key(v.car))
            v = v.cdr
        return (_LIST, tuple(items), hash_key(v))
    if t is list:
        return (_VEC, tuple([hash_key(x) for x in v]))
    if t is HashMap:
        return (_MAP, frozenset([(k, hash_key(e[1])) for k, e in v.d.items()]))
    if t is HashSet:
        return (_SET, frozenset(v.d.keys()))
    if t is Struct and not v.type.mutable:
        return (_STRUCT, v.type, tuple([hash_key(x) for x in v.fields]))
    return v  # procedures, mutable structs, ports...: identity


class HashMap:
    """Steel's immutable hash map.

    ``d`` maps :func:`hash_key` of a key to ``(key, value)``.  Updates copy the table;
    maps on a device are small, and copying keeps every old version valid without the
    bookkeeping of a persistent trie.
    """

    __slots__ = ("d",)

    def __init__(self, d=None):
        self.d = _odict() if d is None else d

    def __len__(self):
        return len(self.d)

    def get(self, key, default=None):
        e = self.d.get(hash_key(key))
        return default if e is None else e[1]

    def contains(self, key):
        return hash_key(key) in self.d

    def insert(self, key, value):
        d = _copy(self.d)
        d[hash_key(key)] = (key, value)
        return HashMap(d)

    def remove(self, key):
        hk = hash_key(key)
        if hk not in self.d:
            return self
        d = _copy(self.d)
        del d[hk]
        return HashMap(d)

    def keys(self):
        return [e[0] for e in self.d.values()]

    def values(self):
        return [e[1] for e in self.d.values()]

    def items(self):
        return list(self.d.values())


class HashSet:
    """Steel's immutable hash set; ``d`` maps :func:`hash_key` of an element to it."""

    __slots__ = ("d",)

    def __init__(self, d=None):
        self.d = _odict() if d is None else d

    def __len__(self):
        return len(self.d)

    def contains(self, x):
        return hash_key(x) in self.d

    def insert(self, x):
        d = _copy(self.d)
        d[hash_key(x)] = x
        return HashSet(d)

    def remove(self, x):
        hk = hash_key(x)
        if hk not in self.d:
            return self
        d = _copy(self.d)
        del d[hk]
        return HashSet(d)

    def elements(self):
        return list(self.d.values())


def _copy(d):
    if _odict is dict:
        return d.copy()
    c = _odict()
    for k, v in d.items():
        c[k] = v
    return c


def new_table():
    """An empty insertion-ordered table for building a HashMap/HashSet in place."""
    return _odict()


class StructType:
    __slots__ = ("name", "field_names", "mutable", "transparent")

    def __init__(self, name, field_names, mutable=False, transparent=True):
        self.name = name
        self.field_names = field_names
        self.mutable = mutable
        self.transparent = transparent


class Struct:
    __slots__ = ("type", "fields")

    def __init__(self, stype, fields):
        self.type = stype
        self.fields = fields


class LambdaCode:
    """What the compiler knows about one ``lambda``: shared by every closure made from it.

    ``argc`` is the length of a call's frame when it needs no adjusting: slot 0 (the
    parent environment) plus the required parameters, or -1 for a procedure with a rest
    parameter, whose frames are always built by the VM's slow path.  ``pad`` is the list
    appended to a new frame for the lambda's local variables and temporaries (None when
    there are none).
    """

    __slots__ = ("entry", "argc", "nreq", "rest", "pad", "nslots", "name", "pos", "source")

    def __init__(self, name, nreq, rest, pos, source):
        self.entry = None
        self.nreq = nreq
        self.argc = -1 if rest else nreq + 1
        self.rest = rest
        self.pad = None
        self.nslots = 0
        self.name = name
        self.pos = pos
        self.source = source


class Closure:
    __slots__ = ("code", "env")

    def __init__(self, code, env):
        self.code = code
        self.env = env


class Primitive:
    """A procedure written in Python that returns a value and never re-enters the VM.

    Calls to a primitive bound to a global that the program never redefines are compiled
    inline; ``fn`` takes the Steel arguments positionally.
    """

    __slots__ = ("name", "fn", "min", "max", "doc")

    def __init__(self, name, fn, min_args, max_args, doc=""):
        self.name = name
        self.fn = fn
        self.min = min_args
        self.max = max_args  # -1: any number
        self.doc = doc


class Control:
    """A procedure that drives the VM: it may call procedures, suspend or unwind.

    ``fn(task, args, pos)`` returns a value, or a call request ``(proc, frame, None, pos)``
    that the VM performs as a tail call; it may first push native continuation frames
    ``(segment, state)`` onto ``task.stack`` (a segment is ``segment(state, value)`` and
    returns what a compiled segment returns), or suspend the task and return
    ``vm.SUSPEND``.  Control procedures are never inlined.
    """

    __slots__ = ("name", "fn", "min", "max", "doc")

    def __init__(self, name, fn, min_args, max_args, doc=""):
        self.name = name
        self.fn = fn
        self.min = min_args
        self.max = max_args
        self.doc = doc


class Continuation:
    """An escape-only continuation made by ``call/cc``; valid while its frame is live."""

    __slots__ = ("marker", "task")

    def __init__(self, marker, task):
        self.marker = marker
        self.task = task


class Cell:
    """A global variable."""

    __slots__ = ("v", "name", "inlined")

    def __init__(self, name, v=UNDEFINED):
        self.v = v
        self.name = name
        self.inlined = False


class OutputPort:
    """A string port (``open-output-string``) or a port that forwards to a sink."""

    __slots__ = ("chunks", "sink")

    def __init__(self, sink=None):
        self.chunks = []
        self.sink = sink

    def write(self, s):
        if self.sink is not None:
            self.sink(s)
        else:
            self.chunks.append(s)

    def getvalue(self):
        s = "".join(self.chunks)
        self.chunks = [s]
        return s


class InputPort:
    """A string input port (``open-input-string``)."""

    __slots__ = ("text", "pos")

    def __init__(self, text):
        self.text = text
        self.pos = 0


def is_procedure(x):
    t = type(x)
    return t is Closure or t is Primitive or t is Control or t is Continuation


def is_list(x):
    while type(x) is Pair or type(x) is SrcPair:
        x = x.cdr
    return x is NIL


def is_number(x):
    t = type(x)
    return t is int or t is float
