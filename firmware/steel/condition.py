"""Steel's error kinds and the error type, at the bottom of the runtime's imports.

Values raise errors (a hash key nested too deeply) and errors describe values (a
TypeMismatch prints the offending value), so the type lives here, below both:
``condition`` <- ``values`` <- ``printer`` <- ``errors``.  Code outside the runtime imports
all of it from :mod:`firmware.steel.errors`.

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
        self.cause = None  # the Python exception behind an internal error, for the host

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
