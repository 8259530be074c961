"""Higher-order procedures: the ones that call Steel procedures given as arguments.

``map``, ``filter``, ``foldl``, ``sort`` and friends cannot be ordinary primitives: calling
a Steel procedure from Python would nest a VM in Python's stack.  Each is a small state
machine instead: it pushes a native continuation ``(segment, state)`` and asks the VM to
call the user's procedure; the segment receives the result and asks for the next call.
A deep recursion through ``map`` is therefore as safe as any other recursion, and a
program stuck in a ``for-each`` can still be preempted.  When the procedure argument is a
primitive the work is done directly in Python.  Control flow itself (continuations,
handlers, errors, parameters) is in :mod:`firmware.steel.dynamic`.
"""

from . import continuations
from .errors import ARITY_MISMATCH, TYPE_MISMATCH, SteelError, host_error, type_error
from .memory import OBJECT, PAIR, SLOT
from .values import (
    NIL,
    VOID,
    HashMap,
    Pair,
    Primitive,
    is_procedure,
)


def _list_items(who, lst, position):
    items = []
    x = lst
    while type(x) is Pair:
        items.append(x.car)
        x = x.cdr
    if x is not NIL:
        raise type_error(who, "a list", lst, position)
    return items


def _check_proc(who, f, position=1):
    if not is_procedure(f):
        raise type_error(who, "a procedure", f, position)


def _build(meter, items):
    meter.charge(PAIR * len(items))
    r = NIL
    for i in range(len(items) - 1, -1, -1):
        r = Pair(items[i], r)
    return r


def prim_apply(f, args):
    if len(args) < f.min or (f.max >= 0 and len(args) > f.max):
        raise SteelError(ARITY_MISMATCH, "%s: wrong number of arguments (%d)" % (f.name, len(args)))
    try:
        return f.fn(*args)
    except Exception as e:
        raise host_error(e, f.name)


# --- map / for-each / filter ------------------------------------------------------------
# State lists are the "frame" of the native continuation: [proc, columns, index, results].


def _columns(who, lists):
    cols = [_list_items(who, lst, i + 2) for i, lst in enumerate(lists)]
    n = min([len(c) for c in cols]) if cols else 0
    return cols, n


def _args_at(cols, i):
    return [None] + [c[i] for c in cols]


def _map(task, args, pos):
    f = args[0]
    _check_proc("map", f)
    cols, n = _columns("map", args[1:])
    meter = task.interp.meter
    if n == 0:
        return NIL
    if type(f) is Primitive:
        return _build(meter, [prim_apply(f, [c[i] for c in cols]) for i in range(n)])
    state = [f, cols, 0, [], n, meter]
    task.stack.append((_map_k, state))
    return (f, _args_at(cols, 0), None, pos)


def _map_k(S, v):
    S[3].append(v)
    i = S[2] + 1
    if i < S[4]:
        S[2] = i
        return (S[0], _args_at(S[1], i), _map_k, None)
    return _build(S[5], S[3])


def _for_each(task, args, pos):
    f = args[0]
    _check_proc("for-each", f)
    cols, n = _columns("for-each", args[1:])
    if n == 0:
        return VOID
    if type(f) is Primitive:
        for i in range(n):
            prim_apply(f, [c[i] for c in cols])
        return VOID
    state = [f, cols, 0, n]
    task.stack.append((_for_each_k, state))
    return (f, _args_at(cols, 0), None, pos)


def _for_each_k(S, v):
    i = S[2] + 1
    if i < S[3]:
        S[2] = i
        return (S[0], _args_at(S[1], i), _for_each_k, None)
    return VOID


def _filter(task, args, pos):
    f, lst = args
    _check_proc("filter", f)
    items = _list_items("filter", lst, 2)
    meter = task.interp.meter
    if not items:
        return NIL
    if type(f) is Primitive:
        return _build(meter, [x for x in items if prim_apply(f, [x]) is not False])
    state = [f, items, 0, [], meter]
    task.stack.append((_filter_k, state))
    return (f, [None, items[0]], None, pos)


def _filter_k(S, v):
    items = S[1]
    i = S[2]
    if v is not False:
        S[3].append(items[i])
    i += 1
    if i < len(items):
        S[2] = i
        return (S[0], [None, items[i]], _filter_k, None)
    return _build(S[4], S[3])


# --- folds ---------------------------------------------------------------------------------


def _foldl(task, args, pos):
    """``(foldl f init lst ...)`` calls ``(f x ... acc)`` from the left (Racket's order)."""
    f, acc = args[0], args[1]
    _check_proc("foldl", f)
    cols, n = _columns("foldl", args[2:])
    return _fold_start(task, f, acc, cols, list(range(n)), pos)


def _foldr(task, args, pos):
    """``(foldr f init lst ...)`` calls ``(f x ... acc)`` from the right."""
    f, acc = args[0], args[1]
    _check_proc("foldr", f)
    cols, n = _columns("foldr", args[2:])
    return _fold_start(task, f, acc, cols, list(range(n - 1, -1, -1)), pos)


def _reduce(task, args, pos):
    """``(reduce f ridentity lst)``: ridentity if empty, else fold with the first as init."""
    f, ident, lst = args
    _check_proc("reduce", f)
    items = _list_items("reduce", lst, 3)
    if not items:
        return ident
    return _fold_start(task, f, items[0], [items], list(range(1, len(items))), pos)


def _fold_start(task, f, acc, cols, order, pos):
    if not order:
        return acc
    if type(f) is Primitive:
        for i in order:
            acc = prim_apply(f, [c[i] for c in cols] + [acc])
        return acc
    state = [f, cols, order, 0]
    task.stack.append((_fold_k, state))
    return (f, _args_at(cols, order[0]) + [acc], None, pos)


def _fold_k(S, acc):
    j = S[3] + 1
    order = S[2]
    if j < len(order):
        S[3] = j
        return (S[0], _args_at(S[1], order[j]) + [acc], _fold_k, None)
    return acc


# --- andmap / ormap ------------------------------------------------------------------------


def _andmap(task, args, pos):
    return _logical_map(task, args, pos, "andmap", True)


def _ormap(task, args, pos):
    return _logical_map(task, args, pos, "ormap", False)


def _logical_map(task, args, pos, who, conj):
    f = args[0]
    _check_proc(who, f)
    cols, n = _columns(who, args[1:])
    if n == 0:
        return conj
    if type(f) is Primitive:
        v = conj
        for i in range(n):
            v = prim_apply(f, [c[i] for c in cols])
            if (v is False) == conj:
                return v
        return v
    state = [f, cols, 0, n, conj]
    task.stack.append((_logical_k, state))
    return (f, _args_at(cols, 0), None, pos)


def _logical_k(S, v):
    if (v is False) == S[4]:
        return v
    i = S[2] + 1
    if i < S[3]:
        S[2] = i
        return (S[0], _args_at(S[1], i), _logical_k, None)
    return v


# --- apply ---------------------------------------------------------------------------------


def _apply(task, args, pos):
    f = args[0]
    _check_proc("apply", f)
    spread = _list_items("apply", args[-1], len(args))
    frame = [None] + list(args[1:-1]) + spread
    task.interp.meter.charge(SLOT * len(frame))
    return (f, frame, None, pos)


# --- sort ----------------------------------------------------------------------------------


def _default_less(a, b):
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a < b
    if ta is str and tb is str:
        return a < b
    raise SteelError(
        TYPE_MISMATCH,
        "sort: without a comparison procedure, elements must be all numbers or all strings",
    )


def _merge_sort(items, less):
    """A stable merge sort with a Python comparison (MicroPython has no cmp_to_key)."""
    width = 1
    n = len(items)
    src = list(items)
    while width < n:
        dst = []
        for lo in range(0, n, 2 * width):
            a = src[lo : lo + width]
            b = src[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(a) and j < len(b):
                if less(b[j], a[i]):
                    dst.append(b[j])
                    j += 1
                else:
                    dst.append(a[i])
                    i += 1
            dst.extend(a[i:])
            dst.extend(b[j:])
        src = dst
        width *= 2
    return src


def _sort(task, args, pos):
    """``(sort seq [less?])`` — a sorted copy of a list or vector (stable)."""
    seq = args[0]
    is_vector = type(seq) is list
    items = list(seq) if is_vector else _list_items("sort", seq, 1)
    less = args[1] if len(args) > 1 else None
    meter = task.interp.meter
    if less is None or type(less) is Primitive:
        if less is None:
            key = _default_less
        else:

            def key(a, b):
                return prim_apply(less, [a, b]) is not False

        out = _merge_sort(items, key)
        if is_vector:
            meter.charge(OBJECT + SLOT * len(out))
            return out
        return _build(meter, out)
    _check_proc("sort", less, 2)
    if len(items) < 2:
        return list(items) if is_vector else _build(meter, items)
    # Binary insertion sort driven by the VM: one call to less? per comparison.
    state = [less, items, [items[0]], 1, 0, 1, is_vector, meter]
    return _sort_next(task, state, pos)


def _sort_next(task, S, pos):
    task.stack.append((_sort_k, S))
    x = S[1][S[3]]
    mid = (S[4] + S[5]) // 2
    return (S[0], [None, x, S[2][mid]], None, pos)


def _sort_k(S, v):
    # S = [less, items, sorted, i, lo, hi, is_vector, meter]
    mid = (S[4] + S[5]) // 2
    if v is not False:
        S[5] = mid
    else:
        S[4] = mid + 1
    while True:
        if S[4] < S[5]:
            mid = (S[4] + S[5]) // 2
            return (S[0], [None, S[1][S[3]], S[2][mid]], _sort_k, None)
        S[2].insert(S[4], S[1][S[3]])
        S[3] += 1
        if S[3] >= len(S[1]):
            out = S[2]
            if S[6]:
                S[7].charge(OBJECT + SLOT * len(out))
                return out
            return _build(S[7], out)
        S[4] = 0
        S[5] = len(S[2])


# --- vectors and hash maps ---------------------------------------------------------------


def _vector_map(task, args, pos):
    f = args[0]
    _check_proc("vector-map", f)
    for i in range(1, len(args)):
        if type(args[i]) is not list:
            raise type_error("vector-map", "a vector", args[i], i + 1)
    cols = args[1:]
    n = min([len(c) for c in cols])
    meter = task.interp.meter
    meter.charge(OBJECT + SLOT * n)
    if n == 0:
        return []
    if type(f) is Primitive:
        return [prim_apply(f, [c[i] for c in cols]) for i in range(n)]
    state = [f, cols, 0, [], n, None]
    task.stack.append((_vector_map_k, state))
    return (f, _args_at(cols, 0), None, pos)


def _vector_map_k(S, v):
    S[3].append(v)
    i = S[2] + 1
    if i < S[4]:
        S[2] = i
        return (S[0], _args_at(S[1], i), _vector_map_k, None)
    return S[3]


def _vector_for_each(task, args, pos):
    f = args[0]
    _check_proc("vector-for-each", f)
    for i in range(1, len(args)):
        if type(args[i]) is not list:
            raise type_error("vector-for-each", "a vector", args[i], i + 1)
    cols = [list(c) for c in args[1:]]
    n = min([len(c) for c in cols])
    if n == 0:
        return VOID
    if type(f) is Primitive:
        for i in range(n):
            prim_apply(f, [c[i] for c in cols])
        return VOID
    state = [f, cols, 0, n]
    task.stack.append((_for_each_k, state))
    return (f, _args_at(cols, 0), None, pos)


def _hash_for_each(task, args, pos):
    """``(hash-for-each h proc)`` — calls ``(proc key value)`` for every entry."""
    h, f = args
    if type(h) is not HashMap:
        raise type_error("hash-for-each", "a hash map", h, 1)
    _check_proc("hash-for-each", f, 2)
    items = h.items()
    keys = [e[0] for e in items]
    vals = [e[1] for e in items]
    if not keys:
        return VOID
    if type(f) is Primitive:
        for i in range(len(keys)):
            prim_apply(f, [keys[i], vals[i]])
        return VOID
    state = [f, [keys, vals], 0, len(keys)]
    task.stack.append((_for_each_k, state))
    return (f, [None, keys[0], vals[0]], None, pos)


def _list_star(*args):
    """``(list* a ... tail)``: a list of the arguments ending in ``tail``."""
    r = args[-1]
    for i in range(len(args) - 2, -1, -1):
        r = Pair(args[i], r)
    return r


def install(lib):
    c = lib.define_control
    c("map", _map, 2, -1, "(map f lst ...) — the list of (f x ...) for each element")
    c("for-each", _for_each, 2, -1, "(for-each f lst ...) — calls (f x ...) for each element")
    c("filter", _filter, 2, 2, "(filter pred lst) — the elements for which pred is true")
    c("foldl", _foldl, 3, -1, "(foldl f init lst ...) — (f x acc) folded from the left")
    c("foldr", _foldr, 3, -1, "(foldr f init lst ...) — (f x acc) folded from the right")
    c("reduce", _reduce, 3, 3, "(reduce f ridentity lst) — fold with the first element as init")
    c(
        "andmap",
        _andmap,
        2,
        -1,
        "(andmap pred lst ...) — #f at the first false result, else the last",
    )
    c("ormap", _ormap, 2, -1, "(ormap pred lst ...) — the first true result, else #f")
    c("apply", _apply, 2, -1, "(apply f arg ... lst) — calls f with the args and lst's elements")
    c("sort", _sort, 1, 2, "(sort seq [less?]) — a sorted copy of a list or vector (stable)")
    c("vector-map", _vector_map, 2, -1, "(vector-map f vec ...) — a vector of (f x ...)")
    c(
        "vector-for-each",
        _vector_for_each,
        2,
        -1,
        "(vector-for-each f vec ...) — calls f on each element",
    )
    c("hash-for-each", _hash_for_each, 2, 2, "(hash-for-each h f) — calls (f key value) per entry")
    d = lib.define
    if "list*" not in lib.table:
        d("list*", _list_star, 1, -1, "(list* a ... tail) — a list of the arguments ending in tail")


# Native continuations whose state changes as they run: a continuation captured inside
# one of them must resume from the state at capture (see continuations.py).
for _segment in (_map_k, _for_each_k, _filter_k, _fold_k, _logical_k, _sort_k, _vector_map_k):
    continuations.stateful(_segment)
