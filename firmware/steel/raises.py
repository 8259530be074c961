"""Which error kinds each built-in raises, for the built-ins reference.

The convention (docs/steel.md, "Errors"): every procedure raises ``ArityMismatch`` for a
wrong number of arguments and ``TypeMismatch`` for an argument of the wrong type, and any
procedure that allocates can raise ``OutOfMemory`` at the program's memory cap.  The
table lists the other kinds: ``ContractViolation`` for a value of the right type that is
not allowed (an index past the end, a division by zero, a missing key), ``ConversionError``
for a value with no representation in the target type, and ``OutOfMemory`` where an
argument sets the size of the result.  :meth:`firmware.steel.library.Library.define`
appends them to each procedure's description; a test checks the table against what the
procedures actually raise.
"""

CV = "ContractViolation"
CONV = "ConversionError"
OOM = "OutOfMemory"

_GROUPS = (
    (
        (CV,),
        "/ quotient remainder modulo floor-quotient floor-remainder floor/ truncate-quotient "
        "truncate-remainder truncate/ euclidean-quotient euclidean-remainder euclidean/ expt "
        "log number->string string->number random "
        "list-ref try-list-ref list-tail take drop second third "
        "vector-ref vector-set! vector-fill! vector-copy vector-copy! vector->list "
        "vector->string mut-vector-ref mutable-vector-ref mutable-vector-set! "
        "mutable-vector->list mutable-vector->string mutable-vector-pop! vector-swap! "
        "string-ref substring string-copy string->list string->vector split-many split-once "
        "string-split "
        "bytes bytevector bytes-ref bytevector-u8-ref bytes-set! bytevector-u8-set! "
        "bytes->list bytes-copy bytevector-copy bytes-push! list->bytes string->bytes "
        "string->utf8 write-byte write-u8 read-string read-bytes read-bytevector read-bytes! "
        "read-bytes-into-buf "
        "hash-ref hash-get format printf json-decode string->jsexpr "
        "taking dropping into-nth stream-car #%stream-cdr stream-cdr %parameterize",
    ),
    ((CV, CONV), "bytes->string/utf8 utf8->string"),
    ((CV, OOM), "make-vector make-mutable-vector make-string make-bytes make-bytevector range"),
    ((OOM,), "arithmetic-shift *"),
    ((CONV,), "exact inexact->exact integer->char json-encode value->jsexpr-string"),
    (("Generic",), "error error! raise"),
    (("Io",), "load"),
    (("Parse", "BadSyntax"), "read! read"),
    (("the kinds of the evaluated program's errors",), "eval"),
)

RAISES = {}
for _kinds, _names in _GROUPS:
    for _name in _names.split():
        RAISES[_name] = _kinds


def describe(name, doc):
    """``doc`` with the error kinds ``name`` raises beyond the convention appended."""
    kinds = RAISES.get(name)
    if kinds is None or not doc:
        return doc
    return "%s; raises %s" % (doc, ", ".join(kinds))
