"""Values as text for display, write and print, including structs with a ``#:printer``.

A ``#:printer`` procedure is Steel code, and primitives cannot call into the VM's stack,
so the printer runs in a nested task of the same interpreter, to completion, within
:data:`PRINTER_STEPS` steps: ``(printer obj emit)`` where ``(emit v)`` prints ``v`` in the
same mode.  Outside a running interpreter (a host printing a value) the struct is shown
as if it had no printer.
"""

from .. import context
from ..errors import SteelError
from ..printer import display_string, pieces, print_string, write_string
from ..values import VOID, Primitive

PRINTER_STEPS = 100000

_PLAIN = {"display": display_string, "write": write_string, "print": print_string}


def render(value, mode):
    """``value`` as text in ``mode`` ("display", "write" or "print")."""
    if type(value) is str and mode == "display":
        return value
    parts = pieces(value, mode)
    if parts is None:
        return _PLAIN[mode](value)
    interp = context.current()
    out = []
    for part in parts:
        if type(part) is str:
            out.append(part)
        elif interp is None:
            out.append(_PLAIN["write" if mode == "print" else mode](part))
        else:
            out.append(_call_printer(interp, part, mode))
    return "".join(out)


def _call_printer(interp, struct, mode):
    buf = []
    inner = "write" if mode == "print" else mode  # nested values are not quoted

    def emit(v):
        buf.append(render(v, inner))
        return VOID

    try:
        interp.call(
            struct.type.printer,
            struct,
            Primitive("printer", emit, 1, 1),
            max_steps=PRINTER_STEPS,
        )
    except SteelError as e:
        e.message = "%s's #:printer: %s" % (struct.type.name, e.message)
        raise
    return "".join(buf)
