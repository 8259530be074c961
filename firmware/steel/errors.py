"""Steel errors: the kinds, the error type, and how built-ins describe a bad argument.

The kinds and :class:`SteelError` live in :mod:`firmware.steel.condition` (values raise
errors too, and this module prints values); they are re-exported here, where the rest of
the firmware and the tools import them from.
"""

from .condition import (  # noqa: F401 - re-exported: the public names of errors
    ARITY_MISMATCH,
    BAD_SYNTAX,
    CONTRACT_VIOLATION,
    CONVERSION_ERROR,
    FREE_IDENTIFIER,
    GENERIC,
    IO,
    KILLED,
    OUT_OF_MEMORY,
    PARSE,
    STEP_LIMIT,
    TYPE_MISMATCH,
    UNCATCHABLE,
    UNEXPECTED_TOKEN,
    SteelError,
)
from .printer import write_string


def type_error(who, expected, got, position=None):
    """A TypeMismatch naming the procedure, the expected type and the offending value."""
    where = "" if position is None else " (argument %d)" % position
    return SteelError(
        TYPE_MISMATCH,
        "%s: expected %s%s, found %s" % (who, expected, where, write_string(got, 60)),
    )


def arity_error(who, expected, got):
    return SteelError(ARITY_MISMATCH, "%s: expected %s, got %d" % (who, expected, got))


def describe_arity(min_args, max_args):
    if max_args == min_args:
        return "%d argument%s" % (min_args, "" if min_args == 1 else "s")
    if max_args < 0:
        return "at least %d argument%s" % (min_args, "" if min_args == 1 else "s")
    return "between %d and %d arguments" % (min_args, max_args)


def host_error(e, who):
    """A SteelError for a Python exception raised inside procedure ``who``.

    Every procedure checks its arguments and raises Steel errors itself; this is the
    backstop for what slips through (a bug in the runtime, the host running out of
    memory).  Python's own message never reaches the program — it may name Python types
    or internals — so the error says what kind of thing went wrong, and the exception is
    kept in ``cause`` for the host's logs.
    """
    if isinstance(e, SteelError):
        return e
    if isinstance(e, MemoryError):
        err = SteelError(OUT_OF_MEMORY, "%s: the device ran out of memory" % who)
    elif isinstance(e, RuntimeError) and "recursion" in str(e):
        err = SteelError(CONTRACT_VIOLATION, "%s: data nested too deeply" % who)
    elif isinstance(e, (TypeError, AttributeError)):
        err = SteelError(TYPE_MISMATCH, "%s: an argument of the wrong type" % who)
    elif isinstance(e, ZeroDivisionError):
        err = SteelError(CONTRACT_VIOLATION, "%s: division by zero" % who)
    elif isinstance(e, (IndexError, KeyError)):
        err = SteelError(CONTRACT_VIOLATION, "%s: an index or key out of range" % who)
    elif isinstance(e, UnicodeError):
        err = SteelError(CONVERSION_ERROR, "%s: text that is not valid UTF-8" % who)
    elif isinstance(e, (ValueError, OverflowError)):
        err = SteelError(CONTRACT_VIOLATION, "%s: an argument out of range" % who)
    else:
        err = SteelError(GENERIC, "%s: internal error in the runtime" % who)
    err.cause = e
    return err
