"""Steel's built-in library modules that device programs may ``require``.

A device program is one unit: it cannot load files.  Steel ships some libraries as
modules that programs ``require`` by name, though, and a program written for Steel should
not fail on that.  Each one here is Steel source, written for this runtime, that
``require`` splices into the program:

* ``(require "steel/result")`` defines its names directly;
* ``(require (only-in "steel/result" Ok map-ok))`` defines only those (the module's other
  names stay out of reach), and ``(only-in "steel/result" (Ok Success))`` renames;
* ``(require (prefix-in r: "steel/result"))`` defines them with the prefix.

In the sources ``@`` marks the module's own names, so that they can be renamed out of the
program's way for ``only-in`` and ``prefix-in``.
"""

from .errors import BAD_SYNTAX, SteelError
from .reader import read
from .values import Struct

RESULT = """
(struct @Ok (value) #:transparent)
(struct @Err (value) #:transparent)
(define (@Ok->value r) (@Ok-value r))
(define (@Err->value r) (@Err-value r))
(define (@Result? v) (or (@Ok? v) (@Err? v)))
(define (@unwrap-ok r) (@Ok-value r))
(define (@unwrap-err r) (@Err-value r))
(define (@map-ok r f) (if (@Ok? r) (@Ok (f (@Ok-value r))) r))
(define (@map-err r f) (if (@Err? r) (@Err (f (@Err-value r))) r))
(define (@ok-and-then r f) (if (@Ok? r) (f (@Ok-value r)) r))
(define @unwrap-or %unwrap-or)
"""

OPTION = """
(struct @Some (value) #:transparent)
(struct @None () #:transparent)
(define (@Some->value o) (@Some-value o))
(define (@Option? v) (or (@Some? v) (@None? v)))
(define (@map-option o f) (if (@Some? o) (@Some (f (@Some-value o))) (@None)))
(define (@flatten-option o)
  (if (and (@Some? o) (@Some? (@Some-value o))) (@Some-value o) (@None)))
(define (@unwrap-some o) (@Some-value o))
(define (@unwrap o . default) (if (@Some? o) (@Some-value o) (if (null? default) #f (car default))))
(define @unwrap-or %unwrap-or)
(define (@unwrap-or-else o thunk) (if (@Some? o) (@Some-value o) (thunk)))
"""

MODULES = {
    "steel/result": (
        RESULT,
        "Ok Err Ok? Err? Ok->value Err->value Result? unwrap-ok unwrap-err map-ok map-err "
        "ok-and-then unwrap-or",
    ),
    "steel/option": (
        OPTION,
        "Some None Some? None? Some->value Option? map-option flatten-option unwrap-some "
        "unwrap unwrap-or unwrap-or-else",
    ),
}


def _error(message, pos):
    return SteelError(BAD_SYNTAX, "require: " + message, pos[0], pos[1])


def module_forms(name, pos, only=None, prefix=None):
    """The data of the definitions ``(require name)`` stands for.

    ``only`` (a list of (module name, program name) pairs) or ``prefix`` (a string)
    select how the module's names reach the program; with neither, they are defined as
    they are."""
    entry = MODULES.get(name)
    if entry is None:
        raise _error(
            "%s is not a built-in module; a device program is one unit and cannot load "
            "files (built-in modules: %s)" % (name, ", ".join(sorted(MODULES))),
            pos,
        )
    source, exports = entry
    exports = exports.split()
    if only is None and prefix is None:
        return [d for d, _ in read(source.replace("@", ""), "<%s>" % name)]
    hidden = "%" + name + ":"
    forms = [d for d, _ in read(source.replace("@", hidden), "<%s>" % name)]
    if only is not None:
        for n, _ in only:
            if n not in exports:
                raise _error("only-in: %s is not provided by %s" % (n, name), pos)
        aliases = [(new, old) for old, new in only]
    else:
        aliases = [(prefix + n, n) for n in exports]
    text = " ".join(["(define %s %s%s)" % (new, hidden, old) for new, old in aliases])
    return forms + [d for d, _ in read(text, "<%s>" % name)]


def _unwrap_or(v, other):
    """``(unwrap-or r default)``: the value of an ``Ok`` or a ``Some``, else default."""
    if type(v) is Struct and v.fields:
        name = v.type.name
        if name in ("Ok", "Some") or name.endswith(":Ok") or name.endswith(":Some"):
            return v.fields[0]
    return other


def install(lib):
    lib.define("%unwrap-or", _unwrap_or, 2, 2, "(%unwrap-or v default) — used by unwrap-or")
