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
                       :class:`Continuation`, :class:`~firmware.steel.objects.Parameter`
struct                 :class:`Struct` of a :class:`StructType`
error object           :class:`firmware.steel.errors.SteelError`
=====================  =========================================

``None`` is never a Steel value; the VM uses it for "not yet assigned".
Everything here runs under MicroPython: no dataclasses, no typing at run time, and dicts are
unordered there, so hash maps keep insertion order explicitly.
"""

import sys

from .condition import GENERIC, SteelError
from .numtypes import Complex, Rational
from .objects import Box, Parameter
from .raises import describe


class _OrderedTable:
    """A dict that remembers insertion order, for MicroPython.

    MicroPython's dicts are unordered and its OrderedDict searches linearly, which made
    copying a 128-key hash map cost 16,000 comparisons.  A plain dict for lookups plus a
    list for the order keeps lookups and copies linear in C; only deletion scans the list.
    """

    __slots__ = ("_d", "_order")

    def __init__(self):
        self._d = {}
        self._order = []

    def get(self, k, default=None):
        return self._d.get(k, default)

    def __contains__(self, k):
        return k in self._d

    def __len__(self):
        return len(self._d)

    def __getitem__(self, k):
        return self._d[k]

    def __setitem__(self, k, v):
        if k not in self._d:
            self._order.append(k)
        self._d[k] = v

    def __delitem__(self, k):
        del self._d[k]
        self._order.remove(k)

    def __iter__(self):
        return iter(self._order)

    def keys(self):
        return list(self._order)

    def values(self):
        d = self._d
        return [d[k] for k in self._order]

    def items(self):
        d = self._d
        return [(k, d[k]) for k in self._order]

    def copy(self):
        t = _OrderedTable()
        t._d = self._d.copy()
        t._order = list(self._order)
        return t


# CPython's dicts keep insertion order themselves.
_odict = dict if sys.implementation.name == "cpython" else _OrderedTable


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
    """Steel's void value.  ``void`` names it (it is a value in Steel, not a procedure);
    calling it with no arguments gives itself, so Scheme's ``(void)`` works too.  The
    class attributes describe it in the built-ins reference like a procedure."""

    __slots__ = ()
    name = "void"
    min = 0
    max = 0
    doc = "the void value; (void) with no arguments also gives it"

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
        # For debugging only (programs print through firmware.steel.printer, which this
        # module must not import): the elements' Python reprs.
        items = []
        p = self
        while type(p) is Pair or type(p) is SrcPair:
            items.append(repr(p.car))
            p = p.cdr
        if p is not NIL:
            items.append(". " + repr(p))
        return "(" + " ".join(items) + ")"


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
_RATIONAL = 8
_COMPLEX = 9
_BYTES = 10
_BOX = 11


def hash_key(v):
    """A representation of ``v`` whose Python equality is Steel's ``equal?``."""
    t = type(v)
    if t is str or t is int or t is Symbol or t is Char:
        return v
    if t is float:
        return (_FLOAT, v)
    if t is bool:
        return (_BOOL, v)
    if t is Rational:
        return (_RATIONAL, v.num, v.den)
    if t is Complex:
        return (_COMPLEX, hash_key(v.re), hash_key(v.im))
    if t is bytearray:
        return (_BYTES, bytes(v))
    if t is Box:
        return (_BOX, hash_key(v.v))
    if t is Pair or t is SrcPair or t is list or t is HashMap or t is HashSet or t is Struct:
        return _container_key(v)
    return v  # procedures, ports...: identity


MAX_KEY_DEPTH = 100


def _container_key(root):
    """hash_key of a container, built bottom-up without Python recursion.

    Hashing the resulting nested tuples recurses in C (without a guard on MicroPython),
    so keys nested deeper than MAX_KEY_DEPTH are refused with a Steel error.
    """
    done = {}  # id(container) -> its key
    keep = []  # the containers visited, so their ids stay theirs while we work
    stack = [(root, False, 0)]
    while stack:
        v, expanded, depth = stack.pop()
        if id(v) in done:
            continue
        children = _children(v)
        if children is None:  # a leaf
            continue
        if not expanded:
            if depth > MAX_KEY_DEPTH:
                raise SteelError(GENERIC, "hash key nested deeper than %d levels" % MAX_KEY_DEPTH)
            stack.append((v, True, depth))
            for c in children:
                if _children(c) is not None and id(c) not in done:
                    stack.append((c, False, depth + 1))
            continue
        keep.append(v)
        keys = [done[id(c)] if id(c) in done else hash_key(c) for c in children]
        t = type(v)
        if t is Pair or t is SrcPair:
            done[id(v)] = (_LIST, tuple(keys[:-1]), keys[-1])
        elif t is list:
            done[id(v)] = (_VEC, tuple(keys))
        elif t is HashMap:
            done[id(v)] = (
                _MAP,
                frozenset([(keys[2 * i], keys[2 * i + 1]) for i in range(len(keys) // 2)]),
            )
        elif t is HashSet:
            done[id(v)] = (_SET, frozenset(keys))
        else:
            done[id(v)] = (_STRUCT, v.type, tuple(keys))
    return done[id(root)]


def _children(v):
    """The values a container's key is made of (a list's elements and its tail)."""
    t = type(v)
    if t is Pair or t is SrcPair:
        items = []
        while type(v) is Pair or type(v) is SrcPair:
            items.append(v.car)
            v = v.cdr
        items.append(v)
        return items
    if t is list:
        return v
    if t is HashMap:
        out = []
        for e in v.d.values():
            out.append(e[0])
            out.append(e[1])
        return out
    if t is HashSet:
        return list(v.d.values())
    if t is Struct and not v.type.mutable:
        return v.fields
    return None


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
    return d.copy()


def new_table():
    """An empty insertion-ordered table for building a HashMap/HashSet in place."""
    return _odict()


class StructType:
    """A record type.  ``proc_field`` makes instances callable (``#:prop:procedure``): a
    field index whose value is called with the arguments, or a procedure called with the
    instance and the arguments; ``printer`` is a ``#:printer`` procedure or None."""

    __slots__ = ("name", "field_names", "mutable", "transparent", "proc_field", "printer")

    def __init__(self, name, field_names, mutable=False, transparent=True):
        self.name = name
        self.field_names = field_names
        self.mutable = mutable
        self.transparent = transparent
        self.proc_field = None
        self.printer = None


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

    __slots__ = ("name", "fn", "min", "max", "text")

    def __init__(self, name, fn, min_args, max_args, doc=""):
        self.name = name
        self.fn = fn
        self.min = min_args
        self.max = max_args  # -1: any number
        self.text = doc

    @property
    def doc(self):
        """The one-line description, with the error kinds it raises (made on demand: the
        library's descriptions are constants, kept out of the device's heap)."""
        return describe(self.name, self.text)


class Control:
    """A procedure that drives the VM: it may call procedures, suspend or unwind.

    ``fn(task, args, pos)`` returns a value, or a call request ``(proc, frame, None, pos)``
    that the VM performs as a tail call; it may first push native continuation frames
    ``(segment, state)`` onto ``task.stack`` (a segment is ``segment(state, value)`` and
    returns what a compiled segment returns), or suspend the task and return
    ``vm.SUSPEND``.  Control procedures are never inlined.
    """

    __slots__ = ("name", "fn", "min", "max", "text")

    def __init__(self, name, fn, min_args, max_args, doc=""):
        self.name = name
        self.fn = fn
        self.min = min_args
        self.max = max_args
        self.text = doc

    @property
    def doc(self):
        return describe(self.name, self.text)


class Continuation:
    """A continuation made by ``call/cc``: ``saved`` is the copy of the VM stack to
    resume, ``marker`` identifies its ``call/cc`` frame while that is still on the stack
    (see :mod:`firmware.steel.continuations`)."""

    __slots__ = ("marker", "interp", "saved")

    def __init__(self, marker, interp, saved):
        self.marker = marker
        self.interp = interp
        self.saved = saved


class Cell:
    """A global variable."""

    __slots__ = ("v", "name", "inlined")

    def __init__(self, name, v=UNDEFINED):
        self.v = v
        self.name = name
        self.inlined = False


def is_procedure(x):
    t = type(x)
    if t is Struct:
        return x.type.proc_field is not None
    return t is Closure or t is Primitive or t is Control or t is Continuation or t is Parameter


def is_list(x):
    while type(x) is Pair or type(x) is SrcPair:
        x = x.cdr
    return x is NIL


def is_number(x):
    t = type(x)
    return t is int or t is float or t is Rational or t is Complex
