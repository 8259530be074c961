"""Just enough DER to read a public key, a certificate's key and an ECDSA signature.

Why our own: MicroPython has no ASN.1 module, and the shapes needed are few (SEQUENCE,
INTEGER, OBJECT IDENTIFIER, BIT STRING, context tags).  The reader is strict, as DER is:
lengths in their shortest form, no indefinite lengths, integers without superfluous leading
bytes, nothing after the end.  A signature or key that breaks a rule is refused rather than
read two ways (a lenient reader lets one signature have many encodings).

Every failure is a :class:`DerError` whose message says what was wrong and where.
"""

SEQUENCE = 0x30
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
CONTEXT_0 = 0xA0  # [0] EXPLICIT, constructed (a certificate's version)

MAX_LENGTH_BYTES = 3  # 16 MiB: more than any key or certificate needs


class DerError(ValueError):
    """Input that is not the DER expected; ``message`` says what and where."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def read(data, pos, end=None):
    """The element at ``pos``: ``(tag, content_start, content_end)``.

    ``end`` bounds it (the end of the enclosing element; default: the end of ``data``).
    """
    if end is None:
        end = len(data)
    if pos + 2 > end:
        raise DerError("truncated at byte %d" % pos)
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tag at byte %d" % pos)
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            raise DerError("indefinite length at byte %d (not DER)" % (pos - 1))
        if count > MAX_LENGTH_BYTES:
            raise DerError("length of %d bytes at byte %d is too long" % (count, pos - 1))
        if pos + count > end:
            raise DerError("truncated length at byte %d" % (pos - 1))
        length = 0
        for i in range(count):
            length = (length << 8) | data[pos + i]
        if length < 0x80 or data[pos] == 0:
            raise DerError("length at byte %d is not in its shortest form" % (pos - 1))
        pos += count
    if pos + length > end:
        raise DerError(
            "element at byte %d runs past the end (%d bytes missing)" % (pos, pos + length - end)
        )
    return tag, pos, pos + length


def expect(data, pos, tag, what, end=None):
    """Like :func:`read`, but the element must have ``tag``; ``what`` names it in errors."""
    got, start, stop = read(data, pos, end)
    if got != tag:
        raise DerError("%s: expected tag 0x%02x at byte %d, found 0x%02x" % (what, tag, pos, got))
    return start, stop


def whole(data, tag, what):
    """The one element that is all of ``data`` (nothing may follow it)."""
    start, stop = expect(data, 0, tag, what)
    if stop != len(data):
        raise DerError("%s: %d bytes after its end" % (what, len(data) - stop))
    return start, stop


def positive_integer(data, start, stop, what):
    """The value of an INTEGER's content, which must be positive and minimally encoded."""
    if stop <= start:
        raise DerError("%s: empty integer" % what)
    if data[start] & 0x80:
        raise DerError("%s: negative integer" % what)
    if data[start] == 0 and stop - start > 1 and not data[start + 1] & 0x80:
        raise DerError("%s: integer has a superfluous leading zero" % what)
    return int.from_bytes(data[start:stop], "big")


def oid(data, start, stop, what):
    """An OBJECT IDENTIFIER's content as dotted text ("1.2.840.10045.2.1")."""
    if stop <= start:
        raise DerError("%s: empty object identifier" % what)
    if data[stop - 1] & 0x80:
        raise DerError("%s: object identifier ends mid-arc" % what)
    arcs = []
    value = 0
    fresh = True
    for i in range(start, stop):
        byte = data[i]
        if fresh and byte == 0x80:
            raise DerError("%s: object identifier arc has a superfluous leading byte" % what)
        value = (value << 7) | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
        if len(arcs) > 20:
            raise DerError("%s: object identifier too long" % what)
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])
