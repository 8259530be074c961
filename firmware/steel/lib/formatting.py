"""format and printf: ~a (display), ~s and ~v (write), ~% and ~n (newline), ~~ (tilde)."""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..memory import CHAR, OBJECT
from ..printer import display_string, write_string
from ..values import VOID
from ._util import show


def format_string(who, fmt, args):
    if type(fmt) is not str:
        raise type_error(who, "a format string", fmt, 1)
    out = []
    used = 0
    n = len(fmt)
    i = 0
    while i < n:
        j = fmt.find("~", i)
        if j < 0:
            out.append(fmt[i:])
            break
        if j > i:
            out.append(fmt[i:j])
        if j + 1 >= n:
            raise SteelError(
                CONTRACT_VIOLATION, "%s: format string ends with a lone ~: %s" % (who, show(fmt))
            )
        c = fmt[j + 1]
        if c in "aAsSvV":
            if used >= len(args):
                raise SteelError(
                    CONTRACT_VIOLATION,
                    "%s: format string %s needs more than %d argument%s"
                    % (who, show(fmt), len(args), "" if len(args) == 1 else "s"),
                )
            v = args[used]
            used += 1
            if c in "aA":
                out.append(v if type(v) is str else display_string(v))
            else:
                out.append(write_string(v))
        elif c == "%" or c == "n":
            out.append("\n")
        elif c == "~":
            out.append("~")
        else:
            raise SteelError(
                CONTRACT_VIOLATION,
                "%s: unknown directive ~%s in format string %s" % (who, c, show(fmt)),
            )
        i = j + 2
    if used < len(args):
        raise SteelError(
            CONTRACT_VIOLATION,
            "%s: format string %s uses %d argument%s but %d were given"
            % (who, show(fmt), used, "" if used == 1 else "s", len(args)),
        )
    return "".join(out)


def install(lib):
    meter = lib.meter
    d = lib.define

    def format_(fmt, *args):
        s = format_string("format", fmt, args)
        meter.charge(OBJECT + CHAR * len(s))
        return s

    def printf(fmt, *args):
        s = format_string("printf", fmt, args)
        port = lib.output
        if port.sink is None:
            meter.charge(OBJECT + CHAR * len(s))
        port.write(s)
        return VOID

    d(
        "format",
        format_,
        1,
        -1,
        "(format fmt v ...) — fmt with ~a (display), ~s/~v (write), ~%/~n (newline) and "
        "~~ replaced",
    )
    d("printf", printf, 1, -1, "(printf fmt v ...) — writes (format fmt v ...) to the output; void")
