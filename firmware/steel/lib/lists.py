"""Pairs and lists.

Every procedure walks lists with loops (lists of any length, no Python recursion) and
charges the pairs it builds to the meter before building them.
"""

import math

from ..errors import CONTRACT_VIOLATION, TYPE_MISMATCH, SteelError, type_error
from ..memory import PAIR
from ..values import NIL, Pair, SrcPair, hash_key
from ._util import allocate, elements, list_of, need_nat, show
from .predicates import eq, equal, eqv


def _pair_error(who, x):
    if x is NIL:
        return SteelError(TYPE_MISMATCH, "%s: expected a pair (a non-empty list), found '()" % who)
    return type_error(who, "a pair", x, 1)


def car(x):
    t = type(x)
    if t is Pair or t is SrcPair:
        return x.car
    raise _pair_error("car", x)


def cdr(x):
    t = type(x)
    if t is Pair or t is SrcPair:
        return x.cdr
    raise _pair_error("cdr", x)


def _first(x):
    t = type(x)
    if t is Pair or t is SrcPair:
        return x.car
    raise _pair_error("first", x)


def _rest(x):
    t = type(x)
    if t is Pair or t is SrcPair:
        return x.cdr
    raise _pair_error("rest", x)


def _make_cxr(name):
    path = name[1:-1]  # "cadr" -> "ad": apply the letters right to left

    def cxr(x):
        v = x
        for i in range(len(path) - 1, -1, -1):
            t = type(v)
            if not (t is Pair or t is SrcPair):
                raise SteelError(
                    TYPE_MISMATCH,
                    "%s: expected a pair at depth %d of %s, found %s"
                    % (name, len(path) - i, show(x), show(v)),
                )
            v = v.car if path[i] == "a" else v.cdr
        return v

    return cxr


def _cxr_names():
    """All 28 compositions of car and cdr of two to four steps (caar ... cddddr)."""
    names = [""]
    out = []
    for _ in range(4):
        names = [n + c for n in names for c in "ad"]
        if len(names[0]) >= 2:
            out.extend(["c%sr" % n for n in names])
    return out


_CXR = _cxr_names()


def _nth(who, lst, k, pos=2):
    """Element ``k`` of ``lst`` (a Generic error if the list is too short)."""
    x = lst
    i = k
    while i > 0:
        if not (type(x) is Pair or type(x) is SrcPair):
            break
        x = x.cdr
        i -= 1
    if type(x) is Pair or type(x) is SrcPair:
        return x.car
    if x is not NIL:
        raise type_error(who, "a list", lst, 1)
    raise SteelError(
        CONTRACT_VIOLATION,
        "%s: index %d is out of bounds for a list of length %d" % (who, k, k - i),
    )


def second(lst):
    return _nth("second", lst, 1)


def third(lst):
    return _nth("third", lst, 2)


def list_ref(lst, k):
    return _nth("list-ref", lst, need_nat("list-ref", k, 2))


def try_list_ref(lst, k):
    need_nat("try-list-ref", k, 2)
    x = lst
    while k > 0 and (type(x) is Pair or type(x) is SrcPair):
        x = x.cdr
        k -= 1
    if type(x) is Pair or type(x) is SrcPair:
        return x.car
    return False


def length_of(who, lst, pos=1):
    n = 0
    x = lst
    while type(x) is Pair or type(x) is SrcPair:
        n += 1
        x = x.cdr
    if x is not NIL:
        raise type_error(who, "a list", lst, pos)
    return n


def length(lst):
    return length_of("length", lst)


def last(lst):
    t = type(lst)
    if not (t is Pair or t is SrcPair):
        raise _pair_error("last", lst)
    x = lst
    while type(x.cdr) is Pair or type(x.cdr) is SrcPair:
        x = x.cdr
    if x.cdr is not NIL:
        raise type_error("last", "a list", lst, 1)
    return x.car


def last_pair(lst):
    t = type(lst)
    if not (t is Pair or t is SrcPair):
        raise _pair_error("last-pair", lst)
    x = lst
    while type(x.cdr) is Pair or type(x.cdr) is SrcPair:
        x = x.cdr
    return x


def list_tail(lst, k):
    need_nat("list-tail", k, 2)
    x = lst
    for i in range(k):
        if not (type(x) is Pair or type(x) is SrcPair):
            raise SteelError(
                CONTRACT_VIOLATION,
                "list-tail: the list has only %d elements, cannot drop %d: %s" % (i, k, show(lst)),
            )
        x = x.cdr
    return x


def _member(who, same, v, lst):
    x = lst
    while type(x) is Pair or type(x) is SrcPair:
        if same(v, x.car):
            return x
        x = x.cdr
    if x is not NIL:
        raise type_error(who, "a list", lst, 2)
    return False


def _assoc(who, same, v, lst):
    x = lst
    while type(x) is Pair or type(x) is SrcPair:
        entry = x.car
        if not (type(entry) is Pair or type(entry) is SrcPair):
            raise type_error(who, "a list of pairs", lst, 2)
        if same(v, entry.car):
            return entry
        x = x.cdr
    if x is not NIL:
        raise type_error(who, "a list", lst, 2)
    return False


def member(v, lst):
    return _member("member", equal, v, lst)


def memv(v, lst):
    return _member("memv", eqv, v, lst)


def memq(v, lst):
    return _member("memq", eq, v, lst)


def assoc(v, lst):
    return _assoc("assoc", equal, v, lst)


def assv(v, lst):
    return _assoc("assv", eqv, v, lst)


def assq(v, lst):
    return _assoc("assq", eq, v, lst)


def make_push_back(meter):
    def push_back(lst, v):
        """``(push-back lst v)``: a new list of lst's elements followed by v."""
        items = elements("push-back", lst, 1)
        items.append(v)
        return list_of(meter, items)

    return push_back


def install(lib):
    meter = lib.meter
    d = lib.define

    def cons(a, b):
        meter.charge(PAIR)
        return Pair(a, b)

    def list_(*args):
        n = len(args)
        r = NIL
        if n:
            meter.charge(PAIR * n)
            for i in range(n - 1, -1, -1):
                r = Pair(args[i], r)
        return r

    def copy_into(lst, tail):
        """Append copies of the elements of the proper list ``lst`` after the pair ``tail``;
        returns the new tail."""
        x = lst
        while type(x) is Pair or type(x) is SrcPair:
            p = Pair(x.car, NIL)
            tail.cdr = p
            tail = p
            x = x.cdr
        return tail

    def append(*args):
        n = len(args)
        if n == 0:
            return NIL
        total = 0
        for i in range(n - 1):
            total += length_of("append", args[i], i + 1)
        if total == 0:
            return args[n - 1]
        meter.charge(PAIR * total)
        head = Pair(None, NIL)
        tail = head
        for i in range(n - 1):
            tail = copy_into(args[i], tail)
        tail.cdr = args[n - 1]
        return head.cdr

    def list_copy(lst):
        n = length_of("list-copy", lst)
        if n == 0:
            return NIL
        meter.charge(PAIR * n)
        head = Pair(None, NIL)
        copy_into(lst, head)
        return head.cdr

    def reverse(lst):
        n = length_of("reverse", lst)
        if n:
            meter.charge(PAIR * n)
        r = NIL
        x = lst
        while x is not NIL:
            r = Pair(x.car, r)
            x = x.cdr
        return r

    def take(lst, k):
        need_nat("take", k, 2)
        n = length_of("take", lst)
        if k > n:  # Steel returns the whole list when asked for more
            k = n
        if k == 0:
            return NIL
        meter.charge(PAIR * k)
        head = Pair(None, NIL)
        tail = head
        x = lst
        for _ in range(k):
            p = Pair(x.car, NIL)
            tail.cdr = p
            tail = p
            x = x.cdr
        return head.cdr

    def drop(lst, k):
        need_nat("drop", k, 2)
        x = lst
        for i in range(k):
            if not (type(x) is Pair or type(x) is SrcPair):
                raise SteelError(
                    CONTRACT_VIOLATION,
                    "drop: cannot drop %d elements from a list of length %d" % (k, i),
                )
            x = x.cdr
        return x

    def range_(a, b=None, step=None):
        if b is None:
            start, end = 0, a
        else:
            start, end = a, b
        if step is None:
            step = 1
        for i, v in ((1, a), (2, b), (3, step)):
            t = type(v)
            if v is not None and t is not int and t is not float:
                raise type_error("range", "a number", v, i)
        if step == 0:
            raise SteelError(CONTRACT_VIOLATION, "range: step must not be zero")
        if type(start) is int and type(end) is int and type(step) is int:
            if step > 0:
                n = (end - start + step - 1) // step
            else:
                n = (start - end - step - 1) // -step
        else:
            q = (end - start) / step
            if q != q or q == float("inf"):
                raise SteelError(
                    CONTRACT_VIOLATION,
                    "range: the range from %s to %s by %s is not finite"
                    % (show(start), show(end), show(step)),
                )
            n = math.ceil(q) if q > 0 else 0
        if n <= 0:
            return NIL
        allocate(meter, "range", PAIR * n)
        r = NIL
        for i in range(n - 1, 0, -1):
            r = Pair(start + i * step, r)
        return Pair(start, r)

    def remove_duplicates(lst):
        length_of("remove-duplicates", lst)
        seen = set()
        keep = []
        x = lst
        while x is not NIL:
            k = hash_key(x.car)
            if k not in seen:
                seen.add(k)
                keep.append(x.car)
            x = x.cdr
        if keep:
            meter.charge(PAIR * len(keep))
        r = NIL
        for i in range(len(keep) - 1, -1, -1):
            r = Pair(keep[i], r)
        return r

    def flatten(v):
        out = []
        stack = [v]
        while stack:
            x = stack.pop()
            if x is NIL:
                continue
            if type(x) is Pair or type(x) is SrcPair:
                stack.append(x.cdr)
                stack.append(x.car)
            else:
                out.append(x)
        r = NIL
        if out:
            meter.charge(PAIR * len(out))
            for i in range(len(out) - 1, -1, -1):
                r = Pair(out[i], r)
        return r

    d("cons", cons, 2, 2, "(cons a d) — a new pair whose car is a and cdr is d")
    d("car", car, 1, 1, "(car p) — the first element of the pair p")
    d("cdr", cdr, 1, 1, "(cdr p) — the second element of the pair p (the rest of a list)")
    for name in _CXR:
        d(name, _make_cxr(name), 1, 1, "(%s p) — the composition of car/cdr its name spells" % name)
    d("push-back", make_push_back(lib.meter), 2, 2, "(push-back lst v) — a new list: lst, then v")
    d("first", _first, 1, 1, "(first lst) — the first element of a non-empty list")
    d("rest", _rest, 1, 1, "(rest lst) — the list without its first element")
    d("second", second, 1, 1, "(second lst) — the second element of lst")
    d("third", third, 1, 1, "(third lst) — the third element of lst")
    d("last", last, 1, 1, "(last lst) — the last element of a non-empty list")
    d("last-pair", last_pair, 1, 1, "(last-pair lst) — the last pair of a non-empty list")
    d("list", list_, 0, -1, "(list v ...) — a new list of the arguments")
    d("length", length, 1, 1, "(length lst) — the number of elements of the list")
    d("append", append, 0, -1, "(append lst ... [tail]) — the lists joined, ending in tail")
    d("list-copy", list_copy, 1, 1, "(list-copy lst) — a new list with the same elements")
    d("reverse", reverse, 1, 1, "(reverse lst) — a new list of the elements in reverse order")
    d("list-ref", list_ref, 2, 2, "(list-ref lst k) — element k (from 0) of the list")
    d("try-list-ref", try_list_ref, 2, 2, "(try-list-ref lst k) — element k, or #f if absent")
    d("list-tail", list_tail, 2, 2, "(list-tail lst k) — the list after its first k pairs")
    d(
        "take",
        take,
        2,
        2,
        "(take lst k) — a new list of the first k elements (all of them if fewer)",
    )
    d("drop", drop, 2, 2, "(drop lst k) — the list without its first k elements")
    d(
        "range",
        range_,
        1,
        3,
        "(range [start] end [step]) — the list start, start+step, ... up to but not "
        "including end (start defaults to 0, step to 1)",
    )
    d(
        "member",
        member,
        2,
        2,
        "(member v lst) — the first tail of lst whose car is equal? to v, or #f",
    )
    d("memv", memv, 2, 2, "(memv v lst) — the first tail of lst whose car is eqv? to v, or #f")
    d("memq", memq, 2, 2, "(memq v lst) — the first tail of lst whose car is eq? to v, or #f")
    d("assoc", assoc, 2, 2, "(assoc k alist) — the first pair whose car is equal? to k, or #f")
    d("assv", assv, 2, 2, "(assv k alist) — the first pair whose car is eqv? to k, or #f")
    d("assq", assq, 2, 2, "(assq k alist) — the first pair whose car is eq? to k, or #f")
    d(
        "remove-duplicates",
        remove_duplicates,
        1,
        1,
        "(remove-duplicates lst) — lst without elements equal? to an earlier one",
    )
    d("flatten", flatten, 1, 1, "(flatten v) — the non-list leaves of the nested lists v, in order")
