"""Output to the interpreter's current output port or to a port argument; string ports.

The current output port is read from ``lib.output`` at every call, so the interpreter may
redirect it (``with-output-to-string``).  Text written to a string port stays in memory
and is charged to the meter; text written to a port with a sink is not.
"""

from ..errors import type_error
from ..memory import CHAR, OBJECT
from ..printer import display_string, write_string
from ..values import EOF, VOID, Char, InputPort, OutputPort, char
from ._util import need_nat, need_str


def _in(who, p, pos=1):
    if type(p) is not InputPort:
        raise type_error(who, "an input port", p, pos)
    return p


def read_line(p):
    _in("read-line", p)
    text = p.text
    i = p.pos
    if i >= len(text):
        return EOF
    j = text.find("\n", i)
    if j < 0:
        p.pos = len(text)
        return text[i:]
    p.pos = j + 1
    return text[i:j]


def read_char(p):
    _in("read-char", p)
    if p.pos >= len(p.text):
        return EOF
    c = p.text[p.pos]
    p.pos += 1
    return char(c)


def peek_char(p):
    _in("peek-char", p)
    if p.pos >= len(p.text):
        return EOF
    return char(p.text[p.pos])


def read_string(k, p):
    need_nat("read-string", k, 1)
    _in("read-string", p, 2)
    if p.pos >= len(p.text) and k > 0:
        return EOF
    s = p.text[p.pos : p.pos + k]
    p.pos += len(s)
    return s


def eof_object():
    return EOF


def eof_object_p(v):
    return v is EOF


def output_port_p(v):
    return type(v) is OutputPort


def input_port_p(v):
    return type(v) is InputPort


def install(lib):
    meter = lib.meter
    d = lib.define

    def emit(who, text, port, pos):
        if port is None:
            port = lib.output
        elif type(port) is not OutputPort:
            raise type_error(who, "an output port", port, pos)
        if port.sink is None:
            meter.charge(OBJECT + CHAR * len(text))
        port.write(text)
        return VOID

    def display(v, port=None):
        return emit("display", v if type(v) is str else display_string(v), port, 2)

    def write(v, port=None):
        return emit("write", write_string(v), port, 2)

    def newline(port=None):
        return emit("newline", "\n", port, 1)

    def write_string_(s, port=None):
        need_str("write-string", s, 1)
        return emit("write-string", s, port, 2)

    def write_char(c, port=None):
        if type(c) is not Char:
            raise type_error("write-char", "a char", c, 1)
        return emit("write-char", c.c, port, 2)

    def displayln(*args):
        port = None
        if len(args) > 1 and type(args[-1]) is OutputPort:
            port = args[-1]
            args = args[:-1]
        text = " ".join([a if type(a) is str else display_string(a) for a in args])
        return emit("displayln", text + "\n", port, len(args) + 1)

    def open_output_string():
        meter.charge(OBJECT)
        return OutputPort()

    def get_output_string(port):
        if type(port) is not OutputPort:
            raise type_error("get-output-string", "an output port", port, 1)
        s = port.getvalue()
        return s

    def open_input_string(s):
        need_str("open-input-string", s, 1)
        meter.charge(OBJECT)
        return InputPort(s)

    d("display", display, 1, 2, "(display v [port]) — writes v as display shows it; void")
    d("write", write, 1, 2, "(write v [port]) — writes the external representation of v; void")
    d("newline", newline, 0, 1, "(newline [port]) — writes a newline; void")
    d("write-string", write_string_, 1, 2, "(write-string s [port]) — writes the string s; void")
    d("write-char", write_char, 1, 2, "(write-char c [port]) — writes the character c; void")
    d(
        "displayln",
        displayln,
        0,
        -1,
        "(displayln v ... [port]) — displays the values separated by spaces, then a newline; void",
    )
    d(
        "open-output-string",
        open_output_string,
        0,
        0,
        "(open-output-string) — a new port that collects what is written to it",
    )
    d(
        "get-output-string",
        get_output_string,
        1,
        1,
        "(get-output-string port) — everything written to the string port so far",
    )
    d(
        "open-input-string",
        open_input_string,
        1,
        1,
        "(open-input-string s) — a new input port that reads the characters of s",
    )
    d(
        "read-line",
        read_line,
        1,
        1,
        "(read-line port) — the next line of port without its newline, or the eof object",
    )
    d("read-char", read_char, 1, 1, "(read-char port) — the next character of port, or eof")
    d("peek-char", peek_char, 1, 1, "(peek-char port) — the next character without consuming it")
    d(
        "read-string",
        read_string,
        2,
        2,
        "(read-string k port) — the next k characters (fewer at the end), or eof",
    )
    d("eof-object", eof_object, 0, 0, "(eof-object) — the end-of-file object")
    d("eof-object?", eof_object_p, 1, 1, "(eof-object? v) — #t if v is the end-of-file object")
    d("output-port?", output_port_p, 1, 1, "(output-port? v) — #t if v is an output port")
    d("input-port?", input_port_p, 1, 1, "(input-port? v) — #t if v is an input port")
