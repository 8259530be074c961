"""Output: display, write, print and their line forms, characters, bytes, string ports.

Without a port argument everything goes to the current output port: the interpreter's
output, or whatever ``parameterize`` made ``current-output-port``.  Text written to a
string port stays in memory and is charged to the meter; text written to a port with a
sink is not.  Reading is in ``inports``.
"""

from ..errors import CONTRACT_VIOLATION, IO, SteelError, type_error
from ..memory import CHAR, OBJECT
from ..ports import CURRENT_ERROR, CURRENT_INPUT, CURRENT_OUTPUT, InputPort, OutputPort
from ..values import EOF, VOID, Char, Symbol
from ._util import need_str, same_as
from .render import render


def eof_object():
    return EOF


def eof_object_p(v):
    return v is EOF


def output_port_p(v):
    return type(v) is OutputPort


def input_port_p(v):
    return type(v) is InputPort


def port_p(v):
    return type(v) is OutputPort or type(v) is InputPort


def _close(who):
    def close(port):
        if not port_p(port):
            raise type_error(who, "a port", port, 1)
        return VOID

    return close


def _load(path):
    need_str("load", path, 1)
    raise SteelError(IO, "load: a device program cannot load files (%s)" % render(path, "write"))


def install(lib):
    meter = lib.meter
    d = lib.define

    def emit(who, text, port, pos):
        if port is None:
            port = lib.current_output()
        elif type(port) is not OutputPort:
            raise type_error(who, "an output port", port, pos)
        if port.sink is None:
            meter.charge(OBJECT + CHAR * len(text))
        port.write(text)
        return VOID

    def display(v, port=None):
        return emit("display", render(v, "display"), port, 2)

    def write(v, port=None):
        return emit("write", render(v, "write"), port, 2)

    def print_(v, port=None):
        return emit("print", render(v, "print"), port, 2)

    def println(v, port=None):
        return emit("println", render(v, "print") + "\n", port, 2)

    def newline(port=None):
        return emit("newline", "\n", port, 1)

    def write_string_(s, port=None):
        need_str("write-string", s, 1)
        return emit("write-string", s, port, 2)

    def write_line(v, port=None):
        return emit("write-line!", render(v, "display") + "\n", port, 2)

    def write_char(c, port=None):
        if type(c) is not Char:
            raise type_error("write-char", "a char", c, 1)
        return emit("write-char", c.c, port, 2)

    def write_byte(b, port=None):
        if type(b) is not int:
            raise type_error("write-byte", "a byte (an integer 0-255)", b, 1)
        if not 0 <= b <= 255:
            raise SteelError(CONTRACT_VIOLATION, "write-byte: %d is not a byte (0-255)" % b)
        return _emit_bytes("write-byte", bytearray([b]), port)

    def write_bytes(data, port=None):
        if type(data) is not bytearray:
            raise type_error("write-bytes", "a bytevector", data, 1)
        return _emit_bytes("write-bytes", data, port)

    def _emit_bytes(who, data, port):
        if port is None:
            port = lib.current_output()
        elif type(port) is not OutputPort:
            raise type_error(who, "an output port", port, 2)
        if port.sink is None:
            meter.charge(OBJECT + CHAR * len(data))
        port.write_bytes(data)
        return VOID

    def displayln(*args):
        port = None
        if len(args) > 1 and type(args[-1]) is OutputPort:
            port = args[-1]
            args = args[:-1]
        text = " ".join([render(a, "display") for a in args])
        return emit("displayln", text + "\n", port, len(args) + 1)

    def simple_display(*args):
        return emit("simple-display", "".join([render(a, "display") for a in args]), None, 1)

    def simple_displayln(*args):
        text = "".join([render(a, "display") for a in args])
        return emit("simple-displayln", text + "\n", None, 1)

    def open_output_string():
        meter.charge(OBJECT)
        return OutputPort()

    def get_output_string(port):
        if type(port) is not OutputPort:
            raise type_error("get-output-string", "an output port", port, 1)
        return port.getvalue()

    def get_output_bytevector(port):
        if type(port) is not OutputPort:
            raise type_error("get-output-bytevector", "an output port", port, 1)
        data = port.getbytes()
        meter.charge(OBJECT + len(data))
        return data

    def help_(*names):
        """``(help name ...)``: what the built-ins of those names do."""
        lines = []
        for n in names:
            label = n.name if type(n) is Symbol else render(n, "display")
            p = lib.table.get(label) if type(n) is Symbol else None
            doc = getattr(p, "doc", None) if p is not None else None
            lines.append("%s: %s" % (label, doc) if doc else "%s: no documentation" % label)
        return emit("help", "\n".join(lines) + "\n", None, 1)

    d("%help", help_, 0, -1, "(%help name ...) — used by help")
    d("load", _load, 1, 1, "(load path) — not available: a device program is one unit (Io)")
    d("display", display, 1, 2, "(display v [port]) — writes v as display shows it; void")
    d("write", write, 1, 2, "(write v [port]) — writes the external representation of v; void")
    d(
        "print",
        print_,
        1,
        2,
        "(print v [port]) — writes v as the REPL shows it (data quoted: 'sym, '(1 2)); void",
    )
    d("println", println, 1, 2, "(println v [port]) — print, then a newline; void")
    d("newline", newline, 0, 1, "(newline [port]) — writes a newline; void")
    d("write-string", write_string_, 1, 2, "(write-string s [port]) — writes the string s; void")
    d("write-line!", write_line, 1, 2, "(write-line! v [port]) — displays v and a newline; void")
    d("write-char", write_char, 1, 2, "(write-char c [port]) — writes the character c; void")
    d("write-byte", write_byte, 1, 2, "(write-byte b [port]) — writes the byte b (0-255); void")
    same_as(lib, "write-u8", "write-byte")
    d("write-bytes", write_bytes, 1, 2, "(write-bytes bv [port]) — writes the bytevector's bytes")
    same_as(lib, "write-bytevector", "write-bytes")
    d(
        "displayln",
        displayln,
        0,
        -1,
        "(displayln v ... [port]) — displays the values separated by spaces, then a newline; void",
    )
    d(
        "simple-display",
        simple_display,
        0,
        -1,
        "(simple-display v ...) — displays the values with nothing between them; void",
    )
    d(
        "simple-displayln",
        simple_displayln,
        0,
        -1,
        "(simple-displayln v ...) — simple-display, then a newline; void",
    )
    same_as(lib, "stdout-simple-displayln", "simple-displayln")
    d(
        "open-output-string",
        open_output_string,
        0,
        0,
        "(open-output-string) — a new port that collects what is written to it",
    )
    d(
        "open-output-bytevector",
        open_output_string,
        0,
        0,
        "(open-output-bytevector) — a new port that collects bytes (same as a string port)",
    )
    d(
        "get-output-string",
        get_output_string,
        1,
        1,
        "(get-output-string port) — everything written to the string port so far",
    )
    d(
        "get-output-bytevector",
        get_output_bytevector,
        1,
        1,
        "(get-output-bytevector port) — the UTF-8 bytes written to the port so far",
    )
    d("eof-object", eof_object, 0, 0, "(eof-object) — the end-of-file object")
    d("eof-object?", eof_object_p, 1, 1, "(eof-object? v) — #t if v is the end-of-file object")
    d("output-port?", output_port_p, 1, 1, "(output-port? v) — #t if v is an output port")
    d("input-port?", input_port_p, 1, 1, "(input-port? v) — #t if v is an input port")
    d("port?", port_p, 1, 1, "(port? v) — #t if v is a port")
    for name in ("close-port", "close-input-port", "close-output-port", "flush-output-port"):
        d(name, _close(name), 1, 1, "(%s port) — nothing to do for string ports; void" % name)
    lib.table["current-output-port"] = CURRENT_OUTPUT
    lib.table["current-input-port"] = CURRENT_INPUT
    lib.table["current-error-port"] = CURRENT_ERROR
