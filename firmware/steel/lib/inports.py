"""Input: characters, lines, bytes and data from input ports; string and bytevector ports.

Without a port argument the procedures read the current input port.  A device has no
standard input, so outside ``parameterize`` that port is empty and reads give the eof
object.  Ports hold UTF-8 bytes, so byte and character reads can be mixed (Steel's
ports behave the same way).
"""

from ..errors import CONTRACT_VIOLATION, SteelError, type_error
from ..memory import OBJECT
from ..ports import InputPort
from ..quoted import strip_syntax
from ..reader import read as read_source
from ..values import EOF, char
from ._util import list_of, need_nat, need_str, same_as


def _in(who, p, pos):
    if type(p) is not InputPort:
        raise type_error(who, "an input port", p, pos)
    return p


def _bytes(who, b, pos):
    if type(b) is not bytearray:
        raise type_error(who, "a bytevector", b, pos)
    return b


def install(lib):
    d = lib.define
    meter = lib.meter

    def port_of(who, p, pos=1):
        return lib.current_input() if p is None else _in(who, p, pos)

    def read_line(p=None):
        line = port_of("read-line", p).read_line()
        if line is None:
            return EOF
        meter.charge(OBJECT + len(line))
        return line

    def read_char(p=None):
        c = port_of("read-char", p).read_char()
        return EOF if c is None else char(c)

    def peek_char(p=None):
        c = port_of("peek-char", p).peek_char()
        return EOF if c is None else char(c)

    def read_string(k, p=None):
        need_nat("read-string", k, 1)
        port = port_of("read-string", p, 2)
        if k > 0 and port.at_end():
            return EOF
        meter.charge(OBJECT + k)
        return port.read_chars(k)

    def read_byte(p=None):
        b = port_of("read-byte", p).read_byte()
        return EOF if b is None else b

    def peek_byte(p=None):
        b = port_of("peek-byte", p).peek_byte()
        return EOF if b is None else b

    def read_bytes(k, p=None):
        need_nat("read-bytes", k, 1)
        port = port_of("read-bytes", p, 2)
        if k > 0 and port.at_end():
            return EOF
        meter.charge(OBJECT + k)
        return port.read_bytes(k)

    def read_into(who, buf, p, start, end):
        """Read into ``buf[start:end]``; the number of bytes read, or eof."""
        _bytes(who, buf, 1)
        port = port_of(who, p, 2)
        if start is None:
            start = 0
        if end is None:
            end = len(buf)
        need_nat(who, start, 3)
        need_nat(who, end, 4)
        if start > end or end > len(buf):
            raise SteelError(
                CONTRACT_VIOLATION,
                "%s: the range %d to %d does not fit a bytevector of length %d"
                % (who, start, end, len(buf)),
            )
        if end > start and port.at_end():
            return EOF
        chunk = port.read_bytes(end - start)
        buf[start : start + len(chunk)] = chunk
        return len(chunk)

    def read_bytes_bang(buf, p=None, start=None, end=None):
        return read_into("read-bytes!", buf, p, start, end)

    def read_bytes_into_buf(buf, k, p=None):
        need_nat("read-bytes-into-buf", k, 2)
        if k > len(_bytes("read-bytes-into-buf", buf, 1)):
            raise SteelError(
                CONTRACT_VIOLATION,
                "read-bytes-into-buf: %d bytes do not fit a bytevector of length %d"
                % (k, len(buf)),
            )
        if p is not None:
            _in("read-bytes-into-buf", p, 3)
        n = read_into("read-bytes-into-buf", buf, p, 0, k)
        return 0 if n is EOF else n

    def read_port_to_string(p=None):
        text = port_of("read-port-to-string", p).read_rest()
        meter.charge(OBJECT + len(text))
        return text

    def read_datum(p=None):
        """``(read [port])``: the next datum of the port's text, or eof."""
        port = port_of("read", p)
        text = port.read_rest()
        data = read_source(text, "<read>")
        if not data:
            return EOF
        first = data[0]
        # Give back what follows the first datum: re-read it from its position.
        rest = _after(text, data, 1)
        port.data = rest.encode("utf-8")
        port.pos = 0
        return strip_syntax(first[0])

    def read_all(s):
        """``(read! text)``: every datum of the string, as a list."""
        need_str("read!", s, 1)
        return list_of(meter, [strip_syntax(datum) for datum, _ in read_source(s, "<read!>")])

    def open_input_string(s):
        need_str("open-input-string", s, 1)
        meter.charge(OBJECT + len(s))
        return InputPort(s)

    def open_input_bytevector(b):
        _bytes("open-input-bytevector", b, 1)
        meter.charge(OBJECT + len(b))
        return InputPort(data=bytes(b))

    d(
        "read-line",
        read_line,
        0,
        1,
        "(read-line [port]) — the next line without its newline, or eof",
    )
    d("read-char", read_char, 0, 1, "(read-char [port]) — the next character, or eof")
    d("peek-char", peek_char, 0, 1, "(peek-char [port]) — the next character, not consumed")
    d("read-string", read_string, 1, 2, "(read-string k [port]) — the next k characters, or eof")
    d("read-byte", read_byte, 0, 1, "(read-byte [port]) — the next byte, or eof")
    same_as(lib, "read-u8", "read-byte")
    d("peek-byte", peek_byte, 0, 1, "(peek-byte [port]) — the next byte, not consumed")
    same_as(lib, "peek-u8", "peek-byte")
    d("read-bytes", read_bytes, 1, 2, "(read-bytes k [port]) — a bytevector of the next k bytes")
    d(
        "read-bytes!",
        read_bytes_bang,
        1,
        4,
        "(read-bytes! bv [port start end]) — reads into bv[start:end]; the count, or eof",
    )
    d(
        "read-bytes-into-buf",
        read_bytes_into_buf,
        2,
        3,
        "(read-bytes-into-buf bv k [port]) — reads up to k bytes into bv; the count",
    )
    d(
        "read-port-to-string",
        read_port_to_string,
        0,
        1,
        "(read-port-to-string [port]) — the rest of the port's text",
    )
    same_as(lib, "port->string", "read-port-to-string")
    same_as(lib, "read-bytevector", "read-bytes")

    def read_port_to_bytes(p=None):
        port = port_of("read-port-to-bytes", p)
        data = port.read_bytes(len(port.data))
        meter.charge(OBJECT + len(data))
        return data

    d(
        "read-port-to-bytes",
        read_port_to_bytes,
        0,
        1,
        "(read-port-to-bytes [port]) — the rest of the port's bytes, as a bytevector",
    )
    same_as(lib, "port->bytes", "read-port-to-bytes")
    d("read", read_datum, 0, 1, "(read [port]) — the next datum of the port's text, or eof")
    d("read!", read_all, 1, 1, "(read! s) — the list of the data written in the string s")
    d(
        "open-input-string",
        open_input_string,
        1,
        1,
        "(open-input-string s) — a new input port that reads the characters of s",
    )
    d(
        "open-input-bytevector",
        open_input_bytevector,
        1,
        1,
        "(open-input-bytevector bv) — a new input port that reads the bytes of bv",
    )


def _after(text, data, index):
    """The text from the ``index``-th datum on (empty if there is none)."""
    if index >= len(data):
        return ""
    line, col = data[index][1]
    lines = text.split("\n")
    offset = sum([len(lines[i]) + 1 for i in range(line - 1)]) + col - 1
    return text[offset:]
