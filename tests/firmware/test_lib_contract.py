"""The library as a whole: every module installs, docs and arities follow the contract."""

from firmware.steel.errors import SteelError
from firmware.steel.lib import MODULES, install_all
from firmware.steel.library import Library
from firmware.steel.memory import Meter
from firmware.steel.ports import OutputPort
from firmware.steel.values import NIL, Primitive

from .test_lib_support import LIB

# Entries that are values in Steel, not procedures: void, and the current ports
# (parameters).  The other tests below are about procedures.
VALUES = ("void", "current-output-port", "current-input-port", "current-error-port")
PROCEDURES = dict([(n, p) for n, p in LIB.table.items() if n not in VALUES])

# Names the brief asks for that control.py (not this library) provides.
CONTROL = (
    "map for-each filter foldl foldr reduce apply andmap ormap sort vector-map "
    "vector-for-each hash-for-each call/cc with-handler error raise raise-error "
    "error-object-message error-object? sleep eval with-output-to-string current-time"
).split()

REQUIRED = """
+ - * / quotient remainder modulo abs min max = < > <= >= zero? positive? negative? odd? even?
exact? inexact? exact->inexact inexact->exact floor ceiling round truncate sqrt expt exp log
sin cos tan asin acos atan number? integer? float? real? nan? infinite? gcd lcm square add1
sub1 number->string string->number
eq? eqv? equal? not null? empty? pair? list? symbol? string? char? boolean? procedure?
vector? hash? void?
cons car cdr caar cadr cdar cddr caaar caadr cadar caddr cdaar cdadr cddar cdddr first second
third rest last list length append reverse list-ref list-tail take drop range assoc assq assv
member memq memv list->vector vector->list remove-duplicates
string-append substring string-length string-ref string-upcase string-downcase string-split
string-join string-contains? starts-with? ends-with? trim trim-start trim-end string->list
list->string string->symbol symbol->string string=? string<? string>? string-ci=?
string-null? string-replace make-string string string-copy char->integer integer->char
to-string
char-upcase char-downcase char-alphabetic? char-numeric? char-whitespace? char->digit
vector make-vector vector-ref vector-set! vector-length vector-fill! vector-copy vector-append
hash hash-ref hash-get hash-try-get hash-insert hash-remove hash-contains? hash-keys->list
hash-values->list hash->list hash-length hash-empty? hash-union
hashset hashset-insert hashset-contains? hashset->list hashset-length list->hashset
hashset-remove
display displayln newline write write-string write-char open-output-string
get-output-string open-input-string read-line read-char
format json-encode json-decode string->jsexpr value->jsexpr-string random
""".split()


def test_every_required_name_is_defined():
    missing = [n for n in REQUIRED if n not in LIB.table]
    assert not missing, missing
    for name in CONTROL:
        assert name not in LIB.table, name


def test_every_entry_is_a_primitive_with_a_valid_arity():
    for name in VALUES:
        assert type(LIB.table[name]) is not Primitive, name
    for name, p in PROCEDURES.items():
        assert type(p) is Primitive, name
        assert p.name == name, name
        assert p.min >= 0, name
        assert p.max == -1 or p.max >= p.min, name


def test_docs_follow_the_format():
    for name, p in PROCEDURES.items():
        doc = p.doc
        assert doc.startswith("(" + name), (name, doc)
        assert ") — " in doc, (name, doc)
        assert "\n" not in doc, name
        head, _, tail = doc.partition(" — ")
        assert head.endswith(")") and tail, (name, doc)


def test_arity_declarations_match_the_functions():
    # Calling with the declared minimum number of arguments must never be a Python
    # TypeError (the VM checks counts against min/max and then calls fn directly).
    samples = [NIL, 0, 1, "s", 1.5]
    for name, p in PROCEDURES.items():
        counts = [p.min]
        if p.max != -1:
            counts.append(p.max)
        else:
            counts.append(p.min + 3)
        for n in counts:
            for v in samples:
                try:
                    p.fn(*([v] * n))
                except SteelError:
                    pass
                except TypeError as e:
                    raise AssertionError("%s with %d arguments: %s" % (name, n, e)) from None


def test_declared_arity_is_exact():
    # For fixed-arity procedures, one argument fewer than min or more than max is a Python
    # TypeError: the declared bounds are exactly what the functions accept.  (Variadic
    # ones take *args and rely on the caller's count check for their minimum.)
    for name, p in PROCEDURES.items():
        if p.max == -1:
            continue
        if p.min > 0:
            try:
                p.fn(*([NIL] * (p.min - 1)))
            except TypeError:
                pass
            except SteelError:
                raise AssertionError("%s accepts %d arguments" % (name, p.min - 1)) from None
            else:
                raise AssertionError("%s accepts %d arguments" % (name, p.min - 1))
        try:
            p.fn(*([NIL] * (p.max + 1)))
        except TypeError:
            pass
        except SteelError:
            raise AssertionError("%s accepts %d arguments" % (name, p.max + 1)) from None
        else:
            raise AssertionError("%s accepts %d arguments" % (name, p.max + 1))


def test_install_all_and_each_module():
    lib = Library(Meter(None), OutputPort())
    install_all(lib)
    assert len(lib.table) == len(LIB.table)
    total = 0
    for module in MODULES:
        one = Library(Meter(None), OutputPort())
        module.install(one)
        assert one.table, module
        total += len(one.table)
    assert total == len(lib.table)  # no module redefines another's name
