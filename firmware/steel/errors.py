"""Steel errors: one exception type that is also the run-time error object.

``kind`` uses Steel's ErrorKind names so that messages read the same as Steel's own.
A program can catch an error with ``with-handler``; resource errors (out of memory, step
limit, killed) are not catchable, or a hostile program could swallow its own termination.
"""

# Steel's error kinds (steel-core rerrs.rs ErrorKind).
ARITY_MISMATCH = "ArityMismatch"
FREE_IDENTIFIER = "FreeIdentifier"
TYPE_MISMATCH = "TypeMismatch"
BAD_SYNTAX = "BadSyntax"
PARSE = "Parse"
GENERIC = "Generic"
CONTRACT_VIOLATION = "ContractViolation"
UNEXPECTED_TOKEN = "UnexpectedToken"
CONVERSION_ERROR = "ConversionError"
IO = "Io"
# Not Steel's: the resource limits this runtime enforces on device programs.
OUT_OF_MEMORY = "OutOfMemory"
STEP_LIMIT = "StepLimitExceeded"
KILLED = "Killed"

UNCATCHABLE = (OUT_OF_MEMORY, STEP_LIMIT, KILLED)


class SteelError(Exception):
    """An error raised while reading, compiling or running a Steel program.

    ``line``/``column`` are 1-based and point at the innermost expression that failed;
    ``trace`` lists ``(procedure name, line, column)`` of the Steel frames that were
    active, innermost first (at most a few).  ``payload`` is the value passed to
    ``raise`` when a program raises something that is not an error object.
    """

    def __init__(self, kind, message, line=None, column=None, source=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        self.trace = []
        self.irritants = []
        self.payload = None

    @property
    def catchable(self):
        return self.kind not in UNCATCHABLE

    def locate(self, pos, source=None):
        """Attach a position unless a more precise one is already known.

        ``pos`` is ``(line, column)`` or ``(line, column, source)``.
        """
        if self.line is None and pos is not None:
            self.line = pos[0]
            self.column = pos[1]
            if self.source is None:
                self.source = pos[2] if len(pos) > 2 else source
        return self

    def location(self):
        if self.line is None:
            return self.source or "<unknown>"
        return "%s:%d:%d" % (self.source or "<string>", self.line, self.column)

    def __str__(self):
        return "%s: %s: %s" % (self.location(), self.kind, self.message)

    def to_dict(self):
        """A JSON-ready description, as the device agent reports it."""
        return {
            "kind": self.kind,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "source": self.source,
            "trace": [
                {"procedure": name, "line": p[0] if p else None, "column": p[1] if p else None}
                for name, p in self.trace
            ],
        }


def type_error(who, expected, got, position=None):
    """A TypeMismatch naming the procedure, the expected type and the offending value."""
    from .printer import write_string

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
