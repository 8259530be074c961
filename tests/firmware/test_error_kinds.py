"""The error kinds the built-ins reference promises are the ones the built-ins raise.

docs/steel-builtins.md lists, for each procedure, the kinds it raises beyond the
convention (ArityMismatch, TypeMismatch, and OutOfMemory at the memory cap).  Here every
built-in is called with argument tuples drawn from values of every type and a few
out-of-range ones; any other kind it raises must be in its list.
"""

from firmware.steel import Interpreter, SteelError
from firmware.steel.raises import RAISES
from firmware.steel.values import Control, Primitive

from .test_no_python_errors import _Random

CONVENTION = ("ArityMismatch", "TypeMismatch", "OutOfMemory")

SAMPLES = """(list '() 0 1 2 5 -3 1000 -1 1.5 +nan.0 +inf.0 1/2 1+2i 100000000000000000000
  "s" "" "abc" "1/0" "[1," "~a" #\\a 'sym (list 1 2 3) '((a . 1)) (cons 1 2) (vector)
  (vector 1 "x") (hash 'a 1) (hash) (hashset 1) (bytes 1 2) (bytes) (box 1) #t #f (void)
  car (lambda (x) x) (open-output-string) (open-input-string "a b") (into-list)
  (mapping car) (eof-object) (make-parameter 1))"""


def test_every_kind_raised_is_documented():
    interp = Interpreter(output=lambda s: None, memory_limit=16 * 1024 * 1024)
    v = interp.eval(SAMPLES)
    samples = []
    while hasattr(v, "car"):
        samples.append(v.car)
        v = v.cdr
    rng = _Random(12345)
    undocumented = {}
    for name in sorted(interp.std_table):
        proc = interp.std_table[name]
        if name in ("sleep", "eval") or (type(proc) is not Primitive and type(proc) is not Control):
            continue
        top = proc.max if proc.max >= 0 else proc.min + 2
        for n in range(proc.min, min(top, proc.min + 3) + 1):
            for _ in range(60):
                args = [samples[rng.below(len(samples))] for _ in range(n)]
                try:
                    interp.call(proc, *args, max_steps=2000)
                except SteelError as e:
                    if e.kind not in CONVENTION and e.kind not in RAISES.get(name, ()):
                        undocumented[name] = "%s (%s)" % (e.kind, e.message)
    assert not undocumented, "\n".join(["%s: %s" % kv for kv in sorted(undocumented.items())])


def test_the_reference_shows_the_kinds():
    interp = Interpreter(output=lambda s: None)
    doc = interp.std_table["vector-ref"].doc
    assert doc.endswith("; raises ContractViolation"), doc
    assert interp.std_table["exact"].doc.endswith("; raises ConversionError")
    assert "raises" not in interp.std_table["car"].doc  # only the convention's kinds
    for name in RAISES:
        assert name in interp.std_table, name
