"""Ports: where ``display`` and friends write and where ``read-line`` and friends read.

Steel's ports are byte ports that also read and write characters (UTF-8), so both views
are kept here: an :class:`InputPort` holds UTF-8 bytes and a byte position (``peek-byte``
of ``"λ"`` is ``#xce``, ``read-char`` then gives ``#\\λ``); an :class:`OutputPort`
collects text, and bytes written to it are decoded once a character is complete.

The current ports are parameters (``parameterize`` rebinds them); their defaults are the
running interpreter's ``output`` and ``input``.
"""

from .objects import Parameter

_REPLACEMENT = "\ufffd"


def _char_length(lead):
    """The length of the UTF-8 sequence that starts with byte ``lead``."""
    if lead < 0x80:
        return 1
    if lead < 0xE0:
        return 2
    if lead < 0xF0:
        return 3
    return 4


def _decode(data):
    try:
        return bytes(data).decode("utf-8")
    except UnicodeError:
        return _REPLACEMENT


class OutputPort:
    """A string port (``open-output-string``) or a port that forwards to a sink."""

    __slots__ = ("chunks", "sink", "pending")

    def __init__(self, sink=None):
        self.chunks = []
        self.sink = sink
        self.pending = None  # bytes of an incomplete UTF-8 character

    def write(self, s):
        if self.pending:
            self._flush_pending()
        if self.sink is not None:
            self.sink(s)
        else:
            self.chunks.append(s)

    def write_bytes(self, data):
        """Write raw bytes; complete UTF-8 characters become text as they arrive."""
        buf = self.pending if self.pending is not None else bytearray()
        buf.extend(data)
        end = 0
        i = 0
        n = len(buf)
        while i < n:
            k = _char_length(buf[i])
            if i + k > n:
                break
            i += k
            end = i
        text = _decode(buf[:end]) if end else ""
        self.pending = bytearray(buf[end:]) if end < n else None
        if text:
            if self.sink is not None:
                self.sink(text)
            else:
                self.chunks.append(text)

    def _flush_pending(self):
        data = self.pending
        self.pending = None
        text = _decode(data)
        if self.sink is not None:
            self.sink(text)
        else:
            self.chunks.append(text)

    def getvalue(self):
        s = "".join(self.chunks)
        self.chunks = [s]
        return s

    def getbytes(self):
        return bytearray(self.getvalue().encode("utf-8")) + (self.pending or bytearray())


class InputPort:
    """An input port over UTF-8 bytes (``open-input-string``, ``open-input-bytevector``)."""

    __slots__ = ("data", "pos")

    def __init__(self, text="", data=None):
        self.data = data if data is not None else text.encode("utf-8")
        self.pos = 0

    def at_end(self):
        return self.pos >= len(self.data)

    def peek_byte(self):
        """The next byte, or None at the end."""
        if self.pos >= len(self.data):
            return None
        return self.data[self.pos]

    def read_byte(self):
        b = self.peek_byte()
        if b is not None:
            self.pos += 1
        return b

    def _char_end(self):
        return min(self.pos + _char_length(self.data[self.pos]), len(self.data))

    def peek_char(self):
        """The next character as a one-character string, or None at the end."""
        if self.pos >= len(self.data):
            return None
        return _decode(self.data[self.pos : self._char_end()])

    def read_char(self):
        if self.pos >= len(self.data):
            return None
        end = self._char_end()
        c = _decode(self.data[self.pos : end])
        self.pos = end
        return c

    def read_line(self):
        """The next line without its newline, or None at the end."""
        data = self.data
        if self.pos >= len(data):
            return None
        j = data.find(b"\n", self.pos)
        if j < 0:
            j = len(data)
        line = _decode(data[self.pos : j])
        self.pos = min(j + 1, len(data))
        return line

    def read_chars(self, k):
        """Up to ``k`` characters as a string (empty at the end)."""
        out = []
        while k > 0 and self.pos < len(self.data):
            out.append(self.read_char())
            k -= 1
        return "".join(out)

    def read_bytes(self, k):
        chunk = self.data[self.pos : self.pos + k]
        self.pos += len(chunk)
        return bytearray(chunk)

    def read_rest(self):
        text = _decode(self.data[self.pos :])
        self.pos = len(self.data)
        return text


CURRENT_OUTPUT = Parameter(None, name="current-output-port", builtin="output")
CURRENT_INPUT = Parameter(None, name="current-input-port", builtin="input")
CURRENT_ERROR = Parameter(None, name="current-error-port", builtin="output")
