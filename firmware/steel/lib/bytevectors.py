"""Bytevectors (Steel's ``bytes``): mutable sequences of bytes, as Python ``bytearray``.

Both of Steel's names are provided (``bytes``/``bytevector``, ``bytes-ref``/
``bytevector-u8-ref``, ...).  Every index is checked (ContractViolation past the end),
every byte must be an integer 0-255, and new bytevectors are charged to the meter.
"""

from ..errors import CONTRACT_VIOLATION, CONVERSION_ERROR, SteelError, type_error
from ..memory import OBJECT
from ..values import VOID
from ._util import (
    allocate,
    bounds,
    elements,
    index_error,
    list_of,
    need_int,
    need_nat,
    need_str,
    same_as,
)


def _b(who, x, pos=1):
    if type(x) is not bytearray:
        raise type_error(who, "a bytevector", x, pos)
    return x


def _byte(who, x, pos):
    if type(x) is not int:
        raise type_error(who, "a byte (an integer 0-255)", x, pos)
    if not 0 <= x <= 255:
        raise SteelError(CONTRACT_VIOLATION, "%s: %d is not a byte (0-255)" % (who, x))
    return x


def byte_p(x):
    return type(x) is int and 0 <= x <= 255


def bytes_p(x):
    return type(x) is bytearray


def bytes_length(b):
    return len(_b("bytes-length", b))


def bytes_ref(b, k):
    _b("bytes-ref", b, 1)
    need_int("bytes-ref", k, 2)
    if not 0 <= k < len(b):
        raise index_error("bytes-ref", k, len(b))
    return b[k]


def bytes_set(b, k, v):
    _b("bytes-set!", b, 1)
    need_int("bytes-set!", k, 2)
    _byte("bytes-set!", v, 3)
    if not 0 <= k < len(b):
        raise index_error("bytes-set!", k, len(b))
    b[k] = v
    return VOID


def bytes_to_string(b, start=None, end=None):
    _b("bytes->string/utf8", b, 1)
    start, end = bounds("bytes->string/utf8", len(b), start, end, 2)
    try:
        return bytes(b[start:end]).decode("utf-8")
    except UnicodeError:
        pass
    raise SteelError(CONVERSION_ERROR, "bytes->string/utf8: the bytes are not valid UTF-8")


def install(lib):
    d = lib.define
    meter = lib.meter

    def new(who, n):
        allocate(meter, who, OBJECT + n)
        return bytearray(n)

    def make_bytes(k, fill=0):
        need_nat("make-bytes", k, 1)
        _byte("make-bytes", fill, 2)
        b = new("make-bytes", k)
        if fill:
            for i in range(k):
                b[i] = fill
        return b

    def bytes_(*args):
        b = new("bytes", len(args))
        for i in range(len(args)):
            b[i] = _byte("bytes", args[i], i + 1)
        return b

    def list_to_bytes(lst):
        items = elements("list->bytes", lst, 1)
        b = new("list->bytes", len(items))
        for i in range(len(items)):
            b[i] = _byte("list->bytes", items[i], 1)
        return b

    def bytes_to_list(b, start=None, end=None):
        _b("bytes->list", b, 1)
        start, end = bounds("bytes->list", len(b), start, end, 2)
        return list_of(meter, list(b[start:end]))

    def bytes_append(*args):
        total = 0
        for i in range(len(args)):
            total += len(_b("bytes-append", args[i], i + 1))
        out = new("bytes-append", 0)
        allocate(meter, "bytes-append", total)
        for a in args:
            out.extend(a)
        return out

    def bytes_copy(b, start=None, end=None):
        _b("bytes-copy", b, 1)
        start, end = bounds("bytes-copy", len(b), start, end, 2)
        allocate(meter, "bytes-copy", OBJECT + end - start)
        return bytearray(b[start:end])

    def bytes_push(b, v):
        _b("bytes-push!", b, 1)
        _byte("bytes-push!", v, 2)
        meter.charge(1)
        b.append(v)
        return VOID

    def bytes_clear(b):
        _b("bytes-clear!", b, 1)
        b[:] = b""  # (MicroPython's bytearray has no slice deletion)
        return VOID

    def string_to_bytes(s, start=None, end=None):
        need_str("string->bytes", s, 1)
        start, end = bounds("string->bytes", len(s), start, end, 2)
        data = s[start:end].encode("utf-8")
        allocate(meter, "string->bytes", OBJECT + len(data))
        return bytearray(data)

    d("bytes", bytes_, 0, -1, "(bytes b ...) — a new bytevector of the bytes")
    same_as(lib, "bytevector", "bytes")
    d("make-bytes", make_bytes, 1, 2, "(make-bytes k [b]) — a bytevector of k bytes, each b (0)")
    same_as(lib, "make-bytevector", "make-bytes")
    d("bytes?", bytes_p, 1, 1, "(bytes? v) — #t if v is a bytevector")
    same_as(lib, "bytevector?", "bytes?")
    d("byte?", byte_p, 1, 1, "(byte? v) — #t if v is an exact integer 0-255")
    d("bytes-length", bytes_length, 1, 1, "(bytes-length bv) — the number of bytes")
    same_as(lib, "bytevector-length", "bytes-length")
    d("bytes-ref", bytes_ref, 2, 2, "(bytes-ref bv k) — byte k (from 0) of bv")
    same_as(lib, "bytevector-u8-ref", "bytes-ref")
    d("bytes-set!", bytes_set, 3, 3, "(bytes-set! bv k b) — stores the byte b at index k; void")
    same_as(lib, "bytevector-u8-set!", "bytes-set!")
    d("bytes-append", bytes_append, 0, -1, "(bytes-append bv ...) — a new bytevector of all")
    same_as(lib, "bytevector-append", "bytes-append")
    d("bytes-copy", bytes_copy, 1, 3, "(bytes-copy bv [start end]) — a new copy of (a range of) bv")
    same_as(lib, "bytevector-copy", "bytes-copy")
    d("bytes-push!", bytes_push, 2, 2, "(bytes-push! bv b) — appends the byte b; void")
    d("bytes-clear!", bytes_clear, 1, 1, "(bytes-clear! bv) — removes every byte; void")
    d("list->bytes", list_to_bytes, 1, 1, "(list->bytes lst) — a bytevector of the list's bytes")
    d("bytes->list", bytes_to_list, 1, 3, "(bytes->list bv [start end]) — a list of the bytes")
    d(
        "string->bytes",
        string_to_bytes,
        1,
        3,
        "(string->bytes s [start end]) — the UTF-8 encoding of s as a bytevector",
    )
    same_as(lib, "string->utf8", "string->bytes")
    d(
        "bytes->string/utf8",
        bytes_to_string,
        1,
        3,
        "(bytes->string/utf8 bv [start end]) — the string whose UTF-8 encoding is bv",
    )
    same_as(lib, "utf8->string", "bytes->string/utf8")
