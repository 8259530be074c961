"""Vectors (mutable, represented as Python lists)."""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..memory import CHAR, OBJECT, PAIR, SLOT
from ..values import NIL, VOID, Char, Pair
from ._util import allocate, bounds, elements, index_error, need_int, need_nat, same_as


def _v(who, x, pos=1):
    if type(x) is not list:
        raise type_error(who, "a vector", x, pos)
    return x


def vector_ref(v, k):
    if type(v) is list and type(k) is int and k >= 0:
        try:
            return v[k]
        except (IndexError, OverflowError):  # (MicroPython: a bignum index overflows)
            pass
    _v("vector-ref", v, 1)
    need_int("vector-ref", k, 2)
    raise index_error("vector-ref", k, len(v))


def vector_set(v, k, x):
    if type(v) is list and type(k) is int and k >= 0:
        try:
            v[k] = x
            return VOID
        except (IndexError, OverflowError):  # (MicroPython: a bignum index overflows)
            pass
    _v("vector-set!", v, 1)
    need_int("vector-set!", k, 2)
    raise index_error("vector-set!", k, len(v))


def vector_length(v):
    if type(v) is list:
        return len(v)
    raise type_error("vector-length", "a vector", v, 1)


def vector_fill(v, x, start=None, end=None):
    _v("vector-fill!", v, 1)
    start, end = bounds("vector-fill!", len(v), start, end, 3)
    for i in range(start, end):
        v[i] = x
    return VOID


def vector_copy_into(dest, at, src, start=None, end=None):
    _v("vector-copy!", dest, 1)
    need_nat("vector-copy!", at, 2)
    _v("vector-copy!", src, 3)
    start, end = bounds("vector-copy!", len(src), start, end, 4)
    n = end - start
    if at > len(dest) or at + n > len(dest):
        raise SteelError(
            CONTRACT_VIOLATION,
            "vector-copy!: %d elements do not fit at index %d of a vector of length %d"
            % (n, at, len(dest)),
        )
    dest[at : at + n] = src[start:end]
    return VOID


def install(lib):
    meter = lib.meter
    d = lib.define

    def new_vector(n):
        meter.charge(OBJECT + SLOT * n)

    def vector(*args):
        new_vector(len(args))
        return list(args)

    def make_vector(k, fill=0):
        need_nat("make-vector", k, 1)
        allocate(meter, "make-vector", OBJECT + SLOT * k)
        return [fill] * k

    def vector_copy(v, start=None, end=None):
        _v("vector-copy", v, 1)
        start, end = bounds("vector-copy", len(v), start, end, 2)
        new_vector(end - start)
        return v[start:end]

    def vector_append(*vs):
        n = 0
        for i in range(len(vs)):
            n += len(_v("vector-append", vs[i], i + 1))
        new_vector(n)
        out = []
        for v in vs:
            out.extend(v)
        return out

    def vector_to_list(v, start=None, end=None):
        _v("vector->list", v, 1)
        start, end = bounds("vector->list", len(v), start, end, 2)
        r = NIL
        if end > start:
            meter.charge(PAIR * (end - start))
            for i in range(end - 1, start - 1, -1):
                r = Pair(v[i], r)
        return r

    def list_to_vector(lst):
        items = elements("list->vector", lst, 1)
        new_vector(len(items))
        return items

    def vector_to_string(v, start=None, end=None):
        _v("vector->string", v, 1)
        start, end = bounds("vector->string", len(v), start, end, 2)
        out = []
        for i in range(start, end):
            c = v[i]
            if type(c) is not Char:
                raise type_error("vector->string", "a vector of chars", v, 1)
            out.append(c.c)
        meter.charge(OBJECT + CHAR * len(out))
        return "".join(out)

    def vector_push(v, x):
        _v("vector-push!", v, 1)
        meter.charge(SLOT)
        v.append(x)
        return VOID

    d("vector", vector, 0, -1, "(vector v ...) — a new vector of the arguments")
    d(
        "make-vector",
        make_vector,
        1,
        2,
        "(make-vector k [fill]) — a new vector of k elements, each fill (default 0)",
    )
    d("vector-ref", vector_ref, 2, 2, "(vector-ref vec k) — element k (from 0) of vec")
    d("vector-set!", vector_set, 3, 3, "(vector-set! vec k v) — stores v at index k; void")
    d("vector-length", vector_length, 1, 1, "(vector-length vec) — the number of elements")
    d(
        "vector-fill!",
        vector_fill,
        2,
        4,
        "(vector-fill! vec v [start end]) — stores v in every slot (of the range); void",
    )
    d(
        "vector-copy",
        vector_copy,
        1,
        3,
        "(vector-copy vec [start end]) — a new vector with the elements (of the range)",
    )
    d(
        "vector-copy!",
        vector_copy_into,
        3,
        5,
        "(vector-copy! dest at src [start end]) — copies src's elements into dest from "
        "index at; void",
    )
    d(
        "vector-append",
        vector_append,
        0,
        -1,
        "(vector-append vec ...) — a new vector of all the elements",
    )
    d(
        "vector->list",
        vector_to_list,
        1,
        3,
        "(vector->list vec [start end]) — a list of the elements (of the range)",
    )
    d("list->vector", list_to_vector, 1, 1, "(list->vector lst) — a new vector of the elements")
    d(
        "vector->string",
        vector_to_string,
        1,
        3,
        "(vector->string vec [start end]) — the string of the vector's chars",
    )
    d(
        "vector-push!",
        vector_push,
        2,
        2,
        "(vector-push! vec v) — appends v at the end of vec; void",
    )
    # Steel's names for its mutable vectors (this runtime's vectors are all mutable).
    for new, old in (
        ("mutable-vector", "vector"),
        ("make-mutable-vector", "make-vector"),
        ("mutable-vector-push!", "vector-push!"),
        ("mutable-vector->list", "vector->list"),
        ("list->mutable-vector", "list->vector"),
        ("mutable-vector->string", "vector->string"),
    ):
        same_as(lib, new, old)
