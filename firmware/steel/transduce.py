"""Transducers and lazy streams: ``transduce``, ``mapping``, ``filtering``, ``taking``,
``into-list``, ..., ``stream-cons``, ``stream-cdr``.

``(transduce source xf ... reducer)`` pulls one element at a time from the source (a
list, vector, string, bytevector, hash map, hash set or stream), passes it through the
transducers' stages and folds what comes out with the reducer.  It is one native state
machine on the VM's stack, like ``map``: every call to a procedure of the program (a
mapping function, a predicate, a stream's thunk, a reducer) is a VM call, so an infinite
stream cut by ``taking`` is only forced as far as needed, a long transduction can be
preempted, and a continuation captured inside one resumes from the right element.
"""

from . import continuations
from .control import prim_apply
from .errors import CONTRACT_VIOLATION, SteelError, type_error
from .lib.arithmetic import add2, mul2
from .lib.numeric import need_number, need_real
from .lib.realmath import compare
from .lib.render import render
from .memory import OBJECT, PAIR, SLOT
from .objects import EMPTY_STREAM, Reducer, Stream, Transducer
from .values import (
    NIL,
    HashMap,
    HashSet,
    Pair,
    Primitive,
    SrcPair,
    char,
    from_list,
    hash_key,
    is_procedure,
    new_table,
)

# State slots of a running transduce.
_STAGES = 0  # tuple of (kind, argument)
_SOURCE = 1  # what is left of the source: a pair/stream, or [items, index]
_WORK = 2  # pending (stage index, value), last first
_COUNTS = 3  # per stage: elements taken/dropped/enumerated, or the other iterable's index
_REDUCER = 4
_ACC = 5  # the reducer's items (list reducers) ...
_VALUE = 6  # ... or its value
_WAIT = 7  # what the pending VM call computes
_DONE = 8  # the source must not be pulled again
_POS = 9
_EXTENDED = 10  # how many extending stages have been spliced in
_METER = 11


def _items_of(who, x, pos):
    """A finite iterable's elements as a Python list (for zipping, extending, ...)."""
    t = type(x)
    if t is list:
        return list(x)
    if t is Pair or t is SrcPair or x is NIL:
        out = []
        while type(x) is Pair or type(x) is SrcPair:
            out.append(x.car)
            x = x.cdr
        if x is not NIL:
            raise type_error(who, "a list", x, pos)
        return out
    if t is str:
        return [char(c) for c in x]
    if t is bytearray:
        return list(x)
    if t is HashMap:
        return [Pair(k, v) for k, v in x.items()]
    if t is HashSet:
        return x.elements()
    raise type_error(who, "a list, vector, string, bytevector, hash map, set or stream", x, pos)


def _source_of(x):
    """The pull state of a source: the stream itself, or [items, next index]."""
    if type(x) is Stream or x is EMPTY_STREAM:
        return x
    return [_items_of("transduce", x, 1), 0]


def _transduce(task, args, pos):
    source = args[0]
    xforms = args[1:-1]
    reducer = args[-1]
    if type(reducer) is not Reducer:
        raise type_error("transduce", "a reducer as the last argument", reducer, len(args))
    stages = []
    for i in range(len(xforms)):
        x = xforms[i]
        if type(x) is not Transducer:
            raise type_error("transduce", "a transducer", x, i + 2)
        stages.extend(x.stages)
    state = [
        tuple(stages),
        _source_of(source),
        [],
        [0] * len(stages),
        reducer,
        [],
        reducer.args[1] if reducer.kind == "reducer" else None,
        None,
        False,
        pos,
        0,
        task.interp.meter,
    ]
    if reducer.kind in ("count", "sum"):
        state[_VALUE] = 0
    elif reducer.kind == "product":
        state[_VALUE] = 1
    elif reducer.kind in ("last", "nth", "max", "min"):
        state[_VALUE] = False
    task.interp.meter.charge(OBJECT + SLOT * 12)
    # The first request comes from here, not from _transduce_k: push the continuation
    # with its state ourselves (the VM would push the caller's frame).
    task.stack.append((_transduce_k, state))
    r = _step(state)
    if type(r) is tuple:
        return (r[0], r[1], None, r[3])
    task.stack.pop()
    return r


def _call(S, f, args, wait):
    """Ask the VM to call ``f``, or call a primitive here; returns a request or None."""
    S[_WAIT] = wait
    if type(f) is Primitive:
        _resume(S, prim_apply(f, args))
        return None
    return (f, [None] + args, _transduce_k, S[_POS])


def _transduce_k(S, v):
    _resume(S, v)
    return _step(S)


def _resume(S, v):
    """Take the value of the call described by ``S[_WAIT]``."""
    wait = S[_WAIT]
    S[_WAIT] = None
    kind = wait[0]
    work = S[_WORK]
    if kind == "map":
        work.append((wait[1] + 1, v))
    elif kind == "filter":
        if v is not False:
            work.append((wait[1] + 1, wait[2]))
    elif kind == "flat":
        items = _items_of("flat-mapping", v, 1)
        for j in range(len(items) - 1, -1, -1):
            work.append((wait[1] + 1, items[j]))
    elif kind == "stream":
        if type(v) is not Stream and v is not EMPTY_STREAM:
            raise type_error("stream-cdr", "a stream from the stream's thunk", v)
        S[_SOURCE] = v
    elif kind == "reduce":
        S[_VALUE] = v


def _step(S):
    stages = S[_STAGES]
    n = len(stages)
    work = S[_WORK]
    while True:
        if work:
            i, x = work.pop()
            if i == n:
                r = _feed(S, x)
                if r is not None:
                    return r
                continue
            kind, arg = stages[i]
            counts = S[_COUNTS]
            if kind == "map":
                r = _call(S, arg, [x], ("map", i))
                if r is not None:
                    return r
            elif kind == "filter":
                r = _call(S, arg, [x], ("filter", i, x))
                if r is not None:
                    return r
            elif kind == "take":
                if counts[i] < arg:
                    counts[i] += 1
                    if counts[i] == arg:
                        S[_DONE] = True
                    work.append((i + 1, x))
            elif kind == "drop":
                if counts[i] < arg:
                    counts[i] += 1
                else:
                    work.append((i + 1, x))
            elif kind == "flat":
                r = _call(S, arg, [x], ("flat", i))
                if r is not None:
                    return r
            elif kind == "flatten":
                items = _items_of("flattening", x, 1)
                for j in range(len(items) - 1, -1, -1):
                    work.append((i + 1, items[j]))
            elif kind == "enumerate":
                counts[i] += 1
                work.append((i + 1, Pair(counts[i] - 1, Pair(x, NIL))))
            elif kind == "zip":
                if counts[i] < len(arg):
                    work.append((i + 1, Pair(x, Pair(arg[counts[i]], NIL))))
                    counts[i] += 1
                if counts[i] >= len(arg):
                    S[_DONE] = True
            elif kind == "interleave":
                if counts[i] < len(arg):
                    work.append((i + 1, arg[counts[i]]))
                    counts[i] += 1
                work.append((i + 1, x))
            else:  # extend: its elements come when the source ends
                work.append((i + 1, x))
            continue
        if S[_WAIT] is None and not S[_DONE]:
            r = _pull(S)
            if r is not None:
                return r
            if work:
                continue
        if _extend(S):
            continue
        return _finish(S)


def _pull(S):
    """Put the next source element on the work list, or mark the source done."""
    src = S[_SOURCE]
    if type(src) is list:
        items, k = src
        if k >= len(items):
            S[_DONE] = True
            return None
        src[1] = k + 1
        S[_WORK].append((0, items[k]))
        return None
    if src is EMPTY_STREAM:
        S[_DONE] = True
        return None
    if type(src) is Stream:
        S[_WORK].append((0, src.car))
        S[_SOURCE] = _Forced(src.thunk)
        return None
    # The rest of the stream is a thunk's value: force it only now that it is needed.
    return _call(S, src.thunk, [], ("stream",))


class _Forced:
    """The source after a stream element was taken: the thunk that gives the rest."""

    __slots__ = ("thunk",)

    def __init__(self, thunk):
        self.thunk = thunk


def _extend(S):
    """Once the source is exhausted, splice in the next extending stage's elements."""
    stages = S[_STAGES]
    done = S[_EXTENDED]
    seen = 0
    for i in range(len(stages)):
        if stages[i][0] == "extend":
            if seen == done:
                S[_EXTENDED] = done + 1
                items = stages[i][1]
                work = S[_WORK]
                for j in range(len(items) - 1, -1, -1):
                    work.append((i + 1, items[j]))
                return True
            seen += 1
        elif stages[i][0] == "interleave" and S[_COUNTS][i] < len(stages[i][1]):
            # what is left of the interleaved iterable follows the source
            rest = stages[i][1][S[_COUNTS][i] :]
            S[_COUNTS][i] = len(stages[i][1])
            work = S[_WORK]
            for j in range(len(rest) - 1, -1, -1):
                work.append((i + 1, rest[j]))
            return True
    return False


def _feed(S, x):
    """Fold ``x`` into the reducer; a VM request, or None to go on."""
    red = S[_REDUCER]
    kind = red.kind
    if kind in ("list", "vector", "string", "hashmap", "hashset"):
        S[_ACC].append(x)
    elif kind == "count":
        S[_VALUE] += 1
    elif kind == "sum" or kind == "product":
        need_number("into-" + kind, x, 1)
        S[_VALUE] = add2(S[_VALUE], x) if kind == "sum" else mul2(S[_VALUE], x)
    elif kind == "max" or kind == "min":
        need_real("into-" + kind, x, 1)
        best = S[_VALUE]
        if best is False or compare(x, best) == (1 if kind == "max" else -1):
            S[_VALUE] = x
    elif kind == "last":
        S[_VALUE] = x
    elif kind == "nth":
        seen = S[_ACC]  # [elements seen so far]
        if not seen:
            seen.append(0)
        if seen[0] == red.args[0]:
            S[_VALUE] = x
            S[_DONE] = True
            del S[_WORK][:]
        seen[0] += 1
    elif kind == "for-each":
        return _call(S, red.args[0], [x], ("discard",))
    elif kind == "reducer":
        return _call(S, red.args[0], [S[_VALUE], x], ("reduce",))
    return None


def _finish(S):
    kind = S[_REDUCER].kind
    items = S[_ACC]
    meter = S[_METER]
    if kind == "list":
        meter.charge(PAIR * len(items))
        return from_list(items)
    if kind == "vector":
        meter.charge(OBJECT + SLOT * len(items))
        return list(items)
    if kind == "string":
        text = "".join([render(x, "display") for x in items])
        meter.charge(OBJECT + len(text))
        return text
    if kind == "hashmap":
        meter.charge(OBJECT + 3 * SLOT * len(items))
        table = new_table()
        for x in items:
            if type(x) is not Pair and type(x) is not SrcPair:
                raise type_error("into-hashmap", "(key . value) pairs", x)
            k, v = x.car, x.cdr
            if (type(v) is Pair or type(v) is SrcPair) and v.cdr is NIL:
                v = v.car  # a (key value) list
            table[hash_key(k)] = (k, v)
        return HashMap(table)
    if kind == "hashset":
        meter.charge(OBJECT + 2 * SLOT * len(items))
        table = new_table()
        for x in items:
            table[hash_key(x)] = x
        return HashSet(table)
    return S[_VALUE]


continuations.stateful(_transduce_k)


# --- transducers and reducers --------------------------------------------------------------


def _check_proc(who, f):
    if not is_procedure(f):
        raise type_error(who, "a procedure", f, 1)
    return f


def _count(who, n):
    if type(n) is not int:
        raise type_error(who, "a non-negative integer", n, 1)
    if n < 0:
        raise SteelError(
            CONTRACT_VIOLATION, "%s: expected a non-negative integer, found %d" % (who, n)
        )
    return n


def _stage(kind, who, check):
    def make(*args):
        if check == "proc":
            arg = _check_proc(who, args[0])
        elif check == "count":
            arg = _count(who, args[0])
        elif check == "iterable":
            arg = _items_of(who, args[0], 1)
        else:
            arg = None
        return Transducer(((kind, arg),))

    return make


def compose(*xforms):
    stages = []
    for i in range(len(xforms)):
        x = xforms[i]
        if type(x) is not Transducer:
            raise type_error("compose", "a transducer", x, i + 1)
        stages.extend(x.stages)
    return Transducer(tuple(stages))


def _reducer(kind):
    """A reducer without arguments: one shared value, so (into-sum) is eq? to itself."""
    r = Reducer(kind)

    def make():
        return r

    return make


def into_reducer(f, init):
    return Reducer("reducer", (_check_proc("into-reducer", f), init))


def into_for_each(f):
    return Reducer("for-each", (_check_proc("into-for-each", f),))


def into_nth(n):
    return Reducer("nth", (_count("into-nth", n),))


# --- streams -----------------------------------------------------------------------------------


def stream_cons(first, thunk):
    if not is_procedure(thunk):
        raise type_error("stream-cons", "a procedure giving the rest of the stream", thunk, 2)
    return Stream(first, thunk)


def _stream(who, s):
    if type(s) is not Stream and s is not EMPTY_STREAM:
        raise type_error(who, "a stream", s, 1)
    return s


def stream_car(s):
    if _stream("stream-car", s) is EMPTY_STREAM:
        raise SteelError(CONTRACT_VIOLATION, "stream-car: the stream is empty")
    return s.car


def stream_thunk(s):
    if _stream("#%stream-cdr", s) is EMPTY_STREAM:
        raise SteelError(CONTRACT_VIOLATION, "#%stream-cdr: the stream is empty")
    return s.thunk


def stream_empty_p(s):
    return _stream("stream-empty?", s) is EMPTY_STREAM


def stream_p(s):
    return type(s) is Stream or s is EMPTY_STREAM


def _stream_cdr(task, args, pos):
    """``(stream-cdr s)``: the rest of the stream, by calling its thunk."""
    return (stream_thunk(args[0]), [None], None, pos)


def install(lib):
    d = lib.define
    c = lib.define_control
    c(
        "transduce",
        _transduce,
        2,
        -1,
        "(transduce source xf ... reducer) — the source's elements through the transducers, "
        "folded by the reducer",
    )
    d("compose", compose, 0, -1, "(compose xf ...) — one transducer doing each xf in turn")
    for name, kind, check, what in (
        ("mapping", "map", "proc", "(mapping f) — a transducer that applies f"),
        ("filtering", "filter", "proc", "(filtering pred) — keeps the elements pred accepts"),
        ("taking", "take", "count", "(taking n) — the first n elements only"),
        ("dropping", "drop", "count", "(dropping n) — all but the first n elements"),
        ("flat-mapping", "flat", "proc", "(flat-mapping f) — the elements of each (f x)"),
        ("flattening", "flatten", None, "(flattening) — the elements of each element"),
        ("enumerating", "enumerate", None, "(enumerating) — each element as (index element)"),
        ("zipping", "zip", "iterable", "(zipping it) — each element as (element it's-next)"),
        (
            "interleaving",
            "interleave",
            "iterable",
            "(interleaving it) — elements alternating with it's",
        ),
        ("extending", "extend", "iterable", "(extending it) — the elements, then it's elements"),
    ):
        arity = 0 if check is None else 1
        d(name, _stage(kind, name, check), arity, arity, what)
    for kind, what in (
        ("list", "a list of the elements"),
        ("vector", "a vector of the elements"),
        ("string", "the elements displayed, one after another"),
        ("count", "the number of elements"),
        ("sum", "the sum of the elements"),
        ("product", "the product of the elements"),
        ("max", "the largest element, or #f"),
        ("min", "the smallest element, or #f"),
        ("last", "the last element, or #f"),
        ("hashmap", "a hash map of the (key . value) elements"),
        ("hashset", "a hash set of the elements"),
    ):
        name = "into-" + kind
        d(name, _reducer(kind), 0, 0, "(%s) — a reducer: %s" % (name, what))
    d("into-reducer", into_reducer, 2, 2, "(into-reducer f init) — folds with (f acc x) from init")
    d("into-for-each", into_for_each, 1, 1, "(into-for-each f) — calls (f x) for each element")
    d("into-nth", into_nth, 1, 1, "(into-nth n) — element n (from 0), or #f")
    d("stream-cons", stream_cons, 2, 2, "(stream-cons x thunk) — a stream of x, then (thunk)'s")
    d("stream-car", stream_car, 1, 1, "(stream-car s) — the first element of the stream")
    d("#%stream-cdr", stream_thunk, 1, 1, "(#%stream-cdr s) — the thunk giving the stream's rest")
    c("stream-cdr", _stream_cdr, 1, 1, "(stream-cdr s) — the rest of the stream")
    d("stream-empty?", stream_empty_p, 1, 1, "(stream-empty? s) — #t for the empty stream")
    d("stream?", stream_p, 1, 1, "(stream? v) — #t if v is a stream")
    lib.table["empty-stream"] = EMPTY_STREAM
