"""Steel's names for its mutable vectors (``mutable-vector``, ``mut-vector-ref``, ...).

Steel has immutable vectors (``vector``) and mutable ones (``mutable-vector``); this
runtime has one vector type, mutable, so these are the same procedures under Steel's
other names, plus the operations only mutable vectors have (push, pop, swap, clear).
"""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..memory import SLOT
from ..values import VOID
from ._util import index_error, need_int, renamed
from .vectors import vector_length, vector_ref, vector_set


def _v(who, x, pos=1):
    if type(x) is not list:
        raise type_error(who, "a vector", x, pos)
    return x


def vector_pop(v):
    _v("mutable-vector-pop!", v, 1)
    if not v:
        raise SteelError(CONTRACT_VIOLATION, "mutable-vector-pop!: the vector is empty")
    return v.pop()


def vector_clear(v):
    _v("mutable-vector->clear", v, 1)
    del v[:]
    return VOID


def vector_swap(v, i, j):
    _v("vector-swap!", v, 1)
    need_int("vector-swap!", i, 2)
    need_int("vector-swap!", j, 3)
    for k in (i, j):
        if not 0 <= k < len(v):
            raise index_error("vector-swap!", k, len(v))
    v[i], v[j] = v[j], v[i]
    return VOID


def vector_empty_p(v):
    return len(_v("mutable-vector-empty?", v, 1)) == 0


def vector_p(v):
    return type(v) is list


def install(lib):
    d = lib.define
    meter = lib.meter

    def vector_append_bang(v, other):
        _v("vector-append!", v, 1)
        _v("vector-append!", other, 2)
        meter.charge(SLOT * len(other))
        v.extend(other)
        return VOID

    for new, old, fn, n, what in (
        ("mut-vector-ref", "vector-ref", vector_ref, 2, "(mut-vector-ref vec k) — vector-ref"),
        (
            "mutable-vector-ref",
            "vector-ref",
            vector_ref,
            2,
            "(mutable-vector-ref vec k) — vector-ref",
        ),
        ("mut-vec-len", "vector-length", vector_length, 1, "(mut-vec-len vec) — vector-length"),
        (
            "mutable-vector-len",
            "vector-length",
            vector_length,
            1,
            "(mutable-vector-len vec) — vector-length",
        ),
        (
            "mutable-vector-set!",
            "vector-set!",
            vector_set,
            3,
            "(mutable-vector-set! vec k v) — vector-set!",
        ),
    ):
        d(new, renamed(fn, old, new), n, n, what)
    d("mutable-vector?", vector_p, 1, 1, "(mutable-vector? v) — #t if v is a vector")
    d("mutable-vector-empty?", vector_empty_p, 1, 1, "(mutable-vector-empty? vec) — #t if empty")
    d("mutable-vector-pop!", vector_pop, 1, 1, "(mutable-vector-pop! vec) — removes the last")
    d("mutable-vector->clear", vector_clear, 1, 1, "(mutable-vector->clear vec) — empties vec")
    d("vector-swap!", vector_swap, 3, 3, "(vector-swap! vec i j) — exchanges two elements")
    d("vector-append!", vector_append_bang, 2, 2, "(vector-append! vec other) — appends other")
