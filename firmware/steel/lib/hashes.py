"""Immutable hash maps and hash sets (insertion-ordered, keys compared with equal?).

Updates copy the table (see values.HashMap), so every update is charged for the whole new
table: OBJECT plus ENTRY per entry.
"""

from ..errors import ARITY_MISMATCH, CONTRACT_VIOLATION, SteelError, type_error
from ..memory import OBJECT, PAIR, SLOT
from ..values import NIL, HashMap, HashSet, Pair, hash_key, new_table
from ._util import elements, renamed, show

ENTRY = PAIR + 2 * SLOT  # a (key, value) tuple plus its slot in the table


def _m(who, x, pos=1):
    if type(x) is not HashMap:
        raise type_error(who, "a hash map", x, pos)
    return x


def _s(who, x, pos=1):
    if type(x) is not HashSet:
        raise type_error(who, "a hash set", x, pos)
    return x


def hash_ref(m, k):
    if type(m) is HashMap:
        e = m.d.get(hash_key(k))
        if e is not None:
            return e[1]
    _m("hash-ref", m)
    raise SteelError(CONTRACT_VIOLATION, "hash-ref: key not found: %s" % show(k))


def hash_try_get(m, k):
    e = _m("hash-try-get", m).d.get(hash_key(k))
    return False if e is None else e[1]


def hash_contains_p(m, k):
    return hash_key(k) in _m("hash-contains?", m).d


def hash_length(m):
    return len(_m("hash-length", m).d)


def hash_empty_p(m):
    return len(_m("hash-empty?", m).d) == 0


def hashset_contains_p(s, x):
    return hash_key(x) in _s("hashset-contains?", s).d


def hashset_length(s):
    return len(_s("hashset-length", s).d)


def hashset_subset_p(a, b):
    _s("hashset-subset?", a, 1)
    bd = _s("hashset-subset?", b, 2).d
    for hk in a.d:
        if hk not in bd:
            return False
    return True


def install(lib):
    meter = lib.meter
    d = lib.define

    def new_map(n):
        meter.charge(OBJECT + ENTRY * n)

    def new_list(items):
        r = NIL
        if items:
            meter.charge(PAIR * len(items))
            for i in range(len(items) - 1, -1, -1):
                r = Pair(items[i], r)
        return r

    def hash_(*args):
        if len(args) % 2:
            raise SteelError(
                ARITY_MISMATCH, "hash: expected an even number of arguments (a value for every key)"
            )
        new_map(len(args) // 2)
        t = new_table()
        for i in range(0, len(args), 2):
            t[hash_key(args[i])] = (args[i], args[i + 1])
        return HashMap(t)

    def hash_insert(m, k, v):
        _m("hash-insert", m)
        new_map(len(m.d) + 1)
        return m.insert(k, v)

    def hash_remove(m, k):
        _m("hash-remove", m)
        if hash_key(k) not in m.d:
            return m
        new_map(len(m.d))
        return m.remove(k)

    def hash_keys_to_list(m):
        return new_list(_m("hash-keys->list", m).keys())

    def hash_values_to_list(m):
        return new_list(_m("hash-values->list", m).values())

    def hash_to_list(m):
        items = _m("hash->list", m).items()
        meter.charge(PAIR * len(items))
        return new_list([Pair(k, v) for k, v in items])

    def hash_keys_to_vector(m):
        _m("hash-keys->vector", m)
        meter.charge(OBJECT + SLOT * len(m.d))
        return m.keys()

    def hash_values_to_vector(m):
        _m("hash-values->vector", m)
        meter.charge(OBJECT + SLOT * len(m.d))
        return m.values()

    def hash_union(a, b):
        _m("hash-union", a, 1)
        _m("hash-union", b, 2)
        new_map(len(a.d) + len(b.d))
        t = new_table()
        for hk, e in a.d.items():
            t[hk] = e
        for hk, e in b.d.items():
            if hk not in t:
                t[hk] = e
        return HashMap(t)

    def hash_clear(m):
        _m("hash-clear", m)
        new_map(0)
        return HashMap()

    def hashset(*args):
        new_map(len(args))
        t = new_table()
        for x in args:
            t[hash_key(x)] = x
        return HashSet(t)

    def list_to_hashset(lst):
        return hashset(*elements("list->hashset", lst, 1))

    def hashset_insert(s, x):
        _s("hashset-insert", s)
        new_map(len(s.d) + 1)
        return s.insert(x)

    def hashset_remove(s, x):
        _s("hashset-remove", s)
        if hash_key(x) not in s.d:
            return s
        new_map(len(s.d))
        return s.remove(x)

    def hashset_to_list(s):
        return new_list(_s("hashset->list", s).elements())

    def hashset_to_vector(s):
        _s("hashset->vector", s)
        meter.charge(OBJECT + SLOT * len(s.d))
        return s.elements()

    def set_op(who, a, b, keep):
        _s(who, a, 1)
        _s(who, b, 2)
        new_map(len(a.d) + len(b.d))
        t = new_table()
        keep(a.d, b.d, t)
        return HashSet(t)

    def _union(ad, bd, t):
        for hk, x in ad.items():
            t[hk] = x
        for hk, x in bd.items():
            if hk not in t:
                t[hk] = x

    def _intersection(ad, bd, t):
        for hk, x in ad.items():
            if hk in bd:
                t[hk] = x

    def _symmetric_difference(ad, bd, t):
        for hk, x in ad.items():
            if hk not in bd:
                t[hk] = x
        for hk, x in bd.items():
            if hk not in ad:
                t[hk] = x

    def hashset_union(a, b):
        return set_op("hashset-union", a, b, _union)

    def hashset_intersection(a, b):
        return set_op("hashset-intersection", a, b, _intersection)

    def hashset_difference(a, b):
        return set_op("hashset-difference", a, b, _symmetric_difference)

    def hashset_clear(s):
        _s("hashset-clear", s)
        new_map(0)
        return HashSet()

    d("hash", hash_, 0, -1, "(hash k v ...) — a new hash map with each key k mapped to its v")
    d(
        "hash-insert",
        hash_insert,
        3,
        3,
        "(hash-insert m k v) — a copy of m with k mapped to v (m is unchanged)",
    )
    d("hash-ref", hash_ref, 2, 2, "(hash-ref m k) — the value of k in m; an error if absent")
    d(
        "hash-get",
        renamed(hash_ref, "hash-ref", "hash-get"),
        2,
        2,
        "(hash-get m k) — same as hash-ref",
    )
    d("hash-try-get", hash_try_get, 2, 2, "(hash-try-get m k) — the value of k in m, or #f")
    d("hash-remove", hash_remove, 2, 2, "(hash-remove m k) — a copy of m without the key k")
    d("hash-contains?", hash_contains_p, 2, 2, "(hash-contains? m k) — #t if m has the key k")
    d("hash-length", hash_length, 1, 1, "(hash-length m) — the number of keys of m")
    d("hash-empty?", hash_empty_p, 1, 1, "(hash-empty? m) — #t if m has no keys")
    d(
        "hash-keys->list",
        hash_keys_to_list,
        1,
        1,
        "(hash-keys->list m) — the keys of m in insertion order",
    )
    d(
        "hash-values->list",
        hash_values_to_list,
        1,
        1,
        "(hash-values->list m) — the values of m in insertion order",
    )
    d(
        "hash->list",
        hash_to_list,
        1,
        1,
        "(hash->list m) — the (key . value) pairs of m in insertion order",
    )
    d(
        "hash-keys->vector",
        hash_keys_to_vector,
        1,
        1,
        "(hash-keys->vector m) — a vector of the keys of m",
    )
    d(
        "hash-values->vector",
        hash_values_to_vector,
        1,
        1,
        "(hash-values->vector m) — a vector of the values of m",
    )
    d(
        "hash-union",
        hash_union,
        2,
        2,
        "(hash-union a b) — a map with the keys of both; a's value wins for shared keys",
    )
    d("hash-clear", hash_clear, 1, 1, "(hash-clear m) — an empty hash map")
    d("hashset", hashset, 0, -1, "(hashset v ...) — a new hash set of the arguments")
    d("list->hashset", list_to_hashset, 1, 1, "(list->hashset lst) — a hash set of the elements")
    d(
        "hashset-insert",
        hashset_insert,
        2,
        2,
        "(hashset-insert s v) — a copy of s that also contains v",
    )
    d("hashset-remove", hashset_remove, 2, 2, "(hashset-remove s v) — a copy of s without v")
    d(
        "hashset-contains?",
        hashset_contains_p,
        2,
        2,
        "(hashset-contains? s v) — #t if v is in s",
    )
    d("hashset-length", hashset_length, 1, 1, "(hashset-length s) — the number of elements")
    d(
        "hashset->list",
        hashset_to_list,
        1,
        1,
        "(hashset->list s) — the elements of s in insertion order",
    )
    d(
        "hashset->vector",
        hashset_to_vector,
        1,
        1,
        "(hashset->vector s) — a vector of the elements of s",
    )
    d(
        "hashset-union",
        hashset_union,
        2,
        2,
        "(hashset-union a b) — the elements in a or b",
    )
    d(
        "hashset-intersection",
        hashset_intersection,
        2,
        2,
        "(hashset-intersection a b) — the elements in both a and b",
    )
    d(
        "hashset-difference",
        hashset_difference,
        2,
        2,
        "(hashset-difference a b) — the elements in exactly one of a and b (symmetric, as "
        "in Steel)",
    )
    d(
        "hashset-subset?",
        hashset_subset_p,
        2,
        2,
        "(hashset-subset? a b) — #t if every element of a is in b",
    )
    d("hashset-clear", hashset_clear, 1, 1, "(hashset-clear s) — an empty hash set")
