"""The Steel reader: program text to data, with a line and column for every datum.

Lists are built as :class:`~firmware.steel.values.SrcPair` chains whose ``pos`` is the
position of each element, so the compiler can point at any sub-expression.  A list's own
position (its opening parenthesis) is the ``pos`` of the pair that holds it; the reader
returns top-level data together with their positions.

The parser keeps its own stack of open lists: a program nested 10,000 deep is read
without Python recursion (MicroPython allows ~150 frames).
"""

from .errors import BAD_SYNTAX, PARSE, SteelError
from .numsyntax import ZERO_DENOMINATOR, parse_number
from .values import NIL, SrcPair, char, intern

_DELIMITERS = "()[]{}\";'`,"
_WHITESPACE = " \t\n\r\f\v"

CHAR_NAMES = {
    "space": " ",
    "newline": "\n",
    "linefeed": "\n",
    "tab": "\t",
    "return": "\r",
    "nul": "\x00",
    "null": "\x00",
    "alarm": "\x07",
    "backspace": "\x08",
    "delete": "\x7f",
    "rubout": "\x7f",
    "escape": "\x1b",
    "altmode": "\x1b",
}

_STRING_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\x07",
    "b": "\x08",
    "0": "\x00",
    "\\": "\\",
    '"': '"',
    "'": "'",
}

_DOC = intern("@doc")
QUOTE = intern("quote")
QUASIQUOTE = intern("quasiquote")
UNQUOTE = intern("unquote")
UNQUOTE_SPLICING = intern("unquote-splicing")
_PREFIXES = {"'": QUOTE, "`": QUASIQUOTE, ",": UNQUOTE, ",@": UNQUOTE_SPLICING}


class _Open:
    """A list being read: its elements, their positions and how it must close."""

    __slots__ = ("items", "positions", "closer", "pos", "dot", "dot_index", "vector", "prefix")

    def __init__(self, closer, pos, vector=False, prefix=None):
        self.items = []
        self.positions = []
        self.closer = closer
        self.pos = pos
        self.dot = None  # position of "." once seen
        self.dot_index = 0  # how many items precede the "."
        self.vector = vector
        self.prefix = prefix  # a quote-like prefix wrapping a single datum


class Reader:
    def __init__(self, text, source="<string>", docs=False):
        self.text = text
        self.source = source
        self.i = 0
        self.line = 1
        self.col = 1
        # Steel's documentation comments: ``;;@doc`` and the comment lines after it
        # document the next top-level form, read as ``(@doc "text" form)``.
        self.docs = docs
        self.pending_doc = None  # the lines of a doc comment being collected

    def error(self, message, line=None, col=None):
        return SteelError(
            PARSE,
            message,
            self.line if line is None else line,
            self.col if col is None else col,
            self.source,
        )

    # --- characters -------------------------------------------------------------------

    def _advance(self, n=1):
        text = self.text
        for _ in range(n):
            if text[self.i] == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
            self.i += 1

    def _skip_atmosphere(self):
        """Skip whitespace and comments; returns True if a ``#;`` datum comment follows."""
        text = self.text
        n = len(text)
        while self.i < n:
            c = text[self.i]
            if c in _WHITESPACE:
                self._advance()
            elif c == ";":
                start = self.i
                while self.i < n and text[self.i] != "\n":
                    self._advance()
                if self.docs:
                    self._doc_line(text[start : self.i])
            elif c == "#" and self.i + 1 < n and text[self.i + 1] == "|":
                self._skip_block_comment()
            elif c == "#" and self.i + 1 < n and text[self.i + 1] == ";":
                self._advance(2)
                return True
            else:
                break
        return False

    def _doc_line(self, comment):
        body = comment.lstrip(";")
        if body.strip() == "@doc":
            self.pending_doc = []
        elif self.pending_doc is not None:
            self.pending_doc.append(body[1:] if body.startswith(" ") else body)

    def _skip_block_comment(self):
        line, col = self.line, self.col
        self._advance(2)
        depth = 1
        text = self.text
        n = len(text)
        while depth:
            if self.i >= n:
                raise self.error("unterminated block comment", line, col)
            if text.startswith("|#", self.i):
                depth -= 1
                self._advance(2)
            elif text.startswith("#|", self.i):
                depth += 1
                self._advance(2)
            else:
                self._advance()

    # --- tokens -----------------------------------------------------------------------

    def _token_text(self):
        text = self.text
        start = self.i
        n = len(text)
        j = start
        while j < n and text[j] not in _WHITESPACE and text[j] not in _DELIMITERS:
            j += 1
        return text[start:j]

    def _read_string(self):
        line, col = self.line, self.col
        self._advance()
        text = self.text
        n = len(text)
        out = []
        while True:
            if self.i >= n:
                raise self.error("unterminated string", line, col)
            c = text[self.i]
            if c == '"':
                self._advance()
                return "".join(out)
            if c != "\\":
                out.append(c)
                self._advance()
                continue
            if self.i + 1 >= n:
                raise self.error("unterminated string", line, col)
            e = text[self.i + 1]
            if e in _STRING_ESCAPES:
                out.append(_STRING_ESCAPES[e])
                self._advance(2)
            elif e == "x" or e == "u":
                eline, ecol = self.line, self.col
                self._advance(2)
                j = self.i
                if e == "u" and j < n and text[j] == "{":
                    j += 1
                start = j
                while j < n and text[j] in "0123456789abcdefABCDEF":
                    j += 1
                digits = text[start:j]
                if not digits:
                    raise self.error("bad \\%s escape in string" % e, eline, ecol)
                if j < n and text[j] in ";}":
                    j += 1
                code = int(digits, 16)
                if code > 0x10FFFF:
                    raise self.error("escape \\%s%s is not a character" % (e, digits), eline, ecol)
                out.append(chr(code))
                self._advance(j - self.i)
            elif e == "\n" or e in " \t":
                # line continuation: backslash, optional blanks, newline, leading blanks
                j = self.i + 1
                while j < n and text[j] in " \t":
                    j += 1
                if j < n and text[j] == "\n":
                    j += 1
                    while j < n and text[j] in " \t":
                        j += 1
                    self._advance(j - self.i)
                else:
                    raise self.error("unknown escape \\%s in string" % e)
            else:
                raise self.error("unknown escape \\%s in string" % e)

    def _read_char(self):
        line, col = self.line, self.col
        text = self.text
        self._advance(2)  # '#\'
        if self.i >= len(text):
            raise self.error("end of input after #\\", line, col)
        first = text[self.i]
        rest = self._token_text()
        if len(rest) <= 1 or first in _DELIMITERS:
            self._advance(1)
            return char(first)
        self._advance(len(rest))
        lower = rest.lower()
        if lower in CHAR_NAMES:
            return char(CHAR_NAMES[lower])
        if lower[0] in "xu" and len(rest) > 1:
            try:
                return char(chr(int(rest[1:], 16)))
            except ValueError:
                pass
        if len(rest) == 1:
            return char(rest)
        raise self.error("unknown character name #\\%s" % rest, line, col)

    def _read_bar_symbol(self):
        """``|any text|``: a symbol whose name may hold spaces and delimiters (``\\|``
        and ``\\\\`` escape a bar and a backslash)."""
        line, col = self.line, self.col
        self._advance()
        text = self.text
        n = len(text)
        out = []
        while True:
            if self.i >= n:
                raise self.error("unterminated |symbol|", line, col)
            c = text[self.i]
            if c == "|":
                self._advance()
                return intern("".join(out))
            if c == "\\" and self.i + 1 < n:
                out.append(text[self.i + 1])
                self._advance(2)
                continue
            out.append(c)
            self._advance()

    def _atom(self, tok, line, col):
        if tok == "#t" or tok == "#true":
            return True
        if tok == "#f" or tok == "#false":
            return False
        num = parse_number(tok)
        if num is ZERO_DENOMINATOR:
            raise SteelError(BAD_SYNTAX, "division by zero in %s" % tok, line, col, self.source)
        if num is not None:
            return num
        if tok.startswith("#:") and len(tok) > 2:
            return intern(tok)  # a keyword such as #:mutable, read as a symbol (as Steel does)
        if tok.startswith("#%") and len(tok) > 2:
            return intern(tok)  # Steel's names for its primitives, such as #%void
        if tok[0] == "#":
            raise self.error("unknown syntax %s" % tok, line, col)
        return intern(tok)

    # --- data -------------------------------------------------------------------------

    def read_all(self):
        """All top-level data, as a list of ``(datum, (line, column))``."""
        out = []
        stack = []  # open lists, innermost last
        text = self.text
        n = len(text)
        skip = 0  # number of pending #; datum comments at the current level
        doc = None  # the doc comment of the top-level datum being read
        skips = []  # saved `skip` of enclosing levels
        while True:
            if self._skip_atmosphere():
                skip += 1
                continue
            if self.i >= n:
                if stack:
                    top = stack[-1]
                    if top.prefix is not None:
                        raise self.error(
                            "end of input after %s" % top.prefix, top.pos[0], top.pos[1]
                        )
                    raise self.error(
                        "unclosed parenthesis opened here (end of input)", top.pos[0], top.pos[1]
                    )
                if skip:
                    raise self.error("end of input after #;")
                return out
            line, col = self.line, self.col
            c = text[self.i]
            if self.pending_doc is not None:
                if not stack:  # (only top-level forms are documented)
                    doc = "\n".join(self.pending_doc) + "\n"
                self.pending_doc = None
            datum = None
            done = False  # a complete datum was read into `datum`
            if c in "([{":
                self._advance()
                stack.append(_Open({"(": ")", "[": "]", "{": "}"}[c], (line, col)))
                skips.append(skip)
                skip = 0
                continue
            if c == "#" and self.i + 1 < n and text[self.i + 1] == "(":
                self._advance(2)
                stack.append(_Open(")", (line, col), vector=True))
                skips.append(skip)
                skip = 0
                continue
            if c in ")]}":
                if not stack or stack[-1].prefix is not None:
                    if stack and stack[-1].prefix is not None:
                        raise self.error("%s followed by %s" % (stack[-1].prefix, c))
                    raise self.error("Unexpected character: '%s'" % c)  # Steel's words
                top = stack[-1]
                if c != top.closer:
                    raise self.error(
                        "mismatched %s: the list opened at %d:%d needs %s"
                        % (c, top.pos[0], top.pos[1], top.closer)
                    )
                if skip:
                    raise self.error("#; has no datum to comment out before %s" % c)
                self._advance()
                stack.pop()
                skip = skips.pop()
                datum = self._finish(top)
                line, col = top.pos
                done = True
            elif c in "'`,":
                prefix = c
                if c == "," and self.i + 1 < n and text[self.i + 1] == "@":
                    prefix = ",@"
                self._advance(len(prefix))
                stack.append(_Open(None, (line, col), prefix=prefix))
                skips.append(skip)
                skip = 0
                continue
            elif c == '"':
                datum = self._read_string()
                done = True
            elif c == "#" and self.i + 1 < n and text[self.i + 1] == "\\":
                datum = self._read_char()
                done = True
            elif c == "|":
                datum = self._read_bar_symbol()
                done = True
            else:
                tok = self._token_text()
                if not tok:
                    raise self.error("unexpected character %r" % c)
                if tok == ".":
                    self._advance()
                    if not stack or stack[-1].vector or stack[-1].prefix is not None:
                        raise self.error("unexpected '.'", line, col)
                    top = stack[-1]
                    if top.dot is not None or not top.items:
                        raise self.error("bad dotted list", line, col)
                    top.dot = (line, col)
                    top.dot_index = len(top.items)
                    continue
                self._advance(len(tok))
                datum = self._atom(tok, line, col)
                done = True
            # A complete datum: hand it to the enclosing level (closing prefixes too).
            while done:
                if skip:
                    skip -= 1
                    break
                if not stack:
                    if doc is not None:
                        datum = SrcPair(
                            _DOC,
                            SrcPair(doc, SrcPair(datum, NIL, (line, col)), (line, col)),
                            (line, col),
                        )
                        doc = None
                    out.append((datum, (line, col)))
                    break
                top = stack[-1]
                if top.prefix is not None:
                    stack.pop()
                    skip = skips.pop()
                    datum = SrcPair(
                        _PREFIXES[top.prefix], SrcPair(datum, NIL, (line, col)), top.pos
                    )
                    line, col = top.pos
                    continue
                if top.dot is not None and len(top.items) > top.dot_index:
                    raise self.error("more than one datum after '.'", line, col)
                top.items.append(datum)
                top.positions.append((line, col))
                break

    def _finish(self, top):
        items = top.items
        if top.vector:
            return list(items)
        tail = NIL
        count = len(items)
        if top.dot is not None:
            if count != top.dot_index + 1:
                raise self.error("bad dotted list", top.dot[0], top.dot[1])
            tail = items[-1]
            count -= 1
        positions = top.positions
        r = tail
        for k in range(count - 1, -1, -1):
            r = SrcPair(items[k], r, positions[k])
        if count == 0 and top.dot is None:
            return NIL
        return r


def read(text, source="<string>", docs=False):
    """Every top-level datum of ``text`` with its (line, column); with ``docs``, a
    form after a ``;;@doc`` comment is read as ``(@doc "text" form)``."""
    return Reader(text, source, docs).read_all()
